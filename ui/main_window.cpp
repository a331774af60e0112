#include "main_window.h"

#include "offline_log_window.h"

#include "add_watch_dialog.h"
#include "cluster_view.h"
#include "connection_dialog.h"
#include "detail_pane.h"
#include "event_timeline_model.h"
#include "key_browser.h"
#include "key_tree_model.h"
#include "leases_view.h"
#include "thread_handoff.h"
#include "revision_chart.h"
#include "revision_group_model.h"
#include "watch_tree_model.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

Q_LOGGING_CATEGORY(lcUi, "etcdscope.ui", QtInfoMsg)

namespace etcdscope::ui {

namespace {

constexpr int kRateIntervalMs = 1000;
constexpr int kNotificationMinIntervalMs = 5000;
// The cluster view (and with it leader changes on the chart) refreshes this often.
constexpr int kClusterRefreshMs = 5000;
// A replaying watch whose range has no events left below its target sends
// nothing more; after this long without a batch it counts as caught up.
constexpr qint64 kCatchUpQuietMs = 1500;
constexpr int kNotificationShownMs = 4000;
constexpr char kDefaultEndpoint[] = "127.0.0.1:2379";
// First-run layout; later runs restore what the person chose.
constexpr int kTreeWidth = 400;
constexpr int kTimelineHeight = 430;
constexpr int kDetailHeight = 170;
constexpr int kChartHeight = 260;
constexpr int kChartMinimumHeight = 200;

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

WatchSpec prefixSpec(const char* prefix, bool prevKv)
{
    WatchSpec spec;
    spec.key = prefix;
    spec.rangeEnd = prefixRangeEnd(prefix);
    spec.prevKv = prevKv;
    return spec;
}

EventRecord noteRecord(const QString& text)
{
    EventRecord r;
    r.receivedMs = nowMs();
    r.kind = RecordKind::Note;
    r.note = text;
    return r;
}

}  // namespace

MainWindow::MainWindow(MainWindowOptions options, QWidget* parent)
    : QMainWindow(parent)
    , options_(std::move(options))
    , session_(new WatchSession({}, this))
    , kvClient_(new KvClient(this))
    , storeThread_(new QThread(this))
    , store_(nullptr)
    , treeModel_(new WatchTreeModel(this))
    , timelineModel_(new EventTimelineModel(this))
    , filterProxy_(new TimelineFilterProxy(this))
    , groupModel_(new RevisionGroupModel(this))
{
    qRegisterMetaType<RecordBatch>();
    qRegisterMetaType<std::vector<WatchDefinition>>();
    setWindowTitle(tr("etcdscope"));
    setWindowIcon(QIcon(":/etcdscope/etcdscope.svg"));
    filterProxy_->setSourceModel(timelineModel_);
    groupModel_->setSourceModel(filterProxy_);

    buildActions();
    buildLayout();
    buildStatusBar();
    restoreLayout();

    connect(session_, &WatchSession::updatesReady, this, &MainWindow::onUpdates);
    connect(session_, &WatchSession::statusChanged, this, &MainWindow::onStatus);
    connect(session_, &WatchSession::errorOccurred, this, &MainWindow::onError);
    connect(session_, &WatchSession::serverProgress, this, [this](qint64 revision, bool ordered) {
        serverRevision_ = std::max(serverRevision_, revision);
        // The session also probes quiet streams itself; answer only the person.
        if (!std::exchange(progressAsked_, false))
            return;
        statusBar()->showMessage(ordered ? tr("Progress: every watch has seen revision %1.").arg(revision)
                                         : tr("etcd answered at revision %1 (a heartbeat: this etcd version "
                                              "cannot confirm per-watch progress this way).")
                                               .arg(revision),
                                 6000);
    });
    connect(session_, &WatchSession::watchRejected, this, [this](WatchHandle h, const QString& reason) {
        treeModel_->setWatchState(h, WatchState::Cancelled, reason);
    });

    rateTimer_.setInterval(kRateIntervalMs);
    connect(&rateTimer_, &QTimer::timeout, this, &MainWindow::updateEventRate);
    rateTimer_.start();
    startStore();
}

MainWindow::~MainWindow()
{
    // Quit from the store's own queue: what was queued before (events to
    // record, resume points) is written first.
    storeMailbox_->post([s = store_, thread = storeThread_] {
        handoffRelease(s);  // the store's last work happens before its deletion here
        thread->quit();
    });
    storeThread_->wait();
    handoffAcquire(store_);
    delete store_;
}

// --- building ------------------------------------------------------------------------

void MainWindow::buildActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open log…"), QKeySequence::Open, this, &MainWindow::openLog);
    file->addAction(tr("&Export events…"), QKeySequence(tr("Ctrl+E")), this, &MainWindow::exportEvents);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* watch = menuBar()->addMenu(tr("&Watch"));
    watch->addAction(tr("&Add watch…"), QKeySequence::New, this, [this] { showAddWatchDialog(); });
    watch->addAction(tr("&Cancel watch"), QKeySequence::Delete, this, &MainWindow::cancelSelectedWatch);
    watch->addAction(tr("Request &progress"), QKeySequence(tr("Ctrl+R")), this, [this] {
        progressAsked_ = true;
        session_->requestProgress();
    });
    watch->addSeparator();
    pauseAction_ = watch->addAction(tr("&Pause timeline"), QKeySequence(tr("Ctrl+P")));
    pauseAction_->setCheckable(true);
    connect(pauseAction_, &QAction::toggled, timelineModel_, &EventTimelineModel::setPaused);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    followAction_ = view->addAction(tr("&Follow new events"), QKeySequence(tr("Ctrl+T")));
    followAction_->setCheckable(true);
    followAction_->setChecked(true);
    groupAction_ = view->addAction(tr("&Group by revision"), QKeySequence(tr("Ctrl+G")));
    groupAction_->setCheckable(true);
    connect(groupAction_, &QAction::toggled, this, [this](bool grouped) {
        timelineStack_->setCurrentWidget(grouped ? static_cast<QWidget*>(groupView_) : timelineView_);
        detail_->clear();
    });
    view->addAction(tr("&Filter…"), QKeySequence::Find, this, [this] { filterEdit_->setFocus(); });
    view->addAction(tr("C&lear timeline"), QKeySequence(tr("Ctrl+L")), timelineModel_, &EventTimelineModel::clear);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About etcdscope"), this, [this] {
        QMessageBox::about(this, tr("About etcdscope"),
                           tr("<b>etcdscope</b> %1<br>A live monitor for etcd v3 watches: one stream, every "
                              "event exactly once, compaction shown as gaps.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::buildLayout()
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
    bar->addAction(tr("Connection…"), this, &MainWindow::showConnectionDialog);
    connectionLabel_ = new QLabel;
    connectionLabel_->setObjectName("connectionLabel");
    connectionLabel_->setContentsMargins(8, 0, 8, 0);
    bar->addWidget(connectionLabel_);
    bar->addSeparator();
    bar->addAction(tr("Add watch"), this, [this] { showAddWatchDialog(); });
    bar->addAction(pauseAction_);
    bar->addAction(followAction_);
    bar->addAction(groupAction_);

    treeView_ = new QTreeView;
    treeView_->setObjectName("watchTree");
    treeView_->setModel(treeModel_);
    treeView_->setUniformRowHeights(true);
    treeView_->setContextMenuPolicy(Qt::CustomContextMenu);
    treeView_->header()->setSectionResizeMode(WatchTreeModel::NameColumn, QHeaderView::Interactive);
    treeView_->setColumnWidth(WatchTreeModel::NameColumn, 220);
    treeView_->setColumnWidth(WatchTreeModel::ValueColumn, 170);
    // Watches and their first level open by themselves; deeper levels on demand.
    connect(treeModel_, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent, int first, int last) {
        if (parent.isValid() && parent.parent().isValid())
            return;
        treeView_->expand(parent.isValid() ? parent : treeModel_->index(first, 0));
        for (int row = first; row <= last && parent.isValid(); ++row)
            treeView_->expand(treeModel_->index(row, 0, parent));
    });
    connect(treeView_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex index = treeView_->indexAt(at);
        if (!index.isValid())
            return;
        QMenu menu;
        const QByteArray key = index.data(WatchTreeModel::KeyRole).toByteArray();
        const QByteArray prefix = index.data(WatchTreeModel::PrefixRole).toByteArray();
        if (!key.isEmpty())
            menu.addAction(tr("Watch this key…"), this, [this, key] { showAddWatchDialog(key, AddWatchDialog::KeyMode); });
        if (!prefix.isEmpty())
            menu.addAction(tr("Watch this prefix…"), this,
                           [this, prefix] { showAddWatchDialog(prefix, AddWatchDialog::PrefixMode); });
        if (index.data(WatchTreeModel::IsWatchRole).toBool()) {
            const auto handle = index.data(WatchTreeModel::WatchRole).toLongLong();
            QAction* notify = menu.addAction(tr("Notify on changes"));
            notify->setCheckable(true);
            notify->setChecked(watches_.value(handle).notify);
            connect(notify, &QAction::toggled, this, [this, handle](bool on) {
                watches_[handle].notify = on;
                treeModel_->setWatchNotify(handle, on);
            });
            menu.addAction(tr("Cancel watch"), this, &MainWindow::cancelSelectedWatch);
        }
        menu.exec(treeView_->viewport()->mapToGlobal(at));
    });

    // Filter bar above the timeline.
    auto* filterBar = new QWidget;
    auto* filterLayout = new QHBoxLayout(filterBar);
    filterLayout->setContentsMargins(0, 0, 0, 0);
    filterEdit_ = new QLineEdit;
    filterEdit_->setObjectName("filterEdit");
    filterEdit_->setPlaceholderText(tr("Filter by key"));
    filterEdit_->setClearButtonEnabled(true);
    regexCheck_ = new QCheckBox(tr("Re&gex"));
    kindCombo_ = new QComboBox;
    kindCombo_->addItems({tr("All types"), "PUT", "DELETE", "GAP"});
    watchCombo_ = new QComboBox;
    watchCombo_->addItem(tr("All watches"));
    filterLayout->addWidget(filterEdit_, 1);
    filterLayout->addWidget(regexCheck_);
    filterLayout->addWidget(kindCombo_);
    filterLayout->addWidget(watchCombo_);
    connect(filterEdit_, &QLineEdit::textChanged, this, &MainWindow::updateFilter);
    connect(regexCheck_, &QCheckBox::toggled, this, &MainWindow::updateFilter);
    connect(kindCombo_, &QComboBox::currentIndexChanged, this, &MainWindow::updateFilter);
    connect(watchCombo_, &QComboBox::currentIndexChanged, this, &MainWindow::updateFilter);

    timelineView_ = new QTableView;
    timelineView_->setObjectName("timeline");
    timelineView_->setModel(filterProxy_);
    configureTimelineView(timelineView_);
    connect(timelineView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::showSelectedEvent);
    connect(timelineModel_, &EventTimelineModel::rowsAppended, this, [this] {
        if (followAction_->isChecked())
            timelineView_->scrollToBottom();
    });
    timelineView_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(timelineView_, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex index = filterProxy_->mapToSource(timelineView_->indexAt(at));
        if (!index.isValid())
            return;
        const EventRecord& r = timelineModel_->record(index.row());
        if (r.key.isEmpty())
            return;
        QMenu menu;
        menu.addAction(tr("Watch this key…"), this, [this, key = r.key] { showAddWatchDialog(key, AddWatchDialog::KeyMode); });
        const qsizetype slash = r.key.lastIndexOf('/');
        if (slash > 0)
            menu.addAction(tr("Watch this prefix…"), this, [this, prefix = r.key.left(slash + 1)] {
                showAddWatchDialog(prefix, AddWatchDialog::PrefixMode);
            });
        menu.exec(timelineView_->viewport()->mapToGlobal(at));
    });

    // The same events grouped by revision: a transaction is one row that
    // opens onto its events, across watches.
    groupView_ = new QTreeView;
    groupView_->setObjectName("groupedTimeline");
    groupView_->setModel(groupModel_);
    groupView_->setUniformRowHeights(true);
    groupView_->setAlternatingRowColors(true);
    for (int column = 0; column < EventTimelineModel::ColumnCount; ++column)
        groupView_->setColumnWidth(column, timelineView_->columnWidth(column));
    // The first column also holds the tree's indentation.
    groupView_->setColumnWidth(EventTimelineModel::TimeColumn,
                               timelineView_->columnWidth(EventTimelineModel::TimeColumn) + groupView_->indentation());
    connect(groupView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showEventAt(groupModel_->mapToSource(current)); });
    connect(groupModel_, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent) {
        if (followAction_->isChecked() && !parent.isValid() && groupView_->isVisible())
            groupView_->scrollToBottom();
    });
    timelineStack_ = new QStackedWidget;
    timelineStack_->addWidget(timelineView_);
    timelineStack_->addWidget(groupView_);

    auto* timelinePane = new QWidget;
    auto* timelineLayout = new QVBoxLayout(timelinePane);
    timelineLayout->setContentsMargins(0, 0, 0, 0);
    timelineLayout->addWidget(filterBar);
    timelineLayout->addWidget(timelineStack_, 1);

    detail_ = new DetailPane;
    detail_->setObjectName("eventDetail");
    chart_ = new RevisionChart;
    chart_->setObjectName("revisionChart");
    chart_->setMinimumHeight(kChartMinimumHeight);

    rightSplitter_ = new QSplitter(Qt::Vertical);
    rightSplitter_->setObjectName("rightSplitter");
    rightSplitter_->addWidget(timelinePane);
    rightSplitter_->addWidget(detail_);
    rightSplitter_->addWidget(chart_);
    rightSplitter_->setStretchFactor(0, 5);
    rightSplitter_->setStretchFactor(1, 2);
    rightSplitter_->setStretchFactor(2, 2);

    mainSplitter_ = new QSplitter(Qt::Horizontal);
    mainSplitter_->setObjectName("mainSplitter");
    mainSplitter_->addWidget(treeView_);
    mainSplitter_->addWidget(rightSplitter_);
    mainSplitter_->setStretchFactor(0, 2);
    mainSplitter_->setStretchFactor(1, 5);

    keyBrowser_ = new KeyBrowser(kvClient_);
    keyBrowser_->setObjectName("keyBrowser");
    connect(keyBrowser_, &KeyBrowser::watchRequested, this, [this](const QByteArray& key, bool prefix) {
        showAddWatchDialog(key, prefix ? AddWatchDialog::PrefixMode : AddWatchDialog::KeyMode);
    });
    tabs_ = new QTabWidget;
    tabs_->setObjectName("mainTabs");
    tabs_->setDocumentMode(true);
    tabs_->addTab(mainSplitter_, tr("&Watches"));
    tabs_->addTab(keyBrowser_, tr("&Keys"));
    clusterView_ = new ClusterView(kvClient_);
    clusterView_->setObjectName("clusterView");
    connect(clusterView_, &ClusterView::leaderChanged, this, [this](quint64, quint64 to, const QString& name) {
        const QString text = tr("Leader changed to %1 (%2)").arg(name, hexId(to));
        chart_->addMarker(RevisionChart::Marker::LeaderChange, nowMs(), text);
        timelineModel_->append({noteRecord(text)});
    });
    tabs_->addTab(clusterView_, tr("C&luster"));
    connect(keyBrowser_, &KeyBrowser::writableChanged, clusterView_, &ClusterView::setWritable);
    connect(clusterView_, &ClusterView::maintenanceDone, this, [this](const QString& sentence) { onError(sentence); });
    leasesView_ = new LeasesView(kvClient_);
    leasesView_->setObjectName("leasesView");
    tabs_->addTab(leasesView_, tr("L&eases"));
    // Leases tick down: refreshed while on show.
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int tab) {
        leasesView_->setRefreshInterval(tab == 3 ? kClusterRefreshMs : 0);
        if (tab == 3)
            leasesView_->refresh();
    });
    // The key space is read when someone first looks at it.
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab == 1 && keyBrowser_->model()->rowCount() == 0 && keyBrowser_->model()->pendingPages() == 0)
            keyBrowser_->browse(keyBrowser_->model()->rootPrefix(), keyBrowser_->model()->revision());
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
    updateEventRate();
    onStatus(status_);
}

// --- store and watches ------------------------------------------------------------------

void MainWindow::startStore()
{
    QString dir = options_.dataDirectory;
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    store_ = new StoreWorker(QDir(dir).filePath("events.sqlite"));
    storeMailbox_ = new Mailbox(store_);  // moves with it
    store_->moveToThread(storeThread_);
    storeThread_->setObjectName("etcdscope-store");
    connect(store_, &StoreWorker::opened, this, &MainWindow::restoreWatches);
    connect(store_, &StoreWorker::appended, this, &MainWindow::onAppended);
    connect(store_, &StoreWorker::appendFailed, this, &MainWindow::onAppendFailed);
    storeThread_->start();
    storeMailbox_->post([s = store_] { s->open(); });
}

void MainWindow::restoreWatches(bool ok, const QString& error, const std::vector<WatchDefinition>& watches)
{
    storeReady_ = ok;
    if (!ok)
        onError(tr("Events are not being recorded: %1").arg(error));
    for (WatchDefinition definition : watches) {
        // Resume where the log ends: no gap, or a declared one if etcd has
        // compacted that history meanwhile (W6).
        if (definition.lastRevision > 0)
            definition.spec.startRevision = definition.lastRevision + 1;
        startWatch(definition, false);
    }
    if (watches.empty() && options_.demoWatches) {
        addWatch(prefixSpec("services/", true), true);
        addWatch(prefixSpec("config/", true));
        addWatch(prefixSpec("jobs/", false));
    }
    if (options_.connectAtStart)
        connectToCluster(endpointsEdit_->text());
}

WatchHandle MainWindow::addWatch(const WatchSpec& spec, bool notify)
{
    WatchDefinition definition;
    definition.spec = spec;
    definition.label = describeSpec(spec);
    definition.notify = notify;
    return startWatch(definition, true);
}

WatchHandle MainWindow::startWatch(WatchDefinition definition, bool persist)
{
    const WatchHandle handle = session_->addWatch(definition.spec);
    definition.handle = handle;
    if (definition.label.isEmpty())
        definition.label = describeSpec(definition.spec);
    watches_.insert(handle, definition);
    if (persist)
        storeMailbox_->post([s = store_, handle, definition] { s->addWatch(handle, definition); });
    else
        storeMailbox_->post([s = store_, handle, id = definition.storeId] { s->bindWatch(handle, id); });
    treeModel_->addWatch(definition);
    timelineModel_->setWatchLabel(handle, definition.label);
    chart_->addWatch(handle, definition.label);
    watchCombo_->addItem(definition.label, QVariant::fromValue<qint64>(handle));
    return handle;
}

void MainWindow::cancelSelectedWatch()
{
    const auto watch = selectedWatch();
    if (!watch)
        return;
    session_->cancelWatch(*watch);
    storeMailbox_->post([s = store_, h = *watch] { s->removeWatch(h); });
    treeModel_->removeWatch(*watch);
    chart_->removeWatch(*watch);
    const int comboIndex = watchCombo_->findData(QVariant::fromValue<qint64>(*watch));
    if (comboIndex > 0)
        watchCombo_->removeItem(comboIndex);
    watches_.remove(*watch);
}

std::optional<WatchHandle> MainWindow::selectedWatch() const
{
    const QModelIndex index = treeView_->currentIndex();
    if (!index.isValid())
        return std::nullopt;
    return index.data(WatchTreeModel::WatchRole).toLongLong();
}

QString MainWindow::watchLabel(WatchHandle watch) const { return watches_.value(watch).label; }

void MainWindow::showAddWatchDialog(const QByteArray& key, int mode)
{
    AddWatchDialog dialog(this);
    if (!key.isEmpty())
        dialog.preset(key, AddWatchDialog::Mode(mode));
    if (dialog.exec() == QDialog::Accepted)
        addWatch(dialog.spec(), dialog.notifyOnChange());
}

// --- connection -----------------------------------------------------------------------------

void MainWindow::connectToCluster(const QString& endpoints)
{
    // The endpoints typed in the toolbar, with the TLS files and user of the
    // connection dialog (remembered in the settings; the password only in
    // memory and, if asked, in the keychain).
    QSettings settings;
    ConnectionInputs inputs;
    inputs.endpoints = endpoints;
    inputs.tls = settings.value("connection/tls").toBool() || endpoints.trimmed().startsWith("https://");
    inputs.caFile = settings.value("connection/caFile").toString();
    inputs.certFile = settings.value("connection/certFile").toString();
    inputs.keyFile = settings.value("connection/keyFile").toString();
    inputs.user = settings.value("connection/user").toString();
    inputs.password = password_;
    if (!inputs.user.isEmpty() && inputs.password.isEmpty()) {
        // Ask the keychain first, then the person.
        readPassword(endpoints, inputs.user, this, [this, endpoints, user = inputs.user](const QString& password,
                                                                                        const QString& error) {
            if (!password.isEmpty()) {
                password_ = password;
                connectToCluster(endpoints);
                return;
            }
            qCInfo(lcUi).noquote() << "no password from the keychain for" << user << "-" << error;
            bool ok = false;
            const QString typed = QInputDialog::getText(this, tr("Password"),
                                                        tr("Password of etcd user %1 at %2:").arg(user, endpoints),
                                                        QLineEdit::Password, {}, &ok);
            if (ok && !typed.isEmpty()) {
                password_ = typed;
                connectToCluster(endpoints);
            }
        });
        return;
    }
    if (const QString problem = ConnectionDialog::validationError(inputs); !problem.isEmpty()) {
        onError(problem);
        return;
    }
    connectWith(ConnectionDialog::optionsFor(inputs), endpoints);
}

void MainWindow::showConnectionDialog()
{
    QSettings settings;
    ConnectionDialog dialog(this);
    ConnectionInputs inputs;
    inputs.endpoints = endpointsEdit_->text();
    inputs.tls = settings.value("connection/tls").toBool();
    inputs.caFile = settings.value("connection/caFile").toString();
    inputs.certFile = settings.value("connection/certFile").toString();
    inputs.keyFile = settings.value("connection/keyFile").toString();
    inputs.user = settings.value("connection/user").toString();
    inputs.password = password_;
    dialog.setInputs(inputs);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ConnectionInputs chosen = dialog.inputs();
    settings.setValue("connection/tls", chosen.tls);
    settings.setValue("connection/caFile", chosen.caFile);
    settings.setValue("connection/certFile", chosen.certFile);
    settings.setValue("connection/keyFile", chosen.keyFile);
    settings.setValue("connection/user", chosen.user);
    password_ = chosen.password;
    endpointsEdit_->setText(chosen.endpoints);
    if (dialog.rememberPassword() && !chosen.user.isEmpty())
        storePassword(chosen.endpoints, chosen.user, chosen.password, this, [this](const QString& error) {
            if (!error.isEmpty())
                onError(tr("No system keychain could keep the password (%1); it is kept for this session only "
                           "and asked for again next time.")
                            .arg(error));
        });
    connectWith(dialog.options(), chosen.endpoints, dialog.startAfresh());
}

void MainWindow::connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh)
{
    QSettings().setValue("connection/endpoints", endpoints);
    kvClient_->setConnection(options);
    if (afresh) {
        afreshPending_.clear();
        for (const WatchHandle handle : treeModel_->watches())
            afreshPending_.insert(handle);
        session_->connectAfresh(options);
        timelineModel_->append({noteRecord(tr("Started afresh on %1: the watches begin at its current revision; "
                                              "revisions above belong to the cluster watched before.")
                                               .arg(endpoints))});
    } else {
        session_->connectToCluster(options);
    }
    // Keys and members of the cluster before must not stay on show, and
    // writing is switched on per connection.
    if (keyBrowser_)
        keyBrowser_->setWritable(false);
    if (keyBrowser_)
        keyBrowser_->browse(keyBrowser_->model()->rootPrefix(), keyBrowser_->model()->revision());
    if (clusterView_) {
        clusterView_->reset();
        clusterView_->refresh();
        clusterView_->setRefreshInterval(kClusterRefreshMs);
    }
}

void MainWindow::showTab(int tab) { tabs_->setCurrentIndex(tab); }

void MainWindow::toggleConnection()
{
    if (status_.state == StreamState::Idle || status_.state == StreamState::Failed)
        connectToCluster(endpointsEdit_->text().isEmpty() ? kDefaultEndpoint : endpointsEdit_->text());
    else {
        session_->disconnectFromCluster();
        clusterView_->setRefreshInterval(0);
    }
}

void MainWindow::onStatus(const ConnectionStatus& status)
{
    const bool open = status.state == StreamState::Open;
    if (wasOpen_ && !open && status.state != StreamState::Idle) {
        timelineModel_->append({noteRecord(status.lastError.empty()
                                               ? tr("Connection lost.")
                                               : tr("Stream interrupted: %1").arg(QString::fromStdString(status.lastError)))});
        chart_->addMarker(RevisionChart::Marker::Reconnect, nowMs(), tr("connection lost"));
    }
    if (!wasOpen_ && open && status_.everConnected)
        timelineModel_->append({noteRecord(tr("Reconnected to %1").arg(QString::fromStdString(status.endpoint)))});
    wasOpen_ = open;
    status_ = status;

    QString text;
    switch (status.state) {
    case StreamState::Idle: text = tr("Not connected"); break;
    case StreamState::Opening: text = tr("Connecting to %1…").arg(QString::fromStdString(status.endpoint)); break;
    case StreamState::Open:
        text = tr("Connected to %1 (etcd %2)")
                   .arg(QString::fromStdString(status.endpoint), QString::fromStdString(status.serverVersion));
        break;
    case StreamState::Backoff: text = tr("Reconnecting… %1").arg(QString::fromStdString(status.lastError)); break;
    case StreamState::Failed: text = tr("Failed: %1").arg(QString::fromStdString(status.lastError)); break;
    }
    stateStatus_->setText(text);
    stateStatus_->setToolTip(QString::fromStdString(status.lastError));
    const QString dot = open ? "#2e9d4f" : status.state == StreamState::Failed ? "#d04040" : "#d0a030";
    connectionLabel_->setText(QStringLiteral("<span style='color:%1'>●</span> %2")
                                  .arg(dot, QString::fromLatin1(streamStateName(status.state))));
    connectButton_->setText(status.state == StreamState::Idle || status.state == StreamState::Failed
                                ? tr("&Connect")
                                : tr("Dis&connect"));
    backlogStatus_->setText(status.readsPaused ? tr("backlog: %1 (reading paused)").arg(unstoredEvents_)
                                               : tr("backlog: %1").arg(unstoredEvents_));
}

void MainWindow::onError(const QString& sentence)
{
    statusBar()->showMessage(sentence, 10'000);
}

// --- events -----------------------------------------------------------------------------------

void MainWindow::onUpdates(const UpdateBatchPtr& batch)
{
    const qint64 receivedMs = nowMs();
    std::vector<EventRecord> records = recordsFromBatch(*batch, receivedMs);
    serverRevision_ = std::max<qint64>(serverRevision_, batch->serverRevision);

    std::vector<EventRecord> notes;
    for (const WatchUpdate& update : batch->updates) {
        if (update.kind == WatchUpdate::Kind::State) {
            treeModel_->setWatchState(update.watch, update.state, QString::fromStdString(update.reason));
            if (update.state == WatchState::Cancelled && update.reason != "cancelled by the user")
                notes.push_back(noteRecord(tr("%1 was cancelled by etcd: %2")
                                               .arg(watchLabel(update.watch), QString::fromStdString(update.reason))));
        } else if (update.kind == WatchUpdate::Kind::Events) {
            chart_->recordEvents(update.watch, qint64(update.events.size()), receivedMs);
        } else if (update.kind == WatchUpdate::Kind::Gap) {
            chart_->addMarker(RevisionChart::Marker::Gap, receivedMs,
                              tr("gap %1–%2").arg(update.fromRevision).arg(update.toRevision));
        }
    }
    chart_->recordServerRevision(serverRevision_, receivedMs);
    // The revision follows each batch (a label's text, cheap); rates stay per second.
    revisionStatus_->setText(serverRevision_ > 0 ? tr("revision %1").arg(serverRevision_) : tr("revision –"));
    if (keyBrowser_)
        keyBrowser_->setStoreRevision(serverRevision_);
    eventsThisSecond_ += batch->eventCount;
    for (const WatchInfo& info : batch->watchInfos) {
        treeModel_->setWatchInfo(info);
        trackCatchUp(info, receivedMs);
    }
    updateCatchUpBar(receivedMs);

    if (!records.empty()) {
        treeModel_->applyRecords(records);
        notifyIfWanted(records);
        if (storeReady_) {
            unstoredEvents_ += batch->eventCount;
            auto copy = std::make_shared<std::vector<EventRecord>>(records);
            storeMailbox_->post([s = store_, copy, n = batch->eventCount] { s->append(copy, n); });
        } else {
            session_->acknowledge(batch->eventCount);  // not recording: nothing to wait for
        }
        timelineModel_->append(std::move(records));
    } else if (batch->eventCount > 0) {
        session_->acknowledge(batch->eventCount);
    }
    if (!notes.empty())
        timelineModel_->append(std::move(notes));

    // After starting afresh, a watch's stored resume point is the old
    // cluster's revision until it sees an event here: once it is live on the
    // new cluster, store where it resumes there (queued after this batch's
    // events, so never below them).
    for (const WatchInfo& info : batch->watchInfos) {
        if (!afreshPending_.contains(info.handle) || info.state != WatchState::Live || info.nextRevision <= 0)
            continue;
        afreshPending_.remove(info.handle);
        if (storeReady_)
            storeMailbox_->post([s = store_, h = info.handle, r = info.nextRevision - 1] {
                s->setResumeRevision(h, r);
            });
    }
}

void MainWindow::onAppended(qint64 eventCount)
{
    unstoredEvents_ -= eventCount;
    eventsRecorded_ += eventCount;
    session_->acknowledge(eventCount);
}

void MainWindow::onAppendFailed(const QString& error, qint64 eventCount)
{
    // Not acknowledged: the session stops reading once its backlog is full,
    // so etcd keeps the history; after a restart the watches resume from the
    // last recorded revision. Nothing is lost, nothing is skipped.
    Q_UNUSED(eventCount);
    onError(tr("Recording stopped: %1 Watching pauses until the log can be written; restart after fixing it.")
                .arg(error));
}

void MainWindow::trackCatchUp(const WatchInfo& info, qint64 now)
{
    const qint64 start = info.spec.startRevision;
    const qint64 reached = info.nextRevision - 1;
    if (start <= 0 || info.createdRevision <= 0 || reached >= info.createdRevision) {
        catchingUp_.remove(info.handle);
        return;
    }
    CatchUp& entry = catchingUp_[info.handle];
    entry.start = start;
    entry.target = info.createdRevision;
    entry.reached = std::max(entry.reached, reached);
    entry.lastBatchMs = now;
}

void MainWindow::updateCatchUpBar(qint64 now)
{
    qint64 done = 0, total = 0;
    for (auto it = catchingUp_.begin(); it != catchingUp_.end();) {
        if (now - it->lastBatchMs > kCatchUpQuietMs) {
            it = catchingUp_.erase(it);
            continue;
        }
        done += std::max<qint64>(0, it->reached - it->start);
        total += std::max<qint64>(1, it->target - it->start);
        ++it;
    }
    catchUp_->setVisible(total > 0);
    if (total > 0) {
        catchUp_->setRange(0, 1000);
        catchUp_->setValue(int(done * 1000 / total));
        catchUp_->setToolTip(tr("Replaying history: %1 of %2 revisions").arg(done).arg(total));
    }
}

void MainWindow::updateEventRate()
{
    updateCatchUpBar(nowMs());
    rateStatus_->setText(tr("%1 events/s").arg(eventsThisSecond_));
    revisionStatus_->setText(serverRevision_ > 0 ? tr("revision %1").arg(serverRevision_) : tr("revision –"));
    backlogStatus_->setText(status_.readsPaused ? tr("backlog: %1 (reading paused)").arg(unstoredEvents_)
                                                : tr("backlog: %1").arg(unstoredEvents_));
    eventsThisSecond_ = 0;
}

void MainWindow::notifyIfWanted(const std::vector<EventRecord>& records)
{
    if (isActiveWindow() || !QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (lastNotification_.isValid() && lastNotification_.elapsed() < kNotificationMinIntervalMs)
        return;
    for (const EventRecord& r : records) {
        if (!watches_.value(r.watch).notify || (r.kind != RecordKind::Put && r.kind != RecordKind::Delete))
            continue;
        if (!tray_) {
            tray_ = new QSystemTrayIcon(windowIcon(), this);
            tray_->show();
        }
        tray_->showMessage(tr("%1: %2").arg(watchLabel(r.watch), r.kind == RecordKind::Put ? "PUT" : "DELETE"),
                           valuePreview(r.key, 200), QSystemTrayIcon::Information, kNotificationShownMs);
        lastNotification_.restart();
        return;
    }
}

void MainWindow::updateFilter()
{
    filterProxy_->setKeyFilter(filterEdit_->text(), regexCheck_->isChecked());
    filterEdit_->setStyleSheet(filterProxy_->keyFilterValid() ? QString() : "QLineEdit { color: #d04040; }");
    filterEdit_->setToolTip(filterProxy_->keyFilterValid() ? QString() : tr("Not a valid regular expression"));
    const int kind = kindCombo_->currentIndex();
    filterProxy_->setKindFilter(kind == 0 ? std::nullopt : std::optional<RecordKind>(RecordKind(kind - 1)));
    const QVariant watch = watchCombo_->currentData();
    filterProxy_->setWatchFilter(watch.isValid() ? std::optional<WatchHandle>(watch.toLongLong()) : std::nullopt);
}

void MainWindow::showSelectedEvent() { showEventAt(timelineView_->currentIndex()); }

void MainWindow::showEventAt(const QModelIndex& filteredIndex)
{
    const QModelIndex index = filterProxy_->mapToSource(filteredIndex);
    if (!index.isValid()) {
        detail_->clear();
        return;
    }
    const EventRecord& r = timelineModel_->record(index.row());
    detail_->showRecord(r, watchLabel(r.watch));
}

// --- export and offline logs -----------------------------------------------------------------

void MainWindow::exportEvents()
{
    QString selectedFilter;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export events"), QDir::homePath() + "/etcd-events.jsonl",
                                                      tr("JSON lines (*.jsonl);;CSV (*.csv)"), &selectedFilter);
    if (path.isEmpty())
        return;
    const ExportFormat format = path.endsWith(".csv", Qt::CaseInsensitive) ? ExportFormat::Csv : ExportFormat::Jsonl;
    const QVariant watch = watchCombo_->currentData();
    const std::optional<WatchHandle> onlyWatch =
        watch.isValid() ? std::optional<WatchHandle>(watch.toLongLong()) : std::nullopt;
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto* progress = new QProgressDialog(tr("Exporting events…"), tr("Cancel"), 0, 100, this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    connect(progress, &QProgressDialog::canceled, this, [cancelled] { cancelled->store(true); });
    auto progressConnection = connect(store_, &StoreWorker::exportProgress, progress, [progress](qint64 done, qint64 total) {
        progress->setValue(total > 0 ? int(done * 100 / total) : 100);
    });
    auto finishedConnection = std::make_shared<QMetaObject::Connection>();
    *finishedConnection = connect(store_, &StoreWorker::exportFinished, this,
                                  [this, progress, progressConnection, finishedConnection](bool ok, const QString& error,
                                                                                           const QString& file) {
                                      disconnect(progressConnection);
                                      disconnect(*finishedConnection);
                                      progress->deleteLater();
                                      statusBar()->showMessage(ok ? tr("Exported to %1").arg(file)
                                                                  : tr("Export failed: %1").arg(error),
                                                               10'000);
                                  });
    const QString keyFilter = regexCheck_->isChecked() ? QString() : filterEdit_->text();
    storeMailbox_->post([s = store_, path, format, onlyWatch, keyFilter, cancelled] {
        s->exportTo(path, format, onlyWatch, keyFilter, cancelled);
    });
}

void MainWindow::openLog()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open event log"), QDir::homePath(),
        tr("Event logs (*.jsonl *.json *.sqlite);;JSON lines (*.jsonl *.json);;Recorded logs (*.sqlite);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    OfflineLog log = readOfflineLog(path, &error);
    if (!error.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot open the log"), error);
        return;
    }
    createOfflineLogWindow(QFileInfo(path).fileName(), std::move(log), this)->show();
}

// --- window state -------------------------------------------------------------------------------

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/mainSplitter", mainSplitter_->saveState());
    settings.setValue("window/rightSplitter", rightSplitter_->saveState());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1400, 900);
    restoreState(settings.value("window/state").toByteArray());
    if (!mainSplitter_->restoreState(settings.value("window/mainSplitter").toByteArray()))
        mainSplitter_->setSizes({kTreeWidth, width() - kTreeWidth});
    if (!rightSplitter_->restoreState(settings.value("window/rightSplitter").toByteArray()))
        rightSplitter_->setSizes({kTimelineHeight, kDetailHeight, kChartHeight});
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveLayout();
    event->accept();
}

}  // namespace etcdscope::ui
