// etcdscope-cli record and restore against a real etcd: a recorder started
// on a compacted store keeps the range whole at the compaction point, the
// history shows what was there before compaction, and restore puts keys
// back as they were — checked against etcdctl's own read of that revision.
// Into a SQLite file and into a throwaway PostgreSQL server alike. And the
// recorder's faults: itself killed -9, its database stopped, its disk full,
// etcd restarted and its leader killed under it — each time the log ends up
// holding etcd's own history, every event once.
#include "etcd_process.h"
#include "postgres_process.h"
#include "record_fixtures.h"
#include "recording/event_store.h"

#include <csignal>
#include <sys/resource.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <limits>
#include <set>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 30'000;
const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);

using KeyValues = std::map<QByteArray, QByteArray>;

// etcd's own answer, through etcdctl: the keys under `prefix` at `revision` (0: now).
KeyValues etcdctlGet(const EtcdProcess& etcd, const QString& prefix, std::int64_t revision = 0)
{
    QStringList args{"--endpoints", QString::fromStdString(etcd.endpoint()), "get", "--prefix", prefix, "-w", "json"};
    if (revision > 0)
        args << "--rev" << QString::number(revision);
    QProcess etcdctl;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("ETCDCTL_API", "3");
    etcdctl.setProcessEnvironment(env);
    etcdctl.start("etcdctl", args);
    KeyValues out;
    if (!etcdctl.waitForFinished(kWaitMs) || etcdctl.exitCode() != 0) {
        qWarning("etcdctl failed: %s", etcdctl.readAllStandardError().constData());
        return out;
    }
    const QJsonArray kvs = QJsonDocument::fromJson(etcdctl.readAllStandardOutput()).object().value("kvs").toArray();
    for (const QJsonValue& kv : kvs)
        out[QByteArray::fromBase64(kv["key"].toString().toLatin1())] =
            QByteArray::fromBase64(kv["value"].toString().toLatin1());
    return out;
}

QByteArray describe(const KeyValues& keys)
{
    QByteArray text;
    for (const auto& [key, value] : keys)
        text += key + "=" + value + "\n";
    return text;
}

// The recorder's log: whether the watch of the range has a snapshot, and its last revision.
struct LogState {
    bool snapshot = false;
    qint64 lastRevision = 0;
};

LogState logState(const QString& db)
{
    LogState state;
    QString error;
    const auto store = EventStore::open(db, &error);
    if (!store)
        return state;
    for (const WatchDefinition& w : store->watches()) {
        const auto snapshots = store->snapshots(w.storeId, &error);
        state.snapshot = state.snapshot || (snapshots && !snapshots->empty());
        state.lastRevision = std::max(state.lastRevision, w.lastRevision);
    }
    return state;
}

// Pauses the recorder (SIGSTOP) at a moment its log holds some revisions after `first` but not yet `last`:
// it runs in slices of 50 ms and is looked at while stopped (a reader takes no lock), so that what is seen is
// where it stands, however large its transactions.
// The empty string when paused, else what was seen.
std::string pauseHalfWay(QProcess& recorder, const QString& db, std::int64_t first, std::int64_t last)
{
    const pid_t pid = pid_t(recorder.processId());
    QDeadlineTimer deadline(kWaitMs * 2);
    qint64 at = 0;
    while (!deadline.hasExpired()) {
        ::kill(pid, SIGSTOP);
        at = logState(db).lastRevision;
        if (at > first && at < last)
            return {};
        ::kill(pid, SIGCONT);
        if (at >= last)
            break;
        QTest::qWait(50);
    }
    return "the recorder could not be stopped half-way: its log was at revision " + std::to_string(at) +
           ", the history spans " + std::to_string(first) + "-" + std::to_string(last);
}

// Every event the log holds, in the order it holds them.
std::vector<HistoryEvent> recordedEvents(const QString& db)
{
    std::vector<HistoryEvent> recorded;
    QString openError;
    const auto store = EventStore::open(db, &openError);
    if (!store) {
        qWarning("cannot open %s: %s", qPrintable(db), qPrintable(openError));
        return recorded;
    }
    qint64 after = 0;
    for (;;) {
        const std::vector<EventRecord> page = store->read({}, after, 50'000);
        if (page.empty())
            break;
        after = page.back().id;
        for (const EventRecord& r : page) {
            if (r.kind == RecordKind::Put || r.kind == RecordKind::Delete)
                recorded.push_back({r.kind == RecordKind::Put, r.key.toStdString(), r.value.toStdString(),
                                    r.modRevision, false, {}});
        }
    }
    return recorded;
}

// `count` transactions of ten puts under g/ (values of `valueBytes`), a delete after every tenth; the last revision.
std::int64_t writeBatch(EtcdProcess& etcd, int round, int count, int valueBytes)
{
    std::int64_t last = 0;
    for (int t = 0; t < count; ++t) {
        std::vector<std::pair<std::string, std::string>> puts;
        for (int k = 0; k < 10; ++k)
            puts.emplace_back("g/" + std::to_string((t * 10 + k) * 37 % 500),
                              std::to_string(round) + ":" + std::string(std::size_t(valueBytes), 'v'));
        last = etcd.txnPuts(puts);
        if (t % 10 == 9)
            last = etcd.del("g/" + std::to_string(t * 53 % 500));
    }
    return last;
}

}  // namespace

class TestRecorder : public QObject {
    Q_OBJECT

    PostgresProcess m_postgres;

private slots:
    void initTestCase()
    {
        const std::string error = m_postgres.start();
        QVERIFY2(error.empty(), error.c_str());
    }

    void shouldRestoreKeysAsTheyWereFromARecordingThatStartedOnACompactedStore_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("SQLite") << false;
        QTest::newRow("PostgreSQL") << true;
    }

    void shouldRestoreKeysAsTheyWereFromARecordingThatStartedOnACompactedStore()
    {
        QFETCH(bool, postgres);
        // Given keys written and compacted before the recorder ever ran
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        etcd.put("r/a", "a-old");
        const std::int64_t bPut = etcd.put("r/b", "b-kept-since-before-compaction");
        etcd.put("r/c", "c-old");
        etcd.put("r/a", "a-before-compaction");
        etcd.put("elsewhere", "x");
        const std::int64_t compactedAt = etcd.currentRevision();
        etcd.compact(compactedAt);
        QTemporaryDir dir;
        std::string createError;
        const QString db = postgres ? m_postgres.createDatabase(&createError) : dir.filePath("recording.sqlite");
        QVERIFY2(!db.isEmpty(), createError.c_str());
        const QString endpoint = QString::fromStdString(etcd.endpoint());

        // When the recorder starts, and the range changes while it records
        QProcess recorder;
        recorder.start(kCli, {"record", "--endpoints", endpoint, "--db", db, "--prefix", "r/"});
        QVERIFY(recorder.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).snapshot, kWaitMs);
        const std::int64_t asOf = etcd.put("r/d", "d-new");
        const KeyValues then = etcdctlGet(etcd, "r/", asOf);
        etcd.del("r/a");
        etcd.del("r/b");
        etcd.put("r/c", "c-changed");
        const std::int64_t last = etcd.put("r/e", "e-created");
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= last, kWaitMs);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));
        const QByteArray said = recorder.readAllStandardError();
        QVERIFY2(recorder.exitCode() == 0, said.constData());
        QVERIFY2(said.contains("at revision " + QByteArray::number(qint64(compactedAt))), said.constData());
        const KeyValues atLast = etcdctlGet(etcd, "r/", last);
        // ... and etcd forgets those revisions too
        etcd.compact(etcd.currentRevision());

        // Then the history of r/b shows the gap below the recording and the version
        // kept since before compaction, then its delete
        const ProcessResult history = runProcess(kCli, {"history", "--db", db, "r/b"});
        QVERIFY2(history.exitCode == 0, history.err.constData());
        const QList<QByteArray> lines = history.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        const QJsonObject gap = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(gap["type"].toString(), QString("GAP"));
        // ... a gap that ends just below the compaction revision, which etcd still serves (SPEC W6)
        QCOMPARE(gap["to_revision"].toInteger(), qint64(compactedAt) - 1);
        const QJsonObject kept = QJsonDocument::fromJson(lines[1]).object();
        QCOMPARE(kept["value"].toString(), QString("b-kept-since-before-compaction"));
        QCOMPARE(kept["mod_revision"].toInteger(), qint64(bPut));
        QCOMPARE(QJsonDocument::fromJson(lines[2]).object()["type"].toString(), QString("DELETE"));

        // And diff between two compacted revisions reads both from the recording and finds what etcdctl saw
        const ProcessResult diff = runProcess(kCli, {"diff", "--db", db, "--endpoints", endpoint, "--prefix", "r/",
                                                     QString::number(asOf), QString::number(last), "--output", "jsonl"});
        QVERIFY2(diff.exitCode == 0, diff.err.constData());
        QByteArray expectedChanges;
        for (const auto& [key, value] : then) {
            if (!atLast.count(key))
                expectedChanges += "removed " + key + "\n";
            else if (atLast.at(key) != value)
                expectedChanges += "changed " + key + "=" + atLast.at(key) + "\n";
        }
        for (const auto& [key, value] : atLast) {
            if (!then.count(key))
                expectedChanges += "added " + key + "=" + value + "\n";
        }
        QByteArray changes;
        QList<QByteArray> added;
        for (const QByteArray& line : diff.out.trimmed().split('\n')) {
            const QJsonObject change = QJsonDocument::fromJson(line).object();
            const QByteArray kind = change["change"].toString().toUtf8();
            const QByteArray key = change["key"].toString().toUtf8();
            if (kind == "removed")
                changes += "removed " + key + "\n";
            else if (kind == "changed")
                changes += "changed " + key + "=" + change["value"].toString().toUtf8() + "\n";
            else
                added << "added " + key + "=" + change["value"].toString().toUtf8() + "\n";
        }
        changes += added.join();  // the oracle lists additions last
        QCOMPARE(changes, expectedChanges);
        QVERIFY2(diff.err.contains("(the recording)"), diff.err.constData());
        // ... and without the recording it says where to find those revisions
        const ProcessResult noLog = runProcess(kCli, {"diff", "--endpoints", endpoint, "--prefix", "r/",
                                                      QString::number(asOf), QString::number(last)});
        QCOMPARE(noLog.exitCode, 2);
        QVERIFY2(noLog.err.contains("give --db LOG"), noLog.err.constData());

        // And restore without --apply prints the plan and writes nothing
        const QStringList restore{"restore", "--db", db, "--endpoints", endpoint, "--prefix", "r/", "--as-of",
                                  QString::number(asOf)};
        const KeyValues before = etcdctlGet(etcd, "r/");
        const ProcessResult plan = runProcess(kCli, restore);
        QVERIFY2(plan.exitCode == 0, plan.err.constData());
        QVERIFY2(plan.out.contains("restore r/a = a-before-compaction") && plan.out.contains("restore r/b = ")
                     && plan.out.contains("keep-changed r/c") && plan.out.contains("keep-created r/e")
                     && !plan.out.contains("r/d"),
                 plan.out.constData());
        QVERIFY2(plan.err.contains("2 to restore") && plan.err.contains("--apply"), plan.err.constData());
        QCOMPARE(describe(etcdctlGet(etcd, "r/")), describe(before));

        // And with --apply the deleted keys come back as they were, the rest is left alone
        const ProcessResult applied = runProcess(kCli, restore + QStringList{"--apply"});
        QVERIFY2(applied.exitCode == 0, applied.err.constData());
        KeyValues expected = then;
        expected["r/c"] = "c-changed";
        expected["r/e"] = "e-created";
        QCOMPARE(describe(etcdctlGet(etcd, "r/")), describe(expected));
        // ... a second run finds nothing to restore
        const ProcessResult again = runProcess(kCli, restore + QStringList{"--apply"});
        QVERIFY2(again.exitCode == 0 && again.err.contains("0 to restore"), again.err.constData());
        // ... and --overwrite makes the whole range what it was
        const ProcessResult overwrite = runProcess(kCli, restore + QStringList{"--overwrite", "--apply"});
        QVERIFY2(overwrite.exitCode == 0, overwrite.err.constData());
        QVERIFY2(overwrite.out.contains("overwrite r/c") && overwrite.out.contains("delete r/e"), overwrite.out.constData());
        QCOMPARE(describe(etcdctlGet(etcd, "r/")), describe(then));

        // And a revision the recording does not know is refused, nothing written
        const KeyValues untouched = etcdctlGet(etcd, "r/");
        const ProcessResult unknown = runProcess(
            kCli, {"restore", "--db", db, "--endpoints", endpoint, "--prefix", "r/", "--as-of",
                   QString::number(compactedAt - 1), "--apply"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY2(unknown.err.contains("compacted before they were recorded") && unknown.err.contains("Nothing was written"),
                 unknown.err.constData());
        const ProcessResult uncovered = runProcess(
            kCli, {"restore", "--db", db, "--endpoints", endpoint, "--prefix", "s/", "--as-of", QString::number(asOf)});
        QCOMPARE(uncovered.exitCode, 2);
        QVERIFY2(uncovered.err.contains("No recorded watch covers"), uncovered.err.constData());
        QCOMPARE(describe(etcdctlGet(etcd, "r/")), describe(untouched));
    }

    void shouldLoseNothingAndKeepNothingTwiceWhenTheRecorderOrItsDatabaseFails_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::addColumn<bool>("stopDatabase");  // else: kill -9 the recorder
        QTest::newRow("SQLite, recorder killed -9") << false << false;
        QTest::newRow("PostgreSQL, recorder killed -9") << true << false;
        QTest::newRow("PostgreSQL stopped under the recorder") << true << true;
    }

    void shouldLoseNothingAndKeepNothingTwiceWhenTheRecorderOrItsDatabaseFails()
    {
        QFETCH(bool, postgres);
        QFETCH(bool, stopDatabase);
        // Given a history of 200,000 events in 2,000 revisions (etcd replays up to 1,000 revisions a message;
        // the recorder commits them in transactions of some thousand events, time to stop it between two)
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::int64_t first = 0;
        std::int64_t last = 0;
        for (int t = 0; t < 2000; ++t) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int k = 0; k < 100; ++k)
                puts.emplace_back("f/" + std::to_string((t * 100 + k) * 37 % 1000), std::to_string(t));
            last = etcd.txnPuts(puts);
            if (first == 0)
                first = last;
        }
        QTemporaryDir dir;
        std::string createError;
        const QString db = postgres ? m_postgres.createDatabase(&createError) : dir.filePath("faults.sqlite");
        QVERIFY2(!db.isEmpty(), createError.c_str());
        const QStringList args{"record", "--endpoints", QString::fromStdString(etcd.endpoint()), "--db", db,
                               "--prefix", "f/"};

        // When the recorder is stopped the hard way half-way through
        QProcess recorder;
        recorder.start(kCli, args);
        QVERIFY(recorder.waitForStarted());
        const std::string paused = pauseHalfWay(recorder, db, first, last);
        QVERIFY2(paused.empty(), (paused + (recorder.state() == QProcess::Running ? "; it runs" : "; it ended") +
                                  ", saying: " + recorder.readAllStandardError().toStdString())
                                     .c_str());
        if (stopDatabase) {
            m_postgres.stop();
            ::kill(pid_t(recorder.processId()), SIGCONT);
            // ... it stops by itself with one sentence, exit 5
            QVERIFY(recorder.waitForFinished(kWaitMs));
            const QByteArray said = recorder.readAllStandardError();
            QCOMPARE(recorder.exitCode(), 5);
            QVERIFY2(said.contains("recording stopped") && said.contains("The next start resumes after revision"),
                     said.constData());
            const std::string restarted = m_postgres.start();
            QVERIFY2(restarted.empty(), restarted.c_str());
        } else {
            ::kill(pid_t(recorder.processId()), SIGKILL);
            QVERIFY(recorder.waitForFinished(kWaitMs));
        }
        // ... while writes go on, deletes among them
        for (int i = 0; i < 50; ++i) {
            etcd.put("f/" + std::to_string(i * 37 % 1000), "after-" + std::to_string(i));
            if (i % 3 == 0)
                etcd.del("f/" + std::to_string((i + 500) * 37 % 1000));
        }
        last = etcd.put("f/last", "x");
        // ... and started again
        QProcess again;
        again.start(kCli, args);
        QVERIFY(again.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= last, kWaitMs);
        ::kill(pid_t(again.processId()), SIGINT);
        QVERIFY(again.waitForFinished(kWaitMs));
        QVERIFY2(again.exitCode() == 0, again.readAllStandardError().constData());

        // Then the log holds etcd's history exactly: every event once, in order
        const std::vector<HistoryEvent> expected = etcd.history("f/", "f0", first, last);
        // What each change replaced, from etcd's own sequence of events (etcd's prev_kv would take a minute
        // for 200,000 events: etcd 3.4 reads every previous value while it sends).
        std::vector<HistoryEvent> withPrev = expected;
        std::map<std::string, std::string> current;
        for (HistoryEvent& e : withPrev) {
            const auto before = current.find(e.key);
            e.hasPrev = before != current.end();
            e.prevValue = e.hasPrev ? before->second : std::string();
            if (e.put)
                current[e.key] = e.value;
            else
                current.erase(e.key);
        }
        const std::vector<HistoryEvent> recorded = recordedEvents(db);
        QCOMPARE(recorded.size(), expected.size());
        QVERIFY(recorded == expected);
        // ... and after etcd compacts it all, history reads back etcd's own history with what each change
        // replaced, event for event
        etcd.compact(last);
        const ProcessResult history = runProcess(kCli, {"history", "--db", db, "--prefix", "f/"});
        QVERIFY2(history.exitCode == 0, history.err.constData());
        QVERIFY(parseCliJsonl(history.out) == withPrev);
    }

    void shouldKeepEtcdsHistoryWholeThroughEtcdFaultsAndAFullDisk_data()
    {
        QTest::addColumn<QString>("fault");
        QTest::newRow("etcd killed -9 and restarted") << "restart";
        QTest::newRow("the leader of three killed") << "failover";
        QTest::newRow("the log's disk full") << "disk-full";
    }

    void shouldKeepEtcdsHistoryWholeThroughEtcdFaultsAndAFullDisk()
    {
        QFETCH(QString, fault);
        // Given a recorder on a live range (one member, or three with the recorder's first endpoint the leader)
        const int members = fault == "failover" ? 3 : 1;
        EtcdCluster cluster(members, {"--experimental-watch-progress-notify-interval=1s"});
        const std::string clusterError = cluster.start();
        QVERIFY2(clusterError.empty(), clusterError.c_str());
        if (members == 3) {
            QVERIFY(cluster.waitForLeader() >= 0);
            QVERIFY(cluster.moveLeader(0).empty());
            QCOMPARE(cluster.waitForLeader(), 0);
        }
        EtcdProcess& writer = cluster.member(members - 1);  // survives the failover
        QStringList endpoints;
        for (const std::string& e : cluster.endpoints())
            endpoints << QString::fromStdString(e);
        QTemporaryDir dir;
        const QString db = dir.filePath("faults.sqlite");
        const QStringList args{"record", "--endpoints", endpoints.join(','), "--db", db, "--prefix", "g/"};
        const std::int64_t first = writer.put("g/first", "x");
        QProcess recorder;
        const bool diskFull = fault == "disk-full";
        if (diskFull) {
            // A file may grow to 2 MiB, as on a disk with 2 MiB free: a write past it fails (EFBIG, SIGXFSZ ignored)
            recorder.setChildProcessModifier([] {
                ::signal(SIGXFSZ, SIG_IGN);
                const rlimit limit{rlim_t(2) << 20, rlim_t(2) << 20};
                ::setrlimit(RLIMIT_FSIZE, &limit);
            });
        }
        recorder.start(kCli, args);
        QVERIFY(recorder.waitForStarted());
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += recorder.readAllStandardError()).contains("recording"), kWaitMs);
        std::int64_t last = writeBatch(writer, 1, 300, 20);

        // When the fault strikes while events flow
        if (fault == "restart") {
            QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= last, kWaitMs);
            cluster.member(0).kill9();
            QVERIFY(cluster.member(0).start().empty());
        } else if (fault == "failover") {
            cluster.member(0).kill9();
            QVERIFY(cluster.waitForLeader() >= 1);
        } else {
            // ... once the log holds the first event (so that it holds some when the disk is full, however
            // slowly the recorder runs: in one transaction the first batches could overflow it together),
            // values the size of Kubernetes objects, until the log cannot grow: it stops with one sentence
            QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= first, kWaitMs);
            last = writeBatch(writer, 2, 300, 1000);
            QVERIFY(recorder.waitForFinished(kWaitMs));
            said += recorder.readAllStandardError();
            QCOMPARE(recorder.exitCode(), 5);
            QVERIFY2(said.contains("recording stopped") && said.contains("disk full")
                         && said.contains("The next start resumes after revision") && said.count('\n') <= 3,
                     said.constData());
            // ... naming the revision the log ends at; started again on the still full disk, it says the same
            const auto statedResume = [](const QByteArray& text) {
                const QByteArray marker = "resumes after revision ";
                const qsizetype at = text.lastIndexOf(marker);
                return at < 0 ? qint64(-1) : text.mid(at + marker.size()).split('.').first().toLongLong();
            };
            const qint64 logEnd = logState(db).lastRevision;
            QCOMPARE(statedResume(said), logEnd);
            recorder.start(kCli, args);
            QVERIFY(recorder.waitForFinished(kWaitMs));
            const QByteArray again = recorder.readAllStandardError();
            QCOMPARE(recorder.exitCode(), 5);
            QCOMPARE(statedResume(again), logEnd);
            QCOMPARE(logState(db).lastRevision, logEnd);
            const std::vector<HistoryEvent> kept = recordedEvents(db);
            const std::vector<HistoryEvent> etcds = writer.history("g/", "g0", first, last);
            QVERIFY2(!kept.empty() && kept.size() < etcds.size(), "the disk did not fill up");
            QVERIFY2(std::equal(kept.begin(), kept.end(), etcds.begin()), "what the log kept is not etcd's history");
        }
        // ... and writes go on
        last = writeBatch(writer, 3, 300, 100);
        if (diskFull) {
            // ... and once there is space again, the recorder is started again
            recorder.setChildProcessModifier({});
            recorder.start(kCli, args);
            QVERIFY(recorder.waitForStarted());
        }
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= last, kWaitMs * 2);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));
        QVERIFY2(recorder.exitCode() == 0, recorder.readAllStandardError().constData());

        // Then the log holds etcd's history: every event once, in order
        const std::vector<HistoryEvent> expected = writer.history("g/", "g0", first, last);
        const std::vector<HistoryEvent> recorded = recordedEvents(db);
        QCOMPARE(recorded.size(), expected.size());
        QVERIFY(recorded == expected);
    }

    void shouldCountChurnPerGroupFromTheRecordingAsItWasWritten_data()
    {
        QTest::addColumn<bool>("postgres");
        QTest::newRow("SQLite") << false;
        QTest::newRow("PostgreSQL") << true;
    }

    void shouldCountChurnPerGroupFromTheRecordingAsItWasWritten()
    {
        QFETCH(bool, postgres);
        // Given a recorder on w/ from the start
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir dir;
        std::string createError;
        const QString db = postgres ? m_postgres.createDatabase(&createError) : dir.filePath("churn.sqlite");
        QVERIFY2(!db.isEmpty(), createError.c_str());
        QProcess recorder;
        recorder.start(kCli, {"record", "--endpoints", QString::fromStdString(etcd.endpoint()), "--db", db, "--prefix",
                              "w/"});
        QVERIFY(recorder.waitForStarted());
        const std::int64_t started = etcd.put("w/ready", "1");
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= started, kWaitMs);

        // When the test writes to groups of w/ — puts, deletes, and a transaction across three groups —
        // counting what it writes per group (events, deletes, key + value bytes, revisions)
        struct Written {
            qint64 events = 0, deletes = 0, bytes = 0;
            std::set<std::int64_t> revisions;
        };
        std::map<QByteArray, Written> written;
        const auto wrote = [&](const std::string& group, const std::string& key, std::size_t valueBytes,
                               std::int64_t revision, bool deleted) {
            Written& w = written[QByteArray::fromStdString(group)];
            w.events += 1;
            w.deletes += deleted ? 1 : 0;
            w.bytes += qint64(key.size() + valueBytes);
            w.revisions.insert(revision);
        };
        wrote("w/ready", "w/ready", 1, started, false);
        std::int64_t middle = 0;
        for (int i = 0; i < 30; ++i) {
            const std::string key = "w/a/" + std::to_string(i % 7);
            const std::string value(std::size_t(10 + i), 'a');
            wrote("w/a/", key, value.size(), etcd.put(key, value), false);
            if (i == 14)
                middle = etcd.currentRevision() + 1;
        }
        for (int i = 0; i < 12; ++i) {
            const std::string key = "w/b/" + std::to_string(i);
            wrote("w/b/", key, 100, etcd.put(key, std::string(100, 'b')), false);
        }
        const std::int64_t txn = etcd.txnPuts({{"w/a/t", "1"}, {"w/b/t", "22"}, {"w/c/t", "333"}});
        wrote("w/a/", "w/a/t", 1, txn, false);
        wrote("w/b/", "w/b/t", 2, txn, false);
        wrote("w/c/", "w/c/t", 3, txn, false);
        for (int i = 0; i < 5; ++i) {
            const std::string key = "w/a/" + std::to_string(i);
            wrote("w/a/", key, 0, etcd.del(key), true);
        }
        const std::int64_t last = etcd.put("w/c/u", "x");
        wrote("w/c/", "w/c/u", 1, last, false);
        QTRY_VERIFY_WITH_TIMEOUT(logState(db).lastRevision >= last, kWaitMs);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));
        QCOMPARE(recorder.exitCode(), 0);

        // Then churn from the recording counts per group exactly what was written
        const auto churnOf = [&](const QStringList& more) {
            std::map<QByteArray, Written> counted;
            const ProcessResult churn = runProcess(kCli, QStringList{"churn", "--db", db, "--prefix", "w/"} + more);
            if (churn.exitCode != 0)
                qWarning("churn failed: %s", churn.err.constData());
            std::int64_t previousEvents = std::numeric_limits<std::int64_t>::max();
            for (const QByteArray& line : churn.out.trimmed().split('\n')) {
                const QJsonObject o = QJsonDocument::fromJson(line).object();
                Written& w = counted[o["prefix"].toString().toUtf8()];
                w.events = o["events"].toInteger();
                w.deletes = o["deletes"].toInteger();
                w.bytes = o["bytes"].toInteger();
                for (qint64 r = 0; r < o["revisions"].toInteger(); ++r)
                    w.revisions.insert(r);  // the count is compared, not the revisions themselves
                if (w.events > previousEvents)
                    qWarning("churn is not in order of events: %s", line.constData());
                previousEvents = std::min<std::int64_t>(previousEvents, w.events);
            }
            return counted;
        };
        const auto describeCounts = [](const std::map<QByteArray, Written>& groups) {
            QByteArray text;
            for (const auto& [group, w] : groups)
                text += group + ": " + QByteArray::number(w.events) + " events, " + QByteArray::number(w.deletes) +
                    " deletes, " + QByteArray::number(w.bytes) + " bytes, " +
                    QByteArray::number(qint64(w.revisions.size())) + " revisions\n";
            return text;
        };
        const std::map<QByteArray, Written> counted = churnOf({});
        QCOMPARE(describeCounts(counted), describeCounts(written));

        // ... and from a revision on, only what was written since
        std::map<QByteArray, Written> since;
        for (auto& [group, w] : written) {
            Written later;
            for (std::int64_t r : w.revisions)
                if (r >= middle)
                    later.revisions.insert(r);
            if (!later.revisions.empty())
                since[group] = later;
        }
        const std::map<QByteArray, Written> countedSince = churnOf({"--since", QString::number(middle)});
        QCOMPARE(countedSince.size(), since.size());
        for (const auto& [group, w] : since)
            QCOMPARE(countedSince.count(group) ? countedSince.at(group).revisions.size() : 0, w.revisions.size());
    }

    void shouldStoreTheSameRowsThroughPostgresqlsCopyAsThroughQtStatements()
    {
        // Given records of every kind with bytes PostgreSQL's text would have to escape
        // (NUL, invalid UTF-8, a backslash), an empty key and value, a lease and a gap's extra revision
        EventRecord withPrev = makeRecord(3, RecordKind::Put, "app/a", QByteArray("v\\1\0", 4), 10);
        withPrev.hasPrevValue = true;
        withPrev.prevValue = QByteArray("\xff\xfe", 2);
        withPrev.lease = 0x7fffffffffffffff;
        EventRecord empty = makeRecord(3, RecordKind::Put, QByteArray(), QByteArray(), 11);
        empty.hasPrevValue = true;
        EventRecord gap = makeGap(4, 13, 20);
        gap.gapMayLackDeletesAt = 21;
        std::vector<EventRecord> records{withPrev, empty, makeRecord(4, RecordKind::Delete, "app/b", "", 12), gap,
                                         makeNote(3, QString::fromUtf8("Connexion perdue — «réessai»."), 21)};
        for (int i = 0; i < 700; ++i)  // more than one of the statement path's 500-row INSERTs
            records.push_back(makeRecord(3, RecordKind::Put, "bulk/" + QByteArray::number(i), QByteArray(i, 'x'), 30 + i));
        // When one PostgreSQL log takes them through COPY (the default) and another through Qt's statements
        std::vector<std::vector<EventRecord>> read;
        for (const bool bulk : {true, false}) {
            std::string createError;
            const QString db = m_postgres.createDatabase(&createError);
            QVERIFY2(!db.isEmpty(), createError.c_str());
            QString error;
            auto store = EventStore::open(db, &error);
            QVERIFY2(store, qPrintable(error));
            QVERIFY(store->bulkWrites());  // the driver's handle is the libpq this was built with
            store->setBulkWrites(bulk);
            std::vector<EventRecord> batch = records;
            QVERIFY2(store->append(batch, [](WatchHandle watch) { return qint64(watch); }, &error), qPrintable(error));
            read.push_back(store->read({}, 0, 10'000));
        }
        // Then both read back as written, field by field, in order
        for (const std::vector<EventRecord>& log : read) {
            QCOMPARE(log.size(), records.size());
            for (std::size_t i = 0; i < records.size() && !QTest::currentTestFailed(); ++i) {
                compareContent(log[i], records[i]);
                QCOMPARE(log[i].receivedMs, records[i].receivedMs);
                QCOMPARE(log[i].note, records[i].note);
                QCOMPARE(log[i].watch, records[i].watch);
            }
        }
    }

    void shouldSayInOneSentenceWhenThePostgresqlLogCannotBeUsed()
    {
        // Given a PostgreSQL address where no server listens, and one with a password in it
        const QString nowhere = QString("postgresql://etcdscope@127.0.0.1:%1/log").arg(freeLoopbackPort());
        // When the recorder and history are pointed at them
        const ProcessResult record = runProcess(kCli, {"record", "--db", nowhere, "--prefix", "r/"});
        const ProcessResult history = runProcess(kCli, {"history", "--db", nowhere, "k"});
        const ProcessResult password =
            runProcess(kCli, {"history", "--db", "postgresql://etcdscope:hunter2x@127.0.0.1/log", "k"});
        // Then each says why in one line, exit 2, and the password is refused before any connection
        QCOMPARE(record.exitCode, 2);
        QVERIFY2(record.err.startsWith("etcdscope-cli: Could not open the event log " + nowhere.toUtf8() + ":"),
                 record.err.constData());
        QCOMPARE(record.err.trimmed().count('\n'), 0);
        QCOMPARE(history.exitCode, 2);
        QVERIFY2(history.err.contains("Could not open the event log"), history.err.constData());
        QCOMPARE(password.exitCode, 2);
        QVERIFY2(password.err.contains("--db takes no password") && !password.err.contains("hunter2x"),
                 password.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
