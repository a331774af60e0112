// The desktop monitor end to end, offscreen, against a real etcd.
#include "engine/server_version.h"
#include "etcd_process.h"
#include "monitor/add_watch_dialog.h"
#include "monitor/event_timeline_model.h"
#include "monitor/offline_log_window.h"
#include "monitor/revision_chart.h"
#include "monitor/watch_tree_model.h"
#include "monitor_test_helpers.h"
#include "recording/event_store.h"
#include "window/main_window.h"

#include <QAction>
#include <QComboBox>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProgressBar>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTcpServer>
#include <QTextEdit>
#include <QTreeView>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace etcdscope;
using namespace etcdscope::ui;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 20'000;

// Saves the window to the temporary folder once every view shows its rows:
// the views hold their repaints back while rows arrive (MonitorView's
// throttle), and a grab before that shows their viewports black.
void saveScreenshot(QWidget& window, const char* name)
{
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const auto views = window.findChildren<QAbstractItemView*>();
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(views.begin(), views.end(),
                                         [](QAbstractItemView* v) { return v->viewport()->updatesEnabled(); }),
                             kWaitMs);
    QApplication::processEvents();
    const QString path = QDir::temp().filePath(name);
    QVERIFY2(window.grab().save(path), qPrintable(path));
}

MainWindowOptions optionsFor(const EtcdProcess& etcd, const QTemporaryDir& data)
{
    MainWindowOptions options;
    options.endpoints = QString::fromStdString(etcd.endpoint());
    options.dataDirectory = data.path();
    return options;
}

std::vector<HistoryEvent> asHistory(const std::vector<EventRecord>& records)
{
    std::vector<HistoryEvent> events;
    for (const EventRecord& r : records) {
        if (r.kind != RecordKind::Put && r.kind != RecordKind::Delete)
            continue;
        HistoryEvent e;
        e.put = r.kind == RecordKind::Put;
        e.key = r.key.toStdString();
        e.value = r.value.toStdString();
        e.modRevision = r.modRevision;
        events.push_back(e);
    }
    return events;
}

}  // namespace

class TestMonitorEndToEnd : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void shouldShowRecordExportAndResumeWithoutGap()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir data;
        const MainWindowOptions options = optionsFor(etcd, data);
        const std::int64_t before = etcd.currentRevision();
        std::int64_t last = 0;
        {
            // Given the monitor, and a watch added through the dialog
            MainWindow window(options);
            window.show();
            addPrefixWatch(window, "app/");
            QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 1, kWaitMs);
            const WatchHandle handle = window.treeModel()->watches().front();
            QTRY_COMPARE_WITH_TIMEOUT(
                window.treeModel()->indexOfWatch(handle).siblingAtColumn(WatchTreeModel::ValueColumn).data().toString(),
                QString("live"), kWaitMs);

            // When keys change
            etcd.put("app/a", "1");
            etcd.put("app/b/c", "{\"x\":1}");
            etcd.put("other", "ignored");
            last = etcd.del("app/a");

            // Then the tree, the timeline and the chart show them
            QTRY_COMPARE_WITH_TIMEOUT(window.timelineModel()->rowCount(), 3, kWaitMs);
            QVERIFY(window.treeModel()->indexOfKey(handle, "app/b/c").isValid());
            QVERIFY(window.treeModel()->indexOfKey(handle, "app/a").data(Qt::FontRole).value<QFont>().strikeOut());
            QCOMPARE(window.timelineModel()->record(2).kind, RecordKind::Delete);
            window.chart()->redrawNow();
            QVERIFY(window.chart()->pointCount(handle) > 0);
            QTRY_COMPARE_WITH_TIMEOUT(window.eventsRecorded(), 3, kWaitMs);
            // And the watch's tooltip carries the engine's diagnostics
            const QString tip = window.treeModel()->indexOfWatch(handle).data(Qt::ToolTipRole).toString();
            QVERIFY2(tip.contains("Watch ID on the stream") && tip.contains(QString("Next revision (resumes from): %1").arg(last + 1)),
                     qPrintable(tip));
        }

        // When the monitor is closed, keys change, and it is opened again
        etcd.put("app/while-closed", "1");
        last = etcd.put("app/b/c", "{\"x\":2}");
        {
            MainWindow window(options);
            window.show();
            QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 1, kWaitMs);
            // Then the changes made meanwhile arrive: the watch resumed from its last revision
            QTRY_COMPARE_WITH_TIMEOUT(window.timelineModel()->rowCount(), 2, kWaitMs);
            QCOMPARE(window.timelineModel()->record(0).key, QByteArray("app/while-closed"));
            QTRY_COMPARE_WITH_TIMEOUT(window.eventsRecorded(), 2, kWaitMs);
        }

        // And the recorded log, exported, equals etcd's own history: no gap, no repeat
        QString storeError;
        auto store = EventStore::open(data.filePath("events.sqlite"), &storeError);
        QVERIFY2(store, qPrintable(storeError));
        const QString exported = data.filePath("export.jsonl");
        QVERIFY2(store->exportTo(exported, ExportFormat::Jsonl, {}, {}, &storeError), qPrintable(storeError));
        QFile file(exported);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto fromExport = parseCliJsonl(file.readAll());
        const auto expected = etcd.history("app/", "app0", before + 1, last);
        QCOMPARE(fromExport.size(), expected.size());
        QVERIFY(fromExport == expected);
        // And both the export and the recorded log open offline with the same events
        store.reset();
        for (const QString& path : {exported, data.filePath("events.sqlite")}) {
            const OfflineLog offline = readOfflineLog(path, &storeError);
            QVERIFY2(storeError.isEmpty(), qPrintable(storeError));
            QVERIFY2(asHistory(offline.records) == expected, qPrintable(path));
        }
        QCOMPARE(readOfflineLog(data.filePath("events.sqlite"), &storeError).labels.value(1), QString("prefix app/"));
    }

    void shouldShowSelectedEventWithDiffAgainstPreviousValue()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        etcd.put("config/api.json", R"({"replicas":3,"timeout_ms":200,"owner":"team-a"})");
        QTemporaryDir data;
        const MainWindowOptions options = optionsFor(etcd, data);
        MainWindow window(options);
        window.resize(1400, 900);
        window.show();
        WatchSpec spec;
        spec.key = "config/";
        spec.rangeEnd = prefixRangeEnd("config/");
        spec.prevKv = true;
        window.addWatch(spec);
        QTRY_COMPARE_WITH_TIMEOUT(
            window.treeModel()->index(0, WatchTreeModel::ValueColumn).data().toString(), QString("live"), kWaitMs);
        etcd.put("config/api.json", R"({"replicas":5,"timeout_ms":200,"owner":"team-a"})");
        QTRY_COMPARE_WITH_TIMEOUT(window.timelineModel()->rowCount(), 1, kWaitMs);

        // When the person selects the event
        auto* view = window.findChild<QTableView*>("timeline");
        QVERIFY(view);
        view->selectRow(0);
        auto* pane = window.findChild<QWidget*>("eventDetail");
        QVERIFY(pane);
        auto* tabs = pane->findChild<QTabWidget*>("detailTabs");
        QVERIFY(tabs);
        auto* diff = pane->findChild<QTextEdit*>("detailDiff");
        QVERIFY(diff);
        tabs->setCurrentWidget(diff);
        // Then the diff of the pretty-printed JSON shows exactly the changed line
        const QString text = diff->toPlainText();
        QVERIFY2(text.contains("-     \"replicas\": 3,") && text.contains("+     \"replicas\": 5,"), qPrintable(text));
        QVERIFY(text.contains("      \"owner\": \"team-a\""));
        saveScreenshot(window, "monitor-detail.png");
    }

    // Issue 18, defect 1, in the monitor: the events etcd serves at the
    // compaction revision are shown after the gap, and the gap says when
    // this etcd may have left out DELETEs there.
    void shouldShowWhatEtcdServesAtTheCompactionRevision()
    {
        // Given app/k written five times and history compacted at the third write
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::vector<std::int64_t> revisions;
        for (int i = 1; i <= 5; ++i)
            revisions.push_back(etcd.put("app/k", "v" + std::to_string(i)));
        const std::int64_t compactAt = revisions[2];
        etcd.compact(compactAt);
        const auto status = etcd.status();
        QVERIFY(status);
        const bool mayLackDeletes = !compactRevisionKeepsDeletes(status->version());
        QTemporaryDir data;
        MainWindow window(optionsFor(etcd, data));
        window.resize(1400, 900);
        window.show();

        // When the person watches app/ from revision 1
        WatchSpec spec;
        spec.key = "app/";
        spec.rangeEnd = prefixRangeEnd("app/");
        spec.startRevision = 1;
        window.addWatch(spec);

        // Then the timeline shows the gap below the compaction, then the three writes etcd still serves
        const EventTimelineModel* model = window.timelineModel();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, kWaitMs);
        QCOMPARE(int(model->record(0).kind), int(RecordKind::Gap));
        QCOMPARE(model->record(0).gapTo, compactAt - 1);
        QCOMPARE(model->record(1).modRevision, compactAt);
        QCOMPARE(model->record(1).value, QByteArray("v3"));
        QCOMPARE(model->record(3).value, QByteArray("v5"));
        // And the gap's row and its detail say whether that revision may lack its DELETEs
        const QString row = model->index(0, EventTimelineModel::KeyColumn).data().toString();
        QCOMPARE(row.contains("may lack its DELETEs"), mayLackDeletes);
        auto* view = window.findChild<QTableView*>("timeline");
        QVERIFY(view);
        view->selectRow(0);
        auto* pane = window.findChild<QWidget*>("eventDetail");
        QVERIFY(pane);
        auto* header = pane->findChild<QLabel*>("detailHeader");
        QVERIFY(header);
        QCOMPARE(header->text().contains("may leave out the DELETEs made at it"), mayLackDeletes);
        saveScreenshot(window, "monitor-compaction-gap.png");
    }

    void shouldShowATransactionAcrossWatchesAsOneGroup()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir data;
        const MainWindowOptions options = optionsFor(etcd, data);
        MainWindow window(options);
        window.resize(1400, 900);
        window.show();
        for (const char* prefix : {"svc/", "cfg/"}) {
            WatchSpec spec;
            spec.key = prefix;
            spec.rangeEnd = prefixRangeEnd(prefix);
            window.addWatch(spec);
        }
        QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->index(1, WatchTreeModel::ValueColumn).data().toString(),
                                  QString("live"), kWaitMs);
        // When one transaction changes keys of both watches, then one more key
        const std::int64_t txn = etcd.txnPuts({{"svc/a", "1"}, {"svc/b", "2"}, {"cfg/x", "3"}});
        etcd.put("svc/c", "4");
        QTRY_COMPARE_WITH_TIMEOUT(window.timelineModel()->rowCount(), 4, kWaitMs);
        // And the person groups the timeline by revision
        QAction* group = findAction(&window, "&Group by revision");
        QVERIFY(group);
        group->trigger();
        auto* view = window.findChild<QTreeView*>("groupedTimeline");
        QVERIFY(view && view->isVisible());
        // Then the transaction is one row over both watches, opening onto its three events
        const QAbstractItemModel* model = view->model();
        QCOMPARE(model->rowCount(), 2);
        QCOMPARE(model->index(0, EventTimelineModel::RevisionColumn).data().toLongLong(), txn);
        QCOMPARE(model->index(0, EventTimelineModel::WatchColumn).data().toString(), QString("2 watches"));
        QCOMPARE(model->rowCount(model->index(0, 0)), 3);
        view->expandAll();
        view->setCurrentIndex(model->index(2, 0, model->index(0, 0)));
        saveScreenshot(window, "monitor-grouped.png");
    }

    void shouldShowCatchUpProgressWhileReplayingHistory()
    {
        // Given 20,000 events of history over 2,000 revisions: more than the
        // 1,000 revisions etcd puts in one catch-up response
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::int64_t last = 0;
        for (int i = 0; i < 2000; ++i) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int j = 0; j < 10; ++j)
                puts.emplace_back("h/" + std::to_string(j), std::to_string(i));
            last = etcd.txnPuts(puts);
        }
        QTemporaryDir data;
        const MainWindowOptions options = optionsFor(etcd, data);
        MainWindow window(options);
        window.show();
        auto* bar = window.findChild<QProgressBar*>("catchUpBar");
        QVERIFY(bar);
        QSignalSpy progressed(bar, &QProgressBar::valueChanged);
        // When a watch replays it from revision 1
        WatchSpec spec;
        spec.key = "h/";
        spec.rangeEnd = prefixRangeEnd("h/");
        spec.startRevision = 1;
        window.addWatch(spec);
        // Then the bar moves while it replays and is gone once it has caught up
        QTRY_COMPARE_WITH_TIMEOUT(window.eventsRecorded(), 20'000, 60'000);
        const bool sawPartialProgress = std::any_of(progressed.begin(), progressed.end(), [&](const QList<QVariant>& v) {
            return v[0].toInt() > bar->minimum() && v[0].toInt() < bar->maximum();
        });
        QVERIFY(sawPartialProgress);
        QTRY_VERIFY_WITH_TIMEOUT(!bar->isVisible(), kWaitMs);
        const auto* timeline = window.timelineModel();
        QTRY_COMPARE_WITH_TIMEOUT(timeline->rowCount(), 20'000, kWaitMs);
        QCOMPARE(timeline->record(timeline->rowCount() - 1).modRevision, last);
        for (int row = 1; row < timeline->rowCount(); ++row)
            QVERIFY(timeline->record(row).modRevision >= timeline->record(row - 1).modRevision);
    }

    void shouldResumeOnTheClusterStartedAfreshAfterARestart()
    {
        // Given the monitor watching app/ on cluster A, which is at a high revision
        EtcdProcess a;
        const std::string aError = a.start();
        QVERIFY2(aError.empty(), aError.c_str());
        EtcdProcess b;
        const std::string bError = b.start();
        QVERIFY2(bError.empty(), bError.c_str());
        for (int i = 0; i < 20; ++i)
            a.put("app/a", std::to_string(i));
        QTemporaryDir data;
        MainWindowOptions options = optionsFor(a, data);
        {
            MainWindow window(options);
            window.show();
            addPrefixWatch(window, "app/");
            QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 1, kWaitMs);
            const WatchHandle handle = window.treeModel()->watches().front();
            auto state = [&] {
                return window.treeModel()->indexOfWatch(handle).siblingAtColumn(WatchTreeModel::ValueColumn).data().toString();
            };
            QTRY_COMPARE_WITH_TIMEOUT(state(), QString("live"), kWaitMs);
            a.put("app/a", "last on A");
            QTRY_COMPARE_WITH_TIMEOUT(window.eventsRecorded(), 1, kWaitMs);

            // When the person points it at cluster B, starting afresh, and closes it
            // before anything changes on B
            QTimer::singleShot(0, &window, [&b] {
                QDialog* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
                QVERIFY(dialog);
                dialog->findChild<QLineEdit*>("endpointsEdit")->setText(QString::fromStdString(b.endpoint()));
                dialog->findChild<QCheckBox*>("afreshCheck")->setChecked(true);
                dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
            });
            findAction(&window, "Connection…")->trigger();
            // (live on B: resuming from B's next revision)
            const QString onB = QString("Next revision (resumes from): %1<").arg(b.currentRevision() + 1);
            QTRY_VERIFY_WITH_TIMEOUT(
                window.treeModel()->indexOfWatch(handle).data(Qt::ToolTipRole).toString().contains(onB), kWaitMs);
            QCOMPARE(state(), QString("live"));
        }
        // (the stored resume point is B's revision now, not A's)
        {
            QString storeError;
            auto store = EventStore::open(data.filePath("events.sqlite"), &storeError);
            QVERIFY2(store, qPrintable(storeError));
            QTRY_VERIFY_WITH_TIMEOUT(store->watches().size() == 1 && store->watches().front().lastRevision < 20,
                                     kWaitMs);
        }

        // Then, opened again, it resumes on B and shows B's next change
        options.endpoints = QString::fromStdString(b.endpoint());
        MainWindow window(options);
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 1, kWaitMs);
        const std::int64_t onB = b.put("app/b", "first on B");
        QVERIFY(onB < 20);  // B's revisions are below the ones seen on A
        auto shown = [&] {
            for (int row = 0; row < window.timelineModel()->rowCount(); ++row)
                if (window.timelineModel()->record(row).key == "app/b")
                    return window.timelineModel()->record(row).modRevision;
            return qint64(0);
        };
        QTRY_COMPARE_WITH_TIMEOUT(shown(), qint64(onB), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(window.eventsRecorded(), 1, kWaitMs);
    }

    void shouldKeepWhatWasRecordedWhenTheMonitorIsKilled()
    {
        // Given the monitor as its own process, in demo mode (watching services/)
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir data;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", data.filePath("config"));  // its settings stay in the test's folder
        const QStringList arguments{"--endpoints", QString::fromStdString(etcd.endpoint()), "--data-dir", data.path(),
                                    "--demo"};
        QProcess monitor;
        monitor.setProcessEnvironment(env);
        monitor.start(QStringLiteral(ETCDSCOPE_GUI_PATH), arguments);
        QVERIFY(monitor.waitForStarted());
        QString storeError;
        std::unique_ptr<EventStore> store;
        QTRY_VERIFY_WITH_TIMEOUT((store = EventStore::open(data.filePath("events.sqlite"), &storeError))
                                     && store->watches().size() == 3,
                                 kWaitMs);
        const std::vector<WatchDefinition> watches = store->watches();
        const auto services = std::find_if(watches.begin(), watches.end(), [](const WatchDefinition& w) {
            return w.label.startsWith("prefix services/");
        });
        QVERIFY(services != watches.end());
        RecordFilter onlyServices;
        onlyServices.watch = services->storeId;
        // The watch starts "from now": write probes until one is recorded, so
        // that it is known to be live (a write before its creation is not its).
        bool live = false;
        for (int probe = 0; probe < 100 && !live; ++probe) {
            etcd.put("services/probe", std::to_string(probe));
            live = QTest::qWaitFor([&] { return store->count(onlyServices) > 0; }, 200);
        }
        QVERIFY(live);
        // Every probe from the first recorded one on is its; wait for all of them.
        const std::int64_t firstRecorded = store->read(onlyServices, 0, 1).front().modRevision;
        QTRY_COMPARE_WITH_TIMEOUT(store->count(onlyServices), etcd.currentRevision() - firstRecorded + 1, kWaitMs);
        const qint64 baseline = store->count(onlyServices);
        for (int i = 0; i < 50; ++i)
            etcd.put("services/a" + std::to_string(i % 7), std::to_string(i));
        QTRY_COMPARE_WITH_TIMEOUT(store->count(onlyServices), baseline + 50, kWaitMs);

        // When the monitor is killed, keys change while it is gone, and it starts again
        monitor.kill();
        QVERIFY(monitor.waitForFinished(10'000));
        std::int64_t last = 0;
        for (int i = 0; i < 30; ++i)
            last = etcd.put("services/b" + std::to_string(i % 5), std::to_string(i));
        monitor.start(QStringLiteral(ETCDSCOPE_GUI_PATH), arguments);
        QVERIFY(monitor.waitForStarted());

        // Then the log holds every event exactly once: what was recorded before
        // the crash, and what happened while it was down
        QTRY_COMPARE_WITH_TIMEOUT(store->count(onlyServices), baseline + 80, kWaitMs);
        monitor.kill();
        monitor.waitForFinished(10'000);
        QCOMPARE(store->watches().size(), 3u);
        const auto recorded = asHistory(store->read(onlyServices, 0, 1000));
        const auto expected = etcd.history("services/", "services0", firstRecorded, last);
        QCOMPARE(recorded.size(), expected.size());
        QVERIFY(recorded == expected);
    }

    void shouldStayResponsiveWhileAnEndpointHangs()
    {
        // Given an endpoint that accepts connections and never answers, so
        // every attempt lasts the whole dial timeout
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QTemporaryDir data;
        MainWindowOptions options;
        options.endpoints = QString("127.0.0.1:%1").arg(silent.serverPort());
        options.dataDirectory = data.path();
        options.demoWatches = true;
        MainWindow window(options);
        window.show();
        // When the session tries (and fails) to connect several times
        int ticks = 0;
        QTimer heartbeat;
        heartbeat.setInterval(20);
        QObject::connect(&heartbeat, &QTimer::timeout, [&] { ++ticks; });
        heartbeat.start();
        auto* status = window.findChild<QLabel*>("connectionLabel");
        QVERIFY(status);
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("reconnecting"), 30'000);
        // Then the GUI thread kept turning its event loop during the attempt:
        // a blocked thread would have delivered no heartbeat at all
        QVERIFY2(ticks >= 10, qPrintable(QString::number(ticks)));
        QVERIFY(window.isVisible());
    }
};

QTEST_MAIN(TestMonitorEndToEnd)
#include "tst_monitor_e2e.moc"
