// Work for Qt's global thread pool with a QFuture of its result, as
// QtConcurrent::run gives, handed over so that ThreadSanitizer sees it:
// QThreadPool passes a task to its thread under Qt's own mutex, inside the
// uninstrumented Qt Core, so a task QtConcurrent built on the caller's thread
// looks unsynchronised with the pooled thread that runs it. Here the task is
// released once built and acquired first thing on the pooled thread
// (transport/thread_handoff.h); the result goes back through QPromise, whose
// lock lives in Qt's inline code where TSan sees it.
#pragma once

#include "transport/thread_handoff.h"

#include <QFuture>
#include <QPromise>
#include <QRunnable>
#include <QThreadPool>

#include <type_traits>
#include <utility>

namespace etcdscope::ui {

namespace detail {

template <typename Result, typename Work>
class PooledTask final : public QRunnable {
public:
    explicit PooledTask(Work work) : work_(std::move(work)) {}
    QFuture<Result> future() { return promise_.future(); }

    void run() override
    {
        handoffAcquire(this);
        promise_.start();
        promise_.addResult(work_());
        promise_.finish();
    }

private:
    Work work_;
    QPromise<Result> promise_;
};

}  // namespace detail

// Runs `work` (which returns a value) on a pooled thread; the pool deletes
// the task after it ran.
template <typename Work>
QFuture<std::invoke_result_t<Work&>> runPooled(Work work)
{
    using Result = std::invoke_result_t<Work&>;
    auto* task = new detail::PooledTask<Result, Work>(std::move(work));
    QFuture<Result> future = task->future();
    handoffRelease(task);
    QThreadPool::globalInstance()->start(task);
    return future;
}

}  // namespace etcdscope::ui
