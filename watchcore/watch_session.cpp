#include "watch_session.h"

#include "session_worker.h"

#include <QThread>

namespace etcdscope {

WatchSession::WatchSession(SessionOptions options, QObject* parent)
    : QObject(parent)
    , thread_(new QThread(this))
    , worker_(new SessionWorker(std::move(options)))
{
    qRegisterMetaType<UpdateBatchPtr>();
    qRegisterMetaType<ConnectionStatus>();
    qRegisterMetaType<WatchHandle>("etcdscope::WatchHandle");
    thread_->setObjectName("etcdscope-session");
    worker_->moveToThread(thread_);
    connect(worker_, &SessionWorker::updatesReady, this, &WatchSession::updatesReady);
    connect(worker_, &SessionWorker::statusChanged, this, &WatchSession::statusChanged);
    connect(worker_, &SessionWorker::errorOccurred, this, &WatchSession::errorOccurred);
    connect(worker_, &SessionWorker::watchRejected, this, &WatchSession::watchRejected);
    connect(worker_, &SessionWorker::serverProgress, this, &WatchSession::serverProgress);
    thread_->start();
}

WatchSession::~WatchSession()
{
    // Cancelling the calls is local and quick; waiting here cannot hang on
    // the network.
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->shutdown(); }, Qt::BlockingQueuedConnection);
    thread_->quit();
    thread_->wait();
    delete worker_;
}

void WatchSession::connectToCluster(ConnectionOptions options)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, o = std::move(options)]() mutable { w->connectTo(std::move(o)); },
                              Qt::QueuedConnection);
}

void WatchSession::disconnectFromCluster()
{
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->disconnect(); }, Qt::QueuedConnection);
}

WatchHandle WatchSession::addWatch(WatchSpec spec)
{
    const WatchHandle handle = nextHandle_.fetch_add(1);
    QMetaObject::invokeMethod(worker_, [w = worker_, handle, s = std::move(spec)]() mutable {
        w->addWatch(handle, std::move(s));
    }, Qt::QueuedConnection);
    return handle;
}

void WatchSession::cancelWatch(WatchHandle handle)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, handle] { w->cancelWatch(handle); }, Qt::QueuedConnection);
}

void WatchSession::requestProgress()
{
    QMetaObject::invokeMethod(worker_, [w = worker_] { w->requestProgress(); }, Qt::QueuedConnection);
}

void WatchSession::acknowledge(std::int64_t events)
{
    QMetaObject::invokeMethod(worker_, [w = worker_, events] { w->acknowledge(events); }, Qt::QueuedConnection);
}

}  // namespace etcdscope
