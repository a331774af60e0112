// etcdscope-cli's answers to bad input: exit codes and one clear sentence,
// never a hang. Needs no etcd.
#include "etcd_process.h"

#include <QProcess>
#include <QTcpServer>
#include <QtTest>

using namespace etcdscope::testing;

namespace {

const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);
constexpr auto kDeadline = std::chrono::seconds(30);

// The first line of stderr: the sentence meant for the person.
QByteArray firstLine(const QByteArray& text) { return text.split('\n').value(0); }

// Runs the CLI against a peer served by this test's own event loop, which
// must keep turning meanwhile (so not runProcess, which blocks).
ProcessResult watchAgainstLocalPeer(quint16 port)
{
    QProcess cli;
    cli.start(kCli, {"watch", "--endpoints", QString("127.0.0.1:%1").arg(port), "--dial-timeout", "2s", "k"});
    ProcessResult result;
    if (!cli.waitForStarted())
        return result;
    result.timedOut = !QTest::qWaitFor([&] { return cli.state() == QProcess::NotRunning; }, 30'000);
    result.exitCode = result.timedOut ? -1 : cli.exitCode();
    result.err = cli.readAllStandardError();
    return result;
}

}  // namespace

class TestCliUsage : public QObject {
    Q_OBJECT

private slots:
    void shouldExitWithUsageOnBadArguments_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown option") << QStringList{"watch", "--frobnicate", "k"} << "unknown option --frobnicate";
        QTest::newRow("no command") << QStringList{} << "no command";
        QTest::newRow("unknown command") << QStringList{"put", "k"} << "unknown command";
        QTest::newRow("get of two keys") << QStringList{"get", "a", "b"} << "one KEY";
        QTest::newRow("get with a watch option") << QStringList{"get", "--prev-kv", "k"} << "are for watch";
        QTest::newRow("get counting") << QStringList{"get", "--output", "count", "k"} << "jsonl or text";
        QTest::newRow("keys-only on watch") << QStringList{"watch", "--keys-only", "k"} << "--keys-only is for get";
        QTest::newRow("bad decode") << QStringList{"get", "--decode", "xml", "k"} << "--decode";
        QTest::newRow("no key") << QStringList{"watch"} << "no KEY";
        QTest::newRow("rev not a number") << QStringList{"watch", "--rev", "ten", "k"} << "--rev";
        QTest::newRow("rev negative") << QStringList{"watch", "--rev=-3", "k"} << "--rev";
        QTest::newRow("rev missing value") << QStringList{"watch", "k", "--rev"} << "needs a value";
        QTest::newRow("two range modes") << QStringList{"watch", "--prefix", "--from-key", "k"} << "choose one";
        QTest::newRow("range end before key") << QStringList{"watch", "--range-end", "a", "b"} << "--range-end";
        QTest::newRow("both filters") << QStringList{"watch", "--no-put", "--no-delete", "k"} << "nothing to watch";
        QTest::newRow("bad output") << QStringList{"watch", "-w", "xml", "k"} << "--output";
        QTest::newRow("garbage endpoint") << QStringList{"watch", "--endpoints", "not an endpoint", "k"}
                                          << "not an endpoint";
        QTest::newRow("port out of range") << QStringList{"watch", "--endpoints", "127.0.0.1:70000", "k"}
                                           << "not an endpoint";
        QTest::newRow("password in --user") << QStringList{"watch", "--user", "root:secret", "k"} << "never on the command line";
        QTest::newRow("cert without key") << QStringList{"watch", "--cert", "c.pem", "k"} << "--cert and --key";
    }
    void shouldExitWithUsageOnBadArguments()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, mentions);
        const ProcessResult run = runProcess(kCli, arguments, kDeadline);
        QVERIFY(!run.timedOut);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(firstLine(run.err).contains(mentions.toUtf8()), run.err.constData());
        // ... one sentence and a pointer to the help, not the whole help (issue 18, defect 9)
        QVERIFY2(!run.err.contains("Usage:"), run.err.constData());
        QCOMPARE(run.err.split('\n').value(1), QByteArray("Run 'etcdscope-cli --help' for the commands and options."));
        QCOMPARE(run.err.count('\n'), 2);
        QVERIFY(run.out.isEmpty());
    }

    // Issue 18, defect 9: typos get a suggestion; a flag with a value, a flag given twice and an
    // option whose value is missing before the next option each get their own sentence.
    void shouldSayPreciselyWhatIsWrongWithAnArgument_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("said");
        QTest::newRow("--prefx") << QStringList{"watch", "--prefx", "k"} << 2
                                 << "unknown option --prefx; did you mean --prefix?";
        QTest::newRow("--endpoint") << QStringList{"watch", "--endpoint", "h:1", "k"} << 2
                                    << "unknown option --endpoint; did you mean --endpoints?";
        QTest::newRow("command typo") << QStringList{"wacth", "k"} << 2 << "unknown command \"wacth\"; did you mean watch?";
        QTest::newRow("--prefix=true") << QStringList{"watch", "--prefix=true", "k"} << 2
                                       << "--prefix takes no value (give --prefix alone, not --prefix=true)";
        QTest::newRow("--user --endpoints") << QStringList{"watch", "--user", "--endpoints", "h:1", "k"} << 2
                                            << "option --user needs a value, but --endpoints follows it";
    }

    void shouldSayPreciselyWhatIsWrongWithAnArgument()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, said);
        const ProcessResult run = runProcess(kCli, arguments, kDeadline);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(firstLine(run.err).startsWith("etcdscope-cli: " + said.toUtf8()), run.err.constData());
    }

    // Issue 18, defect 9: the same range mode twice is not "choose one of".
    void shouldTakeARangeModeGivenTwice()
    {
        const QString nowhere = QStringLiteral("127.0.0.1:%1").arg(freeLoopbackPort());
        const ProcessResult run =
            runProcess(kCli, {"watch", "--prefix", "--prefix", "--endpoints", nowhere, "--dial-timeout", "1s", "k"},
                       kDeadline);
        QCOMPARE(run.exitCode, 3);  // it tried to connect: the arguments were taken
        QVERIFY2(!run.err.contains("choose one"), run.err.constData());
    }

    void shouldPrintHelpOnStdout()
    {
        const ProcessResult run = runProcess(kCli, {"--help"}, kDeadline);
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("--until-rev"));
    }

    void shouldExitThreeWhenNothingListens()
    {
        const int port = freeLoopbackPort();  // released: nothing listens there
        const ProcessResult run = runProcess(
            kCli, {"watch", "--endpoints", QString("127.0.0.1:%1").arg(port), "--dial-timeout", "2s", "k"}, kDeadline);
        QVERIFY(!run.timedOut);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(firstLine(run.err).contains("connection refused"), run.err.constData());
        QCOMPARE(run.err.count('\n'), 1);  // one sentence, no log noise
    }

    void shouldExitThreeWhenPeerIsSilent()
    {
        // Something accepts TCP connections but never says a word
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        const ProcessResult run = watchAgainstLocalPeer(silent.serverPort());
        QVERIFY(!run.timedOut);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(firstLine(run.err).contains("did not answer in time") || firstLine(run.err).contains("right port"),
                 run.err.constData());
    }

    void shouldExitThreeWhenPeerSpeaksAnotherProtocol()
    {
        // An HTTP/1.1 server: it answers, but not with gRPC
        QTcpServer http;
        QVERIFY(http.listen(QHostAddress::LocalHost));
        connect(&http, &QTcpServer::newConnection, this, [&http] {
            while (QTcpSocket* socket = http.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                    socket->readAll();
                    socket->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    socket->disconnectFromHost();
                });
            }
        });
        const ProcessResult run = watchAgainstLocalPeer(http.serverPort());
        QVERIFY(!run.timedOut);
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(firstLine(run.err).contains("not with etcd's gRPC protocol") || firstLine(run.err).contains("right port"),
                 run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCliUsage)
#include "tst_cli_usage.moc"
