// The watch tree and the event timeline models: structure checked by
// QAbstractItemModelTester, signal ranges by QSignalSpy, batching by counting.
#include "decode/kubernetes/encryption.h"
#include "decode/kubernetes_value.h"
#include "decode/value_text.h"
#include "decode/yaml_value.h"
#include "keys/key_browser.h"
#include "monitor/event_timeline_model.h"
#include "monitor/monitor_view.h"
#include "monitor/revision_group_model.h"
#include "monitor/watch_tree_model.h"
#include "protobuf_writer.h"
#include "shared/detail_pane.h"

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QProcess>
#include <QTabWidget>
#include <QTextEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::ui;

namespace {

EventRecord put(WatchHandle watch, const char* key, const char* value, qint64 revision, qint64 version = 1)
{
    EventRecord r;
    r.watch = watch;
    r.kind = RecordKind::Put;
    r.key = key;
    r.value = value;
    r.modRevision = revision;
    r.version = version;
    return r;
}

EventRecord del(WatchHandle watch, const char* key, qint64 revision)
{
    EventRecord r = put(watch, key, "", revision, 0);
    r.kind = RecordKind::Delete;
    return r;
}

WatchDefinition prefixWatch(WatchHandle handle, const char* prefix)
{
    WatchDefinition d;
    d.handle = handle;
    d.spec.key = prefix;
    d.spec.rangeEnd = prefixRangeEnd(prefix);
    d.label = describeSpec(d.spec);
    return d;
}

}  // namespace

class TestModels : public QObject {
    Q_OBJECT

private slots:
    // --- watch tree ---------------------------------------------------------------------
    void shouldGroupKeysBySlashUnderTheirWatch()
    {
        // Given a prefix watch and a key watch
        WatchTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addWatch(prefixWatch(1, "svc/"));
        WatchDefinition single;
        single.handle = 2;
        single.spec.key = "cfg";
        single.label = "key cfg";
        model.addWatch(single);
        // When a batch with nested keys arrives
        model.applyRecords({put(1, "svc/api/a", "1", 5), put(1, "svc/api/b", "2", 6), put(1, "svc/db", "3", 7),
                            put(2, "cfg", "x", 8)});
        // Then keys sit under their watch, relative to the prefix, grouped by '/'
        const QModelIndex svc = model.indexOfWatch(1);
        QCOMPARE(model.rowCount(svc), 2);  // "api/" and "db"
        const QModelIndex api = model.index(0, 0, svc);
        QCOMPARE(api.data().toString(), QString("api/"));
        QCOMPARE(model.rowCount(api), 2);
        QCOMPARE(model.index(1, 0, api).data(WatchTreeModel::KeyRole).toByteArray(), QByteArray("svc/api/b"));
        QCOMPARE(api.siblingAtColumn(WatchTreeModel::EventsColumn).data().toLongLong(), 2);
        QCOMPARE(model.indexOfWatch(2).siblingAtColumn(WatchTreeModel::EventsColumn).data().toLongLong(), 1);
        QCOMPARE(model.indexOfKey(2, "cfg").siblingAtColumn(WatchTreeModel::ValueColumn).data().toString(),
                 QString("x"));
    }

    void shouldInsertEachNewKeyOnceAndReportChangesOncePerBatch()
    {
        WatchTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addWatch(prefixWatch(1, "k/"));
        model.applyRecords({put(1, "k/a", "1", 2)});
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // When one batch changes an existing key 50 times and adds one key
        std::vector<EventRecord> batch;
        for (int i = 0; i < 50; ++i)
            batch.push_back(put(1, "k/a", "v", 3 + i, 2 + i));
        batch.push_back(put(1, "k/b", "new", 60));
        model.applyRecords(batch);
        // Then one insert (the new key, at row 1 of the watch) ...
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted[0][0].value<QModelIndex>(), model.indexOfWatch(1));
        QCOMPARE(inserted[0][1].toInt(), 1);
        QCOMPARE(inserted[0][2].toInt(), 1);
        // ... and one dataChanged per row the views knew before (k/a, the watch),
        // not per event; the new row is read when it is shown
        QCOMPARE(changed.count(), 2);
        QCOMPARE(model.indexOfKey(1, "k/a").siblingAtColumn(WatchTreeModel::VersionColumn).data().toLongLong(), 51);
    }

    void shouldInsertNewKeysOncePerParentPerBatch()
    {
        // Given a watch whose tree already shows the group a/ with one key
        WatchTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addWatch(prefixWatch(1, "k/"));
        model.applyRecords({put(1, "k/a/first", "1", 2)});
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        // When one batch brings 1,000 new keys under a/, and a new group b/ with 500 keys
        std::vector<EventRecord> batch;
        for (int i = 0; i < 1000; ++i)
            batch.push_back(put(1, "k/a/" + QByteArray::number(i), "v", 3 + i));
        for (int i = 0; i < 500; ++i)
            batch.push_back(put(1, "k/b/" + QByteArray::number(i), "v", 2000 + i));
        model.applyRecords(batch);
        // Then there is one insert per parent the views knew: rows 1..1000 under a/,
        // and row 1 (b/, with its keys inside) under the watch
        QCOMPARE(inserted.count(), 2);
        const QModelIndex a = model.indexOfKey(1, "k/a/first").parent();
        QMap<QModelIndex, QPair<int, int>> ranges;
        for (const auto& signal : inserted)
            ranges.insert(signal[0].value<QModelIndex>(), {signal[1].toInt(), signal[2].toInt()});
        QCOMPARE(ranges.value(a), qMakePair(1, 1000));
        QCOMPARE(ranges.value(model.indexOfWatch(1)), qMakePair(1, 1));
        // And every key is there, in arrival order, with its own row
        QCOMPARE(model.rowCount(a), 1001);
        QCOMPARE(model.indexOfKey(1, "k/a/999").row(), 1000);
        const QModelIndex b = model.indexOfKey(1, "k/b/0").parent();
        QCOMPARE(model.rowCount(b), 500);
        QCOMPARE(model.indexOfKey(1, "k/b/499").siblingAtColumn(WatchTreeModel::RevisionColumn).data().toLongLong(),
                 2499);
    }

    void shouldApplyAHugeBatchInSlicesAndKeepTheOrder()
    {
        // Given the Watches tab with one watch
        MonitorView view;
        view.addWatch(prefixWatch(1, "k/"));
        QSignalSpy inserted(view.treeModel(), &QAbstractItemModel::rowsInserted);
        // When a catch-up brings 12,000 new keys in one batch, and a small batch follows at once
        auto big = std::make_shared<std::vector<EventRecord>>();
        for (int i = 0; i < 12'000; ++i) {
            const QByteArray key = "k/" + QByteArray::number(i);
            big->push_back(put(1, key.constData(), "v", 10 + i));
        }
        auto small = std::make_shared<std::vector<EventRecord>>(std::vector<EventRecord>{put(1, "k/last", "v", 20'000)});
        view.showRecords(big);
        view.showRecords(small);
        // Then everything arrives, the small batch after the whole catch-up
        const QModelIndex watch = view.treeModel()->indexOfWatch(1);
        QTRY_COMPARE(view.treeModel()->rowCount(watch), 12'001);
        QCOMPARE(view.treeModel()->indexOfKey(1, "k/last").row(), 12'000);
        QCOMPARE(view.timelineModel()->record(view.timelineModel()->rowCount() - 1).key, QByteArray("k/last"));
        // ... in slices of 5,000 (one insert each under the watch), not one insert of 12,000
        int underWatch = 0;
        for (const auto& signal : inserted)
            underWatch += signal[0].value<QModelIndex>() == watch;
        QCOMPARE(underWatch, 4);  // 5,000 + 5,000 + 2,000, then the small batch
    }

    void shouldMarkDeletedKeysAndKeepThem()
    {
        WatchTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addWatch(prefixWatch(1, "k/"));
        model.applyRecords({put(1, "k/a", "1", 2), del(1, "k/a", 3)});
        const QModelIndex a = model.indexOfKey(1, "k/a");
        QVERIFY(a.isValid());
        QVERIFY(a.data(Qt::FontRole).value<QFont>().strikeOut());
        QCOMPARE(a.siblingAtColumn(WatchTreeModel::ValueColumn).data().toString(), QString("(deleted)"));
        QCOMPARE(a.siblingAtColumn(WatchTreeModel::RevisionColumn).data().toLongLong(), 3);
    }

    void shouldShowWatchStateAndReason()
    {
        WatchTreeModel model;
        model.addWatch(prefixWatch(1, "k/"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setWatchState(1, WatchState::Cancelled, "etcdserver: permission denied");
        QCOMPARE(changed.count(), 1);
        QVERIFY(model.indexOfWatch(1).siblingAtColumn(WatchTreeModel::ValueColumn).data().toString()
                    .contains("permission denied"));
        QVERIFY(model.indexOfWatch(1).data(Qt::ToolTipRole).toString().contains("cancelled"));
    }

    void shouldRemoveWatchRow()
    {
        WatchTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addWatch(prefixWatch(1, "a/"));
        model.addWatch(prefixWatch(2, "b/"));
        model.applyRecords({put(2, "b/x", "1", 2)});
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.removeWatch(1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed[0][1].toInt(), 0);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.indexOfWatch(2).row(), 0);
        QVERIFY(model.indexOfKey(2, "b/x").isValid());
    }

    void shouldSplitKeysIntoSegments_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QList<QByteArray>>("segments");
        QTest::newRow("plain") << QByteArray("a") << QList<QByteArray>{"a"};
        QTest::newRow("nested") << QByteArray("a/b/c") << QList<QByteArray>{"a/", "b/", "c"};
        QTest::newRow("absolute") << QByteArray("/registry/pods") << QList<QByteArray>{"/", "registry/", "pods"};
        QTest::newRow("trailing slash") << QByteArray("dir/") << QList<QByteArray>{"dir/"};
        QTest::newRow("double slash") << QByteArray("a//b") << QList<QByteArray>{"a/", "/", "b"};
    }
    void shouldSplitKeysIntoSegments()
    {
        QFETCH(QByteArray, key);
        QFETCH(QList<QByteArray>, segments);
        const auto actual = keySegments(key);
        QCOMPARE(QList<QByteArray>(actual.begin(), actual.end()), segments);
    }

    void shouldShortenEtcdReasonsForTheTree_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("brief");
        QTest::newRow("grpc wrapped") << "rpc error: code = PermissionDenied desc = etcdserver: permission denied"
                                      << "permission denied";
        QTest::newRow("etcdserver only") << "etcdserver: mvcc: required revision has been compacted"
                                         << "mvcc: required revision has been compacted";
        QTest::newRow("our sentence") << "The watch was cancelled by etcd." << "The watch was cancelled by etcd.";
        QTest::newRow("nothing after desc") << "rpc error: code = Unknown desc = " << "rpc error: code = Unknown desc = ";
    }

    void shouldShortenEtcdReasonsForTheTree()
    {
        QFETCH(QString, reason);
        QFETCH(QString, brief);
        QCOMPARE(briefReason(reason), brief);
    }

    // --- timeline -----------------------------------------------------------------------
    void shouldInsertEachBatchInOneInsertAtOnce()
    {
        // The session is the only batching stage: a batch shows as it arrives.
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        // When three batches of 100 arrive
        for (int batch = 0; batch < 3; ++batch) {
            std::vector<EventRecord> records;
            for (int i = 0; i < 100; ++i)
                records.push_back(put(1, "k", "v", 1 + batch * 100 + i));
            model.append(records);
            // Then each is on show at once, in one insert of exactly its rows
            QCOMPARE(model.rowCount(), 100 * (batch + 1));
        }
        QCOMPARE(inserted.count(), 3);
        for (int batch = 0; batch < 3; ++batch) {
            QCOMPARE(inserted[batch][1].toInt(), batch * 100);
            QCOMPARE(inserted[batch][2].toInt(), batch * 100 + 99);
        }
        QCOMPARE(model.record(299).modRevision, 300);
    }

    void shouldHoldBatchesWhilePausedAndShowThemInOneInsert()
    {
        // Given a paused timeline
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPaused(true);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        // When two batches arrive
        model.append({put(1, "a", "1", 1), put(1, "b", "1", 2)});
        model.append({put(1, "c", "1", 3)});
        // Then nothing shows until it resumes, and then all of it in one insert
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.pendingCount(), 3);
        model.setPaused(false);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted[0][2].toInt(), 2);
        QCOMPARE(model.record(2).key, QByteArray("c"));
    }

    void shouldTrimOldestRowsInOneRemoval()
    {
        EventTimelineModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMaxRows(100);
        std::vector<EventRecord> first;
        for (int i = 0; i < 80; ++i)
            first.push_back(put(1, "k", "v", 1 + i));
        model.append(std::move(first));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        std::vector<EventRecord> second;
        for (int i = 0; i < 50; ++i)
            second.push_back(put(1, "k", "v", 81 + i));
        model.append(std::move(second));
        // 80 + 50 > 100: the 30 oldest go in one removal, the 50 new come in one insert
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed[0][1].toInt(), 0);
        QCOMPARE(removed[0][2].toInt(), 29);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted[0][1].toInt(), 50);
        QCOMPARE(inserted[0][2].toInt(), 99);
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.record(0).modRevision, 31);
        QCOMPARE(model.record(99).modRevision, 130);
    }

    void shouldHoldRowsWhilePausedAndShowThemOnResume()
    {
        EventTimelineModel model;
        model.setPaused(true);
        model.append({put(1, "a", "1", 1), put(1, "b", "2", 2)});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.pendingCount(), 2);
        model.setPaused(false);
        QCOMPARE(model.rowCount(), 2);
    }

    void shouldShadeATransactionAsOneGroup()
    {
        EventTimelineModel model;
        model.append({put(1, "a", "1", 5), put(2, "b", "1", 5), put(1, "c", "1", 6)});
        const auto group = [&](int row) { return model.index(row, 0).data(EventTimelineModel::RevisionGroupRole).toInt(); };
        QCOMPARE(group(0), group(1));  // same revision, across watches
        QVERIFY(group(1) != group(2));
    }

    void shouldFilterByKeyTypeAndWatch_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("regex");
        QTest::addColumn<int>("kind");   // -1: any
        QTest::addColumn<qint64>("watch");  // 0: any
        QTest::addColumn<int>("rows");
        QTest::newRow("everything") << QString() << false << -1 << qint64(0) << 5;
        QTest::newRow("substring") << QString("API") << false << -1 << qint64(0) << 3;  // 2 keys + the gap
        QTest::newRow("regex") << QString("^svc/db$") << true << -1 << qint64(0) << 2;
        QTest::newRow("invalid regex filters nothing") << QString("(") << true << -1 << qint64(0) << 5;
        QTest::newRow("deletes") << QString() << false << int(RecordKind::Delete) << qint64(0) << 1;
        QTest::newRow("gaps") << QString() << false << int(RecordKind::Gap) << qint64(0) << 1;
        QTest::newRow("watch 2") << QString() << false << -1 << qint64(2) << 1;
    }
    void shouldFilterByKeyTypeAndWatch()
    {
        QFETCH(QString, text);
        QFETCH(bool, regex);
        QFETCH(int, kind);
        QFETCH(qint64, watch);
        QFETCH(int, rows);
        EventTimelineModel model;
        EventRecord gap;
        gap.watch = 1;
        gap.kind = RecordKind::Gap;
        gap.gapFrom = 1;
        gap.gapTo = 4;
        model.append({gap, put(1, "svc/api/a", "1", 5), put(1, "svc/api/b", "1", 6), del(1, "svc/db", 7),
                      put(2, "other", "1", 8)});
        TimelineFilterProxy proxy;
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&model);
        proxy.setKeyFilter(text, regex);
        proxy.setKindFilter(kind < 0 ? std::nullopt : std::optional<RecordKind>(RecordKind(kind)));
        proxy.setWatchFilter(watch == 0 ? std::nullopt : std::optional<WatchHandle>(watch));
        QCOMPARE(proxy.rowCount(), rows);
    }

    // --- revision groups ----------------------------------------------------------------
    void shouldGroupATransactionIntoOneExpandableRow()
    {
        EventTimelineModel timeline;
        RevisionGroupModel groups;
        QAbstractItemModelTester tester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
        groups.setSourceModel(&timeline);
        // Given a two-event transaction at 5 and a single event at 6
        timeline.append({put(1, "a", "1", 5), put(2, "b", "1", 5), put(1, "c", "1", 6)});
        // Then there are two rows: a group of two, and a plain row
        QCOMPARE(groups.rowCount(), 2);
        QCOMPARE(groups.rowCount(groups.index(0, 0)), 2);
        QCOMPARE(groups.rowCount(groups.index(1, 0)), 0);
        QCOMPARE(groups.index(0, EventTimelineModel::TypeColumn).data().toString(), QString("TXN"));
        QCOMPARE(groups.index(0, EventTimelineModel::WatchColumn).data().toString(), QString("2 watches"));
        QCOMPARE(groups.index(1, EventTimelineModel::KeyColumn).data().toString(), QString("c"));
        const QModelIndex child = groups.index(1, EventTimelineModel::KeyColumn, groups.index(0, 0));
        QCOMPARE(child.data().toString(), QString("b"));
        QCOMPARE(groups.mapToSource(child).row(), 1);
    }

    void shouldGrowTheLastGroupWhenItsRevisionContinues()
    {
        EventTimelineModel timeline;
        RevisionGroupModel groups;
        QAbstractItemModelTester tester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
        groups.setSourceModel(&timeline);
        timeline.append({put(1, "a", "1", 5), put(1, "b", "1", 6)});
        QSignalSpy inserted(&groups, &QAbstractItemModel::rowsInserted);
        // When revision 6 continues in the next flush, and 7 follows
        timeline.append({put(1, "c", "1", 6), put(1, "d", "1", 6), put(1, "e", "1", 7)});
        // Then the plain row of 6 opens onto its three events (0..2), and 7 is a new row (2)
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(inserted[0][0].value<QModelIndex>(), groups.index(1, 0));
        QCOMPARE(inserted[0][1].toInt(), 0);
        QCOMPARE(inserted[0][2].toInt(), 2);
        QVERIFY(!inserted[1][0].value<QModelIndex>().isValid());
        QCOMPARE(inserted[1][1].toInt(), 2);
        QCOMPARE(inserted[1][2].toInt(), 2);
        QCOMPARE(groups.rowCount(), 3);
    }

    void shouldFollowFrontTrimsWithExactRemovals()
    {
        EventTimelineModel timeline;
        timeline.setMaxRows(4);
        RevisionGroupModel groups;
        QAbstractItemModelTester tester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
        groups.setSourceModel(&timeline);
        timeline.append({put(1, "a", "1", 5), put(1, "b", "1", 5), put(1, "c", "1", 5), put(1, "d", "1", 6)});
        QSignalSpy removed(&groups, &QAbstractItemModel::rowsRemoved);
        // When two new rows push the two oldest of the three-event group out
        timeline.append({put(1, "e", "1", 7), put(1, "f", "1", 8)});
        // Then the group, down to one event, loses its children in one removal
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed[0][0].value<QModelIndex>(), groups.index(0, 0));
        QCOMPARE(removed[0][1].toInt(), 0);
        QCOMPARE(removed[0][2].toInt(), 2);
        QCOMPARE(groups.rowCount(), 4);
        QCOMPARE(groups.index(0, EventTimelineModel::KeyColumn).data().toString(), QString("c"));
        QCOMPARE(groups.index(3, EventTimelineModel::KeyColumn).data().toString(), QString("f"));
    }

    void shouldRegroupWhenTheFilterChanges()
    {
        EventTimelineModel timeline;
        TimelineFilterProxy filter;
        filter.setSourceModel(&timeline);
        RevisionGroupModel groups;
        QAbstractItemModelTester tester(&groups, QAbstractItemModelTester::FailureReportingMode::QtTest);
        groups.setSourceModel(&filter);
        timeline.append({put(1, "x/a", "1", 5), put(2, "y/b", "1", 5), put(1, "x/c", "1", 6)});
        QCOMPARE(groups.rowCount(), 2);
        filter.setKeyFilter("x/", false);
        QCOMPARE(groups.rowCount(), 2);
        QCOMPARE(groups.rowCount(groups.index(0, 0)), 0);  // only x/a left at revision 5
        filter.setWatchFilter(2);
        QCOMPARE(groups.rowCount(), 0);
    }

    // --- detail helpers -----------------------------------------------------------------
    void shouldDiffLinesLikeAPerson()
    {
        const auto lines = diffLines("a\nb\nc", "a\nB\nc\nd");
        QVERIFY(lines);
        const std::vector<DiffLine> expected{{DiffLine::Kind::Same, "a"},
                                             {DiffLine::Kind::Removed, "b"},
                                             {DiffLine::Kind::Added, "B"},
                                             {DiffLine::Kind::Same, "c"},
                                             {DiffLine::Kind::Added, "d"}};
        QVERIFY(*lines == expected);
        QVERIFY(!diffLines(QString("x\n").repeated(5000), "y", 4000));
    }

    void shouldDiffIntoAShortestScriptThatRebuildsBothTexts()
    {
        // Random texts over a small alphabet (many repeats, the hard case),
        // checked against an LCS table computed here as the oracle.
        QRandomGenerator random(20261202);
        for (int round = 0; round < 300; ++round) {
            QStringList before, after;
            for (int i = int(random.bounded(40)); i > 0; --i)
                before << QString(QChar('a' + random.bounded(4)));
            for (int i = int(random.bounded(40)); i > 0; --i)
                after << QString(QChar('a' + random.bounded(4)));
            const auto lines = diffLines(before.join('\n'), after.join('\n'));
            QVERIFY(lines);
            QStringList rebuiltBefore, rebuiltAfter;
            int edits = 0;
            for (const DiffLine& line : *lines) {
                if (line.kind != DiffLine::Kind::Added)
                    rebuiltBefore << line.text;
                if (line.kind != DiffLine::Kind::Removed)
                    rebuiltAfter << line.text;
                edits += line.kind != DiffLine::Kind::Same;
            }
            // split() of an empty text is one empty line
            QCOMPARE(rebuiltBefore.join('\n'), before.join('\n'));
            QCOMPARE(rebuiltAfter.join('\n'), after.join('\n'));
            const QStringList a = before.join('\n').split('\n'), b = after.join('\n').split('\n');
            std::vector<std::vector<int>> lcs(std::size_t(a.size() + 1), std::vector<int>(std::size_t(b.size() + 1)));
            for (qsizetype i = a.size() - 1; i >= 0; --i)
                for (qsizetype j = b.size() - 1; j >= 0; --j)
                    lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
            QCOMPARE(edits, int(a.size() + b.size() - 2 * lcs[0][0]));
        }
    }

    void shouldDiffTheLargestTextsItTakes()
    {
        // Given two texts of 4,000 lines with nothing in common
        QStringList before, after;
        for (int i = 0; i < 4000; ++i) {
            before << QString("old %1").arg(i);
            after << QString("new %1").arg(i);
        }
        // Then every line is removed and added (no quadratic table: this
        // would be 16 million cells the old way)
        const auto lines = diffLines(before.join('\n'), after.join('\n'), 4000);
        QVERIFY(lines);
        QCOMPARE(lines->size(), std::size_t(8000));
        QCOMPARE(std::count_if(lines->begin(), lines->end(),
                               [](const DiffLine& l) { return l.kind == DiffLine::Kind::Removed; }),
                 4000);
    }

    void shouldPrettyPrintJsonOnlyWhenItParses()
    {
        QVERIFY(prettyJson("{\"a\":1}").value_or("").contains("\"a\": 1"));
        QVERIFY(!prettyJson("not json"));
        QVERIFY(!prettyJson(""));
    }

    void shouldDumpHex()
    {
        const QString dump = hexDump(QByteArray("AB\0\xff", 4), 1024);
        QVERIFY(dump.startsWith("00000000  41 42 00 ff"));
        QVERIFY(dump.contains("|AB..|"));
        QVERIFY(hexDump(QByteArray(100, 'x'), 16).contains("84 more bytes"));
    }

    void shouldSummariseAPutAsItsChangedLines()
    {
        // JSON both sides: formatted first, so a layout change is not a change
        QCOMPARE(changeSummary("{\"a\":1,\"b\":2}", "{ \"a\": 1, \"b\": 3 }"),
                 QString("Changed lines (JSON, formatted):\n-     \"b\": 2\n+     \"b\": 3"));
        QCOMPARE(changeSummary("x\ny\n", "x\nz\n"), QString("Changed lines:\n- y\n+ z"));
        QCOMPARE(changeSummary("same", "same"), QString("The new value is the same as the current one."));
        QVERIFY(changeSummary(QByteArray("\xff\x00", 2), "text").isEmpty());  // binary: previews instead
        const QString many = changeSummary("a\nb\nc\nd\n", "1\n2\n3\n4\n", 3);
        QVERIFY2(many.endsWith("… and 5 more changed lines"), qPrintable(many));
    }

    // --- YAML view -----------------------------------------------------------------------------
    void shouldShowStructuredValuesAsBlockYaml_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("expected");
        // Quotes go where a plain scalar would read as something else than
        // the string it was ("1.0" a number, "yes" a boolean, "22:22" a
        // sexagesimal number, "2024-01-02" a date); numbers and null stay bare.
        QTest::newRow("json object") << QByteArray("{\"name\":\"web\",\"port\":8080,\"ver\":\"1.0\",\"on\":\"yes\","
                                                   "\"ssh\":\"22:22\",\"day\":\"2024-01-02\",\"none\":null,"
                                                   "\"tags\":[\"a\",\"b c\"]}")
                                     << QString("name: web\nport: 8080\nver: \"1.0\"\n\"on\": \"yes\"\n"
                                                "ssh: \"22:22\"\nday: \"2024-01-02\"\nnone: null\ntags:\n- a\n- b c\n");
        QTest::newRow("flow yaml") << QByteArray("{a: [1, 2], b: {c: d}}")
                                   << QString("a:\n- 1\n- 2\nb:\n  c: d\n");
        QTest::newRow("multi-line string") << QByteArray("{\"script\":\"echo one\\necho two\\n\"}")
                                           << QString("script: |\n  echo one\n  echo two\n");
        QTest::newRow("aliases kept, not expanded") << QByteArray("base: &b {x: 1}\nother: *b\n")
                                                    << QString("base: &b\n  x: 1\nother: *b\n");
        QTest::newRow("empty collections") << QByteArray("{\"a\":{},\"b\":[]}") << QString("a: {}\nb: []\n");
        QTest::newRow("unicode kept") << QByteArray("{\"city\":\"K\xc3\xb6ln\"}") << QString::fromUtf8("city: Köln\n");
    }

    void shouldShowStructuredValuesAsBlockYaml()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, expected);
        const auto view = yamlView(value);
        if (const auto* notYaml = std::get_if<NotYaml>(&view))
            QFAIL(qPrintable(notYaml->reason));
        QCOMPARE(std::get<YamlText>(view).text, expected);
        // The view of the view is itself: emitting is stable.
        const auto again = yamlView(expected.toUtf8());
        QVERIFY(std::holds_alternative<YamlText>(again));
        QCOMPARE(std::get<YamlText>(again).text, expected);
    }

    void shouldCountDocuments()
    {
        const auto view = yamlView("a: 1\n---\nb: 2\n");
        QVERIFY(std::holds_alternative<YamlText>(view));
        QCOMPARE(std::get<YamlText>(view).documents, 2);
        QCOMPARE(std::get<YamlText>(view).text, QString("a: 1\n---\nb: 2\n"));
    }

    void shouldExplainWhyAValueHasNoYamlView_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<qsizetype>("maxBytes");
        QTest::addColumn<QString>("reasonContains");
        QTest::newRow("plain text") << QByteArray("hello world") << qsizetype(1024) << QString("Plain text");
        QTest::newRow("a number") << QByteArray("42") << qsizetype(1024) << QString("Plain text");
        QTest::newRow("unclosed list") << QByteArray("a: [1, 2\n") << qsizetype(1024) << QString("line 2");
        QTest::newRow("binary") << QByteArray("\xff\x00\x01", 3) << qsizetype(1024) << QString("Binary");
        QTest::newRow("control character") << QByteArray("a: \x01\n") << qsizetype(1024) << QString("Not YAML");
        QTest::newRow("too large") << QByteArray("a: 1\n").repeated(300) << qsizetype(1024) << QString("larger");
        QTest::newRow("empty") << QByteArray() << qsizetype(1024) << QString("empty");
    }

    void shouldExplainWhyAValueHasNoYamlView()
    {
        QFETCH(QByteArray, value);
        QFETCH(qsizetype, maxBytes);
        QFETCH(QString, reasonContains);
        const auto view = yamlView(value, maxBytes);
        const auto* notYaml = std::get_if<NotYaml>(&view);
        if (!notYaml)
            QFAIL(qPrintable("shown as YAML: " + std::get<YamlText>(view).text));
        QVERIFY2(notYaml->reason.contains(reasonContains), qPrintable(notYaml->reason));
    }

    // --- Kubernetes protobuf values ---------------------------------------------------------------
    void shouldDecodeAKubernetesProtobufValue()
    {
        // Given a Pod as Kubernetes stores it: "k8s\0", then runtime.Unknown
        // {typeMeta{apiVersion, kind}, raw object}, encoded here by hand
        using namespace etcdscope::testing::protobuf;
        const QByteArray metadata = bytesField(1, "web-1") + bytesField(3, "default") + numberField(7, 3)
            + bytesField(8, numberField(1, 1700000000)) + bytesField(11, bytesField(1, "app") + bytesField(2, "web"));
        const QByteArray container = bytesField(1, "web") + bytesField(2, "nginx:1.25");
        const QByteArray object = bytesField(1, metadata) + bytesField(2, bytesField(2, container))
            + bytesField(3, bytesField(1, "Running"));
        const QByteArray value = kubernetesEnvelope("v1", "Pod", object);

        // When it is decoded
        const auto pod = decodeKubernetesValue(value);
        // Then the type is named and every field is readable, nested as stored
        QVERIFY(pod);
        QCOMPARE(pod->apiVersion, QString("v1"));
        QCOMPARE(pod->kind, QString("Pod"));
        const QStringList lines = pod->fields.split('\n');
        // (ObjectMeta's fields by name, as every Kubernetes object has them; a
        // Pod's spec and status too; the rest by number)
        QCOMPARE(lines, (QStringList{"1 metadata: {", "  1 name: \"web-1\"", "  3 namespace: \"default\"",
                                     "  7 generation: 3", "  8 creationTimestamp: 2023-11-14T22:13:20Z",
                                     "  11 labels[\"app\"]: \"web\"", "}", "2 spec: {", "  2: {", "    1: \"web\"",
                                     "    2: \"nginx:1.25\"", "  }", "}", "3 status: {", "  1: \"Running\"", "}"}));
        QCOMPARE(kubernetesPreview(*pod, value.size()),
                 QString("v1 Pod (Kubernetes protobuf, %1 bytes)").arg(value.size()));
        // And previews in the watch tree and timeline use it instead of "<N bytes>"
        QVERIFY(valuePreview(value).startsWith("v1 Pod"));
        // ... named as the key names it under /registry/, and a value of another kind said so
        QCOMPARE(valuePreview("/registry/pods/default/web-1", value, 120),
                 QString("Pod default/web-1 (v1, Kubernetes protobuf, %1 bytes)").arg(value.size()));
        QVERIFY(valuePreview("/registry/deployments/default/web-1", value, 120)
                    .startsWith("Deployment default/web-1? the value is v1 Pod"));
        QCOMPARE(valuePreview("/registry/example.com/widgets/shop/blue", R"({"kind":"Widget"})", 120),
                 QString("widgets.example.com shop/blue (JSON, 17 bytes)"));
        QCOMPARE(valuePreview("/config/app", "plain", 120), QString("plain"));
        // ... and a CBOR-encoded custom resource (KEP-4222: the self-described CBOR tag first) is named
        const QByteArray cbor("\xd9\xd9\xf7\xa2\x64kind\x66Widget", 16);
        QCOMPARE(valuePreview(cbor), QString("Kubernetes CBOR (KEP-4222), 16 bytes"));
        QVERIFY(textOrBinaryNotice(cbor).contains("CBOR (KEP-4222)"));
        // And by its schema it is the JSON Kubernetes writes: Go's field order, omitempty as Go applies it
        // (a container's resources is a struct, so "{}" even when empty), the timestamp in RFC 3339
        QVERIFY2(pod->bySchema(), qPrintable(pod->problem));
        const QByteArray expected = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default",)"
            R"("generation":3,"creationTimestamp":"2023-11-14T22:13:20Z","labels":{"app":"web"}},"spec":{"containers":)"
            R"([{"name":"web","image":"nginx:1.25","resources":{}}]},"status":{"phase":"Running"}})";
        QCOMPARE(QJsonDocument::fromJson(pod->json.toUtf8()), QJsonDocument::fromJson(expected));

        // And the detail pane shows it as YAML and JSON
        DetailPane pane;
        pane.resize(900, 700);
        pane.showKeyValue("/registry/pods/default/web-1", value, 5, 5, 1, 0, 0);
        auto* yaml = pane.findChild<QPlainTextEdit*>("detailYaml");
        QVERIFY(yaml);
        QVERIFY2(yaml->toPlainText().startsWith("kind: Pod\napiVersion: v1\nmetadata:\n  name: web-1"),
                 qPrintable(yaml->toPlainText()));

        // And a stored Deployment (Kubernetes' own fixture) reads the same way; the screenshot is looked at
        QFile stored(QStringLiteral(ETCDSCOPE_K8S_FIXTURES "/apps.v1.Deployment.pb"));
        QVERIFY(stored.open(QIODevice::ReadOnly));
        pane.showKeyValue("/registry/deployments/default/web", stored.readAll(), 7, 6, 2, 0, 0);
        QVERIFY(yaml->toPlainText().startsWith("kind: Deployment\napiVersion: apps/v1\nmetadata:"));
        QVERIFY(yaml->toPlainText().contains("\nspec:\n  replicas: 1\n"));
        auto* tabs = pane.findChild<QTabWidget*>();
        QVERIFY(tabs);
        tabs->setCurrentWidget(yaml);
        const QImage shot = pane.grab().toImage();
        QCOMPARE(shot.size(), pane.size());
        shot.save(QDir::temp().filePath("detail-deployment-yaml.png"));

        // And anything else is left alone
        QVERIFY(!decodeKubernetesValue("{\"kind\":\"Pod\"}"));
        QVERIFY(!decodeKubernetesValue(value.left(12)));  // the envelope cut short
        QVERIFY(!decodeKubernetesValue(QByteArray("k8s\0", 4)));

        // And the Watches tab names the object beside its key (screenshot looked at)
        MonitorView view;
        view.resize(1200, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.addWatch(prefixWatch(1, "/registry/"));
        EventRecord event = put(1, "/registry/pods/default/web-1", "", 12);
        event.value = value;
        view.showRecords(std::make_shared<std::vector<EventRecord>>(std::vector<EventRecord>{event}));
        QTRY_COMPARE(view.timelineModel()->rowCount(), 1);
        QCOMPARE(view.timelineModel()->index(0, EventTimelineModel::ValueColumn).data().toString(),
                 QString("Pod default/web-1 (v1, Kubernetes protobuf, %1 bytes)").arg(value.size()));
        QTest::qWait(120);  // the views repaint at most every 50 ms while batches arrive: for the picture only
        view.grab().save(QDir::temp().filePath("watches-kubernetes-label.png"));
    }

    void shouldSayWhatChangedInAKubernetesObjectAndWhoOwnsIt()
    {
        // Given two versions of a Deployment as Kubernetes stores them: scaled from 2 to 3 replicas by
        // the controller manager (its managedFields entry owns spec.replicas), a new resourceVersion
        using namespace etcdscope::testing::protobuf;
        auto deployment = [](const char* resourceVersion, int generation, int replicas) {
            const QByteArray fields = bytesField(1, R"({"f:spec":{"f:replicas":{}}})");
            const QByteArray managed = bytesField(1, "kube-controller-manager") + bytesField(2, "Update")
                + bytesField(3, "apps/v1") + bytesField(6, "FieldsV1") + bytesField(7, fields) + bytesField(8, "scale");
            const QByteArray metadata = bytesField(1, "web") + bytesField(3, "default") + bytesField(6, resourceVersion)
                + numberField(7, quint64(generation)) + bytesField(17, managed);
            const QByteArray spec = numberField(1, quint64(replicas)) + bytesField(3, bytesField(2, bytesField(2,
                bytesField(1, "web") + bytesField(2, "nginx:1.27"))));
            return kubernetesEnvelope("apps/v1", "Deployment", bytesField(1, metadata) + bytesField(2, spec));
        };
        EventRecord r = put(1, "/registry/deployments/default/web", "", 187);
        r.value = deployment("187", 5, 3);
        r.prevValue = deployment("100", 4, 2);
        r.hasPrevValue = true;

        // When the change is shown
        DetailPane pane;
        pane.resize(900, 460);
        pane.showRecord(r, "prefix /registry/");
        auto* diff = pane.findChild<QTextEdit*>("detailDiff");
        QVERIFY(diff);
        const QString shown = diff->toPlainText();
        // Then the Diff tab says which field changed, from what to what, and who owns it
        QVERIFY2(shown.contains("kube-controller-manager (scale): spec.replicas 2 \u2192 3"), qPrintable(shown));
        QVERIFY(shown.contains("generation 4 \u2192 5"));
        QVERIFY(!shown.contains("resourceVersion \"100\" \u2192"));
        // ... above the line diff of the two objects as JSON
        QVERIFY(shown.contains("-     \"replicas\": 2,"));
        auto* tabs = pane.findChild<QTabWidget*>();
        tabs->setCurrentWidget(diff);
        pane.grab().save(QDir::temp().filePath("detail-deployment-diff.png"));
    }

    void shouldNameAnEncryptedSecretAndDecryptItWithTheClustersKeys()
    {
        // Given a Secret encrypted at rest by aescbc (key "k1"), as the API server stores it: the prefix,
        // the IV, then AES-256-CBC by the openssl program
        QFile stored(QStringLiteral(ETCDSCOPE_K8S_FIXTURES "/core.v1.Secret.pb"));
        QVERIFY(stored.open(QIODevice::ReadOnly));
        const QByteArray key = QByteArray("0123456789abcdef0123456789abcdef");
        const QByteArray iv = QByteArray("fedcba9876543210");
        QProcess openssl;
        openssl.start("openssl", {"enc", "-aes-256-cbc", "-K", key.toHex(), "-iv", iv.toHex()});
        openssl.write(stored.readAll());
        openssl.closeWriteChannel();
        QVERIFY(openssl.waitForFinished(30'000) && openssl.exitCode() == 0);
        const QByteArray value = "k8s:enc:aescbc:v1:k1:" + iv + openssl.readAllStandardOutput();
        const QByteArray etcdKey = "/registry/secrets/default/db";
        kubernetes::useEncryptionKeys(nullptr);

        // When it is shown without the keys
        DetailPane pane;
        pane.resize(900, 420);
        pane.showKeyValue(etcdKey, value, 9, 9, 1, 0, 0);
        auto* text = pane.findChild<QPlainTextEdit*>("detailText");
        QVERIFY(text);
        // Then it is named by provider and key, with what to do
        QVERIFY2(text->toPlainText().contains("encrypted by aescbc (key k1)"), qPrintable(text->toPlainText()));
        QVERIFY(text->toPlainText().contains("EncryptionConfiguration"));
        QVERIFY(valuePreview(value).contains("encrypted by aescbc (key k1)"));
        pane.grab().save(QDir::temp().filePath("detail-secret-encrypted.png"));

        // When the cluster's EncryptionConfiguration is given
        std::string error;
        auto keys = kubernetes::parseEncryptionConfiguration(
            "kind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n"
            "      keys:\n      - name: k1\n        secret: " + key.toBase64().toStdString() + "\n",
            "enc.yaml", &error);
        QVERIFY2(keys, error.c_str());
        kubernetes::useEncryptionKeys(std::make_shared<const kubernetes::EncryptionKeys>(std::move(*keys)));
        pane.showKeyValue(etcdKey, value, 9, 9, 1, 0, 0);
        // Then the Secret inside is decoded by its schema
        QVERIFY2(text->toPlainText().startsWith("v1 Secret ("), qPrintable(text->toPlainText().left(200)));
        QVERIFY(text->toPlainText().contains("encrypted by aescbc (key k1), decrypted"));
        QVERIFY(text->toPlainText().contains("\"data\": {"));
        pane.grab().save(QDir::temp().filePath("detail-secret-decrypted.png"));
        kubernetes::useEncryptionKeys(nullptr);
    }
};

QTEST_MAIN(TestModels)
#include "tst_models.moc"
