// The session's pure policies, moved out of the worker into the engine's
// folder: which member to dial next, whether a member continues the history
// already delivered, and what an etcd version promises. No network, threads
// or sleeps; the expected values come from etcd's release notes and from
// the scenarios each rule exists for.
#include "engine/endpoint_rotation.h"
#include "engine/history_guard.h"
#include "engine/server_version.h"

#include <QtTest>

using namespace etcdscope;

namespace {

constexpr std::uint64_t kCluster = 0xc1u;
constexpr std::uint64_t kOtherCluster = 0xd2u;

}  // namespace

class TestEnginePolicies : public QObject {
    Q_OBJECT

private slots:
    // --- EndpointRotation ----------------------------------------------------------------

    void shouldOfferNothingWithoutEndpoints()
    {
        // Given no endpoints
        EndpointRotation rotation;
        // When it is asked and moved on
        rotation.advance();
        // Then it offers no member, and is empty
        QVERIFY(rotation.current().empty());
        QVERIFY(rotation.empty());
    }

    void shouldGoRoundTheMembersInOrderAfterFailures()
    {
        // Given three members
        EndpointRotation rotation({"a:1", "b:2", "c:3"});
        QCOMPARE(rotation.current(), std::string("a:1"));
        // When each fails in turn
        QStringList seen;
        for (int failure = 0; failure < 4; ++failure) {
            rotation.advance();
            seen << QString::fromStdString(rotation.current());
        }
        // Then the next one is tried each time, wrapping around
        QCOMPARE(seen, QStringList({"b:2", "c:3", "a:1", "b:2"}));
    }

    void shouldStartAtTheFirstMemberOnANewConnection()
    {
        // Given a rotation that moved on
        EndpointRotation rotation({"a:1", "b:2"});
        rotation.advance();
        // When a new connection restarts it
        rotation.restart();
        // Then the first member comes first again
        QCOMPARE(rotation.current(), std::string("a:1"));
    }

    // --- HistoryGuard --------------------------------------------------------------------

    void shouldAcceptTheFirstClusterAndLaterRevisions()
    {
        // Given a guard that has seen nothing
        HistoryGuard guard;
        // When a member answers at revision 10, then another at 12 (the session saw 10)
        QVERIFY(!guard.check(kCluster, 10, 0, "a:1", 2));
        QVERIFY(!guard.check(kCluster, 12, 10, "b:2", 2));
        // Then both continue the history, and the cluster is the first one seen
        QCOMPARE(guard.clusterId(), kCluster);
    }

    void shouldStopAtAnotherClusterAtOnce()
    {
        // Given a history of one cluster
        HistoryGuard guard;
        QVERIFY(!guard.check(kCluster, 10, 0, "a:1", 1));
        // When a member of another cluster answers (wiped and re-created)
        const auto broken = guard.check(kOtherCluster, 50, 10, "a:1", 1);
        // Then the watches stop at once, naming both cluster IDs
        QVERIFY(broken);
        QCOMPARE(broken->kind, StreamError::Kind::Fatal);
        QVERIFY2(broken->message.find("c1 to d2") != std::string::npos, broken->message.c_str());
    }

    void shouldRetryAMemberBehindThenGiveUp_data()
    {
        QTest::addColumn<int>("endpoints");
        QTest::addColumn<int>("transientAttempts");
        // Six attempts in a row, or two rounds of the members when there are more.
        QTest::newRow("one member") << 1 << HistoryGuard::kBehindAttemptsBeforeGivingUp - 1;
        QTest::newRow("three members") << 3 << HistoryGuard::kBehindAttemptsBeforeGivingUp - 1;
        QTest::newRow("five members") << 5 << 2 * 5 - 1;
    }

    void shouldRetryAMemberBehindThenGiveUp()
    {
        QFETCH(int, endpoints);
        QFETCH(int, transientAttempts);
        // Given a session that saw revision 100
        HistoryGuard guard;
        QVERIFY(!guard.check(kCluster, 100, 0, "a:1", std::size_t(endpoints)));
        // When members keep answering at revision 90 (a lagging follower, or a restored backup)
        for (int attempt = 0; attempt < transientAttempts; ++attempt) {
            const auto behind = guard.check(kCluster, 90, 100, "b:2", std::size_t(endpoints));
            // Then it is retried for a while
            QVERIFY(behind);
            QCOMPARE(behind->kind, StreamError::Kind::Transient);
        }
        // And then it is final
        const auto final = guard.check(kCluster, 90, 100, "b:2", std::size_t(endpoints));
        QVERIFY(final);
        QCOMPARE(final->kind, StreamError::Kind::Fatal);
        QVERIFY2(final->message.find("stays behind") != std::string::npos, final->message.c_str());
    }

    void shouldForgiveAFollowerThatCaughtUp()
    {
        // Given a member that was behind twice
        HistoryGuard guard;
        QVERIFY(!guard.check(kCluster, 100, 0, "a:1", 1));
        QVERIFY(guard.check(kCluster, 90, 100, "b:2", 1));
        QVERIFY(guard.check(kCluster, 95, 100, "b:2", 1));
        // When one answers at the revision seen, then another lags again
        QVERIFY(!guard.check(kCluster, 100, 100, "b:2", 1));
        // Then the count starts over: the next lag is transient again, as often as before
        for (int attempt = 0; attempt < HistoryGuard::kBehindAttemptsBeforeGivingUp - 1; ++attempt)
            QCOMPARE(guard.check(kCluster, 99, 100, "c:3", 1)->kind, StreamError::Kind::Transient);
    }

    void shouldTakeAnyClusterAfterStartingAfresh()
    {
        // Given a history of one cluster at revision 500
        HistoryGuard guard;
        QVERIFY(!guard.check(kCluster, 500, 0, "a:1", 1));
        // When the session starts afresh on another cluster
        guard.forget();
        // Then that cluster, at a lower revision, is the history now
        QVERIFY(!guard.check(kOtherCluster, 3, 0, "z:9", 1));
        QCOMPARE(guard.clusterId(), kOtherCluster);
    }

    // --- server versions -----------------------------------------------------------------

    void shouldKnowWhichVersionsKeepDeletesAtTheCompactRevision_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<bool>("keeps");
        // etcd issue 18089 was fixed in 3.4.34, 3.5.16 and 3.6.0.
        QTest::newRow("3.4.23 (Debian 12)") << "3.4.23" << false;
        QTest::newRow("3.4.33") << "3.4.33" << false;
        QTest::newRow("3.4.34") << "3.4.34" << true;
        QTest::newRow("3.5.15") << "3.5.15" << false;
        QTest::newRow("3.5.16") << "3.5.16" << true;
        QTest::newRow("3.6.0") << "3.6.0" << true;
        QTest::newRow("4.0.0") << "4.0.0" << true;
        QTest::newRow("3.3.27") << "3.3.27" << false;
        QTest::newRow("unknown") << "" << false;
    }

    void shouldKnowWhichVersionsKeepDeletesAtTheCompactRevision()
    {
        QFETCH(QString, version);
        QFETCH(bool, keeps);
        QCOMPARE(compactRevisionKeepsDeletes(version.toStdString()), keeps);
    }

    void shouldKnowWhichVersionsOrderBroadcastProgress_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<bool>("ordered");
        // Progress answered only once every watcher is synced: 3.4.25, 3.5.8, 3.6.
        QTest::newRow("3.4.23") << "3.4.23" << false;
        QTest::newRow("3.4.25") << "3.4.25" << true;
        QTest::newRow("3.5.7") << "3.5.7" << false;
        QTest::newRow("3.5.8") << "3.5.8" << true;
        QTest::newRow("3.5.0-rc.1") << "3.5.0-rc.1" << false;
        QTest::newRow("3.6.1") << "3.6.1" << true;
        QTest::newRow("garbage") << "etcd" << false;
    }

    void shouldKnowWhichVersionsOrderBroadcastProgress()
    {
        QFETCH(QString, version);
        QFETCH(bool, ordered);
        QCOMPARE(broadcastProgressIsOrdered(version.toStdString()), ordered);
    }
};

QTEST_GUILESS_MAIN(TestEnginePolicies)
#include "tst_engine_policies.moc"
