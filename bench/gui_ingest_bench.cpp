// GUI ingest benchmark: the monitor (offscreen) watches a prefix while a
// writer drives etcd at a target rate with 100-put transactions; a 5 ms
// heartbeat on the GUI thread measures event-loop stalls. Prints numbers;
// asserts nothing about time (SPEC §6: benchmarks, not timed tests).
//   gui_ingest_bench [--rate EVENTS_PER_S] [--seconds N]
#include "etcd_process.h"
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

using namespace etcdscope;
using namespace std::chrono;

namespace {

constexpr int kHeartbeatMs = 5;
constexpr int kPutsPerTransaction = 100;
constexpr int kValueBytes = 64;

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, std::size_t(p * double(values.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCommandLineParser parser;
    QCommandLineOption rateOption("rate", "Target events per second.", "n", "20000");
    QCommandLineOption secondsOption("seconds", "How long to write.", "n", "10");
    parser.addOptions({rateOption, secondsOption});
    parser.addHelpOption();
    parser.process(app);
    const int rate = parser.value(rateOption).toInt();
    const int seconds = parser.value(secondsOption).toInt();

    testing::EtcdProcess etcd({"--quota-backend-bytes=8589934592", "--max-txn-ops=1000"});
    if (const std::string error = etcd.start(); !error.empty()) {
        std::fprintf(stderr, "cannot start etcd: %s\n", error.c_str());
        return 1;
    }
    QTemporaryDir data;
    ui::MainWindowOptions options;
    options.endpoints = QString::fromStdString(etcd.endpoint());
    options.dataDirectory = data.path();
    ui::MainWindow window(options);
    window.resize(1400, 900);
    window.show();
    WatchSpec spec;
    spec.key = "bench/";
    spec.rangeEnd = prefixRangeEnd("bench/");
    window.addWatch(spec);

    // The heartbeat: every gap beyond its interval is a stall of the GUI thread.
    std::vector<double> stallsMs;
    QElapsedTimer beat;
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(kHeartbeatMs);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        if (beat.isValid())
            stallsMs.push_back(std::max(0.0, double(beat.nsecsElapsed()) / 1e6 - kHeartbeatMs));
        beat.restart();
    });

    std::atomic<bool> writing{true};
    std::atomic<std::int64_t> written{0};
    std::int64_t startRevision = 0;
    std::thread writer;
    QElapsedTimer clock;
    QTimer::singleShot(1000, [&] {  // let the watch become live first
        startRevision = etcd.currentRevision();
        heartbeat.start();
        clock.start();
        writer = std::thread([&] {
            const std::string value(kValueBytes, 'v');
            const auto begin = steady_clock::now();
            std::int64_t txn = 0;
            while (writing) {
                std::vector<std::pair<std::string, std::string>> puts;
                for (int i = 0; i < kPutsPerTransaction; ++i)
                    puts.emplace_back("bench/" + std::to_string(i), value);
                etcd.txnPuts(puts);
                written += kPutsPerTransaction;
                ++txn;
                // Pace to the target rate; etcd's own speed is the other limit.
                const auto due = begin + microseconds(std::int64_t(1e6 * double(txn * kPutsPerTransaction) / rate));
                std::this_thread::sleep_until(due);
            }
        });
        QTimer::singleShot(seconds * 1000, [&] { writing = false; });
    });
    // Done when the writer stopped and every written event was recorded.
    QTimer done;
    done.setInterval(50);
    QObject::connect(&done, &QTimer::timeout, [&] {
        if (!writing && written > 0 && window.eventsRecorded() >= written)
            app.quit();
    });
    done.start();
    QTimer::singleShot((seconds + 120) * 1000, &app, [&] { app.exit(2); });
    const int code = app.exec();
    writing = false;
    if (writer.joinable())
        writer.join();
    const double elapsedS = double(clock.elapsed()) / 1000.0;
    std::printf("gui-ingest: target %d events/s for %d s; written %lld events (%.0f events/s achieved by etcd); "
                "recorded %lld\n",
                rate, seconds, (long long)written.load(), double(written.load()) / seconds,
                (long long)window.eventsRecorded());
    std::printf("gui-ingest: event-loop stall over %zu heartbeats of %d ms: p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
                "all recorded after %.1f s\n",
                stallsMs.size(), kHeartbeatMs, percentile(stallsMs, 0.5), percentile(stallsMs, 0.99),
                stallsMs.empty() ? 0.0 : *std::max_element(stallsMs.begin(), stallsMs.end()), elapsedS);
    std::printf("{\"scenario\":\"gui_ingest\",\"target_eps\":%d,\"written\":%lld,\"recorded\":%lld,"
                "\"stall_p50_ms\":%.2f,\"stall_p99_ms\":%.2f,\"stall_max_ms\":%.2f}\n",
                rate, (long long)written.load(), (long long)window.eventsRecorded(), percentile(stallsMs, 0.5),
                percentile(stallsMs, 0.99),
                stallsMs.empty() ? 0.0 : *std::max_element(stallsMs.begin(), stallsMs.end()));
    (void)startRevision;
    return code == 0 && window.eventsRecorded() >= written ? 0 : 1;
}
