#include "window/main_window.h"

#include "admin/admin_client.h"
#include "cluster/cluster_view.h"
#include "cluster/leases_view.h"
#include "decode/value_text.h"
#include "keys/key_browser.h"
#include "keys/key_tree_model.h"
#include "monitor/add_watch_dialog.h"
#include "monitor/monitor_view.h"
#include "insight/churn_view.h"
#include "insight/db_growth_view.h"
#include "insight/insight_view.h"
#include "insight/watch_health_view.h"
#include "monitor/history_window.h"
#include "monitor/offline_log_window.h"
#include "shared/encryption_keys.h"
#include "shared/status_colours.h"
#include "window/connection_flow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QToolBar>

namespace etcdscope::ui {

namespace {

constexpr int kNotificationMinIntervalMs = 5000;
constexpr int kNotificationShownMs = 4000;
constexpr int kMessageShownMs = 10'000;
constexpr int kProgressAnswerShownMs = 6000;
constexpr int kCountersIntervalMs = 100;
// The cluster view (and with it leader changes on the chart) refreshes this often.
constexpr int kClusterRefreshMs = 5000;
constexpr char kDefaultEndpoint[] = "127.0.0.1:2379";
// First-run layout; later runs restore what the person chose.
constexpr int kTreeWidth = 400;
constexpr int kTimelineHeight = 430;
constexpr int kDetailHeight = 170;
constexpr int kChartHeight = 260;

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

}  // namespace

MainWindow::MainWindow(MainWindowOptions options, QWidget* parent)
    : QMainWindow(parent)
    , options_(std::move(options))
    , controller_(new MonitorController({options_.dataDirectory, options_.demoWatches, {}}, this))
    , connection_(new ConnectionFlow(this))
{
    setWindowTitle(tr("etcdscope"));
    setWindowIcon(QIcon(":/etcdscope/etcdscope.svg"));
    monitor_ = new MonitorView;
    monitor_->setObjectName("monitorView");
    buildActions();
    buildToolBar();
    buildTabs();
    buildStatusBar();
    restoreLayout();
    bindController();
    controller_->start();
}

MainWindow::~MainWindow() = default;

WatchTreeModel* MainWindow::treeModel() const { return monitor_->treeModel(); }
EventTimelineModel* MainWindow::timelineModel() const { return monitor_->timelineModel(); }
RevisionChart* MainWindow::chart() const { return monitor_->chart(); }

// --- building ------------------------------------------------------------------------

void MainWindow::buildActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open log…"), QKeySequence::Open, this, [this] { openOfflineLog(this); });
    file->addAction(tr("Open &history…"), QKeySequence(tr("Ctrl+H")), this, &MainWindow::openHistoryWindow);
    file->addAction(tr("&Export events…"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportEvents);
    file->addAction(tr("&Kubernetes encryption keys…"), this, [this] { chooseEncryptionKeys(this, statusBar()); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* watch = menuBar()->addMenu(tr("&Watch"));
    watch->addAction(tr("&Add watch…"), QKeySequence::New, this, [this] { showAddWatchDialog(); });
    watch->addAction(tr("&Cancel watch"), QKeySequence::Delete, this, &MainWindow::cancelSelectedWatch);
    watch->addAction(tr("Request &progress"), QKeySequence(tr("Ctrl+R")), controller_,
                     &MonitorController::requestProgress);
    watch->addSeparator();
    pauseAction_ = watch->addAction(tr("&Pause timeline"), QKeySequence(tr("Ctrl+P")));
    pauseAction_->setCheckable(true);
    connect(pauseAction_, &QAction::toggled, monitor_, &MonitorView::setPaused);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    followAction_ = view->addAction(tr("&Follow new events"), QKeySequence(tr("Ctrl+T")));
    followAction_->setCheckable(true);
    followAction_->setChecked(true);
    connect(followAction_, &QAction::toggled, monitor_, &MonitorView::setFollow);
    groupAction_ = view->addAction(tr("&Group by revision"), QKeySequence(tr("Ctrl+G")));
    groupAction_->setCheckable(true);
    connect(groupAction_, &QAction::toggled, monitor_, &MonitorView::setGrouped);
    view->addAction(tr("&Filter…"), QKeySequence::Find, monitor_, &MonitorView::focusFilter);
    view->addAction(tr("C&lear timeline"), QKeySequence(tr("Ctrl+L")), monitor_, &MonitorView::clearTimeline);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About etcdscope"), this, [this] {
        QMessageBox::about(this, tr("About etcdscope"),
                           tr("<b>etcdscope</b> %1<br>A live monitor for etcd v3 watches: one stream, every "
                              "event exactly once, compaction shown as gaps.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::buildToolBar()
{
    QToolBar* bar = addToolBar(tr("Connection"));
    bar->setObjectName("connectionBar");
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr(" Endpoints: ")));
    endpointsEdit_ = new QLineEdit;
    endpointsEdit_->setObjectName("endpointsEdit");
    endpointsEdit_->setPlaceholderText(kDefaultEndpoint);
    endpointsEdit_->setMinimumWidth(260);
    // Filled now, not when the event log has opened: the connection dialog
    // may be opened before that.
    endpointsEdit_->setText(!options_.endpoints.isEmpty()
                                ? options_.endpoints
                                : QSettings().value("connection/endpoints", kDefaultEndpoint).toString());
    bar->addWidget(endpointsEdit_);
    connectButton_ = new QPushButton(tr("&Connect"));
    connectButton_->setObjectName("connectButton");
    connect(connectButton_, &QPushButton::clicked, this, &MainWindow::toggleConnection);
    connect(endpointsEdit_, &QLineEdit::returnPressed, this, [this] { connectToCluster(endpointsEdit_->text()); });
    bar->addWidget(connectButton_);
    bar->addAction(tr("Connection…"), this, [this] { connection_->chooseInDialog(endpointsEdit_->text()); });
    connectionLabel_ = new QLabel;
    connectionLabel_->setObjectName("connectionLabel");
    connectionLabel_->setContentsMargins(8, 0, 8, 0);
    bar->addWidget(connectionLabel_);
    bar->addSeparator();
    bar->addAction(tr("Add watch"), this, [this] { showAddWatchDialog(); });
    bar->addAction(pauseAction_);
    bar->addAction(followAction_);
    bar->addAction(groupAction_);
}

void MainWindow::buildTabs()
{
    connect(monitor_, &MonitorView::watchRequested, this, &MainWindow::showAddWatchDialog);
    connect(monitor_, &MonitorView::cancelRequested, controller_, &MonitorController::cancelWatch);
    connect(monitor_, &MonitorView::notifyToggled, controller_, &MonitorController::setNotify);

    keyBrowser_ = new KeyBrowser(controller_->admin());
    keyBrowser_->setObjectName("keyBrowser");
    connect(keyBrowser_, &KeyBrowser::watchRequested, this, &MainWindow::showAddWatchDialog);
    clusterView_ = new ClusterView(controller_->admin());
    clusterView_->setObjectName("clusterView");
    connect(clusterView_, &ClusterView::leaderChanged, this, [this](quint64, quint64 to, const QString& name) {
        monitor_->markLeaderChange(nowMs(), tr("Leader changed to %1 (%2)").arg(name, hexId(to)));
    });
    connect(keyBrowser_, &KeyBrowser::writableChanged, clusterView_, &ClusterView::setWritable);
    connect(keyBrowser_, &KeyBrowser::writableChanged, this,
            [this](bool writable) { insightView_->health()->setWritable(writable); });
    connect(clusterView_, &ClusterView::maintenanceDone, this, &MainWindow::showMessage);
    connect(clusterView_, &ClusterView::refreshed, this, [this] {
        if (const ClusterStatusPtr status = clusterView_->lastStatus()) {
            insightView_->growth()->addStatus(*status, nowMs());
            insightView_->health()->setMembers(*status);
        }
    });
    leasesView_ = new LeasesView(controller_->admin());
    leasesView_->setObjectName("leasesView");

    tabs_ = new QTabWidget;
    tabs_->setObjectName("mainTabs");
    tabs_->setDocumentMode(true);
    tabs_->addTab(monitor_, tr("&Watches"));
    tabs_->addTab(keyBrowser_, tr("&Keys"));
    tabs_->addTab(clusterView_, tr("C&luster"));
    tabs_->addTab(leasesView_, tr("L&eases"));
    insightView_ = new InsightView;
    insightView_->setObjectName("insightView");
    tabs_->addTab(insightView_, tr("&Insight"));
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int tab) {
        // Leases tick down: refreshed while on show.
        leasesView_->setRefreshInterval(tab == LeasesTab ? kClusterRefreshMs : 0);
        if (tab == LeasesTab)
            leasesView_->refresh();
        // The key space is read when someone first looks at it.
        KeyTreeModel* keys = keyBrowser_->model();
        if (tab == KeysTab && keys->rowCount() == 0 && keys->pendingPages() == 0)
            keyBrowser_->browse(keys->rootPrefix(), keys->revision());
    });
    setCentralWidget(tabs_);
}

void MainWindow::buildStatusBar()
{
    stateStatus_ = new QLabel;
    revisionStatus_ = new QLabel;
    rateStatus_ = new QLabel;
    backlogStatus_ = new QLabel;
    catchUp_ = new QProgressBar;
    catchUp_->setObjectName("catchUpBar");
    catchUp_->setMaximumWidth(160);
    catchUp_->setFormat(tr("catching up %p%"));
    catchUp_->hide();
    statusBar()->addWidget(stateStatus_, 1);
    statusBar()->addPermanentWidget(catchUp_);
    statusBar()->addPermanentWidget(revisionStatus_);
    statusBar()->addPermanentWidget(rateStatus_);
    statusBar()->addPermanentWidget(backlogStatus_);
    countersTimer_.setSingleShot(true);
    countersTimer_.setInterval(kCountersIntervalMs);
    connect(&countersTimer_, &QTimer::timeout, this, &MainWindow::paintCounters);
    paintCounters();
    showStatus({});
}

void MainWindow::bindController()
{
    connect(connection_, &ConnectionFlow::connectRequested, this, &MainWindow::connectWith);
    connect(connection_, &ConnectionFlow::endpointsChosen, endpointsEdit_, &QLineEdit::setText);
    connect(connection_, &ConnectionFlow::problem, this, &MainWindow::showMessage);
    MonitorController* c = controller_;
    connect(c, &MonitorController::logOpened, this, [this] {
        if (options_.connectAtStart)
            connectToCluster(endpointsEdit_->text());
    });
    connect(c, &MonitorController::watchAdded, monitor_, &MonitorView::addWatch);
    connect(c, &MonitorController::watchRemoved, monitor_, &MonitorView::removeWatch);
    const auto countWatches = [this] { insightView_->churn()->setWatchCount(int(controller_->watches().size())); };
    connect(c, &MonitorController::watchAdded, this, countWatches);
    connect(c, &MonitorController::watchRemoved, this, countWatches);
    connect(insightView_->churn(), &ChurnView::watchEverythingRequested, this, [this] {
        WatchSpec everything;
        everything.key = std::string(1, '\0');
        everything.rangeEnd = fromKeyRangeEnd();
        controller_->addWatch(everything);
    });
    connect(c, &MonitorController::watchStateChanged, monitor_, &MonitorView::setWatchState);
    connect(c, &MonitorController::watchInfoChanged, monitor_, &MonitorView::setWatchInfo);
    connect(c, &MonitorController::batchArrived, this, [this](const UpdateBatchPtr& batch) {
        monitor_->chartUpdates(batch->updates, controller_->counters().serverRevision, nowMs());
        insightView_->churn()->addBatch(*batch, nowMs());
    });
    connect(c, &MonitorController::recordsArrived, this, &MainWindow::showRecords);
    connect(c, &MonitorController::noteAdded, monitor_, &MonitorView::addNote);
    connect(c, &MonitorController::connectionLost, this, [this] { monitor_->markReconnect(nowMs()); });
    connect(c, &MonitorController::statusChanged, this, &MainWindow::showStatus);
    connect(c, &MonitorController::countersChanged, this, &MainWindow::showCounters);
    connect(c, &MonitorController::catchUpChanged, this, &MainWindow::showCatchUp);
    connect(c, &MonitorController::errorOccurred, this, &MainWindow::showMessage);
    connect(c, &MonitorController::progressAnswered, this, [this](qint64 revision, bool ordered) {
        statusBar()->showMessage(ordered ? tr("Progress: every watch has seen revision %1.").arg(revision)
                                         : tr("etcd answered at revision %1 (a heartbeat: this etcd version "
                                              "cannot confirm per-watch progress this way).")
                                               .arg(revision),
                                 kProgressAnswerShownMs);
    });
}

// --- what the controller reports ---------------------------------------------------------

void MainWindow::showRecords(const RecordBatch& records)
{
    monitor_->showRecords(records);
    notifyIfWanted(*records);
}

void MainWindow::showStatus(const ConnectionStatus& status)
{
    const QString endpoint = QString::fromStdString(status.endpoint);
    const QString error = QString::fromStdString(status.lastError);
    QString text;
    switch (status.state) {
    case StreamState::Idle: text = tr("Not connected"); break;
    case StreamState::Opening: text = tr("Connecting to %1…").arg(endpoint); break;
    case StreamState::Open:
        text = tr("Connected to %1 (etcd %2)").arg(endpoint, QString::fromStdString(status.serverVersion));
        break;
    case StreamState::Backoff: text = tr("Reconnecting… %1").arg(error); break;
    case StreamState::Failed: text = tr("Failed: %1").arg(error); break;
    }
    stateStatus_->setText(text);
    stateStatus_->setToolTip(error);
    const StatusTone tone = status.state == StreamState::Open     ? StatusTone::Good
                            : status.state == StreamState::Failed ? StatusTone::Bad
                                                                  : StatusTone::Warning;
    connectionLabel_->setText(QStringLiteral("<span style='color:%1'>●</span> %2")
                                  .arg(statusColour(tone, palette()).name(), QString::fromLatin1(streamStateName(status.state))));
    const bool idle = status.state == StreamState::Idle || status.state == StreamState::Failed;
    connectButton_->setText(idle ? tr("&Connect") : tr("Dis&connect"));
    paintCounters();
}

void MainWindow::showCounters(const MonitorCounters& counters)
{
    // Shown at most every kCountersIntervalMs: the labels' relayout and
    // repaint at 60 batches a second would cost more than a person can read.
    counters_ = counters;
    if (!countersTimer_.isActive())
        countersTimer_.start();
}

void MainWindow::paintCounters()
{
    const MonitorCounters& counters = counters_;
    revisionStatus_->setText(counters.serverRevision > 0 ? tr("revision %1").arg(counters.serverRevision)
                                                         : tr("revision –"));
    rateStatus_->setText(tr("%1 events/s").arg(counters.eventsPerSecond));
    backlogStatus_->setText(controller_->status().readsPaused
                                ? tr("backlog: %1 (reading paused)").arg(counters.unrecorded)
                                : tr("backlog: %1").arg(counters.unrecorded));
    keyBrowser_->setStoreRevision(counters.serverRevision);
}

void MainWindow::showCatchUp(qint64 done, qint64 total)
{
    catchUp_->setVisible(total > 0);
    if (total <= 0)
        return;
    constexpr int kPermille = 1000;
    catchUp_->setRange(0, kPermille);
    catchUp_->setValue(int(done * kPermille / total));
    catchUp_->setToolTip(tr("Replaying history: %1 of %2 revisions").arg(done).arg(total));
}

void MainWindow::showMessage(const QString& sentence) { statusBar()->showMessage(sentence, kMessageShownMs); }

void MainWindow::notifyIfWanted(const std::vector<EventRecord>& records)
{
    if (isActiveWindow() || !QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (lastNotification_.isValid() && lastNotification_.elapsed() < kNotificationMinIntervalMs)
        return;
    for (const EventRecord& r : records) {
        const auto watch = controller_->watch(r.watch);
        if (!watch || !watch->notify || (r.kind != RecordKind::Put && r.kind != RecordKind::Delete))
            continue;
        if (!tray_) {
            tray_ = new QSystemTrayIcon(windowIcon(), this);
            tray_->show();
        }
        tray_->showMessage(tr("%1: %2").arg(watch->label, recordKindName(r.kind)), valuePreview(r.key, 200),
                           QSystemTrayIcon::Information, kNotificationShownMs);
        lastNotification_.restart();
        return;
    }
}

// --- watches ---------------------------------------------------------------------------

void MainWindow::showAddWatchDialog(const QByteArray& key, bool prefix)
{
    AddWatchDialog dialog(this);
    if (!key.isEmpty())
        dialog.preset(key, prefix ? AddWatchDialog::PrefixMode : AddWatchDialog::KeyMode);
    if (dialog.exec() == QDialog::Accepted)
        controller_->addWatch(dialog.spec(), dialog.notifyOnChange());
}

void MainWindow::cancelSelectedWatch()
{
    if (const auto watch = monitor_->selectedWatch())
        controller_->cancelWatch(*watch);
}

// --- connection -----------------------------------------------------------------------------

void MainWindow::connectToCluster(const QString& endpoints) { connection_->connectTo(endpoints); }

void MainWindow::connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh)
{
    QSettings().setValue("connection/endpoints", endpoints);
    controller_->connectWith(options, endpoints, afresh);
    cluster_ = options;
    clusterName_ = endpoints;
    insightView_->setCluster(cluster_, clusterName_);
    insightView_->churn()->clear();
    insightView_->growth()->clear();
    insightView_->health()->clear();
    // Keys and members of the cluster before must not stay on show, and
    // writing is switched on per connection.
    keyBrowser_->setWritable(false);
    keyBrowser_->browse(keyBrowser_->model()->rootPrefix(), keyBrowser_->model()->revision());
    clusterView_->reset();
    clusterView_->refresh();
    clusterView_->setRefreshInterval(kClusterRefreshMs);
    emit clusterChanged();
}

void MainWindow::showTab(int tab) { tabs_->setCurrentIndex(tab); }

void MainWindow::toggleConnection()
{
    const StreamState state = controller_->status().state;
    if (state == StreamState::Idle || state == StreamState::Failed) {
        connectToCluster(endpointsEdit_->text().isEmpty() ? kDefaultEndpoint : endpointsEdit_->text());
        return;
    }
    controller_->disconnectFromCluster();
    clusterView_->setRefreshInterval(0);
}

// --- history ----------------------------------------------------------------------------------

void MainWindow::openHistoryWindow()
{
    HistoryWindow* window = openHistory(this, controller_->logPath());
    if (!window)
        return;
    // Restores go to the cluster connected to, once Read-write is switched on
    // in the Keys tab, and follow it when it changes.
    auto follow = [this, window] {
        window->setCluster(cluster_, clusterName_);
        window->setWritable(keyBrowser_->writable());
    };
    follow();
    connect(this, &MainWindow::clusterChanged, window, follow);
    connect(keyBrowser_, &KeyBrowser::writableChanged, window, &HistoryWindow::setWritable);
}

// --- export ------------------------------------------------------------------------------------

void MainWindow::exportEvents()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export events"), QDir::homePath() + "/etcd-events.jsonl",
                                                      tr("JSON lines (*.jsonl);;CSV (*.csv)"));
    if (path.isEmpty())
        return;
    const ExportFormat format = path.endsWith(".csv", Qt::CaseInsensitive) ? ExportFormat::Csv : ExportFormat::Jsonl;
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto* progress = new QProgressDialog(tr("Exporting events…"), tr("Cancel"), 0, 100, this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    connect(progress, &QProgressDialog::canceled, this, [cancelled] { cancelled->store(true); });
    connect(controller_, &MonitorController::exportProgress, progress, [progress](qint64 done, qint64 total) {
        progress->setValue(total > 0 ? int(done * 100 / total) : 100);
    });
    connect(controller_, &MonitorController::exportFinished, progress,
            [this, progress](bool ok, const QString& error, const QString& file) {
                progress->deleteLater();  // and with it these connections
                showMessage(ok ? tr("Exported to %1").arg(file) : tr("Export failed: %1").arg(error));
            });
    controller_->exportEvents(path, format, monitor_->watchFilter(), monitor_->plainKeyFilter(), cancelled);
}

// --- window state -------------------------------------------------------------------------------

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/mainSplitter", monitor_->mainSplitter()->saveState());
    settings.setValue("window/rightSplitter", monitor_->rightSplitter()->saveState());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1400, 900);
    restoreState(settings.value("window/state").toByteArray());
    if (!monitor_->mainSplitter()->restoreState(settings.value("window/mainSplitter").toByteArray()))
        monitor_->mainSplitter()->setSizes({kTreeWidth, width() - kTreeWidth});
    if (!monitor_->rightSplitter()->restoreState(settings.value("window/rightSplitter").toByteArray()))
        monitor_->rightSplitter()->setSizes({kTimelineHeight, kDetailHeight, kChartHeight});
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveLayout();
    event->accept();
}

}  // namespace etcdscope::ui
