// What the monitor's end-to-end tests do the way a person does it: find a
// menu action by its text, and add a prefix watch through the Add watch
// dialog.
#pragma once

#include "monitor/add_watch_dialog.h"
#include "window/main_window.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QtTest>

namespace etcdscope::testing {

inline QAction* findAction(QWidget* window, const QString& text)
{
    for (QAction* action : window->findChildren<QAction*>())
        if (action->text() == text)
            return action;
    return nullptr;
}

// Watch > Add watch…, then the dialog filled with `prefix` in prefix mode and accepted.
inline void addPrefixWatch(ui::MainWindow& window, const QString& prefix)
{
    QAction* add = findAction(&window, "&Add watch…");
    QVERIFY(add);
    QTimer::singleShot(0, &window, [prefix] {
        auto* dialog = qobject_cast<ui::AddWatchDialog*>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        dialog->findChild<QLineEdit*>("keyEdit")->setText(prefix);
        dialog->findChild<QComboBox*>("modeCombo")->setCurrentIndex(ui::AddWatchDialog::PrefixMode);
        dialog->findChild<QDialogButtonBox*>("buttonBox")->button(QDialogButtonBox::Ok)->click();
    });
    add->trigger();
}

}  // namespace etcdscope::testing
