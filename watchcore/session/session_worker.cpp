#include "session/session_worker.h"

#include "engine/server_version.h"
#include "transport/etcd_channel.h"
#include "transport/logging.h"
#include "transport/thread_handoff.h"
#include "transport/watch_call.h"

#include <QMetaObject>

Q_LOGGING_CATEGORY(lcTransport, "etcdscope.transport", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "etcdscope.session", QtInfoMsg)

namespace etcdscope {

namespace {

// How often shutdown looks whether the cancelled calls' callbacks are done.
constexpr int kShutdownPollMs = 2;

QString qs(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

// --- CallTracker -----------------------------------------------------------------

void CallTracker::begin()
{
    std::lock_guard lock(mutex_);
    ++active_;
}

void CallTracker::end()
{
    std::lock_guard lock(mutex_);
    --active_;
}

bool CallTracker::idle()
{
    std::lock_guard lock(mutex_);
    return active_ == 0;
}

// --- SessionWorker ---------------------------------------------------------------

SessionWorker::SessionWorker(SessionOptions options)
    : options_(std::move(options))
    , engine_(options_.engine)
{
    flushTimer_.setSingleShot(true);
    flushTimer_.setInterval(options_.flushIntervalMs);
    connect(&flushTimer_, &QTimer::timeout, this, &SessionWorker::flush);
    tickTimer_.setSingleShot(true);
    tickTimer_.setTimerType(Qt::PreciseTimer);
    connect(&tickTimer_, &QTimer::timeout, this, [this] {
        engine_.onTick(Clock::now());
        pump();
    });
}

// Deleted only after shutdown() answered: no call is left, nothing can reach it.
SessionWorker::~SessionWorker() = default;

void SessionWorker::post(std::function<void()> work) { mailbox_->post(std::move(work)); }

void SessionWorker::connectTo(ConnectionOptions options, bool afresh)
{
    endCall();
    ++attempt_;
    if (afresh) {
        engine_.setConnectionWanted(false, Clock::now());  // no stream while history is forgotten
        engine_.forgetHistory();
        history_.forget();
        qCInfo(lcSession) << "starting afresh: the watches begin at the new cluster's current revision";
    }
    engine_.setRetryDenialWithFreshToken(!options.user.empty());
    link_.reset(std::move(options));
    status_ = ConnectionStatus{};
    connectionWanted_ = true;
    engine_.setConnectionWanted(false, Clock::now());
    engine_.setConnectionWanted(true, Clock::now());
    pump();
}

void SessionWorker::disconnect()
{
    connectionWanted_ = false;
    engine_.setConnectionWanted(false, Clock::now());
    pump();
    endCall();
    ++attempt_;
    status_.state = StreamState::Idle;
    publishStatus();
}

void SessionWorker::addWatch(WatchHandle handle, WatchSpec spec)
{
    if (auto error = engine_.addWatch(handle, std::move(spec))) {
        toOwner([s = session_, handle, reason = qs(*error)] { emit s->watchRejected(handle, reason); });
        return;
    }
    pump();
}

void SessionWorker::cancelWatch(WatchHandle handle)
{
    engine_.cancelWatch(handle);
    pump();
}

void SessionWorker::requestProgress()
{
    engine_.requestProgress();
    pump();
}

void SessionWorker::acknowledge(std::int64_t events)
{
    const bool wasPaused = engine_.readsPaused();
    engine_.acknowledge(events);
    if (wasPaused && !engine_.readsPaused())
        qCDebug(lcSession) << "consumer caught up; reading again";
    pump();
}

void SessionWorker::shutdown(std::function<void()> done)
{
    ++attempt_;  // what the cancelled calls still post is stale from now on
    connectionWanted_ = false;
    flushTimer_.stop();
    tickTimer_.stop();
    endCall();
    shutdownDone_ = std::move(done);
    finishShutdownWhenIdle();
}

void SessionWorker::finishShutdownWhenIdle()
{
    if (!tracker_->idle()) {
        QTimer::singleShot(kShutdownPollMs, this, &SessionWorker::finishShutdownWhenIdle);
        return;
    }
    handoffRelease(this);  // the owner deletes this object next
    std::exchange(shutdownDone_, nullptr)();
}

// --- the pump: engine outputs to transport and consumers ------------------------------

void SessionWorker::pump()
{
    for (StreamDirective directive : engine_.takeDirectives())
        handleDirective(directive);
    auto requests = engine_.takeRequests();
    if (call_) {
        for (auto& request : requests)
            call_->write(std::move(request));
    }
    collect(engine_.takeUpdates());
    for (const EngineNotice& notice : engine_.takeNotices()) {
        switch (notice.kind) {
        case EngineNotice::Kind::ServerProgress:
            toOwner([s = session_, revision = notice.revision, ordered = options_.engine.broadcastProgressIsSafe] {
                emit s->serverProgress(revision, ordered);
            });
            break;
        case EngineNotice::Kind::StreamLost:
            qCInfo(lcSession).noquote() << "stream lost:" << qs(notice.message);
            status_.lastError = notice.message;  // the engine's own reason when it restarts the stream
            break;
        case EngineNotice::Kind::StreamFailed:
            qCWarning(lcSession).noquote() << "stream failed:" << qs(notice.message);
            break;
        case EngineNotice::Kind::ServerMisbehaved:
            qCWarning(lcSession).noquote() << "protocol:" << qs(notice.message);
            break;
        case EngineNotice::Kind::PipeliningDisabled:
            qCInfo(lcSession).noquote() << qs(notice.message);
            break;
        }
    }
    if (call_)
        call_->setReading(!engine_.readsPaused());
    scheduleTick();
    status_.state = engine_.streamState();
    status_.pipelining = engine_.pipelining();
    status_.readsPaused = engine_.readsPaused();
    publishStatus();
}

void SessionWorker::handleDirective(StreamDirective directive)
{
    switch (directive) {
    case StreamDirective::Open:
        startAttempt();
        break;
    case StreamDirective::Close:
    case StreamDirective::Reset:
        if (directive == StreamDirective::Reset) {
            qCInfo(lcTransport).noquote() << "abandoning the stream to" << qs(currentEndpoint());
            link_.failOver();
        }
        endCall();
        ++attempt_;
        break;
    case StreamDirective::CheckLiveness:
        // On the stream's own channel, so that it travels the same path.
        callOnWorker<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse>(
            attempt_, {},
            [this](auto&&... args) { maintenanceStub_->async()->Status(std::forward<decltype(args)>(args)...); },
            &SessionWorker::livenessAnswered);
        break;
    }
}

void SessionWorker::livenessAnswered(std::uint64_t attempt, grpc::Status status, const etcdserverpb::StatusResponse&)
{
    if (attempt != attempt_)
        return;
    pendingUnary_.reset();
    if (!status.ok()) {
        // The engine's probe timeout decides; this is for the engineer.
        qCInfo(lcTransport).noquote() << "status check at" << qs(currentEndpoint()) << "failed -"
                                      << qs(statusForLog(status));
        return;
    }
    qCDebug(lcTransport).noquote() << "status check at" << qs(currentEndpoint()) << "answered; the stream is kept";
    engine_.onLivenessConfirmed(Clock::now());
    pump();
}

void SessionWorker::scheduleTick()
{
    const auto at = engine_.nextTickAt();
    if (!at) {
        tickTimer_.stop();
        return;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - Clock::now());
    tickTimer_.start(int(std::clamp<std::int64_t>(wait.count() + 1, 0, 24 * 3600 * 1000)));
}

// --- connecting: probe (Status), authenticate, open the Watch call ------------------------

template <typename Request, typename Response, typename Start>
void SessionWorker::callOnWorker(std::uint64_t attempt, Request request, Start start,
                                 void (SessionWorker::*done)(std::uint64_t, grpc::Status, const Response&))
{
    auto context = link_.newContext();
    pendingUnary_ = context;
    tracker_->begin();
    startUnary<Response>(std::move(context), std::move(request), std::move(start),
                         [this, attempt, done, tracker = tracker_](grpc::Status status, Response response,
                                                                   std::shared_ptr<grpc::ClientContext> context) {
                             // The context (which holds the channel) is released on
                             // the worker's thread, not gRPC's.
                             post([this, attempt, done, status = std::move(status), response = std::move(response),
                                   context = std::move(context)] { (this->*done)(attempt, status, response); });
                             tracker->end();
                         });
}

void SessionWorker::startAttempt()
{
    endCall();
    const std::uint64_t attempt = ++attempt_;
    // A fresh channel and token for every stream: a kept token may have
    // expired, and etcd checks it when each watch is (re)created.
    link_.dropChannel();
    const std::string endpoint = currentEndpoint();
    status_.endpoint = endpoint;
    if (endpoint.empty()) {
        attemptFailed(attempt, grpc::Status(grpc::INVALID_ARGUMENT, "no endpoint configured"), "configure");
        return;
    }
    std::string error;
    const std::shared_ptr<grpc::Channel> channel = link_.channel(&error);
    if (!channel) {
        engine_.onStreamError({StreamError::Kind::Fatal, error}, Clock::now());
        status_.lastError = error;
        toOwner([s = session_, sentence = qs(error)] { emit s->errorOccurred(sentence); });
        pump();
        return;
    }
    watchStub_ = etcdserverpb::Watch::NewStub(channel);
    maintenanceStub_ = etcdserverpb::Maintenance::NewStub(channel);
    authStub_ = etcdserverpb::Auth::NewStub(channel);
    qCDebug(lcTransport).noquote() << "connecting to" << qs(endpoint);

    // The probe bounds the dial by a deadline (a stream has none), tells a
    // non-etcd peer apart, and reports the version that decides W4's policy.
    callOnWorker<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse>(
        attempt, {},
        [this](auto&&... args) { maintenanceStub_->async()->Status(std::forward<decltype(args)>(args)...); },
        &SessionWorker::probeDone);
}

bool SessionWorker::attemptGoesOn(std::uint64_t attempt, const grpc::Status& status, const char* stage)
{
    if (attempt != attempt_)
        return false;  // an abandoned attempt's late answer
    if (!status.ok()) {
        attemptFailed(attempt, status, stage);
        return false;
    }
    return true;
}

void SessionWorker::probeDone(std::uint64_t attempt, grpc::Status status,
                              const etcdserverpb::StatusResponse& response)
{
    if (!attemptGoesOn(attempt, status, "status probe"))
        return;
    status_.serverVersion = response.version();
    const bool ordered = broadcastProgressIsOrdered(response.version());
    options_.engine.broadcastProgressIsSafe = ordered;
    engine_.setBroadcastProgressIsSafe(ordered);
    engine_.setCompactRevisionIsComplete(compactRevisionKeepsDeletes(response.version()));
    qCDebug(lcTransport).noquote() << "etcd" << qs(response.version()) << "at" << qs(currentEndpoint())
                                   << "revision" << response.header().revision();
    const etcdserverpb::ResponseHeader& header = response.header();
    if (auto broken = history_.check(header.cluster_id(), header.revision(), engine_.serverRevision(),
                                     currentEndpoint(), link_.endpointCount())) {
        attemptRefused(attempt, *broken,
                       "history check failed at " + currentEndpoint() + ": cluster "
                           + std::to_string(header.cluster_id()) + " revision " + std::to_string(header.revision())
                           + ", session saw cluster " + std::to_string(history_.clusterId()) + " revision "
                           + std::to_string(engine_.serverRevision()));
        return;
    }

    if (!link_.needsToken()) {
        openWatchCall(attempt);
        return;
    }
    callOnWorker<etcdserverpb::AuthenticateRequest, etcdserverpb::AuthenticateResponse>(
        attempt, link_.authenticateRequest(),
        [this](auto&&... args) { authStub_->async()->Authenticate(std::forward<decltype(args)>(args)...); },
        &SessionWorker::authenticated);
}

void SessionWorker::authenticated(std::uint64_t attempt, grpc::Status status,
                                  const etcdserverpb::AuthenticateResponse& response)
{
    if (attempt != attempt_)
        return;
    if (auto failure = link_.acceptAuthentication(status, response)) {
        attemptRefused(attempt, failure->error, failure->logLine);
        return;
    }
    if (link_.authenticationOff())
        qCInfo(lcTransport).noquote() << "authentication is off at" << qs(currentEndpoint())
                                      << "- watching without a token as" << qs(link_.options().user) << "is not needed";
    openWatchCall(attempt);
}

void SessionWorker::openWatchCall(std::uint64_t attempt)
{
    pendingUnary_.reset();
    // No deadline: the stream lives until it breaks or is ended here.
    auto context = std::make_unique<grpc::ClientContext>();
    link_.authorize(*context);
    if (link_.options().requireLeader)
        context->AddMetadata("hasleader", "true");  // W9: Go's WithRequireLeader
    WatchCall::Sink sink;
    sink.onInbox = [this, attempt] { post([this, attempt] { inboxArrived(attempt); }); };
    sink.onDone = [this, attempt, tracker = tracker_](grpc::Status status,
                                                        std::shared_ptr<grpc::ClientContext> context) {
        // The context (and with it possibly the last channel reference) is
        // released on this worker's thread.
        post([this, attempt, status, context = std::move(context)] { callDone(attempt, status); });
        tracker->end();
    };
    tracker_->begin();
    call_ = WatchCall::start(*watchStub_, std::move(context), std::move(sink));
    status_.everConnected = true;
    status_.failedAttempts = 0;
    status_.lastError.clear();
    qCInfo(lcTransport).noquote() << "watch stream open to" << qs(currentEndpoint()) << "etcd"
                                  << qs(status_.serverVersion);
    engine_.onStreamOpened(Clock::now());
    pump();
}

void SessionWorker::attemptFailed(std::uint64_t attempt, const grpc::Status& status, const char* stage)
{
    const CallFailure failure = link_.failure(status, stage);
    attemptRefused(attempt, failure.error, failure.logLine);
}

void SessionWorker::attemptRefused(std::uint64_t attempt, StreamError error, const std::string& logLine)
{
    if (attempt != attempt_)
        return;
    qCWarning(lcTransport).noquote() << qs(logLine);
    status_.failedAttempts += 1;
    streamFailed(error);
}

void SessionWorker::streamFailed(const StreamError& error)
{
    status_.lastError = error.message;
    link_.failOver();
    toOwner([s = session_, sentence = qs(error.message)] { emit s->errorOccurred(sentence); });
    engine_.onStreamError(error, Clock::now());
    pump();
}

void SessionWorker::inboxArrived(std::uint64_t attempt)
{
    if (attempt != attempt_ || !call_)
        return;
    WatchCall::Inbox inbox = call_->takeInbox();
    for (WatchCall::Message& message : inbox.messages)
        engine_.onResponse(std::move(*message.response), Clock::now());
    if (inbox.ended) {
        // The stream can no longer be used; release it to learn its status.
        pump();
        endCall();
        return;
    }
    pump();
}

void SessionWorker::callDone(std::uint64_t attempt, grpc::Status status)
{
    if (attempt != attempt_)
        return;
    const std::string endpoint = currentEndpoint();
    if (status.ok())
        status = grpc::Status(grpc::UNAVAILABLE, "etcd closed the watch stream");
    StreamError error{classifyStatus(status), describeStatus(status, endpoint)};
    if (link_.hasToken() && isTokenRejected(status)) {
        // The token expired or the member restarted: the next attempt
        // authenticates again and the watches resume from their revisions (W9).
        error = {StreamError::Kind::Transient, "etcd at " + endpoint + " no longer accepts this session's token ("
                                                   + status.error_message() + "); authenticating again."};
    } else if (status.error_code() == grpc::UNAVAILABLE && !isNoLeader(status)) {
        // The member answered the probe as etcd, so a stream that breaks is a
        // lost connection (a crash, a restart, a network fault), not a wrong port.
        error.message = "Lost the connection to etcd at " + endpoint + " (" + status.error_message() + "); reconnecting.";
    }
    qCWarning(lcTransport).noquote() << "watch stream to" << qs(endpoint) << "ended -" << qs(statusForLog(status));
    streamFailed(error);
}

void SessionWorker::endCall()
{
    if (auto unary = std::exchange(pendingUnary_, nullptr))
        unary->TryCancel();
    if (!call_)
        return;
    WatchCall* call = std::exchange(call_, nullptr);
    call->finish();
}

// --- delivery to consumers -------------------------------------------------------------------

void SessionWorker::collect(std::vector<WatchUpdate>&& updates)
{
    if (updates.empty())
        return;
    for (WatchUpdate& update : updates) {
        pending_.eventCount += std::int64_t(update.events.size());
        // Coalesce consecutive event batches of one watch into one update.
        if (update.kind == WatchUpdate::Kind::Events && !pending_.updates.empty()) {
            WatchUpdate& last = pending_.updates.back();
            if (last.kind == WatchUpdate::Kind::Events && last.watch == update.watch) {
                last.events.insert(last.events.end(), std::make_move_iterator(update.events.begin()),
                                   std::make_move_iterator(update.events.end()));
                last.revision = std::max(last.revision, update.revision);
                continue;
            }
        }
        pending_.updates.push_back(std::move(update));
    }
    if (!flushTimer_.isActive())
        flushTimer_.start();
}

void SessionWorker::flush()
{
    if (pending_.updates.empty())
        return;
    pending_.serverRevision = engine_.serverRevision();
    std::vector<WatchHandle> touched;
    for (const WatchUpdate& update : pending_.updates)
        if (std::find(touched.begin(), touched.end(), update.watch) == touched.end())
            touched.push_back(update.watch);
    for (WatchHandle handle : touched)
        if (auto info = engine_.watchInfo(handle))
            pending_.watchInfos.push_back(std::move(*info));
    auto batch = std::make_shared<UpdateBatch>(std::move(pending_));
    pending_ = UpdateBatch{};
    toOwner([s = session_, batch = std::move(batch)] { emit s->updatesReady(batch); });
}

void SessionWorker::publishStatus()
{
    if (statusPublishedOnce_ && status_ == published_)
        return;
    published_ = status_;
    statusPublishedOnce_ = true;
    toOwner([s = session_, status = status_] { emit s->statusChanged(status); });
}

void SessionWorker::toOwner(std::function<void()> work)
{
    if (owner_)
        owner_->post(std::move(work));
}

}  // namespace etcdscope
