#include "session/watch_session.h"

#include "session/session_worker.h"
#include "transport/thread_handoff.h"

#include <QThread>

#include <future>

namespace etcdscope {

WatchSession::WatchSession(SessionOptions options, QObject* parent)
    : QObject(parent)
    , thread_(new QThread(this))
    , worker_(new SessionWorker(std::move(options)))
    , workerMailbox_(new Mailbox(worker_))
{
    qRegisterMetaType<UpdateBatchPtr>();
    qRegisterMetaType<ConnectionStatus>();
    qRegisterMetaType<WatchHandle>("etcdscope::WatchHandle");
    thread_->setObjectName("etcdscope-session");
    worker_->moveToThread(thread_);
    // The worker releases before each signal (SessionWorker::handOver); the
    // owner's thread acquires before re-emitting to consumers.
    connect(worker_, &SessionWorker::updatesReady, this, [this](const UpdateBatchPtr& batch) {
        handoffAcquire(this);
        emit updatesReady(batch);
    });
    connect(worker_, &SessionWorker::statusChanged, this, [this](const ConnectionStatus& status) {
        handoffAcquire(this);
        emit statusChanged(status);
    });
    connect(worker_, &SessionWorker::errorOccurred, this, [this](const QString& sentence) {
        handoffAcquire(this);
        emit errorOccurred(sentence);
    });
    connect(worker_, &SessionWorker::watchRejected, this, [this](WatchHandle handle, const QString& reason) {
        handoffAcquire(this);
        emit watchRejected(handle, reason);
    });
    connect(worker_, &SessionWorker::serverProgress, this, [this](qint64 revision, bool ordered) {
        handoffAcquire(this);
        emit serverProgress(revision, ordered);
    });
    worker_->setHandoffChannel(this);
    thread_->start();
}

WatchSession::~WatchSession()
{
    // Cancelling the calls is local and quick; waiting here cannot hang on
    // the network.
    std::promise<void> shutDown;
    std::future<void> finished = shutDown.get_future();
    workerMailbox_->post([w = worker_, &shutDown] {
        w->shutdown();
        shutDown.set_value();
    });
    finished.wait();
    handoffAcquire(worker_);
    thread_->quit();
    thread_->wait();
    delete worker_;
}

void WatchSession::connectToCluster(ConnectionOptions options)
{
    workerMailbox_->post([w = worker_, o = std::move(options)]() mutable { w->connectTo(std::move(o)); });
}

void WatchSession::connectAfresh(ConnectionOptions options)
{
    workerMailbox_->post([w = worker_, o = std::move(options)]() mutable { w->connectTo(std::move(o), true); });
}

void WatchSession::disconnectFromCluster()
{
    workerMailbox_->post([w = worker_] { w->disconnect(); });
}

WatchHandle WatchSession::addWatch(WatchSpec spec)
{
    const WatchHandle handle = nextHandle_.fetch_add(1);
    workerMailbox_->post([w = worker_, handle, s = std::move(spec)]() mutable { w->addWatch(handle, std::move(s)); });
    return handle;
}

void WatchSession::cancelWatch(WatchHandle handle)
{
    workerMailbox_->post([w = worker_, handle] { w->cancelWatch(handle); });
}

void WatchSession::requestProgress()
{
    workerMailbox_->post([w = worker_] { w->requestProgress(); });
}

void WatchSession::acknowledge(std::int64_t events)
{
    workerMailbox_->post([w = worker_, events] { w->acknowledge(events); });
}

}  // namespace etcdscope
