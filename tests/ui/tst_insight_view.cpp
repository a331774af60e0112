// The Insight tab's census against a real etcd: the groups shown (keys and
// bytes) equal what the test wrote, Kubernetes resources named; a double
// click counts inside a group and Up goes back; a cancelled census is marked
// partial; the CSV holds what is shown. The churn fed by a real watch
// session: events, bytes, revisions and deletes per resource and per
// namespace equal what the test wrote, an event two watches deliver counts
// once, and a watch's replay of history is not churn. Screenshots in light
// and dark.
#include "etcd_process.h"
#include "insight/member_probe.h"
#include "insight/census_model.h"
#include "insight/churn_view.h"
#include "insight/db_growth_view.h"
#include "insight/insight_view.h"
#include "insight/watch_health_view.h"
#include "session/watch_session.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <map>
#include <set>

using namespace etcdscope;
using namespace etcdscope::testing;
using namespace etcdscope::ui;

namespace {

constexpr int kWaitMs = 30'000;

// Runs a census in the view and waits for it: true when it completed.
bool count(InsightView& view, const QByteArray& prefix, int depth = 0)
{
    QSignalSpy finished(&view, &InsightView::censusFinished);
    view.runCensus(prefix, depth);
    if (finished.isEmpty() && !finished.wait(kWaitMs))
        return false;
    return finished.takeFirst().at(0).toBool();
}

// The rows shown, as "prefix keys bytes" lines in key order.
QByteArray shown(const CensusModel& model)
{
    std::map<std::string, std::pair<qint64, qint64>> rows;
    for (const CensusGroup& g : model.groups())
        rows[g.prefix] = {g.keys, g.bytes};
    QByteArray text;
    for (const auto& [prefix, counts] : rows)
        text += QByteArray::fromStdString(prefix) + " " + QByteArray::number(counts.first) + " "
            + QByteArray::number(counts.second) + "\n";
    return text;
}

// Reads the health view's members until `done` holds or the deadline passes.
template <typename Done>
bool readUntil(WatchHealthView& health, Done done)
{
    QDeadlineTimer deadline(kWaitMs);
    while (!deadline.hasExpired()) {
        QSignalSpy read(&health, &WatchHealthView::read);
        health.readNow();
        if (read.isEmpty() && !read.wait(kWaitMs))
            return false;
        if (done())
            return true;
        QTest::qWait(100);
    }
    return false;
}

// An HTTP server on a free loopback port that answers every request with `body` (text/plain): a
// /metrics that is not etcd's.
class HttpAnswer : public QTcpServer {
public:
    explicit HttpAnswer(QByteArray body)
        : body_(std::move(body))
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    if (!socket->readAll().contains("\r\n\r\n"))
                        return;
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                                  "Content-Length: " + QByteArray::number(body_.size()) + "\r\n\r\n" + body_);
                    socket->disconnectFromHost();
                });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(serverPort()); }

private:
    QByteArray body_;
};

ClusterStatus membersAt(const std::vector<std::pair<std::string, std::string>>& namesAndUrls)
{
    ClusterStatus cluster;
    std::uint64_t id = 0;
    for (const auto& [name, url] : namesAndUrls) {
        MemberStatus m;
        m.id = ++id;
        m.name = name;
        m.clientUrls = {url};
        m.reachable = true;
        cluster.members.push_back(m);
    }
    return cluster;
}

}  // namespace

class TestInsightView : public QObject {
    Q_OBJECT

    EtcdProcess etcd_;
    // What the test wrote, grouped by resource and by namespace: keys and key + value bytes.
    std::map<std::string, std::pair<qint64, qint64>> byResource_;
    std::map<std::string, std::pair<qint64, qint64>> podsByNamespace_;

    int churnRuns_ = 0;

    void write(const std::string& key, std::size_t valueBytes, const std::string& resource, const std::string& ns)
    {
        etcd_.put(key, std::string(valueBytes, 'v'));
        account(key, valueBytes, resource, ns, +1);
    }

    // A key of `resource` (in `ns`) put (+1) or deleted (-1), for the census.
    void account(const std::string& key, std::size_t valueBytes, const std::string& resource, const std::string& ns,
                 int sign)
    {
        auto& r = byResource_[resource];
        r.first += sign;
        r.second += sign * qint64(key.size() + valueBytes);
        if (resource == "/registry/pods/") {
            auto& n = podsByNamespace_["/registry/pods/" + ns + "/"];
            n.first += sign;
            n.second += sign * qint64(key.size() + valueBytes);
        }
    }

    // What writeChurn wrote, per group: events, bytes, revisions, deletes.
    struct Written {
        qint64 events = 0, bytes = 0, revisions = 0, deletes = 0;
        friend bool operator==(const Written&, const Written&) = default;
    };
    using WrittenByGroup = std::map<std::string, Written>;

    static WrittenByGroup shownChurn(const ChurnView& churn)
    {
        WrittenByGroup shown;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (const ChurnGroup& g : churn.tally().top(ChurnTally::Window::Minute, now))
            shown[g.prefix] = {g.counts.events, g.counts.bytes, g.counts.revisions, g.counts.deletes};
        return shown;
    }

    static QByteArray describe(const WrittenByGroup& groups)
    {
        QByteArray text;
        for (const auto& [prefix, w] : groups)
            text += QByteArray::fromStdString(prefix) + " " + QByteArray::number(w.events) + " "
                + QByteArray::number(w.bytes) + " " + QByteArray::number(w.revisions) + " "
                + QByteArray::number(w.deletes) + "\n";
        return text;
    }

    // Runs a watch session whose batches feed `views`: a watch of /registry/
    // from now, one of /registry/pods/ from now (overlapping it), and one of
    // /registry/ from revision 1 (replaying everything initTestCase wrote);
    // once all three are live, writes pods (transactions of three), a
    // deployment now and then and some deletes, and waits until the views
    // have counted every event. Returns what was written, per resource and
    // per namespace; empty when the watches did not come up.
    std::pair<WrittenByGroup, WrittenByGroup> writeChurn(const std::vector<ChurnView*>& views)
    {
        WatchSession session;
        std::map<WatchHandle, WatchState> states;
        QObject::connect(&session, &WatchSession::updatesReady, &session, [&](const UpdateBatchPtr& batch) {
            for (ChurnView* view : views)
                view->addBatch(*batch, QDateTime::currentMSecsSinceEpoch());
            for (const WatchUpdate& u : batch->updates)
                if (u.kind == WatchUpdate::Kind::State)
                    states[u.watch] = u.state;
            session.acknowledge(batch->eventCount);
        });
        ConnectionOptions options;
        options.endpoints = {etcd_.endpoint()};
        session.connectToCluster(options);
        const auto watch = [&](const std::string& prefix, std::int64_t from) {
            WatchSpec spec;
            spec.key = prefix;
            spec.rangeEnd = prefixRangeEnd(prefix);
            spec.startRevision = from;
            return session.addWatch(spec);
        };
        const std::vector<WatchHandle> handles = {watch("/registry/", 0), watch("/registry/pods/", 0),
                                                  watch("/registry/", 1)};
        for (ChurnView* view : views)
            view->setWatchCount(int(handles.size()));
        const auto allLive = [&] {
            for (WatchHandle h : handles)
                if (!states.contains(h) || states[h] != WatchState::Live)
                    return false;
            return true;
        };
        if (!QTest::qWaitFor(allLive, kWaitMs))
            return {};

        WrittenByGroup byResource, byNamespace;
        const auto wrote = [&](const std::string& resource, const std::string& ns, qint64 bytes, qint64 events,
                               bool isDelete) {
            for (WrittenByGroup* groups : {&byResource, &byNamespace}) {
                Written& w = (*groups)[groups == &byResource ? resource : resource + ns + "/"];
                w.events += events;
                w.bytes += bytes;
                w.revisions += 1;
                w.deletes += isDelete ? events : 0;
            }
        };
        const std::string run = std::to_string(++churnRuns_);
        for (int i = 0; i < 30; ++i) {
            const std::string ns = i % 3 == 0 ? "kube-system" : "shop";
            std::vector<std::pair<std::string, std::string>> puts;
            qint64 bytes = 0;
            for (int k = 0; k < 3; ++k) {
                puts.emplace_back("/registry/pods/" + ns + "/churn-" + run + "-" + std::to_string(i) + "-"
                                      + std::to_string(k),
                                  std::string(100 + std::size_t(k), 'p'));
                bytes += qint64(puts.back().first.size() + puts.back().second.size());
                account(puts.back().first, puts.back().second.size(), "/registry/pods/", ns, +1);
            }
            etcd_.txnPuts(puts);
            wrote("/registry/pods/", ns, bytes, 3, false);
            if (i % 5 == 0) {
                const std::string key = "/registry/deployments/shop/web-" + run + "-" + std::to_string(i);
                etcd_.put(key, std::string(500, 'd'));
                account(key, 500, "/registry/deployments/", "shop", +1);
                wrote("/registry/deployments/", "shop", qint64(key.size() + 500), 1, false);
            }
            if (i % 10 == 9) {
                const std::string key = "/registry/pods/" + ns + "/churn-" + run + "-" + std::to_string(i) + "-0";
                etcd_.del(key);
                account(key, 100, "/registry/pods/", ns, -1);
                wrote("/registry/pods/", ns, qint64(key.size()), 1, true);
            }
        }
        qint64 total = 0;
        for (const auto& [prefix, w] : byResource)
            total += w.events;
        // The comparisons after say what is missing when this deadline passes.
        (void)QTest::qWaitFor([&] {
            for (ChurnView* view : views)
                if (view->tally().total(ChurnTally::Window::Minute, QDateTime::currentMSecsSinceEpoch()).events < total)
                    return false;
            return true;
        }, kWaitMs);
        for (ChurnView* view : views)
            view->refresh();
        return {byResource, byNamespace};
    }

    // The member's status as the Cluster tab would read it.
    ClusterStatus memberStatus()
    {
        ClusterStatus cluster;
        const auto answer = etcd_.status();
        if (!answer)
            return cluster;
        MemberStatus m;
        m.id = answer->header().member_id();
        m.name = "default";
        m.reachable = true;
        m.dbSize = answer->dbsize();
        m.dbSizeInUse = answer->dbsizeinuse();
        cluster.members.push_back(m);
        return cluster;
    }

    static QPalette darkPalette()
    {
        QPalette dark = QApplication::palette();
        dark.setColor(QPalette::Window, QColor(40, 42, 46));
        dark.setColor(QPalette::Base, QColor(28, 29, 32));
        dark.setColor(QPalette::AlternateBase, QColor(36, 38, 42));
        dark.setColor(QPalette::Button, QColor(40, 42, 46));
        for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            dark.setColor(role, QColor(228, 228, 228));
        dark.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
        return dark;
    }

    void showOnTheCluster(InsightView& view)
    {
        view.resize(1280, 860);
        view.show();
        ConnectionOptions options;
        options.endpoints = {etcd_.endpoint()};
        view.setCluster(options, QString::fromStdString(etcd_.endpoint()));
    }

    static QByteArray expected(const std::map<std::string, std::pair<qint64, qint64>>& groups)
    {
        QByteArray text;
        for (const auto& [prefix, counts] : groups)
            text += QByteArray::fromStdString(prefix) + " " + QByteArray::number(counts.first) + " "
                + QByteArray::number(counts.second) + "\n";
        return text;
    }

private slots:
    void initTestCase()
    {
        const std::string error = etcd_.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 400; ++i) {
            const std::string ns = i % 4 == 0 ? "kube-system" : "shop";
            write("/registry/pods/" + ns + "/pod-" + std::to_string(i), 800 + std::size_t(i), "/registry/pods/", ns);
        }
        for (int i = 0; i < 150; ++i)
            write("/registry/events/shop/ev-" + std::to_string(i), 3000, "/registry/events/", "shop");
        for (int i = 0; i < 40; ++i)
            write("/registry/configmaps/shop/cm-" + std::to_string(i), 200, "/registry/configmaps/", "shop");
        write("/registry/ranges/serviceips", 50, "/registry/ranges/", "");
    }

    void shouldShowWhatFillsAPrefixAndDrillIntoIt()
    {
        // Given the tab on the cluster
        InsightView view;
        showOnTheCluster(view);

        // When /registry/ is counted
        QVERIFY(count(view, "/registry/"));
        // Then one row a resource, keys and bytes as written, the largest first and named as Kubernetes does
        QCOMPARE(shown(*view.model()), expected(byResource_));
        QCOMPARE(view.model()->group(0).prefix, std::string("/registry/events/"));
        const QString firstRow = view.model()->index(0, CensusModel::GroupColumn).data().toString();
        QVERIFY2(firstRow.contains("(events)"), qPrintable(firstRow));
        QVERIFY2(view.statusText().contains("591 keys"), qPrintable(view.statusText()));
        view.grab().save(QDir::temp().filePath("insight-census.png"));

        // When the person double-clicks pods
        int pods = -1;
        for (int row = 0; row < view.model()->rowCount(); ++row) {
            if (view.model()->group(row).prefix == "/registry/pods/")
                pods = row;
        }
        QVERIFY(pods >= 0);
        QSignalSpy finished(&view, &InsightView::censusFinished);
        view.drillInto(pods);
        QVERIFY(finished.wait(kWaitMs));
        // Then the namespaces of pods, named so
        QCOMPARE(shown(*view.model()), expected(podsByNamespace_));
        const QString nsRow = view.model()->index(0, CensusModel::GroupColumn).data().toString();
        QVERIFY2(nsRow.contains("pods in shop"), qPrintable(nsRow));
        view.grab().save(QDir::temp().filePath("insight-census-pods.png"));
        // ... and the CSV holds the rows shown
        QTemporaryDir dir;
        QString error;
        QVERIFY2(view.exportCsv(dir.filePath("census.csv"), &error), qPrintable(error));
        QFile csv(dir.filePath("census.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QByteArray("prefix,keys,bytes,largest_key,largest_bytes"));
        const auto shop = podsByNamespace_.at("/registry/pods/shop/");
        QVERIFY2(lines.contains("/registry/pods/shop/," + QByteArray::number(shop.first) + ","
                                + QByteArray::number(shop.second) + ",/registry/pods/shop/pod-399,"
                                + QByteArray::number(QByteArray("/registry/pods/shop/pod-399").size() + 800 + 399)),
                 lines.join('|').constData());

        // When the person goes up
        view.goUp();
        QVERIFY(finished.wait(kWaitMs));
        // Then the resources again
        QCOMPARE(view.prefix(), QByteArray("/registry/"));
        QCOMPARE(shown(*view.model()), expected(byResource_));
    }

    void shouldMarkACancelledCensusPartial()
    {
        // Given a census of 20,000 more keys under big/ (pages of 1,000 keys first)
        for (int t = 0; t < 200; ++t) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int k = 0; k < 100; ++k)
                puts.emplace_back("big/" + std::to_string(k % 10) + "/" + std::to_string(t * 100 + k), "x");
            etcd_.txnPuts(puts);
        }
        InsightView view;
        ConnectionOptions options;
        options.endpoints = {etcd_.endpoint()};
        view.setCluster(options, QString::fromStdString(etcd_.endpoint()));
        // When it is cancelled as soon as it starts
        QSignalSpy finished(&view, &InsightView::censusFinished);
        view.runCensus("big/");
        view.cancelCensus();
        QVERIFY(finished.wait(kWaitMs));
        // Then it says it is partial, with what it counted
        QCOMPARE(finished.takeFirst().at(0).toBool(), false);
        QVERIFY2(view.statusText().startsWith("Partial:") && view.statusText().contains("of 20,000 keys")
                     && view.statusText().contains("Cancelled"),
                 qPrintable(view.statusText()));
        QVERIFY(view.model()->rowCount() > 0);
    }

    void shouldCountWhoIsWritingFromTheWatches()
    {
        // Given the tab, and a second churn grouped by namespace, fed by the same watches
        InsightView view;
        showOnTheCluster(view);
        ChurnView byNamespace;
        byNamespace.setGrouping(ChurnGrouping::KubernetesNamespace, 2);
        QVERIFY(count(view, "/registry/"));

        // When the test writes while three watches run (two overlapping, one replaying history)
        const auto [resources, namespaces] = writeChurn({view.churn(), &byNamespace});
        QVERIFY2(!resources.empty(), "the watches did not become live");

        // Then each resource's and each namespace's events, bytes, revisions and
        // deletes are what was written: the overlap counted once, the replayed
        // history (591 keys) not at all
        QCOMPARE(describe(shownChurn(*view.churn())), describe(resources));
        QCOMPARE(describe(shownChurn(byNamespace)), describe(namespaces));
        // ... the busiest first, named as Kubernetes does, and charted
        const ChurnModel* model = view.churn()->model();
        QCOMPARE(model->groups().at(0).prefix, std::string("/registry/pods/"));
        const QString firstRow = model->index(0, ChurnModel::GroupColumn).data().toString();
        QVERIFY2(firstRow.contains("(pods)"), qPrintable(firstRow));
        const auto lines = view.churn()->chartedLines();
        QCOMPARE(lines.size(), std::size_t(2));
        QCOMPARE(lines[0].first, QString("pods"));
        qreal charted = 0;
        for (const QPointF& p : lines[0].second)
            charted += p.y();
        QCOMPARE(qint64(charted), resources.at("/registry/pods/").events);  // a point a second, events/s
        QVERIFY2(view.churn()->statusText().contains("from what 3 watches see"),
                 qPrintable(view.churn()->statusText()));
        QApplication::processEvents();  // the chart lays its legend out on the next turn
        view.grab().save(QDir::temp().filePath("insight-churn.png"));
        byNamespace.resize(1100, 380);
        byNamespace.show();
        QApplication::processEvents();
        byNamespace.grab().save(QDir::temp().filePath("insight-churn-namespaces.png"));

        // When the hour is asked for
        view.churn()->setWindow(ChurnTally::Window::Hour);
        // Then the same events (all of them within the hour)
        qint64 inHour = 0;
        for (const ChurnGroup& g : view.churn()->model()->groups())
            inHour += g.counts.events;
        qint64 written = 0;
        for (const auto& [prefix, w] : resources)
            written += w.events;
        QCOMPARE(inHour, written);
    }

    void shouldLookRightInTheDark()
    {
        // Given the dark palette of a desktop in dark mode
        QApplication::setStyle(QStyleFactory::create("Fusion"));
        const QPalette light = QApplication::palette();
        QApplication::setPalette(darkPalette());
        InsightView view;
        showOnTheCluster(view);
        // When /registry/ is counted
        QVERIFY(count(view, "/registry/"));
        // Then the same rows (the picture is looked at)
        QCOMPARE(shown(*view.model()), expected(byResource_));
        QVERIFY(!writeChurn({view.churn()}).first.empty());
        QApplication::processEvents();
        view.grab().save(QDir::temp().filePath("insight-census-dark.png"));
        QApplication::setPalette(light);
    }

    void shouldFollowTheDatabaseGrowthWithCompactionsAndDefragmentations()
    {
        // Given the tab with who is writing, and the member's status read every
        // 20 s (the times are the test's, the sizes etcd's, its writes committed)
        InsightView view;
        showOnTheCluster(view);
        view.resize(1600, 900);
        QVERIFY(count(view, "/registry/"));
        QVERIFY(!writeChurn({view.churn()}).first.empty());
        DbGrowthView* growth = view.growth();
        qint64 at = QDateTime::currentMSecsSinceEpoch() - 5 * 60'000;
        const auto sample = [&] {
            etcd_.commitBackend();
            const ClusterStatus status = memberStatus();
            QVERIFY(!status.members.empty());
            growth->addStatus(status, at);
            at += 20'000;
        };
        sample();
        // When 6 MiB of values are written, twice over the same keys
        for (int round = 0; round < 2; ++round) {
            for (int batch = 0; batch < 3; ++batch) {
                std::vector<std::pair<std::string, std::string>> puts;
                for (int k = 0; k < 20; ++k)
                    puts.emplace_back("blob/" + std::to_string(batch * 20 + k), std::string(50'000, char('a' + round)));
                etcd_.txnPuts(puts);
                sample();
            }
        }
        // Then it is growing, and the quota of 2 GiB is some way off
        QVERIFY2(growth->statusText().contains("growing") && growth->statusText().contains("the quota of 2.00 GiB is "
                                                                                              "reached in about"),
                 qPrintable(growth->statusText()));
        QVERIFY(growth->growth().markers().empty());
        QCOMPARE(growth->chartedNames(), QStringList({"default file", "default in use"}));

        // When the first round's values are compacted away and the member defragmented
        // (etcd 3.4's size in use lags behind a compaction, so the drop may show
        // only at the defragmentation; tst_db_growth covers a compaction's drop)
        etcd_.compact(etcd_.currentRevision());
        QCOMPARE(etcd_.defragment(), std::string());
        sample();
        // Then a defragmentation is marked, giving back about the 3 MiB of the first round
        QVERIFY(!growth->growth().markers().empty());
        const DbMarker defragmented = growth->growth().markers().back();
        QVERIFY(defragmented.kind == DbMarker::Kind::Defragmentation);
        QVERIFY2(defragmented.freedBytes > 2'000'000, qPrintable(QString::number(defragmented.freedBytes)));
        // ... and the rate is fitted afresh after it
        QVERIFY2(growth->statusText().contains("a rate needs samples"), qPrintable(growth->statusText()));
        sample();
        sample();

        // When the quota is set just above the file
        const qint64 size = memberStatus().members.at(0).dbSize;
        growth->setQuotaBytes(size + (1 << 20));
        // Then the line is drawn near it and the sentence names it
        QVERIFY2(growth->statusText().contains("not growing") || growth->statusText().contains("reached in about"),
                 qPrintable(growth->statusText()));
        QApplication::processEvents();
        view.grab().save(QDir::temp().filePath("insight-dashboard.png"));
        QApplication::setPalette(darkPalette());
        QApplication::processEvents();
        view.grab().save(QDir::temp().filePath("insight-dashboard-dark.png"));
        // When the file holds the quota
        growth->setQuotaBytes(size);
        // Then it says what etcd does then, and what to do
        QVERIFY2(growth->statusText().contains("NOSPACE"), qPrintable(growth->statusText()));
    }

    void shouldChartEtcdsOwnAccountOfItsWatchesFromItsMetrics()
    {
        // Given a member of its own (only this test's watchers) with a quota that is not etcd's default
        constexpr qint64 kQuotaBytes = 300LL << 20;
        EtcdProcess etcd({QStringLiteral("--quota-backend-bytes=%1").arg(kQuotaBytes)});
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        InsightView view;
        showOnTheCluster(view);
        view.resize(1600, 900);
        QVERIFY(count(view, "/registry/"));
        QVERIFY(!writeChurn({view.churn()}).first.empty());
        WatchHealthView* health = view.health();
        health->setMembers(membersAt({{"default", "http://" + etcd.endpoint()}}));
        // Then once the view's own probe watches the member (it answers a progress request),
        // etcd counts that one watch on one stream; the quota is the one it serves
        QTRY_VERIFY_WITH_TIMEOUT(health->health().members().count(1) &&
                                     !health->health().members().at(1).progressMs.empty(),
                                 kWaitMs);
        QVERIFY(readUntil(*health, [&] {
            return health->health().latest(1, EtcdMetric::Watchers) == 1.0 &&
                health->health().latest(1, EtcdMetric::WatchStreams) == 1.0;
        }));
        QCOMPARE(view.growth()->quotaBytes(), kQuotaBytes);
        QVERIFY2(health->statusText().contains("/metrics") && health->statusText().contains("No slow watchers"),
                 qPrintable(health->statusText()));

        // When a session opens three watches on its one stream
        {
            WatchSession session;
            std::set<WatchHandle> live;
            QObject::connect(&session, &WatchSession::updatesReady, &session, [&](const UpdateBatchPtr& batch) {
                for (const WatchUpdate& u : batch->updates)
                    if (u.kind == WatchUpdate::Kind::State && u.state == WatchState::Live)
                        live.insert(u.watch);
                session.acknowledge(batch->eventCount);
            });
            ConnectionOptions options;
            options.endpoints = {etcd.endpoint()};
            session.connectToCluster(options);
            for (const char* prefix : {"a/", "b/", "c/"}) {
                WatchSpec spec;
                spec.key = prefix;
                spec.rangeEnd = prefixRangeEnd(prefix);
                session.addWatch(spec);
            }
            QTRY_COMPARE_WITH_TIMEOUT(live.size(), std::size_t(3), kWaitMs);
            // Then etcd's metrics say three more watchers on one more stream, and the charts say so
            QVERIFY2(readUntil(*health,
                               [&] {
                                   return health->health().latest(1, EtcdMetric::Watchers) == 4.0 &&
                                       health->health().latest(1, EtcdMetric::WatchStreams) == 2.0;
                               }),
                     qPrintable(health->chartTitles().join(" | ")));
            QVERIFY2(health->chartTitles().contains("Watchers: 4") && health->chartTitles().contains("Watch streams: 2"),
                     qPrintable(health->chartTitles().join(" | ")));
            for (int i = 0; i < 50; ++i)
                etcd.put("b/" + std::to_string(i), std::string(100, 'x'));
            QVERIFY(readUntil(*health, [&] { return true; }));
            QApplication::setPalette(QApplication::style()->standardPalette());
            QApplication::processEvents();
            view.grab().save(QDir::temp().filePath("insight-health.png"));
            QApplication::setPalette(darkPalette());
            QApplication::processEvents();
            view.grab().save(QDir::temp().filePath("insight-health-dark.png"));
            QApplication::setPalette(QApplication::style()->standardPalette());
        }
        // When the session ends, etcd's count goes back to the probe's one
        QVERIFY(readUntil(*health, [&] { return health->health().latest(1, EtcdMetric::Watchers) == 1.0; }));
        QCOMPARE(health->health().members().at(1).series[EtcdMetric::Watchers].back().value, 1.0);
        // ... and the database size charted is the one etcd serves
        const std::optional<double> size = health->health().latest(1, EtcdMetric::DbSize);
        QVERIFY(size && *size > 0);
        QVERIFY2(health->chartTitles().contains(QStringLiteral("Database size: ") + QLocale().formattedDataSize(qint64(*size))),
                 qPrintable(health->chartTitles().join(" | ")));
    }

    void shouldSayWhenAMembersMetricsCannotBeRead()
    {
        // Given a port nobody listens on, a server answering HTML, and one serving other metrics
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const std::string closedUrl = "http://127.0.0.1:" + std::to_string(closed.serverPort());
        closed.close();
        HttpAnswer html("<!DOCTYPE html>\n<html><body>Welcome</body></html>\n");
        HttpAnswer other("# TYPE up gauge\nup 1\nprocess_open_fds 12\n");
        QVERIFY(html.isListening() && other.isListening());
        WatchHealthView health;
        health.resize(700, 420);
        health.show();
        // When the view reads them
        health.setMembers(membersAt({{"gone", closedUrl}, {"web", html.url()}, {"other", other.url()}}));
        QVERIFY(readUntil(health, [&] { return health.health().members().size() == 3; }));
        // Then each says why, in a sentence, and nothing is drawn for them
        const QString said = health.statusText();
        QVERIFY2(said.contains("gone's metrics at " + QString::fromStdString(closedUrl) + "/metrics: It could not be "
                                                                                           "read"),
                 qPrintable(said));
        QVERIFY2(said.contains("web's metrics") && said.contains("not Prometheus text: line 1 reads \"<!DOCTYPE"),
                 qPrintable(said));
        QVERIFY(!health.health().latest(1, EtcdMetric::Watchers) && !health.health().latest(2, EtcdMetric::Watchers));
        // ... and what the third does not serve is named, not drawn as zero
        QVERIFY2(said.contains("other does not serve: Watch streams (etcd_debugging_mvcc_watch_stream_total)"),
                 qPrintable(said));
        QVERIFY2(health.chartTitles().contains("Slow watchers: not served"), qPrintable(health.chartTitles().join("|")));
        QVERIFY2(!said.contains("No slow watchers"), qPrintable(said));
        QApplication::processEvents();
        health.grab().save(QDir::temp().filePath("insight-health-errors.png"));
    }

    void shouldTimeProgressAnswersOnEachMemberAndSayWhenOneStopsAnswering()
    {
        // Given two members, each probed directly, asked for progress every 200 ms
        EtcdProcess first, second;
        for (EtcdProcess* etcd : {&first, &second}) {
            const std::string error = etcd->start();
            QVERIFY2(error.empty(), error.c_str());
        }
        for (int i = 0; i < 7; ++i)
            second.put("k" + std::to_string(i), "v");
        WatchHealthView health;
        health.resize(900, 520);
        health.show();
        health.probe()->setProgressIntervalMs(200);
        ConnectionOptions options;
        options.endpoints = {first.endpoint()};
        health.setConnection(options);
        health.setMembers(membersAt({{"one", "http://" + first.endpoint()}, {"two", "http://" + second.endpoint()}}));
        const auto answers = [&](std::uint64_t member) -> std::size_t {
            const auto m = health.health().members().find(member);
            return m == health.health().members().end() ? 0 : m->second.progressMs.size();
        };
        // Then each answers with the revision its store stands at, timed
        QTRY_VERIFY_WITH_TIMEOUT(answers(1) >= 3 && answers(2) >= 3, kWaitMs);
        QCOMPARE(health.health().members().at(1).progressRevision, first.currentRevision());
        QCOMPARE(health.health().members().at(2).progressRevision, second.currentRevision());
        for (const MetricPoint& p : health.health().members().at(2).progressMs)
            QVERIFY(p.value >= 0);
        // ... and the one standing lower is said to be behind by the difference
        const std::int64_t behind = second.currentRevision() - first.currentRevision();
        QVERIFY(behind > 0);
        QTRY_VERIFY2_WITH_TIMEOUT(health.statusText().contains(QStringLiteral("one at %1 (%2 behind)")
                                                                    .arg(first.currentRevision())
                                                                    .arg(behind)),
                                  qPrintable(health.statusText()), kWaitMs);
        QVERIFY2(health.chartTitles().contains(QRegularExpression("^Progress answer: \\d+ ms · \\d+ ms$")),
                 qPrintable(health.chartTitles().join(" | ")));
        QApplication::processEvents();
        health.grab().save(QDir::temp().filePath("insight-progress.png"));

        // When one member hangs (SIGSTOP: its sockets stay open, nothing answers)
        first.pause();
        // Then the view says it has stopped answering, while the other goes on
        const std::size_t before = answers(2);
        QTRY_VERIFY2_WITH_TIMEOUT(health.statusText().contains("one has not answered a progress request for"),
                                  qPrintable(health.statusText()), kWaitMs);
        QVERIFY(answers(2) > before);
        first.resume();
        // ... and once it is back it answers again
        const std::size_t stalled = answers(1);
        QTRY_VERIFY_WITH_TIMEOUT(answers(1) > stalled, kWaitMs);
    }

    void shouldTimeTheCanaryOnEachMemberAndStopWhenReadOnly()
    {
        // Given a member, the view on it, writable, the canary writing every 200 ms
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        WatchHealthView health;
        health.resize(700, 640);
        health.show();
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        health.setConnection(options);
        health.setMembers(membersAt({{"default", "http://" + etcd.endpoint()}}));
        health.probe()->setCanaryIntervalMs(200);
        // ... not while read-only
        health.setCanary(true);
        QVERIFY(!health.probe()->canaryRunning());
        QVERIFY2(health.statusText().contains("allow writing"), qPrintable(health.statusText()));
        health.setWritable(true);
        health.setCanary(true);
        QVERIFY(health.probe()->canaryRunning());
        // Then its writes come back as events on the member, each timed
        const auto latencies = [&]() -> std::size_t {
            const auto m = health.health().members().find(1);
            return m == health.health().members().end() ? 0 : m->second.canaryMs.size();
        };
        QTRY_VERIFY_WITH_TIMEOUT(latencies() >= 5, kWaitMs);
        for (const MetricPoint& p : health.health().members().at(1).canaryMs)
            QVERIFY(p.value >= 0);
        const std::optional<std::string> value = etcd.get(MemberProbe::canaryKey());
        QVERIFY(value && std::stoll(*value) >= 1 && std::stoll(*value) <= health.probe()->canaryWrites());
        QVERIFY2(health.chartTitles().last().contains(" ms"), qPrintable(health.chartTitles().last()));
        QApplication::processEvents();
        health.grab().save(QDir::temp().filePath("insight-canary.png"));

        // When the connection is made read-only
        health.setWritable(false);
        // Then the canary stops writing (five intervals go by with no write) and says why
        QVERIFY(!health.probe()->canaryRunning());
        const std::int64_t revision = etcd.currentRevision();
        const std::size_t seen = latencies();
        QTest::qWait(1000);
        QCOMPARE(etcd.currentRevision(), revision);
        QCOMPARE(latencies(), seen);
        QVERIFY2(health.statusText().contains("read-only"), qPrintable(health.statusText()));
        QVERIFY2(health.chartTitles().last().endsWith("off"), qPrintable(health.chartTitles().last()));

        // When it runs again and is switched off while writable, its key is deleted
        health.setWritable(true);
        health.setCanary(true);
        QTRY_VERIFY_WITH_TIMEOUT(latencies() > seen, kWaitMs);
        health.setCanary(false);
        QTRY_VERIFY_WITH_TIMEOUT(!etcd.get(MemberProbe::canaryKey()), kWaitMs);
    }
};

QTEST_MAIN(TestInsightView)
#include "tst_insight_view.moc"
