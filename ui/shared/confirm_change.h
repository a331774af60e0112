// The confirmation asked before a write or a maintenance step: the text's
// first paragraph as the question, in bold; lines of a change ("- old",
// "+ new") in a fixed font, removed in red and added in green; Cancel is the
// default button.
#pragma once

#include <QString>

class QWidget;

namespace etcdscope::ui {

bool confirmChange(QWidget* parent, const QString& title, const QString& text);

// The same text as the box shows it (rich text), for tests.
QString confirmationHtml(const QString& text);

}  // namespace etcdscope::ui
