#include "session/watch_session.h"

#include "session/session_worker.h"
#include "transport/logging.h"
#include "transport/thread_handoff.h"

#include <QThread>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace etcdscope {

namespace {

// The longest the owner's thread waits for the worker at close.
constexpr std::chrono::milliseconds kCloseWait{1000};

}  // namespace

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
    // The worker emits this object's signals through a mailbox on this
    // thread, which hands over what they carry.
    owner_ = std::make_shared<MailboxRef>(new Mailbox(this));
    worker_->setOwner(this, owner_);
    thread_->start();
}

WatchSession::~WatchSession()
{
    owner_->close();  // nothing the worker still posts reaches this object
    // The worker cancels its calls (local and quick) and answers once no
    // gRPC callback can reach it. The owner waits at most kCloseWait for
    // that; past it the worker and its thread end by themselves later, so
    // that closing never hangs the caller's thread.
    struct Closing {
        std::mutex mutex;
        std::condition_variable answered;
        bool done = false;
        bool abandoned = false;
    };
    auto closing = std::make_shared<Closing>();
    workerMailbox_->post([w = worker_, closing] {
        w->shutdown([w, closing] {
            std::lock_guard lock(closing->mutex);
            if (closing->abandoned) {
                w->deleteLater();
                QThread::currentThread()->quit();
                return;
            }
            closing->done = true;
            closing->answered.notify_all();
        });
    });
    std::unique_lock lock(closing->mutex);
    if (!closing->answered.wait_for(lock, kCloseWait, [&] { return closing->done; })) {
        closing->abandoned = true;
        qCWarning(lcSession) << "gRPC callbacks still pending after" << kCloseWait.count()
                             << "ms at close; the session's thread ends when they are done";
        thread_->setParent(nullptr);
        connect(thread_, &QThread::finished, thread_, &QObject::deleteLater);
        return;
    }
    lock.unlock();
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
