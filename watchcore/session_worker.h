// The worker-thread half of WatchSession: owns the engine, the channel and
// the Watch call, and pumps between them. Only WatchSession uses it.
#pragma once

#include "connection_options.h"
#include "thread_handoff.h"
#include "watch_engine.h"
#include "watch_session.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QObject>
#include <QTimer>

#include <condition_variable>
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
    bool waitIdle(std::chrono::milliseconds timeout);

private:
    std::mutex mutex_;
    std::condition_variable idle_;
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
    // Ends every call and waits until no gRPC callback can reach this object.
    void shutdown();
    // The address the owner acquires on before using what a signal carried.
    void setHandoffChannel(const void* channel) { handoffChannel_ = channel; }

signals:
    void updatesReady(etcdscope::UpdateBatchPtr batch);
    void statusChanged(etcdscope::ConnectionStatus status);
    void errorOccurred(QString sentence);
    void watchRejected(etcdscope::WatchHandle handle, QString reason);
    void serverProgress(qint64 revision, bool ordered);

private:
    void pump();
    void handleDirective(StreamDirective directive);
    void startAttempt();
    void probeDone(std::uint64_t attempt, grpc::Status status, const etcdserverpb::StatusResponse& response);
    void authenticated(std::uint64_t attempt, grpc::Status status, const etcdserverpb::AuthenticateResponse& response);
    // Starts one unary call with the dial deadline on the current channel;
    // `done` runs on this thread with the outcome.
    template <typename Request, typename Response, typename Start>
    void startUnary(std::uint64_t attempt, Request request, Start start,
                    void (SessionWorker::*done)(std::uint64_t, grpc::Status, const Response&));
    void openWatchCall(std::uint64_t attempt);
    void livenessAnswered(std::uint64_t attempt, grpc::Status status, const etcdserverpb::StatusResponse& response);
    void attemptFailed(std::uint64_t attempt, const grpc::Status& status, const std::string& stage);
    // The same, with the person's sentence and the kind of failure decided
    // here rather than from a gRPC status.
    void attemptRefused(std::uint64_t attempt, StreamError error, const std::string& logLine);
    // Empty when `header` may continue the history this session has seen so
    // far; else why not (another cluster, or revisions gone back).
    std::optional<StreamError> historyBreak(const etcdserverpb::ResponseHeader& header);
    // True if `attempt` is current and `status` is ok; a failure is reported.
    bool attemptGoesOn(std::uint64_t attempt, const grpc::Status& status, const char* stage);
    void inboxArrived(std::uint64_t attempt);
    void callDone(std::uint64_t attempt, grpc::Status status);
    void endCall();
    void collect(std::vector<WatchUpdate>&& updates);
    void flush();
    void scheduleTick();
    void publishStatus();
    std::shared_ptr<grpc::ClientContext> newContext(bool withDeadline) const;
    const std::string& currentEndpoint() const;
    // Runs `work` on this worker's thread, from any thread; drops it if the
    // worker is gone. Used by gRPC callbacks.
    void post(std::function<void()> work);

    const void* handoffChannel_ = nullptr;
    SessionOptions options_;
    WatchEngine engine_;
    ConnectionOptions connection_;
    bool connectionWanted_ = false;

    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<etcdserverpb::Watch::Stub> watchStub_;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenanceStub_;
    std::unique_ptr<etcdserverpb::Auth::Stub> authStub_;
    WatchCall* call_ = nullptr;  // the open stream; owned by gRPC until finish()
    // The probe or authentication call in flight, to cancel when the attempt
    // is abandoned (shared with its callback, which may outlive the attempt).
    std::shared_ptr<grpc::ClientContext> pendingUnary_;
    std::uint64_t attempt_ = 0;  // callbacks of older attempts are ignored
    std::size_t endpointIndex_ = 0;
    // Identity of the history being watched: the first cluster ID seen, and
    // how many attempts in a row found a member behind the revisions
    // already delivered (a lagging follower catches up; a restored or wiped
    // cluster does not).
    std::uint64_t clusterId_ = 0;
    int behindInARow_ = 0;
    std::string token_;          // auth token for the current member
    std::shared_ptr<CallTracker> tracker_ = std::make_shared<CallTracker>();

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
