// The churn tally without etcd: grouping (by depth and by Kubernetes resource
// and namespace), the minute and hour windows, distinct revisions, events
// delivered twice, per-step series and trimming. Expected counts are worked
// out from the events each test feeds.
#include "insight/churn.h"

#include <QtTest>

using namespace etcdscope;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;  // ms since the epoch, on a minute boundary
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;

WatchEvent put(const std::string& key, std::int64_t revision, std::size_t valueBytes = 10)
{
    WatchEvent e;
    e.type = EventType::Put;
    e.kv.key = key;
    e.kv.value = std::string(valueBytes, 'v');
    e.kv.modRevision = revision;
    return e;
}

WatchEvent del(const std::string& key, std::int64_t revision)
{
    WatchEvent e;
    e.type = EventType::Delete;
    e.kv.key = key;
    e.kv.modRevision = revision;
    return e;
}

std::string groupOf(std::string_view key, ChurnGrouping grouping, int depth)
{
    return std::string(churnGroupOf(key, grouping, depth));
}

const ChurnGroup* find(const std::vector<ChurnGroup>& groups, const std::string& prefix)
{
    for (const ChurnGroup& g : groups)
        if (g.prefix == prefix)
            return &g;
    return nullptr;
}

}  // namespace

class TestChurn : public QObject {
    Q_OBJECT

private slots:
    void groupsByDepthAndByKubernetesObject()
    {
        QCOMPARE(groupOf("/registry/pods/default/web-1", ChurnGrouping::Depth, 2), std::string("/registry/"));
        QCOMPARE(groupOf("/registry/pods/default/web-1", ChurnGrouping::Depth, 3), std::string("/registry/pods/"));
        QCOMPARE(groupOf("a", ChurnGrouping::Depth, 1), std::string("a"));
        QCOMPARE(groupOf("/registry/pods/default/web-1", ChurnGrouping::KubernetesResource, 1),
                 std::string("/registry/pods/"));
        QCOMPARE(groupOf("/registry/pods/default/web-1", ChurnGrouping::KubernetesNamespace, 1),
                 std::string("/registry/pods/default/"));
        // Cluster-scoped: the resource, whichever of the two.
        QCOMPARE(groupOf("/registry/minions/worker-1", ChurnGrouping::KubernetesNamespace, 1),
                 std::string("/registry/minions/"));
        QCOMPARE(groupOf("/registry/deployments/shop/cart", ChurnGrouping::KubernetesResource, 1),
                 std::string("/registry/deployments/"));
        // Not a Kubernetes key: by depth.
        QCOMPARE(groupOf("/config/app/x", ChurnGrouping::KubernetesResource, 2), std::string("/config/"));
        QCOMPARE(groupOf(std::string_view("bin\0ary/k", 9), ChurnGrouping::Depth, 1),
                 std::string("bin\0ary/", 8));
    }

    void countsEventsBytesRevisionsAndDeletesPerGroup()
    {
        ChurnTally tally(ChurnGrouping::Depth, 2);
        // A transaction of three puts at revision 5 (two groups), then a delete at 6.
        tally.add(put("/a/1", 5, 10), kT0);
        tally.add(put("/a/2", 5, 20), kT0);
        tally.add(put("/b/1", 5, 30), kT0);
        tally.add(del("/a/1", 6), kT0 + 500);
        const auto groups = tally.top(ChurnTally::Window::Minute, kT0 + 1000);
        QCOMPARE(groups.size(), std::size_t(2));
        QCOMPARE(groups[0].prefix, std::string("/a/"));  // most events first
        QCOMPARE(groups[0].counts.events, 3);
        QCOMPARE(groups[0].counts.bytes, 4 + 10 + 4 + 20 + 4);
        QCOMPARE(groups[0].counts.revisions, 2);  // 5 and 6
        QCOMPARE(groups[0].counts.deletes, 1);
        QCOMPARE(groups[1].prefix, std::string("/b/"));
        QCOMPARE(groups[1].counts.events, 1);
        QCOMPARE(groups[1].counts.revisions, 1);
        const ChurnCounts all = tally.total(ChurnTally::Window::Minute, kT0 + 1000);
        QCOMPARE(all.events, 4);
        QCOMPARE(all.bytes, 4 + 10 + 4 + 20 + 4 + 30 + 4);
    }

    void theMinuteForgetsWhatTheHourKeeps()
    {
        ChurnTally tally(ChurnGrouping::Depth, 2);
        tally.add(put("/old/k", 2), kT0);                  // 90 s before "now"
        tally.add(put("/new/k", 3), kT0 + 80 * kSecond);   // 10 s before
        const std::int64_t now = kT0 + 90 * kSecond;
        const auto minute = tally.top(ChurnTally::Window::Minute, now);
        QCOMPARE(minute.size(), std::size_t(1));
        QCOMPARE(minute[0].prefix, std::string("/new/"));
        const auto hour = tally.top(ChurnTally::Window::Hour, now);
        QCOMPARE(hour.size(), std::size_t(2));
        QVERIFY(find(hour, "/old/"));
        // The rate's divisor: counting began 90 s ago.
        QCOMPARE(tally.observedSeconds(ChurnTally::Window::Minute, now), 60.0);
        QCOMPARE(tally.observedSeconds(ChurnTally::Window::Hour, now), 90.0);
        // An hour and more later nothing is left, and trimming frees the groups.
        const std::int64_t later = kT0 + 62 * kMinute;
        QVERIFY(tally.top(ChurnTally::Window::Hour, later).empty());
        tally.trim(later);
        QCOMPARE(tally.groupCount(), std::size_t(0));
    }

    void trimKeepsWhatTheHourStillShows()
    {
        ChurnTally tally(ChurnGrouping::Depth, 2);
        tally.add(put("/a/k", 2), kT0);
        tally.trim(kT0 + 30 * kMinute);
        QCOMPARE(tally.groupCount(), std::size_t(1));
        QCOMPARE(tally.top(ChurnTally::Window::Hour, kT0 + 30 * kMinute).at(0).counts.events, 1);
    }

    void anEventDeliveredTwiceCountsOnce()
    {
        ChurnTally tally(ChurnGrouping::Depth, 2);
        // Two watches over the same key deliver revision 7 each; a third key
        // at the same revision is another event.
        tally.add(put("/a/k", 7), kT0);
        tally.add(put("/a/k", 7), kT0 + 10);
        tally.add(put("/a/j", 7), kT0 + 20);
        const auto groups = tally.top(ChurnTally::Window::Minute, kT0 + 30);
        QCOMPARE(groups.at(0).counts.events, 2);
        QCOMPARE(groups.at(0).counts.revisions, 1);
    }

    void aSeriesHasOneStepASecondEndingNow()
    {
        ChurnTally tally(ChurnGrouping::KubernetesResource, 1);
        int revision = 1;
        // 3 events 59 s ago, 2 events 5 s ago, 1 event now.
        for (int i = 0; i < 3; ++i)
            tally.add(put("/registry/pods/ns/p" + std::to_string(i), ++revision), kT0);
        for (int i = 0; i < 2; ++i)
            tally.add(put("/registry/pods/ns/q" + std::to_string(i), ++revision), kT0 + 54 * kSecond);
        tally.add(put("/registry/pods/ns/r", ++revision), kT0 + 59 * kSecond + 999);
        const auto series = tally.series("/registry/pods/", ChurnTally::Window::Minute, kT0 + 59 * kSecond + 999);
        QCOMPARE(series.size(), std::size_t(ChurnTally::kSteps));
        QCOMPARE(series[0].events, 3);
        QCOMPARE(series[54].events, 2);
        QCOMPARE(series[59].events, 1);
        std::int64_t sum = 0;
        for (const ChurnCounts& c : series)
            sum += c.events;
        QCOMPARE(sum, 6);
        QVERIFY(tally.series("/registry/secrets/", ChurnTally::Window::Minute, kT0)[59].events == 0);
    }

    void regroupingStartsOver()
    {
        ChurnTally tally(ChurnGrouping::Depth, 2);
        tally.add(put("/a/b/c", 2), kT0);
        tally.regroup(ChurnGrouping::Depth, 3);
        QVERIFY(tally.top(ChurnTally::Window::Minute, kT0).empty());
        tally.add(put("/a/b/c", 2), kT0);  // no longer "seen"
        QCOMPARE(tally.top(ChurnTally::Window::Minute, kT0).at(0).prefix, std::string("/a/b/"));
    }
};

QTEST_APPLESS_MAIN(TestChurn)
#include "tst_churn.moc"
