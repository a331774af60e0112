// etcdscope-cli as a person meets it (issue 18): what surrounds the events —
// where a run stops, what it prints when interrupted, how text reads, which
// arguments it takes — against a real etcd. Each test names its defect.
#include "auth_admin.h"
#include "engine/server_version.h"
#include "etcd_process.h"
#include "watch_oracle.h"

#include <csignal>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 30'000;
const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);

// The revision of each text line ("[1] PUT 4 k v" -> 4).
QList<qint64> revisionsOf(const QByteArray& text)
{
    QList<qint64> revisions;
    for (const QByteArray& line : text.trimmed().split('\n'))
        if (!line.isEmpty())
            revisions << line.split(' ').value(2).toLongLong();
    return revisions;
}

}  // namespace

class TestCliPerson : public QObject {
    Q_OBJECT

    EtcdProcess etcd_;
    std::int64_t first_ = 0;  // k = v1 .. v5 at first_ .. first_ + 4

private slots:
    void initTestCase()
    {
        const std::string error = etcd_.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 1; i <= 5; ++i) {
            const std::int64_t revision = etcd_.put("k", "v" + std::to_string(i));
            first_ = first_ ? first_ : revision;
        }
    }

    // Defect 1: a watch from before the compaction revision got a GAP that
    // took the compaction revision in too, so the PUTs etcd still serves
    // there were never shown.
    void shouldDeliverWhatEtcdServesAtTheCompactionRevision()
    {
        // Given k = v1 .. v5 and history compacted at v3's revision
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::vector<std::int64_t> revisions;
        for (int i = 1; i <= 5; ++i)
            revisions.push_back(etcd.put("k", "v" + std::to_string(i)));
        const std::int64_t compactAt = revisions[2];
        const std::int64_t last = revisions.back();
        etcd.compact(compactAt);
        // What etcd serves from there, read by a plain gRPC watch of the oracle's own
        const std::vector<etcdscope::WatchEvent> served = readHistory(etcd, compactAt, last);
        QList<qint64> servedRevisions;
        for (const etcdscope::WatchEvent& e : served)
            servedRevisions << e.kv.modRevision;
        QCOMPARE(servedRevisions.front(), qint64(compactAt));
        const auto status = etcd.status();
        QVERIFY(status);
        const bool mayLackDeletes = !etcdscope::compactRevisionKeepsDeletes(status->version());

        // When the CLI watches k from revision 1
        const QStringList args{"--rev", "1", "--until-rev", QString::number(last), "k"};
        const ProcessResult text = runProcess(kCli, cliWatchArgs(etcd, QStringList(args) << "-w" << "text"));
        QVERIFY2(text.exitCode == 0, text.err.constData());

        // Then the GAP ends below the compaction revision, and every event
        // etcd serves from it is printed
        QList<QByteArray> lines = text.out.trimmed().split('\n');
        QVERIFY(!lines.isEmpty());
        const QByteArray gapLine = lines.takeFirst();
        QVERIFY2(gapLine.startsWith("[1] GAP 1-" + QByteArray::number(compactAt - 1) + " ("), gapLine.constData());
        QList<qint64> printed;
        for (const QByteArray& line : lines)
            printed << line.split(' ').value(2).toLongLong();
        QCOMPARE(printed, servedRevisions);
        QVERIFY2(lines.front().endsWith(" k v3"), lines.front().constData());
        // And where this etcd may leave out DELETEs at that revision (its
        // issue 18089), the GAP line, the JSONL GAP and stderr say so
        const QByteArray marker = "revision " + QByteArray::number(compactAt) + " follows as etcd serves it";
        QCOMPARE(gapLine.contains(marker), mayLackDeletes);
        const ProcessResult json = runProcess(kCli, cliWatchArgs(etcd, args));
        QVERIFY2(json.exitCode == 0, json.err.constData());
        const QJsonObject gap = QJsonDocument::fromJson(json.out.split('\n').front()).object();
        QCOMPARE(gap.value("type").toString(), QString("GAP"));
        QCOMPARE(gap.value("to_revision").toInteger(), compactAt - 1);
        QCOMPARE(gap.value("may_lack_deletes_at").toInteger(), mayLackDeletes ? compactAt : 0);
        QCOMPARE(json.out.count('\n'), qsizetype(1 + served.size()));
        QCOMPARE(json.err.contains("DELETEs"), mayLackDeletes);
    }

    // Defect 3: --until-rev N printed the events etcd batched past N.
    void shouldPrintNothingPastUntilRev()
    {
        const QString from = QString::number(first_);
        const QString until = QString::number(first_ + 2);
        const ProcessResult text = runProcess(kCli, cliWatchArgs(etcd_, {"--rev", from, "--until-rev", until, "-w",
                                                                      "text", "k"}));
        QVERIFY2(text.exitCode == 0, text.err.constData());
        QCOMPARE(revisionsOf(text.out), (QList<qint64>{first_, first_ + 1, first_ + 2}));
        const ProcessResult count = runProcess(kCli, cliWatchArgs(etcd_, {"--rev", from, "--until-rev", until, "-w",
                                                                       "count", "k"}));
        QVERIFY2(count.exitCode == 0, count.err.constData());
        QCOMPARE(count.out.trimmed(), QByteArray("3"));
        // ... and a start at N itself prints N alone
        const ProcessResult one = runProcess(kCli, cliWatchArgs(etcd_, {"--rev", until, "--until-rev", until, "-w", "text",
                                                                     "k"}));
        QCOMPARE(revisionsOf(one.out), (QList<qint64>{first_ + 2}));
    }

    // Defect 4: a watch from now with --until-rev below the current revision
    // waited for etcd's periodic progress notification (10 minutes).
    void shouldExitAtOnceWhenUntilRevIsBehindAWatchFromNow()
    {
        const ProcessResult run = runProcess(kCli, cliWatchArgs(etcd_, {"--until-rev", QString::number(first_), "k"}),
                                             std::chrono::seconds(20));
        QVERIFY2(!run.timedOut, "still waiting after 20 s");
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.isEmpty());
    }

    // Defect 2: --output count printed nothing when stopped by a signal.
    void shouldPrintTheCountWhenStoppedBySignal_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << SIGINT;
        QTest::newRow("SIGTERM") << SIGTERM;
    }

    void shouldPrintTheCountWhenStoppedBySignal()
    {
        QFETCH(int, signal);
        QProcess cli;
        cli.start(kCli, cliWatchArgs(etcd_, {"--rev", QString::number(first_), "-w", "count", "k"}));
        QVERIFY(cli.waitForStarted());
        // Once its watch is live on etcd (it has received the replay or is receiving it)
        QTRY_VERIFY_WITH_TIMEOUT(etcd_.metric("etcd_debugging_mvcc_watcher_total").value_or(0) >= 1.0, kWaitMs);
        ::kill(pid_t(cli.processId()), signal);
        QVERIFY(cli.waitForFinished(kWaitMs));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QCOMPARE(cli.exitCode(), 0);
        const QByteArray out = cli.readAllStandardOutput();
        bool number = false;
        const qint64 counted = out.trimmed().toLongLong(&number);
        QVERIFY2(number && out.endsWith('\n') && counted >= 0 && counted <= 5, out.constData());
    }

    // Defect 6: text output escaped every non-ASCII byte.
    void shouldPrintValidUtf8AsItIsInText()
    {
        const std::int64_t at = etcd_.put("ключ/ü", "значение 🚀\tend");
        const std::int64_t last = etcd_.put("ключ/bad", std::string("\xff\xfe ok", 5));
        const ProcessResult run = runProcess(kCli, cliWatchArgs(etcd_, {"--prefix", "--rev", QString::number(at),
                                                                     "--until-rev", QString::number(last), "-w",
                                                                     "text", "ключ/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        // UTF-8 as it is; a control character still escaped; bytes that are not UTF-8 escaped
        QCOMPARE(lines[0], "[1] PUT " + QByteArray::number(qint64(at)) + " ключ/ü \"значение 🚀\\tend\"");
        QCOMPARE(lines[1], "[1] PUT " + QByteArray::number(qint64(last)) + " ключ/bad \"\\xff\\xfe ok\"");
    }

    // Defect 7: "sp/a b"="c d" and "sp/a"="b c d" printed the same line.
    void shouldTellKeyFromValueInText()
    {
        const std::int64_t at = etcd_.put("sp/a b", "c d");
        const std::int64_t last = etcd_.put("sp/a", "b c d");
        etcd_.put("sp/q", "say \"hi\" \\ bye");
        const std::int64_t quoted = etcd_.currentRevision();
        const ProcessResult run = runProcess(kCli, cliWatchArgs(etcd_, {"--prefix", "--rev", QString::number(at),
                                                                     "--until-rev", QString::number(quoted), "-w",
                                                                     "text", "sp/"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], "[1] PUT " + QByteArray::number(qint64(at)) + " \"sp/a b\" \"c d\"");
        QCOMPARE(lines[1], "[1] PUT " + QByteArray::number(qint64(last)) + " sp/a \"b c d\"");
        QCOMPARE(lines[2], "[1] PUT " + QByteArray::number(qint64(quoted)) + " sp/q \"say \\\"hi\\\" \\\\ bye\"");
    }

    // Defect 13: Go's duration syntax (1.5s, 0.5s, 1m30s) was refused.
    void shouldAcceptGoDurations_data()
    {
        QTest::addColumn<QString>("duration");
        QTest::newRow("1.5s") << "1.5s";
        QTest::newRow("0.5s") << "0.5s";
        QTest::newRow("1m30s") << "1m30s";
        QTest::newRow("1s500ms") << "1s500ms";
    }

    void shouldAcceptGoDurations()
    {
        QFETCH(QString, duration);
        const ProcessResult run = runProcess(
            kCli, {"get", "--endpoints", QString::fromStdString(etcd_.endpoint()), "--dial-timeout", duration, "k"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.contains("\"value\":\"v5\""));
    }

    // Defect 14: --range-end END with the empty KEY (the range ["", END)) was refused.
    void shouldTakeTheRangeFromTheEmptyKey()
    {
        etcd_.put("a/1", "x");
        const ProcessResult run = runProcess(kCli, {"get", "--endpoints", QString::fromStdString(etcd_.endpoint()),
                                                    "--keys-only", "--range-end", "b", ""});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(run.out.trimmed().split('\n').size(), 1);
        QVERIFY(run.out.contains("\"key\":\"a/1\""));
    }

    // Defect 8: a file that is not PEM waited the whole dial timeout, then said "empty address list".
    void shouldNameATlsFileThatIsNotPem_data()
    {
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<QString>("said");
        QTest::newRow("CA") << QStringList{"--cacert", "notpem.pem"} << "CA certificate %1 is not a PEM certificate";
        QTest::newRow("client") << QStringList{"--cert", "notpem.pem", "--key", "notpem.pem"}
                                << "client certificate %1 is not a PEM certificate";
        QTest::newRow("missing") << QStringList{"--cacert", "absent.pem"} << "CA certificate %1 does not exist";
    }

    void shouldNameATlsFileThatIsNotPem()
    {
        QFETCH(QStringList, files);
        QFETCH(QString, said);
        QTemporaryDir dir;
        QFile notPem(dir.filePath("notpem.pem"));
        QVERIFY(notPem.open(QIODevice::WriteOnly) && notPem.write("just some text\n") > 0);
        notPem.close();
        for (QString& f : files)
            if (f.endsWith(".pem"))
                f = dir.filePath(f);
        const QString named = files.at(1);
        const ProcessResult run = runProcess(kCli, cliWatchArgs(etcd_, files + QStringList{"--dial-timeout", "20s", "k"}),
                                             std::chrono::seconds(10));
        // Then at once (well before the dial timeout), exit 2, the file named
        QVERIFY2(!run.timedOut, "waited for the dial timeout");
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(said.arg(named).toUtf8()), run.err.constData());
        QCOMPARE(run.err.trimmed().count('\n'), 0);
    }

    // Defect 10: the last sentence before exit 3 said "(retrying in 3458 ms)".
    void shouldSayWhatEndsWhenItGivesUp()
    {
        const QString nowhere = QStringLiteral("127.0.0.1:%1").arg(freeLoopbackPort());
        const ProcessResult run =
            runProcess(kCli, {"watch", "--endpoints", nowhere, "--dial-timeout", "1s", "k"}, std::chrono::seconds(20));
        QCOMPARE(run.exitCode, 3);
        const QByteArray last = run.err.trimmed().split('\n').last();
        QVERIFY2(!last.contains("retrying"), last.constData());
        QVERIFY2(last.contains("Gave up after the dial timeout of 1 s."), last.constData());
    }

    // Defect 12: lease IDs above 2^53 were JSON numbers only, which jq rounds.
    void shouldGiveTheExactLeaseId()
    {
        // Given a key on a lease granted by etcdctl, which names it in hexadecimal
        QProcess etcdctl;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("ETCDCTL_API", "3");
        etcdctl.setProcessEnvironment(env);
        const QString endpoint = QString::fromStdString(etcd_.endpoint());
        etcdctl.start("etcdctl", {"--endpoints", endpoint, "lease", "grant", "600"});
        QVERIFY(etcdctl.waitForFinished(kWaitMs) && etcdctl.exitCode() == 0);
        const QByteArray granted = etcdctl.readAllStandardOutput();  // "lease 694d77aa9e38260f granted with TTL(600s)"
        const QByteArray hex = granted.split(' ').value(1);
        QVERIFY2(!hex.isEmpty(), granted.constData());
        etcdctl.start("etcdctl", {"--endpoints", endpoint, "put", "--lease=" + QString::fromLatin1(hex), "leased", "v"});
        QVERIFY(etcdctl.waitForFinished(kWaitMs) && etcdctl.exitCode() == 0);
        const std::int64_t at = etcd_.currentRevision();
        // When the CLI prints its event
        const ProcessResult run = runProcess(kCli, cliWatchArgs(etcd_, {"--rev", QString::number(at), "--until-rev",
                                                                     QString::number(at), "leased"}));
        QVERIFY2(run.exitCode == 0, run.err.constData());
        // Then the line holds the ID exactly as etcdctl named it, in a string, and the number beside it
        QVERIFY2(run.out.contains("\"lease_hex\":\"" + hex + "\""), run.out.constData());
        bool ok = false;
        const qulonglong id = hex.toULongLong(&ok, 16);
        QVERIFY(ok);
        QVERIFY2(run.out.contains("\"lease\":" + QByteArray::number(id) + ","), run.out.constData());
    }

    // Defect 11: `| head -1` left the CLI running until a next event failed to be written.
    void shouldEndQuietlyOnceItsReaderHasGone()
    {
        // Given the CLI replaying k's five versions into `head -1`, and then nothing more
        const QString command = QStringLiteral("'%1' watch --endpoints %2 --rev %3 k | head -1")
                                    .arg(kCli, QString::fromStdString(etcd_.endpoint()))
                                    .arg(first_);
        const ProcessResult run = runProcess("bash", {"-o", "pipefail", "-c", command}, std::chrono::seconds(15));
        // Then once head has its line, the CLI ends by itself, with 0 and no sentence, though no event comes
        QVERIFY2(!run.timedOut, "the CLI went on with its reader gone");
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("\"value\":\"v1\""));
        QCOMPARE(run.out.count('\n'), 1);
        QCOMPARE(run.err, QByteArray());
    }

    // Defect 5: with etcd gone, nothing was said on stderr, and a script could not give up.
    void shouldSayWhenEtcdIsLostAndBackAndGiveUpWhenAsked()
    {
        // Given a watch on an etcd of its own, told to give up after 8 s
        // without etcd (room for etcd to restart on a loaded machine)
        EtcdProcess etcd;
        std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QProcess cli;
        cli.start(kCli, cliWatchArgs(etcd, {"--prefix", "--give-up-after", "8s", "r/"}));
        QVERIFY(cli.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(0) >= 1.0, kWaitMs);
        QByteArray said;
        const auto saidSoFar = [&] {
            said += cli.readAllStandardError();
            return said;
        };
        // When etcd is killed, it says so once
        etcd.kill9();
        QTRY_VERIFY_WITH_TIMEOUT(saidSoFar().contains("Lost the connection to etcd at " + etcd.endpoint()), kWaitMs);
        QVERIFY2(said.contains("reconnecting, each endpoint in turn, giving up after 8 s."), said.constData());
        // ... and when it is back, that too, and the watch goes on
        error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTRY_VERIFY2_WITH_TIMEOUT(saidSoFar().contains("connected again to " + etcd.endpoint()), said.constData(), kWaitMs);
        const std::int64_t revision = etcd.put("r/after", "1");
        QByteArray out;
        QTRY_VERIFY2_WITH_TIMEOUT((out += cli.readAllStandardOutput())
                                      .contains("\"mod_revision\":" + QByteArray::number(qint64(revision))),
                                  (out + saidSoFar()).constData(), kWaitMs);
        QCOMPARE(said.count("Lost the connection"), 1);
        // When it is killed for good, the run ends after the 8 s asked for: exit 3, why, in a sentence
        etcd.kill9();
        QVERIFY(cli.waitForFinished(kWaitMs));
        QCOMPARE(cli.exitCode(), 3);
        const QByteArray last = saidSoFar().trimmed().split('\n').last();
        QVERIFY2(last.startsWith("Gave up: etcd at " + etcd.endpoint() + " has not answered for 8 s (--give-up-after)."),
                 said.constData());
    }

    // Defect 15: one denied watch ended the run before the permitted watch's events were printed.
    void shouldDeliverWhatThePermittedWatchesSeeWhenOneIsDenied()
    {
        // Given authentication on, a reader allowed p/ only, and changes to p/1 and to other
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        AuthAdmin admin(etcd.endpoint());
        const std::string setUp = admin.setUp("p/");
        QVERIFY2(setUp.empty(), setUp.c_str());
        const std::int64_t first = admin.put("p/1", "a");
        admin.put("other", "secret");
        const std::int64_t last = admin.put("p/1", "b");
        QVERIFY(first > 0 && last > first);
        // When the reader watches both
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("ETCDSCOPE_PASSWORD", kReaderPassword);
        env.remove("QT_LOGGING_RULES");
        cli.setProcessEnvironment(env);
        cli.start(kCli, cliWatchArgs(etcd, {"--user", "reader", "--rev", QString::number(first), "--until-rev",
                                         QString::number(last), "p/1", "other"}));
        QVERIFY(cli.waitForFinished(kWaitMs));
        const QByteArray out = cli.readAllStandardOutput();
        const QByteArray err = cli.readAllStandardError();
        // Then p/1's two versions are printed, the denied watch is named, and the run ends with 4
        const auto events = parseCliJsonl(out);
        QCOMPARE(events.size(), 2u);
        QCOMPARE(events[0].value + events[1].value, std::string("ab"));
        QVERIFY2(err.contains("watch 2 (key other) was cancelled by etcd: user reader has no permission"),
                 err.constData());
        QVERIFY2(err.contains("the other watches go on"), err.constData());
        QCOMPARE(cli.exitCode(), 4);
    }
};

QTEST_GUILESS_MAIN(TestCliPerson)
#include "tst_cli_person.moc"
