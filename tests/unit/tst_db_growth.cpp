// Database growth without etcd: compactions and defragmentations read from
// drops between samples, the rate fitted after the last drop, the estimate
// of when the quota is reached, and what is kept. Expected values are
// worked out from the samples each test feeds.
#include "insight/db_growth.h"

#include <QtTest>

using namespace etcdscope;

namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kMiB = 1 << 20;

}  // namespace

class TestDbGrowth : public QObject {
    Q_OBJECT

private slots:
    void dropsAreCompactionsAndDefragmentations()
    {
        DbGrowth growth;
        growth.add(1, "m1", kT0, 100 * kMiB, 80 * kMiB);
        growth.add(1, "m1", kT0 + kMinute, 100 * kMiB, 60 * kMiB);      // in use down, file the same
        growth.add(1, "m1", kT0 + 2 * kMinute, 62 * kMiB, 60 * kMiB);   // the file shrinks
        growth.add(1, "m1", kT0 + 3 * kMinute, 62 * kMiB, 60 * kMiB - 100);  // less than a page: noise
        QCOMPARE(growth.markers().size(), std::size_t(2));
        QVERIFY(growth.markers()[0].kind == DbMarker::Kind::Compaction);
        QCOMPARE(growth.markers()[0].freedBytes, 20 * kMiB);
        QCOMPARE(growth.markers()[0].atMs, kT0 + kMinute);
        QVERIFY(growth.markers()[1].kind == DbMarker::Kind::Defragmentation);
        QCOMPARE(growth.markers()[1].freedBytes, 38 * kMiB);
        QCOMPARE(growth.members().at(1).samples.size(), std::size_t(4));
    }

    void theQuotaIsReachedAtTheFittedRate()
    {
        DbGrowth growth;
        // 1 MiB a minute in use, sampled every 5 s for 10 minutes, from 100 MiB.
        for (int i = 0; i <= 120; ++i)
            growth.add(7, "m7", kT0 + i * 5000, 200 * kMiB, 100 * kMiB + i * kMiB / 12);
        // A smaller member does not decide the estimate.
        growth.add(8, "m8", kT0, 10 * kMiB, 5 * kMiB);
        const QuotaEstimate e = growth.estimate(2048 * kMiB);
        QCOMPARE(e.member, std::uint64_t(7));
        QVERIFY(e.known);
        QVERIFY2(std::abs(e.bytesPerHour - 60.0 * kMiB) < 1024, qPrintable(QString::number(e.bytesPerHour)));
        // (2048 - 110) MiB at 1 MiB a minute: 1938 minutes.
        QVERIFY2(std::abs(e.msToQuota - 1938 * kMinute) < 1000, qPrintable(QString::number(e.msToQuota)));
        QVERIFY(!e.overQuota);
    }

    void aCompactionStartsTheFitAfresh()
    {
        DbGrowth growth;
        // Growing fast, then compacted, then flat.
        for (int i = 0; i < 10; ++i)
            growth.add(1, "m", kT0 + i * 10'000, 500 * kMiB, 100 * kMiB + i * 10 * kMiB);
        for (int i = 10; i < 20; ++i)
            growth.add(1, "m", kT0 + i * 10'000, 500 * kMiB, 50 * kMiB);
        const QuotaEstimate e = growth.estimate(2048 * kMiB);
        QVERIFY(e.known);
        QCOMPARE(e.bytesPerHour, 0.0);
        QCOMPARE(e.msToQuota, std::int64_t(-1));  // not growing
        QCOMPARE(e.fittedOverMs, 90'000.0);
    }

    void tooFewSamplesGiveNoRate()
    {
        DbGrowth growth;
        QCOMPARE(growth.estimate(kMiB).known, false);
        growth.add(1, "m", kT0, 10 * kMiB, 5 * kMiB);
        growth.add(1, "m", kT0 + 10'000, 10 * kMiB, 6 * kMiB);  // 10 s apart: too short a span
        QCOMPARE(growth.estimate(2048 * kMiB).known, false);
        // A file at the quota says so, rate or not.
        QVERIFY(growth.estimate(10 * kMiB).overQuota);
    }

    void oldSamplesLeave()
    {
        DbGrowth growth;
        growth.add(1, "m", kT0, 10 * kMiB, 5 * kMiB);
        growth.add(1, "m", kT0 + DbGrowth::kKeepMs + 1, 10 * kMiB, 5 * kMiB);
        QCOMPARE(growth.members().at(1).samples.size(), std::size_t(1));
        growth.clear();
        QVERIFY(growth.members().empty());
    }
};

QTEST_APPLESS_MAIN(TestDbGrowth)
#include "tst_db_growth.moc"
