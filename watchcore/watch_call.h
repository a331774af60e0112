// One gRPC Watch bidi stream (W1), as a thin adapter: it moves messages
// between the stream and its owner, keeps one write in flight, reads only
// when asked (W10: the owner stops asking when its consumer lags), and
// reports the end exactly once.
//
// Threading: start/write/read/finish and the *Completed methods are called on
// the owner's thread only. The gRPC callbacks run on gRPC's threads and do
// nothing but hand their result to the Sink, which must queue it to the
// owner's thread. A hold keeps OnDone (and so the object's deletion) back
// until the owner calls finish(); after finish() the owner must forget the
// pointer.
#pragma once

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>

namespace etcdscope {

class WatchCall final : public grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
public:
    struct Sink {
        // A message was read; nullptr when the stream can no longer be read.
        std::function<void(std::unique_ptr<etcdserverpb::WatchResponse>)> onRead;
        // The write in flight completed (ok == false: the stream is broken).
        std::function<void(bool ok)> onWriteDone;
        // The call is over; the last callback, after finish(). It receives
        // the call's context, which holds a reference to the channel: the
        // owner must let it go on its own thread, never on gRPC's (a channel
        // destroyed on gRPC's callback thread tears down that thread's queue
        // from inside it).
        std::function<void(grpc::Status, std::shared_ptr<grpc::ClientContext>)> onDone;
    };

    static WatchCall* start(etcdserverpb::Watch::Stub& stub, std::unique_ptr<grpc::ClientContext> context,
                            Sink sink);

    void write(etcdserverpb::WatchRequest request);
    void read();
    void readCompleted() { reading_ = false; }
    void writeCompleted(bool ok);
    // Ends the call (cancelling it if still open) and releases the hold.
    void finish();

private:
    WatchCall(std::unique_ptr<grpc::ClientContext> context, Sink sink);

    void OnReadDone(bool ok) override;
    void OnWriteDone(bool ok) override;
    void OnDone(const grpc::Status& status) override;
    void startNextWrite();

    std::shared_ptr<grpc::ClientContext> context_;
    Sink sink_;
    etcdserverpb::WatchResponse incoming_;  // target of the read in flight

    // --- owner thread only ---
    std::deque<etcdserverpb::WatchRequest> outbox_;  // written one at a time
    etcdserverpb::WatchRequest writing_;             // the write in flight
    bool writeInFlight_ = false;
    bool reading_ = false;
    bool broken_ = false;    // a read or write failed: no more operations
    bool finished_ = false;  // finish() was called
};

}  // namespace etcdscope
