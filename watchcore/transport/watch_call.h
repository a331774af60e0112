// One gRPC Watch bidi stream (W1), as a thin adapter between the stream and
// its owner. Reading runs ahead of the owner: each message read goes to an
// inbox and the next read starts at once, so the owner's thread is woken once
// per burst of messages rather than once per message; the inbox is bounded and
// reading stops while the owner does not want more (W10: it stops asking when
// its consumer lags). Writes are queued and sent one after another from gRPC's
// callback, without a round trip through the owner. The end is reported
// exactly once.
//
// Threading: start/write/setReading/takeInbox/finish are called on the
// owner's thread only. The gRPC callbacks run on gRPC's threads; the inbox and
// outbox between the two are guarded by a mutex, and the Sink's functions,
// called on gRPC's threads, must only queue a wake-up to the owner's thread.
// A hold keeps OnDone (and so the object's deletion) back until the owner
// calls finish(); after finish() the owner must forget the pointer.
#pragma once

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace etcdscope {

class WatchCall final : public grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse> {
public:
    // Read ahead of the owner: at most this many messages, and no further
    // message once they hold this many events or this many bytes of keys and
    // values (a catch-up message of etcd can carry 100,000 events; a value
    // can be 1.5 MiB, so 4,096 events alone could be gigabytes). One message
    // is always taken, however large: etcd does not split one.
    static constexpr std::size_t kInboxLimit = 64;
    static constexpr int kInboxEventLimit = 4096;
    static constexpr std::size_t kInboxByteLimit = 8 << 20;

    struct Sink {
        // The inbox has something new for the owner (messages, or the end of
        // reading); called once until the owner takes the inbox.
        std::function<void()> onInbox;
        // The call is over; the last callback, after finish(). It receives
        // the call's context, which holds a reference to the channel: the
        // owner must let it go on its own thread, never on gRPC's (a channel
        // destroyed on gRPC's callback thread tears down that thread's queue
        // from inside it).
        std::function<void(grpc::Status, std::shared_ptr<grpc::ClientContext>)> onDone;
    };

    // A message read, parsed into an arena of its own: the 100,000 events of
    // a catch-up message (five objects each) cost a few large blocks instead
    // of half a million allocations, and go at once when it is dropped. The
    // byte strings are the heap's, so moving them out copies nothing.
    struct Message {
        std::unique_ptr<google::protobuf::Arena> arena;
        etcdserverpb::WatchResponse* response = nullptr;  // lives in `arena`
    };

    struct Inbox {
        std::vector<Message> messages;  // in stream order
        bool ended = false;  // the stream can no longer be read or written: release it to learn why
    };

    static WatchCall* start(etcdserverpb::Watch::Stub& stub, std::unique_ptr<grpc::ClientContext> context,
                            Sink sink);

    void write(etcdserverpb::WatchRequest request);
    // Whether the owner wants messages; reading pauses while it does not
    // (a read already in flight still lands in the inbox).
    void setReading(bool wanted);
    Inbox takeInbox();

    // What the inbox holds now, and whether reading waits for the owner to
    // take it (reading is wanted, but the inbox is at a limit).
    struct ReadAhead {
        std::size_t messages = 0;
        int events = 0;
        std::size_t bytes = 0;
        bool full = false;
    };
    ReadAhead readAhead() const;
    // Ends the call (cancelling it if still open) and releases the hold.
    void finish();

private:
    WatchCall(std::unique_ptr<grpc::ClientContext> context, Sink sink);

    void OnReadDone(bool ok) override;
    void OnWriteDone(bool ok) override;
    void OnDone(const grpc::Status& status) override;
    // Decide under the lock, act after it: the gRPC calls run unlocked.
    bool claimReadLocked();
    bool claimWriteLocked();
    bool claimNotifyLocked();  // whether to wake the owner
    void startRead();          // a fresh arena and message, then StartRead (a read claimed)
    void markEndedLocked();

    std::shared_ptr<grpc::ClientContext> context_;
    Sink sink_;
    // Touched only by the operation in flight (claimed under the lock).
    Message incoming_;
    etcdserverpb::WatchRequest writing_;

    bool inboxFullLocked() const;

    mutable std::mutex mutex_;  // guards everything below
    std::deque<etcdserverpb::WatchRequest> outbox_;
    Inbox inbox_;
    int inboxEvents_ = 0;
    std::size_t inboxBytes_ = 0;  // keys and values, previous ones included
    bool readWanted_ = false;
    bool readInFlight_ = false;
    bool writeInFlight_ = false;
    bool ownerNotified_ = false;  // onInbox called and the inbox not yet taken
    bool ended_ = false;          // a read or write failed: no more operations
    bool finished_ = false;       // finish() was called
};

}  // namespace etcdscope
