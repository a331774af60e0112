// Happens-before edges for ThreadSanitizer across the session's thread
// boundary. Qt's queued calls and gRPC's callbacks synchronise inside
// uninstrumented system libraries (futexes, atomics), which TSan cannot see;
// each crossing point releases before handing data over and acquires before
// touching it. Compiled away unless built with -fsanitize=thread.
#pragma once

#include <QObject>

#include <functional>
#include <mutex>

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace etcdscope {

inline void handoffRelease([[maybe_unused]] const void* channel)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_release(const_cast<void*>(channel));
#endif
}

inline void handoffAcquire([[maybe_unused]] const void* channel)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(const_cast<void*>(channel));
#endif
}

// Queued calls into one thread, seen by ThreadSanitizer as handed over.
// QMetaObject::invokeMethod copies its functor after any release made
// before the call, so TSan reports every capture as a race; here the work is
// stored first, then released, then posted as an event. Make it a child of
// the object whose thread runs the work (it moves with moveToThread); work
// still queued when it is deleted is dropped, as Qt drops queued calls.
class Mailbox : public QObject {
public:
    explicit Mailbox(QObject* parent) : QObject(parent) {}
    // From any thread: runs `work` on this mailbox's thread, in order.
    void post(std::function<void()> work);

protected:
    bool event(QEvent* event) override;
};

// A reference to a mailbox that other threads may post to for as long as
// its owner keeps it open: the owner closes it (on the mailbox's thread)
// before the mailbox goes, and later posts are dropped. Shared by the
// posting side and the owner.
class MailboxRef {
public:
    explicit MailboxRef(Mailbox* box) : box_(box) {}
    void post(std::function<void()> work);
    void close();

private:
    std::mutex mutex_;
    Mailbox* box_;
};

}  // namespace etcdscope
