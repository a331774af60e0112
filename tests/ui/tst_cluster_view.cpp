// The cluster view against a real three-member etcd cluster: members,
// roles and health as etcd reports them, a moved leader announced, a killed
// member shown as unreachable while the others stay readable.
#include "cluster/cluster_view.h"
#include "cluster/leases_view.h"
#include "etcd_process.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTableWidget>
#include <QTreeWidget>
#include <QLabel>
#include <QPushButton>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::testing;
using etcdscope::ui::ClusterView;
using etcdscope::ui::LeasesView;

namespace {

constexpr int kWaitMs = 30'000;

QString text(const QTableWidget& table, int row, int column)
{
    const QTableWidgetItem* item = table.item(row, column);
    return item ? item->text() : QString();
}

int rowOfMember(const QTableWidget& table, std::uint64_t id)
{
    for (int row = 0; row < table.rowCount(); ++row)
        if (text(table, row, ClusterView::IdColumn) == ui::hexId(id))
            return row;
    return -1;
}

}  // namespace

class TestClusterView : public QObject {
    Q_OBJECT

private slots:
    void shouldShowMembersLeaderChangesAndADeadMember()
    {
        // Given three members, the view connected to all of them
        EtcdCluster cluster(3);
        const std::string clusterError = cluster.start();
        QVERIFY2(clusterError.empty(), clusterError.c_str());
        const int leader = cluster.waitForLeader();
        QVERIFY(leader >= 0);
        AdminClient client;
        ConnectionOptions options;
        options.endpoints = cluster.endpoints();
        client.setConnection(options);
        ClusterView view(&client);
        view.resize(1200, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy refreshed(&view, &ClusterView::refreshed);
        QSignalSpy leaderChanged(&view, &ClusterView::leaderChanged);

        // When it reads the cluster
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        // Then every member is listed, healthy, with the leader etcd names
        const QTableWidget& table = *view.table();
        QCOMPARE(table.rowCount(), 3);
        for (int i = 0; i < 3; ++i) {
            const int row = rowOfMember(table, cluster.memberId(i));
            QVERIFY2(row >= 0, qPrintable(QString("member %1 missing").arg(i)));
            QCOMPARE(text(table, row, ClusterView::HealthColumn), QString("healthy"));
            QCOMPARE(text(table, row, ClusterView::RoleColumn).contains("leader"), i == leader);
            QVERIFY(text(table, row, ClusterView::VersionColumn).startsWith("3."));
            QVERIFY(!text(table, row, ClusterView::DbSizeColumn).isEmpty());
        }
        QCOMPARE(view.lastStatus()->leader, cluster.memberId(leader));
        // And with authentication off (and no users), it says so instead of listing nothing
        QTRY_COMPARE_WITH_TIMEOUT(view.authTree()->topLevelItemCount(), 1, kWaitMs);
        QCOMPARE(view.authTree()->topLevelItem(0)->text(0), QString("Authentication is off"));
        view.grab().save(QDir::temp().filePath("cluster-view.png"));

        // When the leadership moves
        const int next = (leader + 1) % 3;
        QVERIFY(cluster.moveLeader(next).empty());
        QVERIFY(QTest::qWaitFor([&] {
            view.refresh();
            return refreshed.wait(kWaitMs) && view.lastStatus()->leader == cluster.memberId(next);
        }, kWaitMs));
        // Then the change is announced once, from the old leader to the new
        QCOMPARE(leaderChanged.count(), 1);
        QCOMPARE(leaderChanged.at(0).at(0).toULongLong(), cluster.memberId(leader));
        QCOMPARE(leaderChanged.at(0).at(1).toULongLong(), cluster.memberId(next));

        // When a follower is killed
        const int victim = (next + 1) % 3;
        cluster.member(victim).kill9();
        refreshed.clear();
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        // Then it shows as unreachable with a reason, the others still healthy
        const int row = rowOfMember(table, cluster.memberId(victim));
        QVERIFY(row >= 0);
        QCOMPARE(text(table, row, ClusterView::HealthColumn), QString("unreachable"));
        QVERIFY(!table.item(row, ClusterView::HealthColumn)->toolTip().isEmpty());
        QCOMPARE(text(table, rowOfMember(table, cluster.memberId(next)), ClusterView::HealthColumn),
                 QString("healthy"));
        view.grab().save(QDir::temp().filePath("cluster-view-member-down.png"));
    }

    void shouldListLeasesWithTimeLeftAndTheirKeys()
    {
        // Given two leases, one with two keys, one with none, and a key without a lease
        EtcdProcess etcd;
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        auto channel = grpc::CreateChannel(etcd.endpoint(), grpc::InsecureChannelCredentials());
        auto leases = etcdserverpb::Lease::NewStub(channel);
        auto kv = etcdserverpb::KV::NewStub(channel);
        auto grant = [&](std::int64_t ttl) {
            grpc::ClientContext context;
            etcdserverpb::LeaseGrantRequest request;
            request.set_ttl(ttl);
            etcdserverpb::LeaseGrantResponse response;
            return leases->LeaseGrant(&context, request, &response).ok() ? response.id() : 0;
        };
        auto putWithLease = [&](const std::string& key, std::int64_t lease) {
            grpc::ClientContext context;
            etcdserverpb::PutRequest request;
            request.set_key(key);
            request.set_value("v");
            request.set_lease(lease);
            etcdserverpb::PutResponse response;
            return kv->Put(&context, request, &response).ok();
        };
        const std::int64_t session = grant(600);
        const std::int64_t idle = grant(3600);
        QVERIFY(session && idle);
        QVERIFY(putWithLease("services/api/10.0.0.1", session));
        QVERIFY(putWithLease("services/api/10.0.0.2", session));
        QVERIFY(putWithLease("config/static", 0));
        AdminClient client;
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        client.setConnection(options);
        LeasesView view(&client);
        view.resize(900, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy refreshed(&view, &LeasesView::refreshed);

        // When the view reads them
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        // Then both leases are listed by ID, with time left no more than granted, and their keys
        const QTreeWidget& tree = *view.tree();
        QCOMPARE(tree.topLevelItemCount(), 2);
        QTreeWidgetItem* first = tree.topLevelItem(0);
        QTreeWidgetItem* second = tree.topLevelItem(1);
        QTreeWidgetItem* withKeys = first->text(0) == QString::number(quint64(session), 16) ? first : second;
        QTreeWidgetItem* without = withKeys == first ? second : first;
        QCOMPARE(withKeys->text(0), QString::number(quint64(session), 16));
        QCOMPARE(withKeys->text(LeasesView::KeysColumn), QString("2"));
        QCOMPARE(withKeys->childCount(), 2);
        QStringList keys{withKeys->child(0)->text(0), withKeys->child(1)->text(0)};
        keys.sort();
        QCOMPARE(keys, (QStringList{"services/api/10.0.0.1", "services/api/10.0.0.2"}));
        QCOMPARE(withKeys->text(LeasesView::GrantedColumn), QString("10 min 0 s"));
        QVERIFY(withKeys->text(LeasesView::TtlColumn).startsWith("9 min") || withKeys->text(LeasesView::TtlColumn) == "10 min 0 s");
        QCOMPARE(without->text(LeasesView::KeysColumn), QString("0"));
        withKeys->setExpanded(true);
        view.grab().save(QDir::temp().filePath("leases-view.png"));

        // When one is revoked, the next read no longer lists it
        grpc::ClientContext context;
        etcdserverpb::LeaseRevokeRequest revoke;
        revoke.set_id(idle);
        etcdserverpb::LeaseRevokeResponse revoked;
        QVERIFY(leases->LeaseRevoke(&context, revoke, &revoked).ok());
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        QCOMPARE(tree.topLevelItemCount(), 1);
        QCOMPARE(tree.topLevelItem(0)->text(0), QString::number(quint64(session), 16));
        QVERIFY(tree.topLevelItem(0)->isExpanded());  // what was open stays open
    }

    void shouldShowALearnerAsALearner()
    {
        // Given a one-member cluster, and a second member added as a learner
        MemberSetup first;
        first.name = "voter";
        first.clientPort = freeLoopbackPort();
        first.peerPort = freeLoopbackPort();
        first.advertisedPeerUrl = "http://127.0.0.1:" + std::to_string(first.peerPort);
        first.initialCluster = "voter=" + first.advertisedPeerUrl;
        first.clusterToken = "etcdscope-learner";
        EtcdProcess voter(first, {});
        const std::string voterError = voter.start();
        QVERIFY2(voterError.empty(), voterError.c_str());
        MemberSetup second = first;
        second.name = "learner";
        second.clientPort = freeLoopbackPort();
        second.peerPort = freeLoopbackPort();
        second.advertisedPeerUrl = "http://127.0.0.1:" + std::to_string(second.peerPort);
        second.initialCluster = first.initialCluster + ",learner=" + second.advertisedPeerUrl;
        {
            auto channel = grpc::CreateChannel(voter.endpoint(), grpc::InsecureChannelCredentials());
            etcdserverpb::MemberAddRequest add;
            add.add_peerurls(second.advertisedPeerUrl);
            add.set_islearner(true);
            etcdserverpb::MemberAddResponse added;
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
            const grpc::Status status = etcdserverpb::Cluster::NewStub(channel)->MemberAdd(&context, add, &added);
            QVERIFY2(status.ok(), status.error_message().c_str());
        }
        EtcdProcess learner(second, {"--initial-cluster-state", "existing"});
        // (a learner serves no key reads, so it is not waited for like a voter:
        // the view's own reads below wait until it answers)
        QVERIFY2(learner.spawn().empty(), "the learner did not start");

        // When the view reads the cluster
        AdminClient client;
        ConnectionOptions options;
        options.endpoints = {voter.endpoint()};
        client.setConnection(options);
        ClusterView view(&client);
        QSignalSpy refreshed(&view, &ClusterView::refreshed);
        // Then the learner is listed as one, beside the leader, both answering
        // (a learner that has just started may need a moment to catch up)
        const QStringList expected{"learner learner healthy", "voter ★ leader healthy"};
        QStringList roles;
        QDeadlineTimer deadline(kWaitMs);
        while (!deadline.hasExpired()) {
            view.refresh();
            QVERIFY(refreshed.wait(kWaitMs));
            roles.clear();
            for (int row = 0; row < view.table()->rowCount(); ++row)
                roles << text(*view.table(), row, ClusterView::NameColumn) + " "
                        + text(*view.table(), row, ClusterView::RoleColumn) + " "
                        + text(*view.table(), row, ClusterView::HealthColumn);
            roles.sort();
            if (roles == expected)
                break;
            QTest::qWait(200);  // between two reads of the cluster
        }
        QCOMPARE(roles, expected);
    }

    void shouldShowTheAlarmOfAFullDatabaseAndExplainRefusedWrites()
    {
        // Given an etcd whose database may hold 1 MiB
        EtcdProcess etcd({"--quota-backend-bytes=" + QString::number(1 << 20)});
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        AdminClient client;
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        client.setConnection(options);
        // When it is filled until etcd refuses a write
        QSignalSpy written(&client, &AdminClient::writeDone);
        const std::string blob(100 * 1024, 'x');
        std::string refusal;
        for (int i = 0; i < 200 && refusal.empty(); ++i) {
            client.put("fill/" + std::to_string(i), blob);
            QVERIFY(written.wait(kWaitMs));
            refusal = written.last().at(1).value<WriteResultPtr>()->error;
        }
        // Then the refusal is a sentence about space
        QVERIFY2(refusal.find("database is full") != std::string::npos && refusal.find("NOSPACE") != std::string::npos,
                 refusal.c_str());
        // And the cluster view shows etcd's alarm
        ClusterView view(&client);
        QSignalSpy refreshed(&view, &ClusterView::refreshed);
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        const QString alarms = view.findChild<QLabel*>("clusterAlarms")->text();
        QVERIFY2(alarms.contains("NOSPACE"), qPrintable(alarms));
        auto* disarm = view.findChild<QPushButton*>("disarmButton");
        QVERIFY(!disarm->isHidden());
        QVERIFY(view.disarmAlarms().contains("read-only"));
        view.resize(1200, 300);
        view.grab().save(QDir::temp().filePath("cluster-view-nospace.png"));

        // When the person frees space (delete, compact, defragment) and disarms the alarm
        view.setWritable(true);
        view.setConfirm([](const QString&, const QString&) { return true; });
        QSignalSpy done(&view, &ClusterView::maintenanceDone);
        client.deleteRange("fill/", prefixRangeEnd("fill/"));
        QVERIFY(written.wait(kWaitMs));
        const std::int64_t head = written.last().at(1).value<WriteResultPtr>()->revision;
        QVERIFY(head > 0);
        for (const auto& step : std::vector<std::function<QString()>>{[&] { return view.compactTo(head); },
                                                                      [&] { return view.defragmentMember(0); },
                                                                      [&] { return view.disarmAlarms(); }}) {
            QVERIFY(step().isEmpty());
            QVERIFY(done.wait(kWaitMs));
            QVERIFY2(done.last().at(0).toString().contains("done"), qPrintable(done.last().at(0).toString()));
        }
        // Then the alarm is gone and writes are taken again
        QTRY_VERIFY_WITH_TIMEOUT(view.findChild<QLabel*>("clusterAlarms")->text() == "Alarms: none", kWaitMs);
        QVERIFY(disarm->isHidden());
        client.put("after", "1");
        QVERIFY(written.wait(kWaitMs));
        QVERIFY2(written.last().at(1).value<WriteResultPtr>()->error.empty(),
                 written.last().at(1).value<WriteResultPtr>()->error.c_str());
        qInfo("refused write: %s", refusal.c_str());
    }

    void shouldRunMaintenanceOnlyWhenWritableAndConfirmed()
    {
        // Given one member with some history, the view read once
        EtcdProcess etcd;
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        const std::int64_t old = etcd.put("m/k", "1");
        for (int i = 0; i < 50; ++i)
            etcd.put("m/k", std::string(1000, char('a' + i % 26)));
        const std::int64_t head = etcd.put("m/k", "last");
        AdminClient client;
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        client.setConnection(options);
        ClusterView view(&client);
        QSignalSpy refreshed(&view, &ClusterView::refreshed);
        view.refresh();
        QVERIFY(refreshed.wait(kWaitMs));
        QStringList asked;
        view.setConfirm([&](const QString&, const QString& text) {
            asked << text;
            return true;
        });
        QSignalSpy done(&view, &ClusterView::maintenanceDone);
        QTemporaryDir dir;
        const QString snapshot = dir.filePath("etcd.db");

        // When read-only, nothing is asked and nothing runs
        QVERIFY(view.compactTo(head).contains("read-only"));
        QVERIFY(view.defragmentMember(0).contains("read-only"));
        QVERIFY(view.saveSnapshot(snapshot).contains("read-only"));
        QVERIFY(asked.isEmpty());
        QVERIFY(!QFile::exists(snapshot));

        // When writable: a compaction, confirmed, forgets the older revisions
        view.setWritable(true);
        QVERIFY(view.compactTo(head).isEmpty());
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(done.last().at(0).toString().contains("done"), qPrintable(done.last().at(0).toString()));
        QVERIFY(asked.last().contains(QString::number(head)));
        QSignalSpy read(&client, &AdminClient::rangeDone);
        RangeQuery then;
        then.key = "m/k";
        then.revision = old;
        client.range(then);
        QVERIFY(read.wait(kWaitMs));
        QVERIFY(read.at(0).at(1).value<RangeResultPtr>()->compacted);
        // And a defragmentation of the member, confirmed, completes
        QVERIFY(view.defragmentMember(0).isEmpty());
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(done.last().at(0).toString().contains("done"), qPrintable(done.last().at(0).toString()));
        // And a snapshot lands complete under its name, with no partial file left
        QVERIFY(view.saveSnapshot(snapshot).isEmpty());
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(done.last().at(0).toString().contains("done"), qPrintable(done.last().at(0).toString()));
        QVERIFY(QFileInfo(snapshot).size() > 16 * 1024);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"etcd.db"});
        // And where it cannot be written, it says why and leaves nothing
        const QString nowhere = dir.filePath("missing-dir/etcd.db");
        QVERIFY(view.saveSnapshot(nowhere).isEmpty());
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(done.last().at(0).toString().contains("Cannot write"), qPrintable(done.last().at(0).toString()));
        QVERIFY(!QFile::exists(nowhere));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"etcd.db"});

        // And a snapshot cancelled while it streams (a store of 24 MiB here)
        // ends with a sentence, leaving no file, and another can be started
        const std::string mebibyte(1 << 20, 'x');
        for (int i = 0; i < 24; ++i)
            QVERIFY(etcd.put("big/" + std::to_string(i), mebibyte) > 0);
        const QString cancelled = dir.filePath("cancelled.db");
        QVERIFY(view.saveSnapshot(cancelled).isEmpty());
        auto* cancel = view.findChild<QPushButton*>("cancelSnapshotButton");
        QVERIFY(!cancel->isHidden());
        QVERIFY(!view.findChild<QPushButton*>("snapshotButton")->isEnabled());
        QVERIFY(view.saveSnapshot(cancelled).contains("already"));
        cancel->click();
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(done.last().at(0).toString().contains("cancelled"), qPrintable(done.last().at(0).toString()));
        QVERIFY(!QFile::exists(cancelled));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"etcd.db"});
        QVERIFY(cancel->isHidden());
        QVERIFY(view.findChild<QPushButton*>("snapshotButton")->isEnabled());
    }
};

QTEST_MAIN(TestClusterView)
#include "tst_cluster_view.moc"
