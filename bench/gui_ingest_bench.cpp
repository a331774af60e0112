// GUI ingest benchmark: the monitor (offscreen) watches a prefix while the
// load generator drives etcd with 100-put transactions, at a target rate or
// as fast as etcd answers. A 5 ms heartbeat on the GUI thread measures
// event-loop stalls; the timeline model's newest revision, sampled whenever
// rows appear, against each commit's acknowledgement gives the model update
// delay; resident memory is read before, at the peak and after.
// Then a catch-up: N keys the monitor has never seen are written, and a watch
// from their first revision replays them into the watch tree; the tree's
// insert and change signals and the stalls meanwhile are counted. Prints
// numbers; asserts nothing about time (SPEC §6: benchmarks, not timed tests).
//   gui_ingest_bench [--rate EVENTS_PER_S (0: as fast as etcd answers)] [--events N] [--catch-up-keys N]
#include "etcd_process.h"
#include "load_generator.h"
#include "monitor/event_timeline_model.h"
#include "stall_meter.h"
#include "monitor/watch_tree_model.h"
#include "window/main_window.h"

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

constexpr int kHeartbeatMs = bench::StallMeter::kHeartbeatMs;
constexpr int kPutsPerTransaction = 100;
constexpr int kValueBytes = 64;

using bench::percentile;
using bench::StallMeter;

// Writes `keys` new keys, then watches them from their first revision and
// counts what the watch tree emits while the replay fills it.
bool catchUp(QApplication& app, ui::MainWindow& window, testing::EtcdProcess& etcd, qint64 keys)
{
    bench::LoadOptions options;
    options.endpoint = etcd.endpoint();
    options.putsPerTransaction = kPutsPerTransaction;
    options.operations = (keys + kPutsPerTransaction - 1) / kPutsPerTransaction;
    options.inFlight = 8;
    options.keyCount = int(options.operations * kPutsPerTransaction);
    options.valueSize = kValueBytes;
    options.prefix = "catchup/";
    options.recordCommits = true;
    const bench::LoadResult written = bench::runLoad(options);
    if (written.failed > 0 || written.commits.empty()) {
        std::fprintf(stderr, "catch-up: writing the keys failed\n");
        return false;
    }
    const qint64 firstRevision = std::min_element(written.commits.begin(), written.commits.end(),
                                                  [](const bench::Commit& a, const bench::Commit& b) {
                                                      return a.revision < b.revision;
                                                  })->revision;
    ui::WatchTreeModel* tree = window.treeModel();
    qint64 insertSignals = 0, rowsInserted = 0, changeSignals = 0;
    QObject::connect(tree, &QAbstractItemModel::rowsInserted, [&](const QModelIndex&, int first, int last) {
        ++insertSignals;
        rowsInserted += last - first + 1;
    });
    QObject::connect(tree, &QAbstractItemModel::dataChanged, [&] { ++changeSignals; });
    StallMeter stalls;
    WatchSpec spec;
    spec.key = "catchup/";
    spec.rangeEnd = prefixRangeEnd(spec.key);
    spec.startRevision = firstRevision;
    QElapsedTimer clock;
    clock.start();
    stalls.start();
    const WatchHandle handle = window.addWatch(spec);
    QTimer done;
    done.setInterval(20);
    QObject::connect(&done, &QTimer::timeout, [&] {
        const QModelIndex root = tree->indexOfWatch(handle);
        if (root.isValid() && tree->rowCount(root) >= written.events)
            app.quit();
    });
    done.start();
    QTimer::singleShot(300'000, &app, [&] { app.exit(2); });
    const int code = app.exec();
    stalls.stop();
    const double seconds = double(clock.elapsed()) / 1000.0;
    const std::vector<double>& stallsMs = stalls.stallsMs;
    const double stallMax = stalls.max();
    std::printf("gui-catch-up: %lld new keys replayed into the watch tree in %.1f s: %lld rowsInserted signals "
                "(%lld rows), %lld dataChanged signals; stall p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                (long long)written.events, seconds, (long long)insertSignals, (long long)rowsInserted,
                (long long)changeSignals, percentile(stallsMs, 0.5), percentile(stallsMs, 0.99), stallMax);
    std::printf("{\"scenario\":\"gui_catch_up\",\"keys\":%lld,\"seconds\":%.2f,\"insert_signals\":%lld,"
                "\"rows_inserted\":%lld,\"change_signals\":%lld,\"stall_p50_ms\":%.2f,\"stall_p99_ms\":%.2f,"
                "\"stall_max_ms\":%.2f}\n",
                (long long)written.events, seconds, (long long)insertSignals, (long long)rowsInserted,
                (long long)changeSignals, percentile(stallsMs, 0.5), percentile(stallsMs, 0.99), stallMax);
    return code == 0;
}

}  // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCommandLineParser parser;
    QCommandLineOption rateOption("rate", "Target events per second; 0: as fast as etcd answers.", "n", "50000");
    QCommandLineOption eventsOption("events", "Events to write (100 per transaction).", "n", "1000000");
    QCommandLineOption catchUpOption("catch-up-keys", "New keys replayed into the tree afterwards (0: none).", "n",
                                     "100000");
    parser.addOptions({rateOption, eventsOption, catchUpOption});
    parser.addHelpOption();
    parser.process(app);
    const int rate = parser.value(rateOption).toInt();
    const qint64 events = std::max<qint64>(kPutsPerTransaction, parser.value(eventsOption).toLongLong());

    testing::EtcdProcess etcd({"--quota-backend-bytes=8589934592", "--max-txn-ops=1000",
                               "--auto-compaction-retention=0"});
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

    StallMeter stalls;
    // When each revision became visible in the timeline model.
    struct Shown {
        qint64 revision;
        steady_clock::time_point at;
    };
    std::vector<Shown> shown;
    ui::EventTimelineModel* model = window.timelineModel();
    QObject::connect(model, &QAbstractItemModel::rowsInserted, [&] {
        if (model->rowCount() > 0)
            shown.push_back({model->record(model->rowCount() - 1).modRevision, steady_clock::now()});
    });

    std::atomic<bool> writing{true};
    bench::LoadResult load;
    std::thread writer;
    QElapsedTimer clock;
    double residentBefore = 0, residentPeak = 0;
    QTimer::singleShot(1000, [&] {  // let the watch become live first
        residentBefore = testing::residentMiB();
        stalls.start();
        clock.start();
        writer = std::thread([&] {
            bench::LoadOptions options;
            options.endpoint = etcd.endpoint();
            options.putsPerTransaction = kPutsPerTransaction;
            options.operations = events / kPutsPerTransaction;
            options.inFlight = 8;
            options.keyCount = 1000;
            options.valueSize = kValueBytes;
            options.prefix = "bench/";
            options.operationsPerSecond = double(rate) / kPutsPerTransaction;
            options.recordCommits = true;
            load = bench::runLoad(options);
            writing = false;
        });
    });
    // Done when the writer stopped and every written event was recorded.
    QTimer done;
    done.setInterval(50);
    QObject::connect(&done, &QTimer::timeout, [&] {
        residentPeak = std::max(residentPeak, testing::residentMiB());
        if (!writing && load.events > 0 && window.eventsRecorded() >= load.events && !shown.empty()
            && shown.back().revision >= load.lastRevision)
            app.quit();
    });
    done.start();
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &app, [&] {
        if (!writing)
            app.exit(2);  // written, but not all recorded within two minutes
        else
            deadline.start(120'000);
    });
    deadline.start(120'000);
    const int code = app.exec();
    done.stop();
    deadline.stop();
    const double elapsedS = double(clock.elapsed()) / 1000.0;
    stalls.stop();
    const std::vector<double>& stallsMs = stalls.stallsMs;
    if (writer.joinable())
        writer.join();

    // Commit acknowledged → the revision visible in the model.
    std::vector<double> delayMs;
    for (const bench::Commit& commit : load.commits) {
        auto it = std::lower_bound(shown.begin(), shown.end(), commit.revision,
                                   [](const Shown& s, qint64 revision) { return s.revision < revision; });
        if (it != shown.end())
            delayMs.push_back(duration<double, std::milli>(it->at - commit.at).count());
    }
    const double achieved = load.seconds > 0 ? double(load.events) / load.seconds : 0;
    const double stallMax = stalls.max();
    std::printf("gui-ingest: target %s; etcd committed %lld events in %.1f s (%.0f events/s); recorded %lld, all "
                "after %.1f s\n",
                rate > 0 ? (std::to_string(rate) + " events/s").c_str() : "as fast as etcd answers",
                (long long)load.events, load.seconds, achieved, (long long)window.eventsRecorded(), elapsedS);
    std::printf("gui-ingest: event-loop stall over %zu heartbeats of %d ms: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                stallsMs.size(), kHeartbeatMs, percentile(stallsMs, 0.5), percentile(stallsMs, 0.99), stallMax);
    std::printf("gui-ingest: model update delay (commit acknowledged → row in the timeline model) over %zu commits: "
                "p50 %.1f ms, p99 %.1f ms\n",
                delayMs.size(), percentile(delayMs, 0.5), percentile(delayMs, 0.99));
    std::printf("gui-ingest: resident memory %.0f MiB before, %.0f MiB at the peak, %.0f MiB after\n",
                residentBefore, residentPeak, testing::residentMiB());
    std::printf("{\"scenario\":\"gui_ingest\",\"target_eps\":%d,\"achieved_eps\":%.0f,\"written\":%lld,"
                "\"recorded\":%lld,\"stall_p50_ms\":%.2f,\"stall_p99_ms\":%.2f,\"stall_max_ms\":%.2f,"
                "\"model_delay_p50_ms\":%.2f,\"model_delay_p99_ms\":%.2f,\"rss_before_mib\":%.1f,"
                "\"rss_peak_mib\":%.1f}\n",
                rate, achieved, (long long)load.events, (long long)window.eventsRecorded(),
                percentile(stallsMs, 0.5), percentile(stallsMs, 0.99), stallMax, percentile(delayMs, 0.5),
                percentile(delayMs, 0.99), residentBefore, residentPeak);
    const bool liveOk = code == 0 && load.failed == 0 && window.eventsRecorded() >= load.events;
    const qint64 catchUpKeys = parser.value(catchUpOption).toLongLong();
    return liveOk && (catchUpKeys <= 0 || catchUp(app, window, etcd, catchUpKeys)) ? 0 : 1;
}
