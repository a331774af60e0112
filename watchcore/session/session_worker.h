// The worker-thread half of WatchSession: owns the engine, the channel and
// the Watch call, and pumps between them. Only WatchSession uses it.
#pragma once

#include "engine/history_guard.h"
#include "engine/watch_engine.h"
#include "session/watch_session.h"
#include "transport/connection_options.h"
#include "transport/etcd_connection.h"
#include "transport/thread_handoff.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <mutex>

namespace etcdscope {

class WatchCall;

// Counts gRPC operations whose callbacks may still post to the worker, so
// that the worker can wait for them before it goes away.
class CallTracker {
public:
    void begin();
    void end();
    bool idle();

private:
    std::mutex mutex_;
    int active_ = 0;
};

class SessionWorker : public QObject {
    Q_OBJECT

public:
    explicit SessionWorker(SessionOptions options);
    ~SessionWorker() override;

    // Called on the worker thread (queued by WatchSession).
    // `afresh`: the endpoints are another cluster, watched from its "now"
    // (see WatchEngine::forgetHistory); otherwise the same history must go on.
    void connectTo(ConnectionOptions options, bool afresh = false);
    void disconnect();
    void addWatch(WatchHandle handle, WatchSpec spec);
    void cancelWatch(WatchHandle handle);
    void requestProgress();
    void acknowledge(std::int64_t events);
    // Ends every call; `done` runs on this thread once no gRPC callback can
    // reach this object any more (cancelling is local: normally within
    // milliseconds). The thread is not blocked meanwhile.
    void shutdown(std::function<void()> done);
    // Where results go: `session`'s signals, emitted on its thread by the
    // work posted to `owner` (what it captures is handed over, not copied
    // by Qt after the fact as a queued signal's arguments would be).
    // Set before the worker's thread starts.
    void setOwner(WatchSession* session, std::shared_ptr<MailboxRef> owner)
    {
        session_ = session;
        owner_ = std::move(owner);
    }

private:
    void pump();
    void finishShutdownWhenIdle();
    void handleDirective(StreamDirective directive);
    void startAttempt();
    void probeDone(std::uint64_t attempt, grpc::Status status, const etcdserverpb::StatusResponse& response);
    void authenticated(std::uint64_t attempt, grpc::Status status, const etcdserverpb::AuthenticateResponse& response);
    // Starts one unary call (transport's startUnary) with the dial deadline
    // on the current channel; `done` runs on this thread with the outcome.
    template <typename Request, typename Response, typename Start>
    void callOnWorker(std::uint64_t attempt, Request request, Start start,
                      void (SessionWorker::*done)(std::uint64_t, grpc::Status, const Response&));
    void openWatchCall(std::uint64_t attempt);
    void livenessAnswered(std::uint64_t attempt, grpc::Status status, const etcdserverpb::StatusResponse& response);
    void attemptFailed(std::uint64_t attempt, const grpc::Status& status, const char* stage);
    // The same, with the person's sentence and the kind of failure decided
    // already (by the connection or by the history guard).
    void attemptRefused(std::uint64_t attempt, StreamError error, const std::string& logLine);
    // Either way the member is left: told to the person and the engine,
    // which decides when to try again (W9).
    void streamFailed(const StreamError& error);
    // True if `attempt` is current and `status` is ok; a failure is reported.
    bool attemptGoesOn(std::uint64_t attempt, const grpc::Status& status, const char* stage);
    void inboxArrived(std::uint64_t attempt);
    void callDone(std::uint64_t attempt, grpc::Status status);
    void endCall();
    void collect(std::vector<WatchUpdate>&& updates);
    void flush();
    void scheduleTick();
    void publishStatus();
    const std::string& currentEndpoint() const { return link_.endpoint(); }
    // Runs `work` on this worker's thread, from any thread; drops it if the
    // worker is gone. Used by gRPC callbacks.
    void post(std::function<void()> work);
    // Runs `work` on the owner's thread; dropped once the owner is gone.
    void toOwner(std::function<void()> work);

    WatchSession* session_ = nullptr;
    std::shared_ptr<MailboxRef> owner_;
    SessionOptions options_;
    WatchEngine engine_;
    // The members, the channel of the current attempt and its token.
    EtcdConnection link_;
    bool connectionWanted_ = false;

    std::unique_ptr<etcdserverpb::Watch::Stub> watchStub_;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenanceStub_;
    std::unique_ptr<etcdserverpb::Auth::Stub> authStub_;
    WatchCall* call_ = nullptr;  // the open stream; owned by gRPC until finish()
    // The probe or authentication call in flight, to cancel when the attempt
    // is abandoned (shared with its callback, which may outlive the attempt).
    std::shared_ptr<grpc::ClientContext> pendingUnary_;
    std::uint64_t attempt_ = 0;  // callbacks of older attempts are ignored
    // Whether each member answers for the history already delivered.
    HistoryGuard history_;
    std::shared_ptr<CallTracker> tracker_ = std::make_shared<CallTracker>();
    std::function<void()> shutdownDone_;  // set by shutdown()

    ConnectionStatus status_;
    ConnectionStatus published_;
    bool statusPublishedOnce_ = false;

    UpdateBatch pending_;  // gathered since the last flush
    // Children of the worker, so that moveToThread takes them along.
    QTimer flushTimer_{this};
    Mailbox* mailbox_ = new Mailbox(this);  // post(): work handed over from other threads
    QTimer tickTimer_{this};
};

}  // namespace etcdscope
