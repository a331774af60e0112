#include "watch_call.h"

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
    call->StartCall();
    return call;
}

void WatchCall::write(etcdserverpb::WatchRequest request)
{
    if (broken_ || finished_)
        return;
    outbox_.push_back(std::move(request));
    if (!writeInFlight_)
        startNextWrite();
}

void WatchCall::startNextWrite()
{
    if (outbox_.empty() || broken_ || finished_)
        return;
    writing_ = std::move(outbox_.front());
    outbox_.pop_front();
    writeInFlight_ = true;
    StartWrite(&writing_);
}

void WatchCall::writeCompleted(bool ok)
{
    writeInFlight_ = false;
    if (!ok) {
        broken_ = true;
        outbox_.clear();
        return;
    }
    startNextWrite();
}

void WatchCall::read()
{
    if (reading_ || broken_ || finished_)
        return;
    reading_ = true;
    StartRead(&incoming_);
}

void WatchCall::finish()
{
    if (finished_)
        return;
    finished_ = true;
    context_->TryCancel();
    RemoveHold();
}

void WatchCall::OnReadDone(bool ok)
{
    if (!ok) {
        sink_.onRead(nullptr);
        return;
    }
    // Swap the message out (no copy of its events); the next read reuses
    // incoming_, which no other thread touches until then.
    auto message = std::make_unique<etcdserverpb::WatchResponse>();
    message->Swap(&incoming_);
    sink_.onRead(std::move(message));
}

void WatchCall::OnWriteDone(bool ok) { sink_.onWriteDone(ok); }

void WatchCall::OnDone(const grpc::Status& status)
{
    sink_.onDone(status, std::exchange(context_, nullptr));
    delete this;
}

}  // namespace etcdscope
