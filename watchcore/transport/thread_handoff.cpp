#include "transport/thread_handoff.h"

#include <QCoreApplication>
#include <QEvent>

namespace etcdscope {

namespace {

const QEvent::Type kWorkEvent = static_cast<QEvent::Type>(QEvent::registerEventType());

struct WorkEvent : QEvent {
    explicit WorkEvent(std::function<void()> w) : QEvent(kWorkEvent), work(std::move(w)) {}
    std::function<void()> work;
};

}  // namespace

void Mailbox::post(std::function<void()> work)
{
    auto* event = new WorkEvent(std::move(work));
    handoffRelease(event);  // everything the work captured is written by now
    QCoreApplication::postEvent(this, event);
}

bool Mailbox::event(QEvent* event)
{
    handoffAcquire(event);  // first: even its type was written by the poster (a no-op for Qt's own events)
    if (event->type() != kWorkEvent)
        return QObject::event(event);
    static_cast<WorkEvent*>(event)->work();
    return true;
}

void MailboxRef::post(std::function<void()> work)
{
    std::lock_guard lock(mutex_);
    if (box_)
        box_->post(std::move(work));
}

void MailboxRef::close()
{
    std::lock_guard lock(mutex_);
    box_ = nullptr;
}

}  // namespace etcdscope
