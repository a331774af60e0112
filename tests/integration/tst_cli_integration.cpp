// etcdscope-cli against a real etcd: past start revisions, compaction gaps,
// and exactly-once delivery across a kill -9 and restart of etcd, each
// checked against etcd's own history.
#include "etcd_process.h"
#include "recording/event_store.h"

#include <csignal>

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>


using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 30'000;
const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);

QByteArray describe(const std::vector<HistoryEvent>& events)
{
    QByteArray text;
    for (const auto& e : events)
        text += QByteArray(e.put ? "PUT " : "DEL ") + QByteArray::number(qint64(e.modRevision)) + " "
                + QByteArray::fromStdString(e.key) + "\n";
    return text;
}

}  // namespace

class TestCliIntegration : public QObject {
    Q_OBJECT

private slots:
    void shouldGetKubernetesObjectsDecodedFromRealisticPaths()
    {
        // Given Kubernetes' own stored objects at the keys the API server gives them, a custom resource
        // stored as JSON, and a value that is neither
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const QMap<QString, QString> stored = {
            {"/registry/deployments/default/web", "apps.v1.Deployment"},
            {"/registry/pods/default/web-0", "core.v1.Pod"},
            {"/registry/secrets/kube-system/token", "core.v1.Secret"},
            {"/registry/services/specs/default/kubernetes", "core.v1.Service"},
            {"/registry/minions/worker-1", "core.v1.Node"},
            {"/registry/clusterroles/admin", "rbac.authorization.k8s.io.v1.ClusterRole"},
            {"/registry/leases/kube-node-lease/worker-1", "coordination.k8s.io.v1.Lease"},
            {"/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com",
             "apiextensions.k8s.io.v1.CustomResourceDefinition"},
        };
        const QString fixtures = QStringLiteral(ETCDSCOPE_K8S_FIXTURES);
        QMap<QString, QJsonObject> expected;
        for (auto it = stored.cbegin(); it != stored.cend(); ++it) {
            QFile pb(fixtures + "/" + it.value() + ".pb");
            QFile json(fixtures + "/" + it.value() + ".json");
            QVERIFY(pb.open(QIODevice::ReadOnly) && json.open(QIODevice::ReadOnly));
            etcd.put(it.key().toStdString(), pb.readAll().toStdString());
            expected[it.key()] = QJsonDocument::fromJson(json.readAll()).object();
        }
        const QByteArray widget = R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"blue"}})";
        etcd.put("/registry/example.com/widgets/shop/blue", widget.toStdString());
        expected["/registry/example.com/widgets/shop/blue"] = QJsonDocument::fromJson(widget).object();
        etcd.put("/registry/ranges/serviceips", "not an object");

        // When every key under /registry/ is read with Kubernetes decoding
        const ProcessResult run = runProcess(
            kCli, {"get", "--endpoints", QString::fromStdString(etcd.endpoint()), "--prefix", "--decode",
                   "kubernetes", "/registry/"});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        // Then each key is one line, in key order, and each object is the one Kubernetes wrote
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), expected.size() + 1);
        QStringList keys;
        for (const QByteArray& line : lines) {
            const QJsonObject parsed = QJsonDocument::fromJson(line).object();
            const QString key = parsed.value("key").toString();
            keys << key;
            if (key == "/registry/ranges/serviceips") {
                QVERIFY2(!parsed.contains("object"), line.constData());
                continue;
            }
            QVERIFY2(parsed.value("object").isObject(), qPrintable(key));
            QVERIFY2(parsed.value("object").toObject() == expected.value(key), qPrintable(key));
        }
        QStringList sorted = keys;
        sorted.sort();
        QCOMPARE(keys, sorted);

        // And a watch replaying the deployments carries the same object on its PUT line
        const ProcessResult watched = runProcess(
            kCli, cliWatchArgs(etcd, {"--rev", "1", "--max-events", "1", "--prefix", "/registry/deployments/"}));
        QVERIFY2(watched.exitCode == 0, watched.err.constData());
        const QJsonObject line = QJsonDocument::fromJson(watched.out.trimmed()).object();
        QCOMPARE(line.value("type").toString(), QString("PUT"));
        QVERIFY(line.value("object").toObject() == expected.value("/registry/deployments/default/web"));

        // And an --encryption-config that cannot be read is one sentence, exit 2
        const ProcessResult badKeys = runProcess(
            kCli, {"get", "--endpoints", QString::fromStdString(etcd.endpoint()), "--encryption-config",
                   "/nonexistent/enc.yaml", "k"});
        QCOMPARE(badKeys.exitCode, 2);
        QCOMPARE(badKeys.err.trimmed(), QByteArray("etcdscope-cli: Cannot read /nonexistent/enc.yaml."));
    }

    void shouldRecordAHistoryThatResumesAfterARestartWithoutGapOrDuplicate()
    {
        // Given keys written before the recorder first starts
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::vector<std::int64_t> revisions;
        revisions.push_back(etcd.put("h/a", "1"));
        revisions.push_back(etcd.put("h/a", "2"));
        etcd.put("outside", "x");
        QTemporaryDir dir;
        const QString db = dir.filePath("history.sqlite");
        const QStringList args{"record", "--endpoints", QString::fromStdString(etcd.endpoint()), "--db", db,
                               "--prefix", "h/"};
        auto recordedRevisions = [&] {
            QString openError;
            const auto store = EventStore::open(db, &openError);
            std::vector<std::int64_t> out;
            if (!store)
                return out;
            for (const EventRecord& r : store->read({}, 0, 100'000))
                out.push_back(r.modRevision);
            return out;
        };
        auto stop = [](QProcess& recorder, int signal) {
            ::kill(pid_t(recorder.processId()), signal);
            return recorder.waitForFinished(kWaitMs) && recorder.exitStatus() == QProcess::NormalExit &&
                   recorder.exitCode() == 0;
        };

        // When it records, a change comes, and it is stopped with SIGINT
        QProcess first;
        first.start(kCli, args);
        QVERIFY(first.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(recordedRevisions().size(), std::size_t(2), kWaitMs);  // the history before it
        revisions.push_back(etcd.put("h/b", "3"));
        QTRY_COMPARE_WITH_TIMEOUT(recordedRevisions().size(), std::size_t(3), kWaitMs);
        QVERIFY2(stop(first, SIGINT), first.readAllStandardError().constData());
        // ... changes come while it is stopped, and it starts again and is stopped with SIGTERM
        revisions.push_back(etcd.put("h/a", "4"));
        revisions.push_back(etcd.del("h/b"));
        QProcess second;
        second.start(kCli, args);
        QVERIFY(second.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(recordedRevisions().size(), std::size_t(5), kWaitMs);
        revisions.push_back(etcd.put("h/c", "5"));
        QTRY_COMPARE_WITH_TIMEOUT(recordedRevisions().size(), std::size_t(6), kWaitMs);
        const QByteArray said = second.readAllStandardError();
        QVERIFY2(stop(second, SIGTERM), said.constData());

        // Then the log holds every change once, in revision order
        QCOMPARE(recordedRevisions(), revisions);
        QVERIFY2(said.contains("resuming after revision " + QByteArray::number(qint64(revisions[2]))), said.constData());
        QString openError;
        const auto store = EventStore::open(db, &openError);
        QVERIFY(store);
        const std::vector<EventRecord> records = store->read({}, 0, 100);
        QCOMPARE(records[4].kind, RecordKind::Delete);
        QVERIFY(std::none_of(records.begin(), records.end(), [](const EventRecord& r) { return r.kind == RecordKind::Gap; }));

        // And history reads it back: every version oldest first, as etcd committed them, each
        // with what it replaced (etcd's own prev_kv as the oracle)
        const QStringList history{"history", "--db", db, "--prefix", "h/"};
        const ProcessResult all = runProcess(kCli, history);
        QVERIFY2(all.exitCode == 0, all.err.constData());
        const auto expectedHistory = etcd.history("h/", "h0", revisions.front(), revisions.back(), true);
        QCOMPARE(describe(parseCliJsonl(all.out)), describe(expectedHistory));
        QVERIFY(parseCliJsonl(all.out) == expectedHistory);
        // ... the keys that exist no more, with their last value
        const ProcessResult deleted = runProcess(kCli, history + QStringList{"--deleted", "--output", "text"});
        QVERIFY2(deleted.exitCode == 0, deleted.err.constData());
        QCOMPARE(deleted.out.count('\n'), 1);
        QVERIFY2(deleted.out.contains("DELETE") && deleted.out.contains("h/b") && deleted.out.contains("3"),
                 deleted.out.constData());
        // ... values containing a text, and a window of revisions
        const ProcessResult grep = runProcess(kCli, history + QStringList{"--grep", "4"});
        QCOMPARE(parseCliJsonl(grep.out).size(), std::size_t(1));
        const ProcessResult window = runProcess(kCli, history + QStringList{"--since", QString::number(revisions[2]),
                                                                             "--until", QString::number(revisions[4])});
        QCOMPARE(parseCliJsonl(window.out).size(), std::size_t(3));
        // ... and times: when the log received the events (an hour ago: all of them; by 1970: none)
        const QString hourAgo = QDateTime::currentDateTimeUtc().addSecs(-3600).toString(Qt::ISODate);
        const ProcessResult sinceTime = runProcess(kCli, history + QStringList{"--since", hourAgo});
        QVERIFY2(sinceTime.exitCode == 0, sinceTime.err.constData());
        QCOMPARE(parseCliJsonl(sinceTime.out).size(), expectedHistory.size());
        const ProcessResult sinceAge = runProcess(kCli, history + QStringList{"--since", "2h"});
        QCOMPARE(parseCliJsonl(sinceAge.out).size(), expectedHistory.size());
        const ProcessResult untilTime = runProcess(kCli, history + QStringList{"--until", "1970-01-01T00:00:01Z"});
        QVERIFY2(untilTime.exitCode == 0 && untilTime.out.isEmpty(), untilTime.out.constData());
        const ProcessResult badTime = runProcess(kCli, history + QStringList{"--since", "yesterday"});
        QCOMPARE(badTime.exitCode, 2);
        QVERIFY2(badTime.err.startsWith("etcdscope-cli: --since needs a revision (a whole number), a time"),
                 badTime.err.constData());
        // ... and a log that is not there is one sentence, and is not made
        const QString none = dir.filePath("none/x.sqlite");
        const ProcessResult missing = runProcess(kCli, {"history", "--db", none, "k"});
        QCOMPARE(missing.exitCode, 2);
        QCOMPARE(missing.err.trimmed(), ("etcdscope-cli: there is no event log at " + none + ".").toUtf8());
        QVERIFY(!QFileInfo::exists(none));
    }

    void shouldGetAWholeRangeInPagesAtOneRevision()
    {
        // Given 2,500 keys under a prefix (more than two pages), and one outside it
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 2500; ++i)
            etcd.put("page/" + std::to_string(100000 + i), std::to_string(i));
        const std::int64_t readAt = etcd.put("pagf", "outside");
        // When the prefix is read, and again as of before the last 500 puts
        const QStringList base{"get", "--endpoints", QString::fromStdString(etcd.endpoint()), "--prefix"};
        const ProcessResult all = runProcess(kCli, base + QStringList{"page/"});
        const ProcessResult past = runProcess(kCli, base + QStringList{"--rev", QString::number(readAt - 501), "page/"});
        // Then every key comes once, in order; the past read sees the first 2,000
        QVERIFY2(all.exitCode == 0, all.err.constData());
        const QList<QByteArray> lines = all.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2500);
        for (int i = 0; i < 2500; ++i)
            QCOMPARE(QJsonDocument::fromJson(lines[i]).object().value("key").toString(),
                     QString("page/%1").arg(100000 + i));
        QVERIFY2(past.exitCode == 0, past.err.constData());
        QCOMPARE(past.out.trimmed().split('\n').size(), 2000);
    }

    void shouldReplayFromPastRevisionAndStopAtUntilRev()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::int64_t first = etcd.put("p/a", "1");
        etcd.put("q", "outside");
        etcd.put("p/b", "2");
        const std::int64_t last = etcd.del("p/a");

        const ProcessResult run = runProcess(
            kCli, cliWatchArgs(etcd, {"--prefix", "--rev", QString::number(first), "--prev-kv", "--until-rev",
                                   QString::number(last), "p/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto delivered = parseCliJsonl(run.out);
        const auto expected = etcd.history("p/", "p0", first, last, true);
        QCOMPARE(describe(delivered), describe(expected));
        QVERIFY(delivered == expected);
    }

    void shouldFinishUntilRevForAnIdleWatchOnProgressNotification()
    {
        // Given an etcd that sends per-watch progress every 500 ms, and a
        // target revision that the watched key never reaches by itself
        EtcdProcess etcd({"--experimental-watch-progress-notify-interval=500ms"});
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        etcd.put("idle", "1");
        const std::int64_t target = etcd.put("elsewhere", "x");
        // When the CLI waits for that revision on the idle key
        const ProcessResult run = runProcess(
            kCli, cliWatchArgs(etcd, {"--rev", QString::number(target), "--until-rev", QString::number(target), "idle"}));
        // Then a progress notification proves the watch passed it: exit 0, no events
        QVERIFY2(!run.timedOut && run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.isEmpty());
    }

    void shouldWatchSeveralKeysOnOneStreamWithFilters()
    {
        // Given a CLI with three KEYs, deletes filtered out, stopping at 4 events
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QProcess cli;
        cli.start(kCli, cliWatchArgs(etcd, {"--no-delete", "--max-events", "4", "a", "b", "c"}));
        QVERIFY(cli.waitForStarted(10000));
        // Then etcd sees one watch stream with three watchers
        QTRY_COMPARE_WITH_TIMEOUT(etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(-1), 3.0, kWaitMs);
        QCOMPARE(etcd.metric("etcd_debugging_mvcc_watch_stream_total").value_or(-1), 1.0);
        // When keys change, deletes included
        etcd.put("a", "1");
        etcd.del("a");
        etcd.put("c", "2");
        etcd.put("x", "ignored");
        etcd.put("b", "3");
        etcd.del("b");
        const std::int64_t fourth = etcd.put("a", "4");
        etcd.put("a", "5");
        // Then it prints the four puts, each tagged with its KEY's position, and exits 0
        QVERIFY(cli.waitForFinished(kWaitMs));
        QCOMPARE(cli.exitCode(), 0);
        const auto delivered = parseCliJsonl(cli.readAllStandardOutput());
        QCOMPARE(delivered.size(), 4u);
        QCOMPARE(delivered[0].key + delivered[0].value, std::string("a1"));
        QCOMPARE(delivered[1].key + delivered[1].value, std::string("c2"));
        QCOMPARE(delivered[2].key + delivered[2].value, std::string("b3"));
        QCOMPARE(delivered[3].modRevision, fourth);
        for (const auto& e : delivered)
            QVERIFY(e.put);
    }

    void shouldPrintBinaryKeysAndValuesAsBase64()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::string key = std::string("bin/\xff\0\x01", 7);
        const std::string value = std::string("\0\xc3\x28", 3);
        const std::int64_t first = etcd.put(key, value);
        const std::int64_t last = etcd.put("bin/text", "plain \xc3\xa9");
        const ProcessResult run = runProcess(
            kCli, cliWatchArgs(etcd, {"--prefix", "--rev", QString::number(first), "--until-rev", QString::number(last),
                                   "bin/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.contains("\"key_b64\""));
        const auto delivered = parseCliJsonl(run.out);
        QCOMPARE(delivered.size(), 2u);
        QCOMPARE(delivered[0].key, key);
        QCOMPARE(delivered[0].value, value);
        QCOMPARE(delivered[1].value, std::string("plain \xc3\xa9"));
    }

    void shouldCountEvents()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::int64_t first = 0, last = 0;
        for (int i = 0; i < 25; ++i) {
            last = etcd.put("n/" + std::to_string(i), "v");
            first = first ? first : last;
        }
        const ProcessResult run = runProcess(
            kCli, cliWatchArgs(etcd, {"--prefix", "-w", "count", "--rev", QString::number(first), "--until-rev",
                                   QString::number(last), "n/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.out.trimmed(), QByteArray("25"));
    }

    void shouldPrintGapLineForCompactedHistory()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 5; ++i)
            etcd.put("g/" + std::to_string(i), "v");  // revisions 2..6
        const std::int64_t compactAt = etcd.put("g/x", "v");
        etcd.compact(compactAt);
        const std::int64_t last = etcd.put("g/y", "v");

        const ProcessResult run = runProcess(
            kCli, cliWatchArgs(etcd, {"--prefix", "--rev", "1", "--until-rev", QString::number(last), "g/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto delivered = parseCliJsonl(run.out);
        QVERIFY(!delivered.empty());
        QCOMPARE(delivered[0].key, std::string("GAP"));
        QCOMPARE(delivered[0].modRevision, 1);  // from
        // The GAP ends below the compaction revision, whose PUT is delivered
        QCOMPARE(delivered.size(), 3u);
        QCOMPARE(delivered[0].value, std::to_string(compactAt - 1));  // to
        QCOMPARE(delivered[1].modRevision, compactAt);
        QCOMPARE(delivered.back().modRevision, last);
        QVERIFY(run.err.contains("compacted"));
    }

    void shouldDeliverEveryEventOnceAcrossKillAndRestart()
    {
        // Given a CLI watching a prefix while a writer runs
        EtcdProcess etcd;
        std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::int64_t start = etcd.put("marker", "start");

        QProcess cli;
        cli.start(kCli, cliWatchArgs(etcd, {"--prefix", "--rev", QString::number(start + 1), "--prev-kv", "w/"}));
        QVERIFY(cli.waitForStarted(10000));
        QByteArray output;
        auto readOutput = [&] { output += cli.readAllStandardOutput(); };
        auto linesSoFar = [&] {
            readOutput();
            return output.count('\n');
        };

        // Writes before the crash
        for (int i = 0; i < 200; ++i)
            etcd.put("w/" + std::to_string(i % 37), "before-" + std::to_string(i));
        QTRY_VERIFY_WITH_TIMEOUT(linesSoFar() >= 200, kWaitMs);

        // When etcd is killed mid-stream and restarted on the same data dir
        etcd.kill9();
        error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        // Writes while the client is still reconnecting (its back-off runs)
        for (int i = 0; i < 200; ++i) {
            if (i % 3 == 0)
                etcd.del("w/" + std::to_string(i % 37));
            else
                etcd.put("w/" + std::to_string(i % 37), "during-" + std::to_string(i));
        }
        // A second kill while events are flowing, then writes after
        QTRY_VERIFY_WITH_TIMEOUT(linesSoFar() >= 300, kWaitMs);
        etcd.kill9();
        error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::int64_t last = 0;
        for (int i = 0; i < 200; ++i)
            last = etcd.put("w/" + std::to_string(i % 37), "after-" + std::to_string(i));

        // Then the output equals etcd's history: every event once, in order
        const auto expected = etcd.history("w/", "w0", start + 1, last, true);
        QCOMPARE(expected.size(), 600u);
        QTRY_VERIFY_WITH_TIMEOUT(linesSoFar() >= qsizetype(expected.size()), kWaitMs);
        cli.terminate();
        QVERIFY(cli.waitForFinished(10000));
        readOutput();
        const auto delivered = parseCliJsonl(output);
        QCOMPARE(describe(delivered), describe(expected));
        QVERIFY(delivered == expected);
    }
};

QTEST_GUILESS_MAIN(TestCliIntegration)
#include "tst_cli_integration.moc"
