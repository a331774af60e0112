// etcdscope: the desktop monitor.
//   etcdscope [--endpoints H:P,...] [--data-dir DIR] [--demo]
//             [--open-log FILE] [--palette system|light|dark]
//             [--screenshot FILE [--screenshot-delay-ms N]]
#include "monitor/offline_log_window.h"
#include "window/main_window.h"

#include <QFileInfo>
#include <QMessageBox>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QMainWindow>
#include <QTimer>

namespace {

// For desktops that do not report a dark theme to Qt (and for screenshots):
// Fusion with a palette of the requested lightness.
void applyPalette(const QString& choice)
{
    if (choice != "dark" && choice != "light")
        return;
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    if (choice == "light") {
        QApplication::setPalette(QApplication::style()->standardPalette());
        return;
    }
    QPalette dark;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe6, 0xe6, 0xe6);
    dark.setColor(QPalette::Window, window);
    dark.setColor(QPalette::WindowText, text);
    dark.setColor(QPalette::Base, base);
    dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    dark.setColor(QPalette::ToolTipBase, window);
    dark.setColor(QPalette::ToolTipText, text);
    dark.setColor(QPalette::Text, text);
    dark.setColor(QPalette::Button, window);
    dark.setColor(QPalette::ButtonText, text);
    dark.setColor(QPalette::BrightText, Qt::red);
    dark.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xdb));
    dark.setColor(QPalette::HighlightedText, Qt::white);
    dark.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xf0));
    dark.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0x9a));
    dark.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    dark.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    dark.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    QApplication::setPalette(dark);
}

}  // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("etcdscope");
    QApplication::setOrganizationName("etcdscope");
    QApplication::setApplicationVersion(ETCDSCOPE_VERSION);
    QApplication::setDesktopFileName("etcdscope");

    QCommandLineParser parser;
    parser.setApplicationDescription("Live monitor for etcd v3 watches.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption endpoints("endpoints", "etcd members to connect to, host:port,...", "list");
    QCommandLineOption dataDir("data-dir", "Where the event log is kept.", "dir");
    QCommandLineOption demo("demo", "Add the demo's watches when none are remembered.");
    QCommandLineOption openLog("open-log", "Open a recorded (.sqlite) or exported (.jsonl) log offline.", "file");
    QCommandLineOption palette("palette", "system (default), light or dark.", "name", "system");
    QCommandLineOption screenshot("screenshot", "Save the window to FILE after a delay, then quit.", "file");
    QCommandLineOption screenshotDelay("screenshot-delay-ms", "Delay before --screenshot.", "ms", "4000");
    QCommandLineOption tab("tab", "Open on this tab: watches (default), keys, cluster or leases.", "name",
                           "watches");
    parser.addOptions({endpoints, dataDir, demo, openLog, palette, screenshot, screenshotDelay, tab});
    parser.process(app);
    applyPalette(parser.value(palette));

    // Offline: a log on its own, no connection, no main window.
    if (parser.isSet(openLog)) {
        QString error;
        etcdscope::ui::OfflineLog log = etcdscope::ui::readOfflineLog(parser.value(openLog), &error);
        if (!error.isEmpty()) {
            QMessageBox::critical(nullptr, "etcdscope", QObject::tr("Cannot open the log: %1").arg(error));
            return 1;
        }
        QMainWindow* window = etcdscope::ui::createOfflineLogWindow(QFileInfo(parser.value(openLog)).fileName(),
                                                                    std::move(log));
        window->show();
        if (parser.isSet(screenshot)) {
            const QString file = parser.value(screenshot);
            QTimer::singleShot(parser.value(screenshotDelay).toInt(), window, [window, file] {
                QApplication::exit(window->grab().save(file) ? 0 : 1);
            });
        }
        return app.exec();
    }

    etcdscope::ui::MainWindowOptions options;
    options.endpoints = parser.value(endpoints);
    options.dataDirectory = parser.value(dataDir);
    options.demoWatches = parser.isSet(demo);
    etcdscope::ui::MainWindow window(options);
    window.show();
    const QStringList tabs{"watches", "keys", "cluster", "leases"};
    if (const int index = int(tabs.indexOf(parser.value(tab))); index > 0)
        window.showTab(index);
    else if (index < 0)
        qWarning("--tab takes watches, keys, cluster or leases; opening on the watches.");

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(parser.value(screenshotDelay).toInt(), &window, [&window, file] {
            const bool saved = window.grab().save(file);
            QApplication::exit(saved ? 0 : 1);
        });
    }
    return app.exec();
}
