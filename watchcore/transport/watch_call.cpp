#include "transport/watch_call.h"

#include "transport/thread_handoff.h"

namespace etcdscope {

WatchCall::WatchCall(std::unique_ptr<grpc::ClientContext> context, Sink sink)
    : context_(std::move(context))
    , sink_(std::move(sink))
{
}

WatchCall* WatchCall::start(etcdserverpb::Watch::Stub& stub, std::unique_ptr<grpc::ClientContext> context,
                            Sink sink)
{
    auto* call = new WatchCall(std::move(context), std::move(sink));
    stub.async()->Watch(call->context_.get(), call);
    call->AddHold();
    handoffRelease(call);  // gRPC's threads run the callbacks: they acquire on the call
    call->StartCall();
    return call;
}

namespace {

std::size_t payloadBytes(const etcdserverpb::WatchResponse& response)
{
    std::size_t bytes = 0;
    for (const mvccpb::Event& event : response.events()) {
        bytes += event.kv().key().size() + event.kv().value().size();
        if (event.has_prev_kv())
            bytes += event.prev_kv().key().size() + event.prev_kv().value().size();
    }
    return bytes;
}

}  // namespace

bool WatchCall::inboxFullLocked() const
{
    return inbox_.messages.size() >= kInboxLimit || inboxEvents_ >= kInboxEventLimit
        || inboxBytes_ >= kInboxByteLimit;
}

bool WatchCall::claimReadLocked()
{
    if (!readWanted_ || readInFlight_ || ended_ || finished_ || inboxFullLocked())
        return false;
    readInFlight_ = true;
    return true;
}

bool WatchCall::claimWriteLocked()
{
    if (writeInFlight_ || outbox_.empty() || ended_ || finished_)
        return false;
    writing_ = std::move(outbox_.front());
    outbox_.pop_front();
    writeInFlight_ = true;
    return true;
}

bool WatchCall::claimNotifyLocked()
{
    if (ownerNotified_ || finished_)
        return false;  // the owner will look anyway, or is gone
    ownerNotified_ = true;
    return true;
}

void WatchCall::startRead()
{
    google::protobuf::ArenaOptions options;
    options.start_block_size = 4 << 10;   // a progress notice or a revision's few events
    options.max_block_size = 1 << 20;     // a catch-up message: 30 blocks or so
    incoming_.arena = std::make_unique<google::protobuf::Arena>(options);
    incoming_.response = google::protobuf::Arena::CreateMessage<etcdserverpb::WatchResponse>(incoming_.arena.get());
    handoffRelease(this);
    StartRead(incoming_.response);
}

void WatchCall::markEndedLocked()
{
    ended_ = true;
    inbox_.ended = true;
    outbox_.clear();
}

void WatchCall::write(etcdserverpb::WatchRequest request)
{
    bool startWrite = false;
    {
        std::lock_guard lock(mutex_);
        if (ended_ || finished_)
            return;
        outbox_.push_back(std::move(request));
        startWrite = claimWriteLocked();
    }
    if (startWrite) {
        handoffRelease(this);
        StartWrite(&writing_);
    }
}

void WatchCall::setReading(bool wanted)
{
    bool readNext = false;
    {
        std::lock_guard lock(mutex_);
        readWanted_ = wanted;
        readNext = claimReadLocked();
    }
    if (readNext)
        startRead();
}

WatchCall::ReadAhead WatchCall::readAhead() const
{
    std::lock_guard lock(mutex_);
    return {inbox_.messages.size(), inboxEvents_, inboxBytes_,
            readWanted_ && !readInFlight_ && !ended_ && !finished_ && inboxFullLocked()};
}

WatchCall::Inbox WatchCall::takeInbox()
{
    Inbox taken;
    bool readNext = false;
    {
        std::lock_guard lock(mutex_);
        taken.messages.swap(inbox_.messages);
        taken.ended = inbox_.ended;
        inboxEvents_ = 0;
        inboxBytes_ = 0;
        ownerNotified_ = false;
        readNext = claimReadLocked();  // there is room again
    }
    if (readNext)
        startRead();
    return taken;
}

void WatchCall::finish()
{
    {
        std::lock_guard lock(mutex_);
        if (finished_)
            return;
        finished_ = true;
        outbox_.clear();
    }
    context_->TryCancel();
    handoffRelease(this);  // OnDone (and the deletion) follow on gRPC's thread
    RemoveHold();
}

void WatchCall::OnReadDone(bool ok)
{
    handoffAcquire(this);
    bool notify = false;
    bool readNext = false;
    {
        std::lock_guard lock(mutex_);
        readInFlight_ = false;
        if (ok) {
            // The message goes to the inbox with its arena; the next read gets
            // a new one.
            inboxEvents_ += incoming_.response->events_size();
            inboxBytes_ += payloadBytes(*incoming_.response);
            inbox_.messages.push_back(std::exchange(incoming_, {}));
            readNext = claimReadLocked();
        } else {
            markEndedLocked();
        }
        notify = claimNotifyLocked();
    }
    if (readNext)
        startRead();
    if (notify)
        sink_.onInbox();
}

void WatchCall::OnWriteDone(bool ok)
{
    handoffAcquire(this);
    bool notify = false;
    bool startWrite = false;
    {
        std::lock_guard lock(mutex_);
        writeInFlight_ = false;
        if (ok) {
            startWrite = claimWriteLocked();
        } else {
            markEndedLocked();
            notify = claimNotifyLocked();
        }
    }
    if (startWrite) {
        handoffRelease(this);
        StartWrite(&writing_);
    }
    if (notify)
        sink_.onInbox();
}

void WatchCall::OnDone(const grpc::Status& status)
{
    handoffAcquire(this);
    sink_.onDone(status, std::exchange(context_, nullptr));
    delete this;
}

}  // namespace etcdscope
