#include "app/monitor_controller.h"

#include "admin/admin_client.h"
#include "decode/value_text.h"
#include "transport/thread_handoff.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QStandardPaths>
#include <QThread>

Q_LOGGING_CATEGORY(lcMonitor, "etcdscope.monitor", QtInfoMsg)

namespace etcdscope::ui {

namespace {

constexpr int kRateIntervalMs = 1000;
constexpr char kEventLogFile[] = "events.sqlite";

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

WatchSpec prefixSpec(const char* prefix, bool prevKv)
{
    WatchSpec spec;
    spec.key = prefix;
    spec.rangeEnd = prefixRangeEnd(prefix);
    spec.prevKv = prevKv;
    return spec;
}

}  // namespace

MonitorController::MonitorController(MonitorOptions options, QObject* parent)
    : QObject(parent)
    , options_(std::move(options))
    , session_(new WatchSession(options_.session, this))
    , admin_(new AdminClient(this))
    , storeThread_(new QThread(this))
    , store_(nullptr)
    , storeMailbox_(nullptr)
{
    qRegisterMetaType<RecordBatch>();
    qRegisterMetaType<std::vector<WatchDefinition>>();
    qRegisterMetaType<MonitorCounters>();

    connect(session_, &WatchSession::updatesReady, this, &MonitorController::onUpdates);
    connect(session_, &WatchSession::statusChanged, this, &MonitorController::onStatus);
    connect(session_, &WatchSession::errorOccurred, this, &MonitorController::errorOccurred);
    connect(session_, &WatchSession::serverProgress, this, [this](qint64 revision, bool ordered) {
        counters_.serverRevision = std::max(counters_.serverRevision, revision);
        // The session also probes quiet streams by itself; answer only the person.
        if (std::exchange(progressAsked_, false))
            emit progressAnswered(revision, ordered);
    });
    connect(session_, &WatchSession::watchRejected, this, [this](WatchHandle handle, const QString& reason) {
        emit watchStateChanged(handle, WatchState::Cancelled, reason);
    });

    QString dir = options_.dataDirectory;
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    logPath_ = QDir(dir).filePath(kEventLogFile);
    store_ = new StoreWorker(logPath_);
    storeMailbox_ = new Mailbox(store_);  // moves with it
    fromStore_ = std::make_shared<MailboxRef>(new Mailbox(this));
    store_->setOwner(fromStore_);
    store_->moveToThread(storeThread_);
    storeThread_->setObjectName("etcdscope-store");
    connect(store_, &StoreWorker::opened, this, &MonitorController::onLogOpened);
    connect(store_, &StoreWorker::appended, this, &MonitorController::onAppended);
    connect(store_, &StoreWorker::appendFailed, this, &MonitorController::onAppendFailed);
    connect(store_, &StoreWorker::exportProgress, this, &MonitorController::exportProgress);
    connect(store_, &StoreWorker::exportFinished, this, &MonitorController::exportFinished);

    rateTimer_.setInterval(kRateIntervalMs);
    connect(&rateTimer_, &QTimer::timeout, this, &MonitorController::tickRate);
}

MonitorController::~MonitorController()
{
    fromStore_->close();  // what the store still answers is not for this object any more
    // What was delivered but not yet converted (the rest of a catch-up) is
    // recorded too: the log then resumes after it.
    while (storeReady_ && !pending_.empty()) {
        PendingBatch& next = pending_.front();
        std::int64_t events = 0;
        RecordBatch records = std::make_shared<const std::vector<EventRecord>>(recordsFromUpdates(
            next.batch->updates, next.cursor, std::size_t(next.batch->eventCount) + next.batch->updates.size(),
            next.receivedMs, events));
        if (!records->empty())
            storeMailbox_->post([s = store_, records, events] { s->append(records, events); });
        pending_.pop_front();
    }
    // Quit from the store's own queue: what was queued before (events to
    // record, resume points) is written first.
    storeMailbox_->post([s = store_, thread = storeThread_] {
        handoffRelease(s);  // the store's last work happens before its deletion here
        thread->quit();
    });
    // Never started: run the queue so that it ends. (Not isRunning(): the
    // quit above may already have ended a running thread.)
    if (!started_)
        storeThread_->start();
    storeThread_->wait();
    handoffAcquire(store_);
    delete store_;
}

void MonitorController::start()
{
    started_ = true;
    storeThread_->start();
    rateTimer_.start();
    storeMailbox_->post([s = store_] { s->open(); });
}

// --- watches ---------------------------------------------------------------------------

void MonitorController::onLogOpened(bool ok, const QString& error, const std::vector<WatchDefinition>& watches)
{
    storeReady_ = ok;
    if (!ok)
        emit errorOccurred(tr("Events are not being recorded: %1").arg(error));
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
    emit logOpened(ok);
}

WatchHandle MonitorController::addWatch(const WatchSpec& spec, bool notify)
{
    WatchDefinition definition;
    definition.spec = spec;
    definition.label = describeSpec(spec);
    definition.notify = notify;
    return startWatch(definition, true);
}

WatchHandle MonitorController::startWatch(WatchDefinition definition, bool persist)
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
    emit watchAdded(definition);
    return handle;
}

void MonitorController::cancelWatch(WatchHandle handle)
{
    if (!watches_.remove(handle))
        return;
    session_->cancelWatch(handle);
    storeMailbox_->post([s = store_, handle] { s->removeWatch(handle); });
    catchUp_.forget(handle);
    afreshPending_.remove(handle);
    emit watchRemoved(handle);
}

void MonitorController::setNotify(WatchHandle handle, bool notify)
{
    if (auto it = watches_.find(handle); it != watches_.end())
        it->notify = notify;
}

std::optional<WatchDefinition> MonitorController::watch(WatchHandle handle) const
{
    const auto it = watches_.constFind(handle);
    return it == watches_.cend() ? std::nullopt : std::optional<WatchDefinition>(*it);
}

QString MonitorController::watchLabel(WatchHandle handle) const { return watches_.value(handle).label; }

// --- connection ------------------------------------------------------------------------

void MonitorController::connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh)
{
    admin_->setConnection(options);
    if (!afresh) {
        session_->connectToCluster(options);
        return;
    }
    afreshPending_.clear();
    for (auto it = watches_.cbegin(); it != watches_.cend(); ++it)
        afreshPending_.insert(it.key());
    session_->connectAfresh(options);
    emit noteAdded(tr("Started afresh on %1: the watches begin at its current revision; revisions above belong to "
                      "the cluster watched before.")
                       .arg(endpoints));
}

void MonitorController::disconnectFromCluster() { session_->disconnectFromCluster(); }

void MonitorController::requestProgress()
{
    progressAsked_ = true;
    session_->requestProgress();
}

void MonitorController::onStatus(const ConnectionStatus& status)
{
    const bool open = status.state == StreamState::Open;
    if (wasOpen_ && !open && status.state != StreamState::Idle) {
        emit noteAdded(status.lastError.empty()
                           ? tr("Connection lost.")
                           : tr("Stream interrupted: %1").arg(QString::fromStdString(status.lastError)));
        emit connectionLost();
    }
    if (!wasOpen_ && open && status_.everConnected)
        emit noteAdded(tr("Reconnected to %1").arg(QString::fromStdString(status.endpoint)));
    wasOpen_ = open;
    status_ = status;
    emit statusChanged(status_);
}

// --- events ----------------------------------------------------------------------------

void MonitorController::onUpdates(const UpdateBatchPtr& batch)
{
    const qint64 receivedMs = nowMs();
    counters_.serverRevision = std::max<qint64>(counters_.serverRevision, batch->serverRevision);
    eventsThisSecond_ += batch->eventCount;
    emit batchArrived(batch);
    pending_.push_back({batch, receivedMs, {}});
    if (pending_.size() == 1)
        convertPending();
}

void MonitorController::convertPending()
{
    // The one conversion of a batch; the recording and the views share its
    // records. An ordinary batch is one slice, at once; a catch-up that
    // brings 100,000 events in one batch is converted a slice at a time
    // within kSliceBudgetMs per event-loop turn, so that the window keeps
    // painting. Later batches wait behind it: the order never changes.
    constexpr qint64 kSliceBudgetMs = 6;
    QElapsedTimer spent;
    spent.start();
    while (!pending_.empty() && spent.elapsed() < kSliceBudgetMs) {
        PendingBatch& next = pending_.front();
        std::int64_t events = 0;
        RecordBatch records = std::make_shared<const std::vector<EventRecord>>(recordsFromUpdates(
            next.batch->updates, next.cursor, std::max<std::size_t>(1, options_.sliceRecords), next.receivedMs, events));
        if (!records->empty() && storeReady_) {
            // Acknowledged once committed (onAppended): a slow disk slows the stream.
            counters_.unrecorded += events;
            storeMailbox_->post([s = store_, records, events] { s->append(records, events); });
        } else if (events > 0) {
            session_->acknowledge(events);  // not recording: nothing to wait for
        }
        if (!records->empty())
            emit recordsArrived(records);
        if (next.cursor.update < next.batch->updates.size())
            continue;
        const PendingBatch done = std::move(next);
        pending_.pop_front();
        finishBatch(*done.batch, done.receivedMs);
    }
    if (!pending_.empty())
        QTimer::singleShot(0, this, &MonitorController::convertPending);
}

void MonitorController::finishBatch(const UpdateBatch& batch, qint64 receivedMs)
{
    for (const WatchUpdate& update : batch.updates) {
        if (update.kind != WatchUpdate::Kind::State)
            continue;
        emit watchStateChanged(update.watch, update.state, QString::fromStdString(update.reason));
        if (update.state == WatchState::Cancelled && !update.byUser)
            emit noteAdded(tr("%1 was cancelled by etcd: %2")
                               .arg(watchLabel(update.watch), QString::fromStdString(update.reason)));
    }
    for (const WatchInfo& info : batch.watchInfos) {
        emit watchInfoChanged(info);
        catchUp_.track(info, receivedMs);
    }
    const CatchUpTracker::Progress progress = catchUp_.progress(receivedMs);
    emit catchUpChanged(progress.done, progress.total);
    noteWatchesLiveAfterAfresh(batch);
    emit countersChanged(counters_);
}

void MonitorController::noteWatchesLiveAfterAfresh(const UpdateBatch& batch)
{
    // After starting afresh, a watch's stored resume point is the old
    // cluster's revision until it sees an event here: once it is live on the
    // new cluster, store where it resumes there (queued after this batch's
    // events, so never below them).
    for (const WatchInfo& info : batch.watchInfos) {
        if (!afreshPending_.contains(info.handle) || info.state != WatchState::Live || info.nextRevision <= 0)
            continue;
        afreshPending_.remove(info.handle);
        if (storeReady_)
            storeMailbox_->post([s = store_, h = info.handle, r = info.nextRevision - 1] { s->setResumeRevision(h, r); });
    }
}

void MonitorController::onAppended(qint64 eventCount)
{
    counters_.unrecorded -= eventCount;
    counters_.eventsRecorded += eventCount;
    session_->acknowledge(eventCount);
    emit countersChanged(counters_);
}

void MonitorController::onAppendFailed(const QString& error, qint64 eventCount)
{
    // Not acknowledged: the session stops reading once its backlog is full,
    // so etcd keeps the history; after a restart the watches resume from the
    // last recorded revision. Nothing is lost, nothing is skipped.
    qCWarning(lcMonitor).noquote() << "recording failed for" << eventCount << "events -" << error;
    emit errorOccurred(tr("Recording stopped: %1 Watching pauses until the log can be written; restart after "
                          "fixing it.")
                           .arg(error));
}

void MonitorController::tickRate()
{
    const CatchUpTracker::Progress progress = catchUp_.progress(nowMs());
    emit catchUpChanged(progress.done, progress.total);
    counters_.eventsPerSecond = std::exchange(eventsThisSecond_, 0);
    emit countersChanged(counters_);
}

// --- export ----------------------------------------------------------------------------

void MonitorController::exportEvents(const QString& path, ExportFormat format, std::optional<WatchHandle> watch,
                                     const QString& keyContains, std::shared_ptr<std::atomic<bool>> cancelled)
{
    storeMailbox_->post([s = store_, path, format, watch, keyContains, cancelled] {
        s->exportTo(path, format, watch, keyContains, cancelled);
    });
}

}  // namespace etcdscope::ui
