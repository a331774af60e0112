// Authentication against a real etcd with a root user and a read-only role
// on one prefix, and auth tokens that expire after 2 s (--auth-token-ttl):
// a denied watch is cancelled with etcd's reason while the others go on; a
// watch created after the session's token expired is created all the same
// (etcd 3.4 calls that "permission denied" too), and nothing is lost or
// repeated across the fresh stream; key reads re-authenticate.
#include "admin/admin_client.h"
#include "auth_admin.h"
#include "etcd_process.h"
#include "session/watch_session.h"
#include "session_collector.h"

#include <QSignalSpy>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 30'000;
constexpr int kTokenTtlSeconds = 2;

WatchSpec prefixWatch(const std::string& prefix)
{
    WatchSpec spec;
    spec.key = prefix;
    spec.rangeEnd = prefixRangeEnd(prefix);
    return spec;
}

}  // namespace

class TestAuth : public QObject {
    Q_OBJECT

private slots:
    void shouldKeepWatchingAcrossTokenExpiryAndShowDenials()
    {
        // Given an etcd whose tokens expire after 2 s, and a user who may read app/ only
        EtcdProcess etcd({"--auth-token-ttl=" + QString::number(kTokenTtlSeconds)});
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        AuthAdmin admin(etcd.endpoint());
        const std::string error = admin.setUp("app/");
        QVERIFY2(error.empty(), error.c_str());
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        options.user = "reader";
        options.password = kReaderPassword;

        // When the reader watches app/ and secret/
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle app = session.addWatch(prefixWatch("app/"));
        const WatchHandle secret = session.addWatch(prefixWatch("secret/"));
        session.connectToCluster(options);
        // Then secret/ is cancelled with etcd's reason, and app/ goes on
        QTRY_VERIFY_WITH_TIMEOUT(collector.states[secret] == WatchState::Cancelled, kWaitMs);
        QVERIFY2(collector.reasons[secret].find("permission denied") != std::string::npos,
                 collector.reasons[secret].c_str());
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({app}), kWaitMs);
        const std::int64_t first = admin.put("app/1", "one");
        QVERIFY(first > 0);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(app), 1u, kWaitMs);

        // When the session's token has expired (it is not used while events
        // flow) and a watch is added on the same stream
        QTest::qWait((kTokenTtlSeconds + 1) * 1000 + 500);  // letting etcd's token timer run out, not hoping
        const WatchHandle later = session.addWatch(prefixWatch("app/later/"));
        // Then it is created all the same, on a stream with a fresh token
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({app, later}), kWaitMs);
        QVERIFY(admin.put("app/2", "two") > 0);
        const std::int64_t last = admin.put("app/later/x", "three");
        QVERIFY(last > 0);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(later), 1u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(app), 3u, kWaitMs);
        // And app/ saw each event once, in order, across the fresh stream
        const auto& events = collector.events[app];
        QCOMPARE(events[0].kv.key, std::string("app/1"));
        QCOMPARE(events[1].kv.key, std::string("app/2"));
        QCOMPARE(events[2].kv.key, std::string("app/later/x"));
        QCOMPARE(events[2].kv.modRevision, last);
        QCOMPARE(collector.states[secret], WatchState::Cancelled);

        // And key reads re-authenticate after expiry, and say what is denied
        AdminClient client;
        client.setConnection(options);
        QSignalSpy done(&client, &AdminClient::rangeDone);
        RangeQuery readable;
        readable.key = "app/";
        readable.rangeEnd = prefixRangeEnd("app/");
        client.range(readable);
        QVERIFY(done.wait(kWaitMs));
        auto result = done.at(0).at(1).value<RangeResultPtr>();
        QVERIFY2(result->error.empty(), result->error.c_str());
        QCOMPARE(result->kvs.size(), 3u);
        QTest::qWait((kTokenTtlSeconds + 1) * 1000 + 500);  // the client's token expires too
        client.range(readable);
        QVERIFY(done.wait(kWaitMs));
        result = done.at(1).at(1).value<RangeResultPtr>();
        QVERIFY2(result->error.empty(), result->error.c_str());
        QCOMPARE(result->kvs.size(), 3u);
        RangeQuery denied;
        denied.key = "secret/";
        denied.rangeEnd = prefixRangeEnd("secret/");
        client.range(denied);
        QVERIFY(done.wait(kWaitMs));
        result = done.at(2).at(1).value<RangeResultPtr>();
        QVERIFY2(result->error.find("ermission") != std::string::npos, result->error.c_str());

        // And users and roles are listed for root, and refused to the reader in a sentence
        QSignalSpy authDone(&client, &AdminClient::authInfoDone);
        client.authInfo();
        QVERIFY(authDone.wait(kWaitMs));
        QVERIFY2(authDone.at(0).at(1).value<AuthInfoPtr>()->error.find("Only root") != std::string::npos,
                 authDone.at(0).at(1).value<AuthInfoPtr>()->error.c_str());
        ConnectionOptions rootOptions = options;
        rootOptions.user = "root";
        rootOptions.password = kRootPassword;
        client.setConnection(rootOptions);
        client.authInfo();
        QVERIFY(authDone.wait(kWaitMs));
        const auto info = authDone.at(1).at(1).value<AuthInfoPtr>();
        QVERIFY2(info->error.empty(), info->error.c_str());
        QCOMPARE(info->state, AuthInfo::State::On);
        const std::vector<std::pair<std::string, std::vector<std::string>>> users{{"reader", {"app-reader"}},
                                                                                  {"root", {"root"}}};
        QCOMPARE(info->users, users);
        QCOMPARE(info->roles.size(), 1u);  // etcd lists no entry for its built-in root role
        QCOMPARE(info->roles[0].first, std::string("app-reader"));
        QCOMPARE(info->roles[0].second.size(), 1u);
        QCOMPARE(info->roles[0].second[0].type, std::string("READ"));
        QCOMPARE(info->roles[0].second[0].key, std::string("app/"));
        QCOMPARE(info->roles[0].second[0].rangeEnd, prefixRangeEnd("app/"));
    }

    void shouldCarryOnWithoutATokenWhenAuthenticationIsOff()
    {
        // Given an etcd with authentication off, and a user and password given all the same
        EtcdProcess etcd;
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        options.user = "someone";
        options.password = "anything";
        // When a watch is made and keys are read (like Go's client, which ignores "not enabled")
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle app = session.addWatch(prefixWatch("app/"));
        session.connectToCluster(options);
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({app}), kWaitMs);
        const std::int64_t revision = etcd.put("app/1", "one");
        // Then the events arrive
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(app), 1u, kWaitMs);
        QCOMPARE(collector.events[app][0].kv.modRevision, revision);
        // And keys are read, and authentication is reported off
        AdminClient client;
        client.setConnection(options);
        QSignalSpy done(&client, &AdminClient::rangeDone);
        RangeQuery query;
        query.key = "app/";
        query.rangeEnd = prefixRangeEnd("app/");
        client.range(query);
        QVERIFY(done.wait(kWaitMs));
        const auto result = done.at(0).at(1).value<RangeResultPtr>();
        QVERIFY2(result->error.empty(), result->error.c_str());
        QCOMPARE(result->kvs.size(), 1u);
        QSignalSpy authDone(&client, &AdminClient::authInfoDone);
        client.authInfo();
        QVERIFY(authDone.wait(kWaitMs));
        const auto info = authDone.at(0).at(1).value<AuthInfoPtr>();
        QVERIFY2(info->error.empty(), info->error.c_str());
        QCOMPARE(info->state, AuthInfo::State::Off);
    }
};

QTEST_MAIN(TestAuth)
#include "tst_auth.moc"
