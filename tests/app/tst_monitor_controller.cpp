// The monitor's application layer without a window: the controller against
// a real etcd (started here, stopped by PID) and its real SQLite log. W10 is
// checked where it lives now: the recording is the consumer, and events are
// acknowledged to the session only once they are committed.
#include "app/monitor_controller.h"
#include "etcd_process.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::testing;
using namespace etcdscope::ui;

namespace {

constexpr int kWaitMs = 30'000;
// Small limits so that a few thousand events exceed them many times over.
constexpr std::int64_t kPauseAtEvents = 200;
constexpr std::int64_t kResumeAtEvents = 100;
constexpr int kEventsWritten = 2000;
constexpr int kCatchUpKeys = 3000;
constexpr int kSliceRecords = 400;

WatchSpec prefix(const std::string& key)
{
    WatchSpec spec;
    spec.key = key;
    spec.rangeEnd = prefixRangeEnd(key);
    return spec;
}

ConnectionOptions optionsFor(const EtcdProcess& etcd)
{
    ConnectionOptions options;
    options.endpoints = {etcd.endpoint()};
    return options;
}

// What a controller tells its views, gathered as they would see it.
struct Observed {
    std::vector<EventRecord> records;  // every batch's records, in delivery order
    int batches = 0;
    bool live = false;    // some watch became live
    bool paused = false;  // the session once said it stopped reading

    explicit Observed(MonitorController& controller)
    {
        QObject::connect(&controller, &MonitorController::recordsArrived, &controller,
                         [this](const RecordBatch& batch) {
                             records.insert(records.end(), batch->begin(), batch->end());
                             ++batches;
                         });
        QObject::connect(&controller, &MonitorController::watchStateChanged, &controller,
                         [this](WatchHandle, WatchState state) { live = live || state == WatchState::Live; });
        QObject::connect(&controller, &MonitorController::statusChanged, &controller,
                         [this](const ConnectionStatus& status) { paused = paused || status.readsPaused; });
    }
};

// Holds the event log's write lock from another connection, as another
// process writing to it would: the recording's commits wait behind it.
class LogWriteLock {
public:
    explicit LogWriteLock(const QString& path)
    {
        db_ = QSqlDatabase::addDatabase("QSQLITE", "test-write-lock");
        db_.setDatabaseName(path);
        QVERIFY2(db_.open(), qPrintable(db_.lastError().text()));
        QSqlQuery begin(db_);
        locked_ = begin.exec("BEGIN IMMEDIATE");
        QVERIFY2(locked_, qPrintable(begin.lastError().text()));
    }
    ~LogWriteLock() { release(); }
    void release()
    {
        if (!db_.isOpen())
            return;
        QSqlQuery(db_).exec("ROLLBACK");
        db_.close();
        db_ = QSqlDatabase();
        QSqlDatabase::removeDatabase("test-write-lock");
    }
    bool locked() const { return locked_; }

private:
    QSqlDatabase db_;
    bool locked_ = false;
};

}  // namespace

class TestMonitorController : public QObject {
    Q_OBJECT

private slots:
    void shouldStopReadingWhileTheRecordingLagsAndThenDeliverEverythingInOrder()
    {
        // Given etcd, and a controller whose session pauses at 200 unacknowledged events
        EtcdProcess etcd;
        const std::string started = etcd.start();
        QVERIFY2(started.empty(), started.c_str());
        QTemporaryDir data;
        MonitorOptions options;
        options.dataDirectory = data.path();
        options.session.engine.pauseReadsAtEvents = kPauseAtEvents;
        options.session.engine.resumeReadsAtEvents = kResumeAtEvents;
        MonitorController controller(options);
        QSignalSpy opened(&controller, &MonitorController::logOpened);
        Observed delivered(controller);
        controller.start();
        QVERIFY(opened.wait(kWaitMs));
        QVERIFY(opened.at(0).at(0).toBool());
        const WatchHandle watch = controller.addWatch(prefix("w/"));
        controller.connectWith(optionsFor(etcd), QString::fromStdString(etcd.endpoint()));
        QTRY_VERIFY_WITH_TIMEOUT(delivered.live, kWaitMs);
        // (the watch is in the log before the lock is taken)
        etcd.put("w/first", "0");
        QTRY_COMPARE_WITH_TIMEOUT(controller.counters().eventsRecorded, qint64(1), kWaitMs);

        // When the log cannot be written (another connection holds it) while etcd takes 2,000 writes
        LogWriteLock lock(data.filePath("events.sqlite"));
        QVERIFY(lock.locked());
        std::vector<std::int64_t> revisions;
        for (int i = 0; i < kEventsWritten; ++i)
            revisions.push_back(etcd.put("w/" + std::to_string(i), std::to_string(i)));

        // Then the session stops reading: it says so, and far fewer events than written reach the views
        QTRY_VERIFY_WITH_TIMEOUT(delivered.paused, kWaitMs);
        QVERIFY(controller.status().readsPaused);
        const std::size_t whilePaused = delivered.records.size() - 1;
        QVERIFY2(whilePaused < std::size_t(kEventsWritten) / 2,
                 qPrintable(QString("%1 of %2 events were read while nothing could be recorded")
                                .arg(whilePaused)
                                .arg(kEventsWritten)));
        // ... none of them acknowledged: they are all the recording's backlog
        QCOMPARE(controller.counters().unrecorded, qint64(whilePaused));
        QCOMPARE(controller.counters().eventsRecorded, qint64(1));

        // When the log can be written again
        lock.release();

        // Then every event arrives, once, in revision order, and is recorded
        QTRY_COMPARE_WITH_TIMEOUT(delivered.records.size(), std::size_t(kEventsWritten + 1), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(controller.counters().eventsRecorded, qint64(kEventsWritten + 1), kWaitMs);
        QCOMPARE(controller.counters().unrecorded, qint64(0));
        for (int i = 0; i < kEventsWritten; ++i) {
            const EventRecord& r = delivered.records[std::size_t(i) + 1];
            QCOMPARE(r.watch, watch);
            QCOMPARE(r.key, QByteArray("w/") + QByteArray::number(i));
            QCOMPARE(r.modRevision, revisions[std::size_t(i)]);
        }
        QTRY_VERIFY_WITH_TIMEOUT(!controller.status().readsPaused, kWaitMs);
        QVERIFY2(delivered.batches < kEventsWritten, "events are delivered in batches, not one by one");
    }

    void shouldHandOnALargeBatchInSlicesInOrderAndRecordItAll()
    {
        // Given 3,000 keys in etcd, and a controller that slices batches above 400 records
        EtcdProcess etcd;
        const std::string started = etcd.start();
        QVERIFY2(started.empty(), started.c_str());
        std::vector<std::int64_t> revisions;
        for (int i = 0; i < kCatchUpKeys; ++i)
            revisions.push_back(etcd.put("c/" + std::to_string(i), "v"));
        QTemporaryDir data;
        MonitorOptions options;
        options.dataDirectory = data.path();
        options.sliceRecords = kSliceRecords;
        MonitorController controller(options);
        QSignalSpy opened(&controller, &MonitorController::logOpened);
        std::int64_t largestBatch = 0;
        int batches = 0;
        std::size_t largestSlice = 0;
        QObject::connect(&controller, &MonitorController::batchArrived, &controller,
                         [&](const UpdateBatchPtr& batch) {
                             largestBatch = std::max(largestBatch, batch->eventCount);
                             ++batches;
                         });
        QObject::connect(&controller, &MonitorController::recordsArrived, &controller,
                         [&](const RecordBatch& records) { largestSlice = std::max(largestSlice, records->size()); });
        Observed delivered(controller);
        controller.start();
        QVERIFY(opened.wait(kWaitMs));

        // When a watch replays that history from revision 1
        WatchSpec spec = prefix("c/");
        spec.startRevision = 1;
        const WatchHandle watch = controller.addWatch(spec);
        controller.connectWith(optionsFor(etcd), QString::fromStdString(etcd.endpoint()));

        // Then every event arrives once, in revision order, and is recorded
        QTRY_COMPARE_WITH_TIMEOUT(delivered.records.size(), std::size_t(kCatchUpKeys), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(controller.counters().eventsRecorded, qint64(kCatchUpKeys), kWaitMs);
        for (int i = 0; i < kCatchUpKeys; ++i) {
            const EventRecord& r = delivered.records[std::size_t(i)];
            QCOMPARE(r.watch, watch);
            QCOMPARE(r.modRevision, revisions[std::size_t(i)]);
        }
        // ... some session batch was larger than a slice (etcd replays up to 1,000 revisions a response),
        // and no slice handed on was larger than the limit
        QVERIFY2(largestBatch > kSliceRecords, qPrintable(QString("largest batch: %1 events").arg(largestBatch)));
        QVERIFY2(largestSlice <= std::size_t(kSliceRecords), qPrintable(QString("a slice of %1").arg(largestSlice)));
        QVERIFY(delivered.batches > batches);
    }

    void shouldResumeRememberedWatchesWhereTheLogEnds()
    {
        // Given a controller that recorded a watch up to some revision, then closed
        EtcdProcess etcd;
        const std::string started = etcd.start();
        QVERIFY2(started.empty(), started.c_str());
        QTemporaryDir data;
        MonitorOptions options;
        options.dataDirectory = data.path();
        std::int64_t lastSeen = 0;
        {
            MonitorController first(options);
            QSignalSpy opened(&first, &MonitorController::logOpened);
            Observed seen(first);
            first.start();
            QVERIFY(opened.wait(kWaitMs));
            first.addWatch(prefix("r/"));
            first.connectWith(optionsFor(etcd), {});
            QTRY_VERIFY_WITH_TIMEOUT(seen.live, kWaitMs);  // a watch from now sees what comes after it
            etcd.put("r/before", "1");
            lastSeen = etcd.put("r/last-seen", "2");
            QTRY_COMPARE_WITH_TIMEOUT(first.counters().eventsRecorded, qint64(2), kWaitMs);
        }
        // When etcd changes while it is closed, and a new controller opens the same log
        const std::int64_t missed = etcd.put("r/while-closed", "3");
        MonitorController second(options);
        QSignalSpy added(&second, &MonitorController::watchAdded);
        Observed delivered(second);
        second.start();
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kWaitMs);
        // Then the watch comes back from the revision after the last one recorded
        const auto definition = added.at(0).at(0).value<WatchDefinition>();
        QCOMPARE(definition.spec.startRevision, lastSeen + 1);
        second.connectWith(optionsFor(etcd), {});
        // And the change made meanwhile arrives, and nothing seen before it again
        QTRY_VERIFY_WITH_TIMEOUT(!delivered.records.empty(), kWaitMs);
        QCOMPARE(delivered.records.front().key, QByteArray("r/while-closed"));
        QCOMPARE(delivered.records.front().modRevision, missed);
    }
};

QTEST_GUILESS_MAIN(TestMonitorController)
#include "tst_monitor_controller.moc"
