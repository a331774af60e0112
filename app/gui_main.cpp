// etcdscope: the desktop monitor.
//   etcdscope [--endpoints H:P,...] [--data-dir DIR] [--demo]
//             [--screenshot FILE [--screenshot-delay-ms N]]
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>

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
    QCommandLineOption screenshot("screenshot", "Save the window to FILE after a delay, then quit.", "file");
    QCommandLineOption screenshotDelay("screenshot-delay-ms", "Delay before --screenshot.", "ms", "4000");
    parser.addOptions({endpoints, dataDir, demo, screenshot, screenshotDelay});
    parser.process(app);

    etcdscope::ui::MainWindowOptions options;
    options.endpoints = parser.value(endpoints);
    options.dataDirectory = parser.value(dataDir);
    options.demoWatches = parser.isSet(demo);
    etcdscope::ui::MainWindow window(options);
    window.show();

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        QTimer::singleShot(parser.value(screenshotDelay).toInt(), &window, [&window, file] {
            const bool saved = window.grab().save(file);
            QApplication::exit(saved ? 0 : 1);
        });
    }
    return app.exec();
}
