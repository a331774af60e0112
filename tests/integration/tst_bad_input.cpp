// Bad input against a real etcd, mostly through etcdscope-cli: garbage
// endpoints, names that do not resolve, TLS mismatches and bad certificates,
// wrong passwords, empty ranges, huge values, awkward bytes, a full disk.
// House rule: each gets one readable sentence (checked for its content, not
// byte for byte), the right exit code, and loses nothing already delivered.
// Certificates are made with `openssl` in a temporary directory; the etcds
// are started here and die with the test.
#include "etcd_process.h"
#include "report.h"
#include "session/watch_session.h"
#include "session_collector.h"
#include "test_pki.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <grpcpp/grpcpp.h>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);
constexpr int kWaitMs = 30'000;       // deadline for any awaited condition
constexpr int kCliDeadlineMs = 60'000;  // a CLI run that should end by itself
const QString kDialTimeout = QStringLiteral("2s");  // failing dials end soon, with room for a busy machine
constexpr std::size_t kMiB = 1024 * 1024;
// etcd's own request limit in the big-value test, above gRPC's default
// 4 MiB receive limit so that a value between the two must still arrive.
constexpr std::size_t kServerRequestLimit = 16 * kMiB;

// --- running the CLI ---------------------------------------------------------------------

struct CliRun {
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    // The first line of stderr: the sentence meant for the person.
    QByteArray sentence() const { return err.split('\n').value(0).trimmed(); }
};

// The environment the person has: no engineer's logging rules, so stderr
// holds only what the CLI says on purpose.
QProcessEnvironment personEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("QT_LOGGING_RULES");
    env.remove(QString::fromLatin1("ETCDSCOPE_PASSWORD"));
    return env;
}

// Runs the CLI to its end while this thread's event loop keeps turning (so
// that QTcpServers and large outputs are served meanwhile).
CliRun runCli(const QStringList& arguments, const QProcessEnvironment& env = personEnvironment(),
              const QString& stdoutFile = {})
{
    QProcess cli;
    cli.setProcessEnvironment(env);
    if (!stdoutFile.isEmpty())
        cli.setStandardOutputFile(stdoutFile);
    cli.start(kCli, arguments);
    CliRun run;
    if (!cli.waitForStarted(10'000))
        return run;
    QByteArray out;
    run.finished = QTest::qWaitFor(
        [&] {
            out += cli.readAllStandardOutput();
            return cli.state() == QProcess::NotRunning;
        },
        kCliDeadlineMs);
    if (!run.finished) {
        cli.kill();
        cli.waitForFinished(5'000);
    }
    run.exitCode = run.finished && cli.exitStatus() == QProcess::NormalExit ? cli.exitCode() : -1;
    run.out = out + cli.readAllStandardOutput();
    run.err = cli.readAllStandardError();
    return run;
}

bool containsAll(const QByteArray& text, const QStringList& parts, QString* missing)
{
    for (const QString& part : parts) {
        if (!QString::fromUtf8(text).contains(part, Qt::CaseInsensitive)) {
            *missing = part;
            return false;
        }
    }
    return true;
}

// `exitCode` is the CLI's, or "n/a" for a case checked through the session.
void report(const QString& name, const QByteArray& sentence, const QJsonValue& exitCode, bool dataChecked)
{
    appendReportRow(QJsonObject{{"section", "bad-input"},
                                {"case", name},
                                {"sentence", QString::fromUtf8(sentence)},
                                {"exit", exitCode},
                                {"dataIntact", dataChecked ? "held" : "n/a"},
                                {"result", "held"}});
}

// --- a client of the test's own, independent of the code under test -------------------------

class TestClient {
public:
    explicit TestClient(const std::string& endpoint)
    {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);
        args.SetMaxSendMessageSize(-1);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        channel_ = grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
        kv_ = etcdserverpb::KV::NewStub(channel_);
        auth_ = etcdserverpb::Auth::NewStub(channel_);
    }

    // Creates user root with `password` and turns authentication on; this
    // client then uses root's token.
    grpc::Status enableAuth(const std::string& password)
    {
        {
            grpc::ClientContext context;
            etcdserverpb::AuthUserAddRequest request;
            request.set_name("root");
            request.set_password(password);
            etcdserverpb::AuthUserAddResponse response;
            if (auto status = auth_->UserAdd(prepared(context), request, &response); !status.ok())
                return status;
        }
        {
            grpc::ClientContext context;
            etcdserverpb::AuthUserGrantRoleRequest request;
            request.set_user("root");
            request.set_role("root");
            etcdserverpb::AuthUserGrantRoleResponse response;
            if (auto status = auth_->UserGrantRole(prepared(context), request, &response); !status.ok())
                return status;
        }
        {
            grpc::ClientContext context;
            etcdserverpb::AuthEnableResponse response;
            if (auto status = auth_->AuthEnable(prepared(context), {}, &response); !status.ok())
                return status;
        }
        grpc::ClientContext context;
        etcdserverpb::AuthenticateRequest request;
        request.set_name("root");
        request.set_password(password);
        etcdserverpb::AuthenticateResponse response;
        const grpc::Status status = auth_->Authenticate(prepared(context), request, &response);
        token_ = response.token();
        return status;
    }

    // The revision of the put, or the status that refused it.
    grpc::Status put(const std::string& key, const std::string& value, std::int64_t* revision = nullptr)
    {
        grpc::ClientContext context;
        etcdserverpb::PutRequest request;
        request.set_key(key);
        request.set_value(value);
        etcdserverpb::PutResponse response;
        const grpc::Status status = kv_->Put(prepared(context), request, &response);
        if (revision)
            *revision = response.header().revision();
        return status;
    }

private:
    grpc::ClientContext* prepared(grpc::ClientContext& context) const
    {
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (!token_.empty())
            context.AddMetadata("token", token_);
        return &context;
    }

    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
    std::string token_;
};

std::int64_t putOrFail(TestClient& client, const std::string& key, const std::string& value)
{
    std::int64_t revision = 0;
    const grpc::Status status = client.put(key, value, &revision);
    if (!status.ok())
        qFatal("put of %s failed: %s", key.c_str(), status.error_message().c_str());
    return revision;
}

// --- the session ----------------------------------------------------------------------------

// The first sentence a session reports while it tries `options`.
QString firstSessionError(const ConnectionOptions& options)
{
    WatchSession session;
    QSignalSpy errors(&session, &WatchSession::errorOccurred);
    WatchSpec spec;
    spec.key = "k";
    session.addWatch(spec);
    session.connectToCluster(options);
    if (!QTest::qWaitFor([&] { return !errors.isEmpty(); }, kWaitMs))
        return {};
    return errors.first().first().toString();
}

}  // namespace

class TestBadInput : public QObject {
    Q_OBJECT

    TestPki pki_;
    // One etcd with TLS and client certificates for every TLS case: an https
    // listener that demands a client certificate signed by CA1, and a plain
    // http listener (for the test's own writes and for the TLS-to-plain case).
    std::unique_ptr<EtcdProcess> tlsEtcd_;
    int tlsPort_ = 0;

    QString plainEndpoint() const { return QString::fromStdString(tlsEtcd_->endpoint()); }
    QString tlsEndpoint() const { return QString("127.0.0.1:%1").arg(tlsPort_); }

private slots:
    void initTestCase()
    {
        const QString error = pki_.create();
        QVERIFY2(error.isEmpty(), qPrintable(error));

        tlsPort_ = freeLoopbackPort();
        tlsEtcd_ = tlsEtcd(pki_, "bad-input", tlsPort_);
        const std::string started = tlsEtcd_->start();
        QVERIFY2(started.empty(), started.c_str());
    }

    void cleanupTestCase() { tlsEtcd_.reset(); }

    // 1. Garbage in the endpoint list never reaches the network.
    void shouldRefuseGarbageEndpointsNamingTheBadEntry_data()
    {
        QTest::addColumn<QString>("endpoints");
        QTest::addColumn<QStringList>("mentions");
        QTest::newRow("empty") << "" << QStringList{"\"\"", "no endpoint"};
        QTest::newRow("only commas and spaces") << " , ," << QStringList{"\" , ,\"", "no endpoint"};
        QTest::newRow("colons only") << "::::" << QStringList{"\"::::\"", "too many colons"};
        QTest::newRow("scheme only") << "http://" << QStringList{"\"http://\"", "no host:port"};
        QTest::newRow("three parts") << "a:b:c" << QStringList{"\"a:b:c\"", "too many colons"};
        QTest::newRow("port out of range") << "127.0.0.1:70000" << QStringList{"\"127.0.0.1:70000\"", "1 to 65535"};
        QTest::newRow("port zero") << "127.0.0.1:0" << QStringList{"\"127.0.0.1:0\"", "1 to 65535"};
        QTest::newRow("no port") << "localhost" << QStringList{"\"localhost\"", "port is missing"};
        QTest::newRow("no host") << ":2379" << QStringList{"\":2379\"", "host is missing"};
        QTest::newRow("space in host") << "local host:2379" << QStringList{"\"local host:2379\"", "space"};
        QTest::newRow("space in port") << "127.0.0.1: 2379" << QStringList{"\"127.0.0.1: 2379\"", "space"};
        QTest::newRow("bad second entry") << "127.0.0.1:2379,10.0.0.1:x" << QStringList{"\"10.0.0.1:x\"", "port"};
    }
    void shouldRefuseGarbageEndpointsNamingTheBadEntry()
    {
        QFETCH(QString, endpoints);
        QFETCH(QStringList, mentions);
        // When the CLI gets a garbage list
        const CliRun run = runCli({"watch", "--endpoints", endpoints, "k"});
        // Then it exits 2 (usage: it did not fall back to the default
        // endpoint) with a sentence naming the bad entry and why
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 2);
        QString missing;
        QVERIFY2(containsAll(run.sentence(), mentions << "--endpoints", &missing),
                 qPrintable("missing \"" + missing + "\" in: " + run.err));
        QVERIFY(run.out.isEmpty());
        report(QString("endpoint list: ") + QTest::currentDataTag(), run.sentence(), run.exitCode, false);
    }

    // 2. A host name that does not resolve.
    void shouldSayTheHostNameDoesNotResolve()
    {
        const QString endpoint = "etcdscope-no-such-host.invalid:2379";
        const CliRun run = runCli({"watch", "--endpoints", endpoint, "--dial-timeout", kDialTimeout, "k"});
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 3);
        QString missing;
        QVERIFY2(containsAll(run.sentence(), {"etcdscope-no-such-host.invalid", "does not resolve"}, &missing),
                 qPrintable("missing \"" + missing + "\" in: " + run.err));
        QCOMPARE(run.err.count('\n'), 1);  // one sentence, no library noise

        // And the session says the same to the monitor
        ConnectionOptions options;
        options.endpoints = {endpoint.toStdString()};
        const QString sessionSentence = firstSessionError(options);
        QVERIFY2(sessionSentence.contains("does not resolve"), qPrintable(sessionSentence));
        report("host name does not resolve", run.sentence(), run.exitCode, false);
    }

    // 3.-5. TLS mismatches and certificates the other side does not accept.
    void shouldExplainTlsProblems_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QStringList>("mentions");
        const QString ca1 = pki_.path("ca1.crt");
        const QString ca2 = pki_.path("ca2.crt");
        const QStringList goodClient{"--cert", pki_.path("client.crt"), "--key", pki_.path("client.key")};
        const QStringList expiredClient{"--cert", pki_.path("expired.crt"), "--key", pki_.path("expired.key")};
        QTest::newRow("plaintext to a TLS etcd")
            << QStringList{"--endpoints", tlsEndpoint()} << QStringList{"TLS mismatch", "expects TLS", tlsEndpoint()};
        QTest::newRow("TLS to a plaintext etcd")
            << QStringList{"--endpoints", plainEndpoint(), "--cacert", ca1}
            << QStringList{"TLS mismatch", "does not use TLS", plainEndpoint()};
        QTest::newRow("https:// to a plaintext etcd")
            << QStringList{"--endpoints", "https://" + plainEndpoint()}
            << QStringList{"TLS mismatch", "does not use TLS", plainEndpoint()};
        QTest::newRow("server certificate from another CA")
            << (QStringList{"--endpoints", tlsEndpoint(), "--cacert", ca2} + goodClient)
            << QStringList{"certificate of etcd at " + tlsEndpoint(), "failed verification", "ca2.crt"};
        QTest::newRow("expired client certificate")
            << (QStringList{"--endpoints", tlsEndpoint(), "--cacert", ca1} + expiredClient)
            << QStringList{"rejected the client certificate", "expired.crt", "expired"};
        QTest::newRow("no client certificate")
            << QStringList{"--endpoints", tlsEndpoint(), "--cacert", ca1}
            << QStringList{"requires a client certificate"};
    }
    void shouldExplainTlsProblems()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QStringList, mentions);
        const CliRun run = runCli(QStringList{"watch", "--dial-timeout", kDialTimeout} + arguments + QStringList{"k"});
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 3);
        QString missing;
        QVERIFY2(containsAll(run.sentence(), mentions, &missing),
                 qPrintable("missing \"" + missing + "\" in: " + run.err));
        QCOMPARE(run.err.count('\n'), 1);  // gRPC's own TLS errors stay out of it
        report(QString("TLS: ") + QTest::currentDataTag(), run.sentence(), run.exitCode, false);
    }

    void shouldGiveTheEngineerThePreciseTlsReason()
    {
        // Given the engineer's logging switched on
        QProcessEnvironment env = personEnvironment();
        env.insert("QT_LOGGING_RULES", "etcdscope.*=true");
        // When a client certificate is refused
        const CliRun run = runCli({"watch", "--dial-timeout", kDialTimeout, "--endpoints", tlsEndpoint(), "--cacert",
                                   pki_.path("ca1.crt"), "--cert", pki_.path("expired.crt"), "--key",
                                   pki_.path("expired.key"), "k"},
                                  env);
        // Then the log shows the stage, the endpoint and gRPC's own status,
        // and OpenSSL's alert from gRPC's log (no longer loose on stderr)
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains(("status probe failed at " + tlsEndpoint()).toUtf8()), run.err.constData());
        QVERIFY2(run.err.contains("UNAVAILABLE:"), run.err.constData());
        QVERIFY2(run.err.contains("etcdscope.grpc") && run.err.contains("bad certificate"), run.err.constData());
    }

    void shouldExplainTlsProblemsToTheSessionToo()
    {
        ConnectionOptions wrongCa;
        wrongCa.endpoints = {tlsEndpoint().toStdString()};
        wrongCa.tls = {pki_.path("ca2.crt").toStdString(), pki_.path("client.crt").toStdString(),
                       pki_.path("client.key").toStdString()};
        const QString wrongCaSentence = firstSessionError(wrongCa);
        QVERIFY2(wrongCaSentence.contains("failed verification"), qPrintable(wrongCaSentence));

        ConnectionOptions expired = wrongCa;
        expired.tls = {pki_.path("ca1.crt").toStdString(), pki_.path("expired.crt").toStdString(),
                       pki_.path("expired.key").toStdString()};
        const QString expiredSentence = firstSessionError(expired);
        QVERIFY2(expiredSentence.contains("rejected the client certificate"), qPrintable(expiredSentence));
    }

    void shouldWatchOverTlsWithAGoodClientCertificate()
    {
        // Given events written before the watch starts (through the plain listener)
        TestClient writer(tlsEtcd_->endpoint());
        const std::int64_t first = putOrFail(writer, "tls/a", "over TLS");
        putOrFail(writer, "tls/b", "and a client certificate");
        // When the CLI replays them over TLS with a certificate etcd accepts
        const CliRun run = runCli({"watch", "--endpoints", tlsEndpoint(), "--cacert", pki_.path("ca1.crt"), "--cert",
                                   pki_.path("client.crt"), "--key", pki_.path("client.key"), "--prefix", "--rev",
                                   QString::number(first), "--max-events", "2", "tls/"});
        // Then both arrive whole, and nothing is said on stderr
        QVERIFY(run.finished);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto events = parseCliJsonl(run.out);
        QCOMPARE(events.size(), 2u);
        QCOMPARE(events[0].value, std::string("over TLS"));
        QCOMPARE(events[1].value, std::string("and a client certificate"));
        QVERIFY(run.err.isEmpty());
        report("TLS: good client certificate", "(none: events arrived)", run.exitCode, true);
    }

    // 6. Authentication.
    void shouldSayAuthenticationFailedAndWorkWithTheRightPassword()
    {
        // Given an etcd with authentication on and a key written as root
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        TestClient root(etcd.endpoint());
        const grpc::Status enabled = root.enableAuth("right-password");
        QVERIFY2(enabled.ok(), enabled.error_message().c_str());
        const std::int64_t revision = putOrFail(root, "secret/k", "for root's eyes");
        const QStringList watch{"watch", "--endpoints", QString::fromStdString(etcd.endpoint()), "--dial-timeout",
                                kDialTimeout, "--user", "root", "--rev", QString::number(revision),
                                "--max-events", "1", "secret/k"};

        // When the password is wrong
        QProcessEnvironment wrong = personEnvironment();
        wrong.insert("ETCDSCOPE_PASSWORD", "wrong-password");
        const CliRun refused = runCli(watch, wrong);
        // Then exit 3 ("cannot connect or authenticate") with a sentence that says so
        QVERIFY(refused.finished);
        QCOMPARE(refused.exitCode, 3);
        QString missing;
        QVERIFY2(containsAll(refused.sentence(), {"Authentication failed", "user name or password"}, &missing),
                 qPrintable("missing \"" + missing + "\" in: " + refused.err));
        QCOMPARE(refused.err.count('\n'), 1);
        QVERIFY(refused.out.isEmpty());
        report("wrong password", refused.sentence(), refused.exitCode, false);

        // And the session says the same to the monitor
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        options.user = "root";
        options.password = "wrong-password";
        const QString sessionSentence = firstSessionError(options);
        QVERIFY2(sessionSentence.contains("Authentication failed"), qPrintable(sessionSentence));

        // When no user is given at all
        const CliRun anonymous = runCli({"watch", "--endpoints", QString::fromStdString(etcd.endpoint()), "--rev",
                                         QString::number(revision), "secret/k"});
        // Then the server's refusal is explained in words, not as gRPC text
        QVERIFY(anonymous.finished);
        QCOMPARE(anonymous.exitCode, 4);
        QVERIFY2(anonymous.sentence().contains("requires authentication"), anonymous.err.constData());
        QVERIFY2(!anonymous.sentence().contains("rpc error"), anonymous.err.constData());
        report("no user on an etcd with authentication", anonymous.sentence(), anonymous.exitCode, false);

        // When the password is right, the key's event arrives intact
        QProcessEnvironment right = personEnvironment();
        right.insert("ETCDSCOPE_PASSWORD", "right-password");
        const CliRun accepted = runCli(watch, right);
        QVERIFY(accepted.finished);
        QVERIFY2(accepted.exitCode == 0, accepted.err.constData());
        const auto events = parseCliJsonl(accepted.out);
        QCOMPARE(events.size(), 1u);
        QCOMPARE(events[0].value, std::string("for root's eyes"));
        QCOMPARE(events[0].modRevision, revision);
        report("right password", "(none: the event arrived)", accepted.exitCode, true);
    }

    // 7. A range that ends before it starts.
    void shouldRefuseARangeEndingBeforeItsKeyWithoutSendingAnything()
    {
        // Given a listener where the CLI would connect
        QTcpServer listener;
        QVERIFY(listener.listen(QHostAddress::LocalHost));
        const QString endpoint = QString("127.0.0.1:%1").arg(listener.serverPort());
        // When --range-end sorts before (or equals) KEY
        for (const QString& end : {QString("app/a"), QString("app/m")}) {
            const CliRun run = runCli({"watch", "--endpoints", endpoint, "--range-end", end, "app/m"});
            // Then exit 2, a sentence naming both, and no connection at all
            QVERIFY(run.finished);
            QCOMPARE(run.exitCode, 2);
            QString missing;
            QVERIFY2(containsAll(run.sentence(), {"--range-end", "\"" + end + "\"", "\"app/m\"", "does not sort after"},
                                 &missing),
                     qPrintable("missing \"" + missing + "\" in: " + run.err));
            QVERIFY(!listener.waitForNewConnection(0));
            if (end == "app/a")
                report("range end before key", run.sentence(), run.exitCode, false);
        }
    }

    void shouldRejectAnEmptyRangeInTheSessionAndKeepTheOtherWatches()
    {
        // Given a session with a good watch, live on a real etcd
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        WatchSession session;
        SessionCollector collector(session);
        QSignalSpy rejected(&session, &WatchSession::watchRejected);
        WatchSpec good;
        good.key = "r/ok";
        const WatchHandle goodHandle = session.addWatch(good);
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        session.connectToCluster(options);
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({goodHandle}), kWaitMs);
        etcd.put("r/ok", "before");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(goodHandle), 1u, kWaitMs);

        // When a watch whose range ends before its key is added
        WatchSpec bad;
        bad.key = "r/z";
        bad.rangeEnd = "r/a";
        const WatchHandle badHandle = session.addWatch(bad);
        // Then it is rejected with a reason, and etcd never hears of it
        QTRY_COMPARE_WITH_TIMEOUT(rejected.count(), 1, kWaitMs);
        QCOMPARE(rejected.first().at(0).value<WatchHandle>(), badHandle);
        const QString reason = rejected.first().at(1).toString();
        QVERIFY2(reason.contains("range end must sort after the key"), qPrintable(reason));
        // And the good watch goes on: a later event arrives, the earlier one is kept
        const std::int64_t later = etcd.put("r/ok", "after");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(goodHandle), 2u, kWaitMs);
        QCOMPARE(collector.events[goodHandle][0].kv.value, std::string("before"));
        QCOMPARE(collector.events[goodHandle][1].kv.modRevision, later);
        QCOMPARE(etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(-1), 1.0);
        QVERIFY(collector.status.state == StreamState::Open);
        report("range end before key (session)", reason.toUtf8(), "n/a", true);
    }

    // 8. Values beyond gRPC's default receive limit, and beyond etcd's.
    void shouldDeliverAHugeValueAndSurviveARefusedPut()
    {
        // Given an etcd that accepts requests up to 16 MiB and a CLI watching
        EtcdProcess etcd({"--max-request-bytes=" + QString::number(kServerRequestLimit)});
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        TestClient writer(etcd.endpoint());
        QProcess cli;
        cli.setProcessEnvironment(personEnvironment());
        cli.start(kCli, {"watch", "--endpoints", QString::fromStdString(etcd.endpoint()), "--prefix", "--max-events",
                         "2", "big/"});
        QVERIFY(cli.waitForStarted(10'000));
        QByteArray out;
        auto readOut = [&] { out += cli.readAllStandardOutput(); };
        QTRY_COMPARE_WITH_TIMEOUT(etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(-1), 1.0, kWaitMs);

        // When a 6 MiB value (over gRPC's default 4 MiB) is written
        std::string huge(6 * kMiB, '\0');
        for (std::size_t i = 0; i < huge.size(); ++i)
            huge[i] = char('a' + (i * 7919 + i / 4096) % 26);
        const std::int64_t hugeRevision = putOrFail(writer, "big/huge", huge);
        // And a put above etcd's limit is refused by etcd
        const grpc::Status refused = writer.put("big/too-large", std::string(kServerRequestLimit + 256 * 1024, 'x'));
        QVERIFY2(!refused.ok(), "etcd accepted a request above --max-request-bytes");
        QVERIFY2(refused.error_message().find("too large") != std::string::npos
                     || refused.error_code() == grpc::RESOURCE_EXHAUSTED,
                 refused.error_message().c_str());
        // And a small put follows
        const std::int64_t smallRevision = putOrFail(writer, "big/small", "still here");

        // Then the watch received both, the huge one byte for byte, on its
        // first and only stream
        QVERIFY(QTest::qWaitFor([&] { readOut(); return cli.state() == QProcess::NotRunning; }, kCliDeadlineMs));
        readOut();
        const QByteArray err = cli.readAllStandardError();
        QVERIFY2(cli.exitCode() == 0, err.constData());
        const auto events = parseCliJsonl(out);
        QCOMPARE(events.size(), 2u);
        QCOMPARE(events[0].modRevision, hugeRevision);
        QCOMPARE(events[0].value.size(), huge.size());
        QVERIFY(events[0].value == huge);
        QCOMPARE(events[1].modRevision, smallRevision);
        QCOMPARE(events[1].value, std::string("still here"));
        QVERIFY2(err.isEmpty(), err.constData());  // no reconnect, nothing to say
        report("value over gRPC's 4 MiB default", "(none: delivered intact)", 0, true);
        report("put over etcd's request limit", QByteArray::fromStdString("etcd refused the put ("
                                                                          + refused.error_message()
                                                                          + "); the watch went on"),
               0, true);
    }

    // 9. Bytes that are not text.
    void shouldCarryNulBytesAndInvalidUtf8ThroughBase64()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        using namespace std::string_literals;
        // Key, value, and whether the line must carry them as key_b64 /
        // value_b64: bytes that are not valid UTF-8 (SPEC §4). A NUL byte is
        // valid UTF-8 and travels as a JSON \u0000 escape instead.
        struct Case {
            std::string key;
            std::string value;
            bool keyB64;
            bool valueB64;
        };
        const std::vector<Case> cases = {
            {"bin/nul\0inside"s, "value\0with\0nuls"s, false, false},
            {"bin/nul\0and\xff"s, "\0\xc3\x28\0"s, true, true},
            {"bin/ff", "\xff\xfe\xfd"s, false, true},
            {"bin/\xc3\x28"s, "overlong \xc0\x80"s, true, true},
            {"bin/surrogate", "\xed\xa0\x80"s, false, true},
            {"bin/truncated", "euro \xe2\x82"s, false, true},
            {"bin/text \xc3\xa9\xe2\x82\xac"s, "valid UTF-8 \xf0\x9f\x99\x82"s, false, false},
            {"bin/empty", ""s, false, false},
        };
        std::int64_t first = 0, last = 0;
        for (const Case& c : cases) {
            last = etcd.put(c.key, c.value);
            first = first ? first : last;
        }
        const CliRun run = runCli({"watch", "--endpoints", QString::fromStdString(etcd.endpoint()), "--prefix", "--rev",
                                   QString::number(first), "--until-rev", QString::number(last), "bin/"});
        QVERIFY(run.finished);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("bin/nul\\u0000inside"), run.out.constData());
        const QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.size(), qsizetype(cases.size()));
        const auto events = parseCliJsonl(run.out);
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const QByteArray& line = lines[qsizetype(i)];
            QVERIFY2(line.contains("\"key_b64\"") == cases[i].keyB64, line.constData());
            QVERIFY2(line.contains("\"value_b64\"") == cases[i].valueB64, line.constData());
            QVERIFY2(events[i].key == cases[i].key, line.constData());
            QVERIFY2(events[i].value == cases[i].value, line.constData());
        }
        report("NUL bytes and invalid UTF-8", "(none: invalid UTF-8 in *_b64 fields, NUL as \\u0000; bytes equal)",
               run.exitCode, true);
    }

    // 10. Output that cannot be written.
    void shouldFailLoudlyWhenTheOutputIsFull_data()
    {
        QTest::addColumn<QString>("format");
        QTest::newRow("jsonl") << "jsonl";
        QTest::newRow("count") << "count";
    }
    void shouldFailLoudlyWhenTheOutputIsFull()
    {
        QFETCH(QString, format);
        // Given an event to print and stdout on a full device
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::int64_t revision = etcd.put("full/k", "v");
        // When the CLI prints it (and, in count mode, its count at the end)
        const CliRun run = runCli({"watch", "--endpoints", QString::fromStdString(etcd.endpoint()), "-w", format,
                                   "--rev", QString::number(revision), "--max-events", "1", "full/k"},
                                  personEnvironment(), "/dev/full");
        // Then it neither crashes nor claims success: exit 5 and a sentence
        QVERIFY(run.finished);
        QCOMPARE(run.exitCode, 5);
        QString missing;
        QVERIFY2(containsAll(run.sentence(), {"Cannot write the output", "No space left"}, &missing),
                 qPrintable("missing \"" + missing + "\" in: " + run.err));
        QCOMPARE(run.err.count('\n'), 1);
        report(QString("output to a full disk (%1)").arg(format), run.sentence(), run.exitCode, false);
    }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_bad_input.moc"
