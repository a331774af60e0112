// The recorder's benchmark (issue 15): etcdscope-cli record into SQLite and
// into PostgreSQL beside etcd's own write rate and beside etcdctl replaying
// the same history, in one run on one etcd. Measures, asserts nothing about
// time.
//   live:     the recorder runs while the load writes as fast as etcd takes it;
//             how long after the last commit the log holds every event, and
//             the recorder's rate over the whole run against etcd's rate.
//   backfill: a new log for the whole history (from revision 1): events/s,
//             against `etcdctl watch --rev 1 -w json` reading the same events.
//   steady:   (with --steady-seconds S) the load at a rate the recorder can
//             hold (--steady-rate, events/s) for S seconds: whether its
//             memory stays flat over a long run.
// Also bytes on disk per event and the recorder's resident memory (peak, and
// at each tenth of the run: flat or growing).
//   record_bench [--events N] [--smoke] [--steady-seconds S [--steady-rate R]] [--only-steady]
#include "etcd_process.h"
#include "load_generator.h"
#include "postgres_process.h"
#include "recording/event_store.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace etcdscope;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPollMs = 20;
constexpr int kRssSampleMs = 100;
constexpr auto kDeadline = std::chrono::minutes(20);

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The highest revision the log's watches have reached (0: none yet).
qint64 loggedRevision(EventStore* store)
{
    qint64 revision = 0;
    if (store) {
        for (const WatchDefinition& w : store->watches())
            revision = std::max(revision, w.lastRevision);
    }
    return revision;
}

// Bytes the log takes: the SQLite file (and its WAL), or the PostgreSQL database.
qint64 logBytes(const QString& location)
{
    if (!EventStore::isDatabaseUrl(location))
        return QFileInfo(location).size() + QFileInfo(location + "-wal").size();
    const QUrl url(location);
    qint64 bytes = 0;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase("QPSQL", "bench.size");
        db.setHostName(url.host());
        db.setPort(url.port());
        db.setUserName(url.userName());
        db.setDatabaseName(url.path().mid(1));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec("SELECT pg_database_size(current_database())") && q.next())
                bytes = q.value(0).toLongLong();
            q.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase("bench.size");
    return bytes;
}

struct RecordRun {
    double caughtUpSeconds = -1;  // from start until the log holds `last`; -1: never
    qint64 changes = 0;           // PUT and DELETE rows in the log at the end
    double peakMiB = 0;
    std::vector<double> rssMiB;   // VmRSS every kRssSampleMs from the start to the end
    qint64 bytes = 0;
    QByteArray stderrText;
};

// Starts the recorder of the keys under `prefix` on `location`, runs `during`
// (which returns the revision the log must reach) and waits until the log
// reaches it; stops the recorder with SIGINT.
template <typename During>
RecordRun record(const QString& cli, const std::string& endpoint, const QString& location, const char* prefix,
                 During during)
{
    RecordRun run;
    QProcess recorder;
    const auto start = Clock::now();
    recorder.start(cli, {"record", "--endpoints", QString::fromStdString(endpoint), "--db", location, "--prefix",
                         prefix});
    if (!recorder.waitForStarted())
        return run;
    // The resident size over the run, sampled beside the load (which blocks this thread).
    std::atomic<bool> sampling{true};
    std::thread sampler([&, pid = pid_t(recorder.processId())] {
        while (sampling.load()) {
            run.rssMiB.push_back(testing::residentMiB(pid, "VmRSS:"));
            std::this_thread::sleep_for(std::chrono::milliseconds(kRssSampleMs));
        }
    });
    const qint64 last = during();
    QString error;
    std::unique_ptr<EventStore> store;
    while (secondsSince(start) < std::chrono::duration<double>(kDeadline).count()) {
        if (!store)
            store = EventStore::open(location, &error);
        if (loggedRevision(store.get()) >= last) {
            run.caughtUpSeconds = secondsSince(start);
            break;
        }
        run.peakMiB = std::max(run.peakMiB, testing::residentMiB(pid_t(recorder.processId()), "VmHWM:"));
        if (recorder.state() != QProcess::Running)
            break;
        QThread::msleep(kPollMs);
    }
    run.peakMiB = std::max(run.peakMiB, testing::residentMiB(pid_t(recorder.processId()), "VmHWM:"));
    sampling = false;
    sampler.join();
    if (store) {
        for (const RecordKind kind : {RecordKind::Put, RecordKind::Delete}) {
            RecordFilter changes;
            changes.kind = kind;
            run.changes += store->count(changes);
        }
    }
    store.reset();
    ::kill(pid_t(recorder.processId()), SIGINT);
    recorder.waitForFinished(60'000);
    run.stderrText = recorder.readAllStandardError();
    run.bytes = logBytes(location);
    return run;
}

// etcdctl replaying the history from revision 1 until it prints `last`.
double etcdctlReplay(const std::string& endpoint, qint64 last)
{
    QProcess etcdctl;
    etcdctl.setReadChannel(QProcess::StandardOutput);
    const auto start = Clock::now();
    etcdctl.start("etcdctl", {"watch", "--endpoints", QString::fromStdString(endpoint), "--prefix", "--rev", "1",
                              "-w", "json", "load/"});
    const QByteArray needle = "\"mod_revision\":" + QByteArray::number(last) + ",";
    QByteArray tailText;
    double seconds = -1;
    while (etcdctl.waitForReadyRead(60'000)) {
        tailText += etcdctl.readAll();
        if (tailText.contains(needle)) {
            seconds = secondsSince(start);
            break;
        }
        tailText = tailText.right(needle.size() + 64);
    }
    etcdctl.kill();
    etcdctl.waitForFinished();
    return seconds;
}

// The resident size at each tenth of the run, "a b c …" in MiB: flat or growing.
std::string rssOverRun(const std::vector<double>& samples)
{
    std::string text;
    for (int tenth = 1; tenth <= 10 && !samples.empty(); ++tenth) {
        const std::size_t at = std::min(samples.size() - 1, samples.size() * tenth / 10);
        text += (text.empty() ? "" : " ") + std::to_string(int(samples[at] + 0.5));
    }
    return text;
}

// The keys one run writes and records: under load/, so that the backfill of
// load/ reads every run's events.
std::string prefixOf(const char* scenario, const char* engine)
{
    return std::string("load/") + scenario + "-" + QString::fromLatin1(engine).toLower().toStdString() + "/";
}

void row(const char* scenario, const char* engine, const char* measure, double value, const char* note)
{
    std::printf("%-10s %-11s %-38s %14.2f  %s\n", scenario, engine, measure, value, note);
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    qint64 events = 500'000;
    qint64 steadySeconds = 0;
    qint64 steadyRate = 20'000;
    bool onlySteady = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--events" && i + 1 < argc) {
            events = std::atoll(argv[++i]);
        } else if (arg == "--smoke") {
            events = 20'000;
        } else if (arg == "--steady-seconds" && i + 1 < argc) {
            steadySeconds = std::atoll(argv[++i]);
        } else if (arg == "--steady-rate" && i + 1 < argc) {
            steadyRate = std::max<qint64>(100, std::atoll(argv[++i]));
        } else if (arg == "--only-steady") {
            onlySteady = true;
        } else {
            std::fprintf(stderr, "usage: record_bench [--events N] [--smoke] [--steady-seconds S [--steady-rate R]] "
                                 "[--only-steady]\n");
            return 2;
        }
    }
    const QString cli = QCoreApplication::applicationDirPath() + "/../app/etcdscope-cli";
    if (QStandardPaths::findExecutable("etcdctl").isEmpty()) {
        std::fprintf(stderr, "etcdctl is not installed (Debian package etcd-client).\n");
        return 1;
    }
    testing::EtcdProcess etcd({"--quota-backend-bytes=8589934592", "--max-txn-ops=1000",
                               "--auto-compaction-retention=0"});
    testing::PostgresProcess postgres;
    if (const std::string error = etcd.start(); !error.empty()) {
        std::fprintf(stderr, "cannot start etcd: %s\n", error.c_str());
        return 1;
    }
    if (const std::string error = postgres.start(); !error.empty()) {
        std::fprintf(stderr, "cannot start PostgreSQL: %s\n", error.c_str());
        return 1;
    }
    QTemporaryDir dir;
    std::printf("# record_bench: %lld events (transactions of 100 puts, 64-byte values, 1000 keys), %u cores\n",
                (long long)events, std::thread::hardware_concurrency());
    std::printf("%-10s %-11s %-38s %14s  %s\n", "scenario", "engine", "measure", "value", "note");

    bench::LoadOptions load;
    load.endpoint = etcd.endpoint();
    load.putsPerTransaction = 100;
    load.operations = std::max<qint64>(1, events / load.putsPerTransaction);
    load.inFlight = 16;
    qint64 last = 0;
    qint64 total = 0;  // events the load wrote in all runs
    double etcdRate = 0;
    bool first = true;
    // A new log for `engine` (empty after saying why it cannot be made).
    const auto newLog = [&](const char* engine, const char* sqliteFile) {
        std::string error;
        const QString location =
            std::string(engine) == "PostgreSQL" ? postgres.createDatabase(&error) : dir.filePath(sqliteFile);
        if (location.isEmpty())
            std::fprintf(stderr, "cannot create a database: %s\n", error.c_str());
        return location;
    };
    // The recorder on `location` while the load runs (started once its watch is in place).
    constexpr double kWatchInPlaceSeconds = 0.3;
    // Each run writes and records its own prefix, so that no recorder backfills what an earlier run wrote.
    const auto recordUnderLoad = [&](const QString& location, const bench::LoadOptions& options,
                                     bench::LoadResult* written) {
        return record(cli, etcd.endpoint(), location, options.prefix.c_str(), [&] {
            QThread::msleep(int(kWatchInPlaceSeconds * 1000));
            *written = bench::runLoad(options);
            return written->lastRevision;
        });
    };
    const auto completeAfterLastCommit = [&](const RecordRun& run, const bench::LoadResult& written) {
        return run.caughtUpSeconds < 0 ? -1 : run.caughtUpSeconds - kWatchInPlaceSeconds - written.seconds;
    };
    // steady: a rate the recorder holds, for long, to see whether its memory stays flat
    for (const char* engine : {"SQLite", "PostgreSQL"}) {
        if (steadySeconds <= 0)
            break;
        const QString location = newLog(engine, "steady.sqlite");
        if (location.isEmpty())
            return 1;
        bench::LoadOptions steady = load;
        steady.prefix = prefixOf("steady", engine);
        steady.operationsPerSecond = double(steadyRate) / steady.putsPerTransaction;
        steady.operations = std::max<qint64>(1, steadyRate * steadySeconds / steady.putsPerTransaction);
        bench::LoadResult written;
        const RecordRun run = recordUnderLoad(location, steady, &written);
        total += written.events;
        last = written.lastRevision;
        row("steady", engine, "etcd write rate (events/s)", double(written.events) / written.seconds,
            "the load's rate");
        row("steady", engine, "log complete after last commit (s)", completeAfterLastCommit(run, written),
            "-1: never");
        row("steady", engine, "recorder peak RSS (MiB)", run.peakMiB, "VmHWM");
        row("steady", engine, "recorder RSS at each tenth (MiB)", run.rssMiB.empty() ? 0 : run.rssMiB.back(),
            rssOverRun(run.rssMiB).c_str());
        std::fflush(stdout);
    }
    if (onlySteady)
        return 0;
    for (const char* engine : {"SQLite", "PostgreSQL"}) {
        const bool pg = std::string(engine) == "PostgreSQL";
        const QString location = newLog(engine, "live.sqlite");
        if (location.isEmpty())
            return 1;
        // live: the recorder on while etcd takes the load as fast as it can
        bench::LoadOptions fast = load;
        fast.prefix = prefixOf("live", engine);
        bench::LoadResult written;
        const RecordRun live = recordUnderLoad(location, fast, &written);
        const double rate = double(written.events) / written.seconds;
        if (first)
            etcdRate = rate;
        first = false;
        last = written.lastRevision;
        total += written.events;
        row("live", engine, "etcd write rate (events/s)", rate, "the load alone decides it");
        row("live", engine, "log complete after last commit (s)", completeAfterLastCommit(live, written),
            "-1: never");
        row("live", engine, "recorder rate over the run (events/s)",
            live.caughtUpSeconds > 0 ? double(written.events) / (live.caughtUpSeconds - kWatchInPlaceSeconds) : 0,
            "events / (load start .. log complete)");
        row("live", engine, "events in the log", double(live.changes),
            live.changes == written.events ? "each event once" : "NOT the events etcd committed");
        row("live", engine, "recorder peak RSS (MiB)", live.peakMiB, "VmHWM");
        row("live", engine, "recorder RSS at each tenth (MiB)", live.rssMiB.empty() ? 0 : live.rssMiB.back(),
            rssOverRun(live.rssMiB).c_str());
        row("live", engine, "bytes on disk per event", double(live.bytes) / double(written.events),
            pg ? "pg_database_size" : "file + WAL");
        if (live.caughtUpSeconds < 0)
            std::fprintf(stderr, "%s", live.stderrText.constData());
        std::fflush(stdout);
    }
    // backfill: new logs for the whole history, and etcdctl over the same history
    for (const char* engine : {"SQLite", "PostgreSQL"}) {
        const QString location = newLog(engine, "backfill.sqlite");
        if (location.isEmpty())
            return 1;
        const RecordRun backfill = record(cli, etcd.endpoint(), location, "load/", [&] { return last; });
        row("backfill", engine, "recorder (events/s)",
            backfill.caughtUpSeconds > 0 ? double(total) / backfill.caughtUpSeconds : 0,
            "every event the load wrote, from revision 1");
        row("backfill", engine, "events in the log", double(backfill.changes),
            backfill.changes == total ? "each event once" : "NOT the events etcd committed");
        row("backfill", engine, "recorder peak RSS (MiB)", backfill.peakMiB, "VmHWM");
        row("backfill", engine, "recorder RSS at each tenth (MiB)",
            backfill.rssMiB.empty() ? 0 : backfill.rssMiB.back(), rssOverRun(backfill.rssMiB).c_str());
    }
    const double ctl = etcdctlReplay(etcd.endpoint(), last);
    row("backfill", "etcdctl", "etcdctl watch -w json (events/s)", ctl > 0 ? double(total) / ctl : 0,
        "to the same last revision, read by this program");
    std::printf("{\"bench\":\"record\",\"events\":%lld,\"etcd_rate\":%.0f}\n", (long long)events, etcdRate);
    return 0;
}
