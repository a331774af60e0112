#include "engine/watch_engine.h"

#include <algorithm>
#include <utility>

namespace etcdscope {

namespace {

// etcd's answer to a creation that failed before a watch ID existed.
constexpr std::int64_t kNoWatchId = -1;

WatchEvent toWatchEvent(mvccpb::Event& source)
{
    // Moves the byte strings out of the response: each event's payload is
    // copied nowhere (W5: no event copied more than once).
    auto take = [](mvccpb::KeyValue& from, KeyValue& to) {
        to.key = std::move(*from.mutable_key());
        to.value = std::move(*from.mutable_value());
        to.createRevision = from.create_revision();
        to.modRevision = from.mod_revision();
        to.version = from.version();
        to.lease = from.lease();
    };
    WatchEvent event;
    event.type = source.type() == mvccpb::Event::DELETE ? EventType::Delete : EventType::Put;
    take(*source.mutable_kv(), event.kv);
    if (source.has_prev_kv()) {
        event.hasPrevKv = true;
        take(*source.mutable_prev_kv(), event.prevKv);
    }
    return event;
}

// Whether `event` is one `spec` asks for: etcd's range rule (bytes compared
// unsigned, as std::string does) and filters.
bool isWatchedBy(const WatchSpec& spec, const WatchEvent& event)
{
    if (event.type == EventType::Put ? spec.noPut : spec.noDelete)
        return false;
    const std::string& key = event.kv.key;
    if (spec.rangeEnd.empty())
        return key == spec.key;
    return key >= spec.key && (spec.rangeEnd == fromKeyRangeEnd() || key < spec.rangeEnd);
}

void appendEvents(etcdserverpb::WatchResponse& response, std::vector<WatchEvent>& into)
{
    into.reserve(into.size() + std::size_t(response.events_size()));
    for (auto& event : *response.mutable_events())
        into.push_back(toWatchEvent(event));
}

}  // namespace

const char* streamStateName(StreamState state)
{
    switch (state) {
    case StreamState::Idle: return "idle";
    case StreamState::Opening: return "connecting";
    case StreamState::Open: return "connected";
    case StreamState::Backoff: return "reconnecting";
    case StreamState::Failed: return "failed";
    }
    return "unknown";
}

WatchEngine::WatchEngine(EngineOptions options)
    : options_(std::move(options))
    , random_(options_.randomSeed)
{
}

// --- user commands -------------------------------------------------------------

std::optional<std::string> WatchEngine::addWatch(WatchHandle handle, WatchSpec spec)
{
    if (handle <= 0 || watches_.count(handle))
        return "internal error: watch handle " + std::to_string(handle) + " is not free";
    if (spec.startRevision < 0)
        return "the start revision must be 0 (now) or a positive revision";
    if (spec.key.empty() && spec.rangeEnd != fromKeyRangeEnd())
        return "the key must not be empty (use a from-key watch on \"\" to watch everything)";
    if (!spec.rangeEnd.empty() && spec.rangeEnd != fromKeyRangeEnd() && spec.rangeEnd <= spec.key)
        return "the range end must sort after the key";
    if (spec.noPut && spec.noDelete)
        return "filtering out both puts and deletes leaves nothing to watch";

    WatchInfo watch;
    watch.handle = handle;
    watch.nextRevision = spec.startRevision;
    watch.spec = std::move(spec);
    watches_.emplace(handle, std::move(watch));
    if (streamState_ == StreamState::Open) {
        queueCreate(handle);
        sendQueuedCreates();
    } else {
        openStreamIfNeeded();
    }
    closePending_ = false;
    return std::nullopt;
}

void WatchEngine::cancelWatch(WatchHandle handle)
{
    auto it = watches_.find(handle);
    if (it == watches_.end())
        return;
    WatchInfo& watch = it->second;

    if (auto queued = std::find(createQueue_.begin(), createQueue_.end(), handle);
        queued != createQueue_.end()) {
        createQueue_.erase(queued);  // never sent: nothing to tell the server
    } else if (auto flying = std::find_if(inFlight_.begin(), inFlight_.end(),
                                          [&](const InFlightCreate& c) { return c.handle == handle; });
               flying != inFlight_.end()) {
        flying->handle = 0;  // its `created` will be consumed and ignored
        // Once the server is known to honour client IDs, it knows this ID
        // already: cancel now (it handles requests in order). Before that the
        // ID may mean another watch on the server: wait for `created`.
        if (flying->requestedId > 0 && clientIdsConfirmed_) {
            sendCancel(flying->requestedId);
            flying->cancelSent = true;
        }
    } else if (watch.serverWatchId >= 0) {
        byServerId_.erase(watch.serverWatchId);
        fragments_.erase(watch.serverWatchId);
        sendCancel(watch.serverWatchId);
    }
    watch.serverWatchId = -1;
    setState(watch, WatchState::Cancelled, "cancelled by the user", true);
    watches_.erase(it);
    closeStreamIfUnused();
}

void WatchEngine::requestProgress()
{
    if (streamState_ != StreamState::Open)
        return;
    etcdserverpb::WatchRequest request;
    request.mutable_progress_request();
    requests_.push_back(std::move(request));
}

void WatchEngine::acknowledge(std::int64_t events)
{
    unacknowledged_ = std::max<std::int64_t>(0, unacknowledged_ - events);
    updatePause();
}

void WatchEngine::setConnectionWanted(bool wanted, TimePoint now)
{
    connectionWanted_ = wanted;
    if (wanted) {
        if (streamState_ == StreamState::Failed)
            streamState_ = StreamState::Idle;
        openStreamIfNeeded();
        return;
    }
    if (streamState_ == StreamState::Open || streamState_ == StreamState::Opening)
        directives_.push_back(StreamDirective::Close);
    (void)now;
    dropUnsentRequests();
    resetStreamState();
    for (auto& [handle, watch] : watches_) {
        watch.serverWatchId = -1;  // it named a watch on the stream just closed
        if (watch.state != WatchState::Pending)
            setState(watch, WatchState::Resuming, "disconnected");
    }
    streamState_ = StreamState::Idle;
}

void WatchEngine::forgetHistory()
{
    serverRevision_ = 0;
    for (auto& [handle, watch] : watches_) {
        watch.spec.startRevision = 0;
        watch.nextRevision = 0;
        watch.createdRevision = 0;
        watch.lastProgressRevision = 0;
        watch.compactRevision = 0;
    }
}

// --- stream inputs ---------------------------------------------------------------

void WatchEngine::onStreamOpened(TimePoint now)
{
    if (streamState_ != StreamState::Opening)
        return;
    dropUnsentRequests();
    resetStreamState();
    streamState_ = StreamState::Open;
    lastReceiveAt_ = now;
    for (const auto& [handle, watch] : watches_)
        queueCreate(handle);
    sendQueuedCreates();
    closeStreamIfUnused();
}

void WatchEngine::onResponse(etcdserverpb::WatchResponse&& response, TimePoint now)
{
    if (streamState_ != StreamState::Open)
        return;
    lastReceiveAt_ = now;
    // Any answer ends a probe of a quiet stream; one of creations ends only
    // with an answer to a request of ours (a creation or a progress request).
    if (!probeForCreations_ || response.created() || (response.watch_id() == -1 && response.events_size() == 0))
        probeSentAt_.reset();
    backoffAttempt_ = 0;  // the stream works: the next loss starts afresh
    if (response.has_header())
        serverRevision_ = std::max(serverRevision_, response.header().revision());

    if (response.created()) {
        handleCreated(response);
        return;
    }
    const std::int64_t serverId = response.watch_id();
    if (serverId == kNoWatchId && !response.canceled()) {
        handleBroadcastProgress(response.header().revision());
        return;
    }
    auto bound = byServerId_.find(serverId);
    if (bound == byServerId_.end()) {
        if (!response.canceled())
            handleUnknownWatchId(serverId);
        return;  // a cancel confirmation for something we dropped already
    }
    const WatchHandle handle = bound->second;
    if (response.canceled())
        handleCanceled(handle, response);
    else
        handleEventsOrProgress(handle, response);
}

void WatchEngine::onStreamError(const StreamError& error, TimePoint now)
{
    if (streamState_ != StreamState::Open && streamState_ != StreamState::Opening)
        return;
    loseStream(error, now);
}

void WatchEngine::onTick(TimePoint now)
{
    if (closePending_) {
        closeIdleStream();
        return;
    }
    if (streamState_ == StreamState::Backoff && now >= reconnectAt_) {
        streamState_ = StreamState::Idle;
        openStreamIfNeeded();
        return;
    }
    if (streamState_ != StreamState::Open || readsPaused_ || watches_.empty())
        return;
    // W12: two things make a stream suspect. It says nothing for a while (it
    // may be dead without an error), or it carries events while a creation
    // stays unconfirmed (the path to the server may be dead while the path
    // back is not; keepalive cannot see that while data arrives). Then the
    // server is asked twice: a progress request on the stream, and a status
    // check beside it (CheckLiveness). A member busy catching watchers up
    // can leave the stream silent for many seconds yet answers the check; a
    // hung member or a dead path answers neither within the probe timeout.
    if (inFlight_.empty())
        createsWaitingSince_.reset();
    else if (!createsWaitingSince_)
        createsWaitingSince_ = now;
    if (probeSentAt_) {
        if (now - *probeSentAt_ >= options_.probeTimeout) {
            const auto ms = [&](TimePoint since) {
                return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count());
            };
            directives_.push_back(StreamDirective::Reset);
            loseStream({StreamError::Kind::Transient,
                        probeForCreations_
                            ? "etcd did not confirm a watch creation for " + ms(*createsWaitingSince_)
                                  + " ms nor answer a status check; the connection cannot carry requests"
                            : "etcd did not answer a progress request nor a status check; the stream was silent for "
                                  + ms(lastReceiveAt_) + " ms"},
                       now);
        }
        return;
    }
    const bool quiet = now - lastReceiveAt_ >= options_.quietProbeAfter;
    const bool creationsStuck = createsWaitingSince_ && now - *createsWaitingSince_ >= options_.quietProbeAfter;
    if (quiet || creationsStuck) {
        requestProgress();
        directives_.push_back(StreamDirective::CheckLiveness);
        probeSentAt_ = now;
        probeForCreations_ = !quiet;
    }
}

void WatchEngine::onLivenessConfirmed(TimePoint now)
{
    if (streamState_ != StreamState::Open || !probeSentAt_)
        return;
    // The member is alive and hears us: give the stream another full period.
    probeSentAt_.reset();
    lastReceiveAt_ = now;
    if (createsWaitingSince_)
        createsWaitingSince_ = now;
}

// --- outputs -----------------------------------------------------------------------

std::vector<etcdserverpb::WatchRequest> WatchEngine::takeRequests() { return std::exchange(requests_, {}); }
std::vector<WatchUpdate> WatchEngine::takeUpdates() { return std::exchange(updates_, {}); }
std::vector<StreamDirective> WatchEngine::takeDirectives() { return std::exchange(directives_, {}); }
std::vector<EngineNotice> WatchEngine::takeNotices() { return std::exchange(notices_, {}); }

std::optional<TimePoint> WatchEngine::nextTickAt() const
{
    if (closePending_)
        return TimePoint{};  // as soon as the caller can: close the unused stream
    if (streamState_ == StreamState::Backoff)
        return reconnectAt_;
    if (streamState_ != StreamState::Open || readsPaused_ || watches_.empty())
        return std::nullopt;
    if (probeSentAt_)
        return *probeSentAt_ + options_.probeTimeout;
    TimePoint next = lastReceiveAt_ + options_.quietProbeAfter;
    if (!inFlight_.empty())
        next = std::min(next, createsWaitingSince_ ? *createsWaitingSince_ + options_.quietProbeAfter : TimePoint{});
    return next;
}

std::optional<WatchInfo> WatchEngine::watchInfo(WatchHandle handle) const
{
    auto it = watches_.find(handle);
    if (it == watches_.end())
        return std::nullopt;
    return it->second;
}

std::vector<WatchHandle> WatchEngine::activeWatches() const
{
    std::vector<WatchHandle> handles;
    handles.reserve(watches_.size());
    for (const auto& [handle, watch] : watches_)
        handles.push_back(handle);
    return handles;
}

std::optional<TimePoint> WatchEngine::reconnectAt() const
{
    if (streamState_ != StreamState::Backoff)
        return std::nullopt;
    return reconnectAt_;
}

// --- response handling ---------------------------------------------------------------

WatchEngine::InFlightCreate WatchEngine::takeInFlightFor(std::int64_t answeredId)
{
    // Creations are answered in the order they were sent (etcd handles a
    // stream's requests one by one), so the head is the default match. With
    // client-chosen IDs the answer names its request; a server that ignores
    // those IDs shows itself by answering the head with another ID.
    auto match = inFlight_.begin();
    if (options_.pipelineCreates && answeredId != kNoWatchId) {
        auto byId = std::find_if(inFlight_.begin(), inFlight_.end(),
                                 [&](const InFlightCreate& c) { return c.requestedId == answeredId; });
        if (byId != inFlight_.end()) {
            match = byId;
            clientIdsConfirmed_ = true;
        } else {
            options_.pipelineCreates = false;
            notify(EngineNotice::Kind::PipeliningDisabled,
                   "etcd ignores client-chosen watch IDs (asked for " + std::to_string(match->requestedId)
                       + ", got " + std::to_string(answeredId) + "); creating watches one at a time");
        }
    }
    InFlightCreate taken = *match;
    inFlight_.erase(match);
    createsWaitingSince_.reset();  // the server hears us
    if (probeForCreations_)
        probeSentAt_.reset();
    return taken;
}

void WatchEngine::handleCreated(etcdserverpb::WatchResponse& response)
{
    const std::int64_t serverId = response.watch_id();
    if (!response.canceled() && (serverId < 0 || !confirmedIds_.insert(serverId).second)) {
        // etcd never confirms a creation with a negative ID, nor an ID twice
        // (a repeated response). Binding it would take the answer of another
        // creation and route that one's events to the wrong watch.
        notify(EngineNotice::Kind::ServerMisbehaved,
               "etcd confirmed a watch creation with watch ID " + std::to_string(serverId) + ", which is "
                   + (serverId < 0 ? "not a valid ID" : "confirmed on this stream already") + "; ignored");
        return;
    }
    if (inFlight_.empty()) {
        notify(EngineNotice::Kind::ServerMisbehaved,
               "etcd confirmed a watch creation that was not asked for (watch ID " + std::to_string(serverId) + ")");
        if (serverId >= 0 && !response.canceled())
            handleUnknownWatchId(serverId);
        return;
    }
    const InFlightCreate create = takeInFlightFor(serverId);
    auto it = watches_.find(create.handle);

    const bool deniedMaybeForAnOldToken = options_.retryDenialWithFreshToken && response.canceled()
        && it != watches_.end() && response.cancel_reason().find("permission denied") != std::string::npos
        && retryingDenial_.insert(create.handle).second;
    if (deniedMaybeForAnOldToken) {
        // Perhaps only the token expired (etcd 3.4 cannot tell us): once
        // more on a new stream, which authenticates afresh.
        directives_.push_back(StreamDirective::Reset);
        loseStream({StreamError::Kind::Transient,
                    "etcd denied a watch (" + response.cancel_reason() + "); trying once more with a fresh token"},
                   lastReceiveAt_);
        return;
    }
    if (response.canceled() && it != watches_.end() && isStaleTokenRefusal(response.cancel_reason())) {
        // The auth token went stale (it expired, or the member restarted):
        // not the watch's fault. Start a new stream, which authenticates
        // afresh, and re-create every watch from where it was (W9).
        directives_.push_back(StreamDirective::Reset);
        loseStream({StreamError::Kind::Transient, "etcd refused the auth token (" + response.cancel_reason() + ")"},
                   lastReceiveAt_);
        return;
    }
    if (response.canceled()) {
        // The server refused the creation (W2: e.g. a duplicate watch ID,
        // or no permission). Surface it; never leave the watch hanging.
        if (it != watches_.end()) {
            std::string reason = response.cancel_reason().empty() ? "etcd refused to create the watch"
                                                                  : response.cancel_reason();
            it->second.cancelReason = reason;
            it->second.serverWatchId = -1;
            retryingDenial_.erase(create.handle);
            setState(it->second, WatchState::Cancelled, std::move(reason));
            watches_.erase(it);
            closeStreamIfUnused();
        }
    } else if (it == watches_.end()) {
        // Cancelled while in flight (W8): unless it went out by client ID
        // already, this is the first moment the server's ID is known.
        if (!create.cancelSent && serverId >= 0)
            sendCancel(serverId);
    } else {
        WatchInfo& watch = it->second;
        cancelSent_.erase(serverId);
        byServerId_[serverId] = watch.handle;
        watch.serverWatchId = serverId;
        watch.createdRevision = response.header().revision();
        // W3: "from now" means after the creation's header revision. Events at
        // that revision happened before the watch existed; resuming *at* it
        // (as Go clients before 3.4.24 did) would deliver one of them again
        // after a reconnect.
        if (watch.nextRevision == 0)
            watch.nextRevision = watch.createdRevision + 1;
        retryingDenial_.erase(watch.handle);
        setState(watch, WatchState::Live);
    }
    sendQueuedCreates();  // serial mode: the next creation may go now
}

void WatchEngine::handleCanceled(WatchHandle handle, const etcdserverpb::WatchResponse& response)
{
    WatchInfo& watch = watches_.at(handle);
    const std::int64_t serverId = response.watch_id();
    byServerId_.erase(serverId);
    fragments_.erase(serverId);  // a revision cut short is re-read on resume
    watch.serverWatchId = -1;

    const std::int64_t compactRevision = response.compact_revision();
    if (compactRevision > 0) {
        // W6: the history the watch needs is gone. etcd keeps the ID
        // registered on the stream, so free it; the re-creation gets a new ID.
        sendCancel(serverId);
        watch.compactRevision = compactRevision;
        if (watch.nextRevision < compactRevision) {
            // What etcd serves at the compaction revision is delivered; where
            // it may have dropped a DELETE there, the GAP says so (see
            // compactRevisionIsComplete) rather than hiding the PUTs too.
            WatchUpdate gap;
            gap.kind = WatchUpdate::Kind::Gap;
            gap.watch = handle;
            gap.fromRevision = watch.nextRevision;
            gap.toRevision = compactRevision - 1;
            if (!options_.compactRevisionIsComplete)
                gap.mayLackDeletesAt = compactRevision;
            updates_.push_back(std::move(gap));
            watch.nextRevision = compactRevision;
        }
        if (options_.resumeAfterCompaction) {
            setState(watch, WatchState::Resuming,
                     "history compacted at revision " + std::to_string(compactRevision));
            queueCreate(handle);
            sendQueuedCreates();
            return;
        }
        watch.cancelReason = "history before revision " + std::to_string(compactRevision) + " was compacted";
    } else {
        watch.cancelReason = response.cancel_reason().empty() ? "cancelled by etcd" : response.cancel_reason();
    }
    setState(watch, WatchState::Cancelled, watch.cancelReason);
    watches_.erase(handle);
    closeStreamIfUnused();
}

void WatchEngine::handleBroadcastProgress(std::int64_t revision)
{
    notify(EngineNotice::Kind::ServerProgress, {}, revision);
    if (!options_.broadcastProgressIsSafe)
        return;  // W4: only a heartbeat on servers where it can overtake events
    for (auto& [handle, watch] : watches_) {
        if (watch.state == WatchState::Live && !fragments_.count(watch.serverWatchId))
            deliverProgress(watch, revision);
    }
}

void WatchEngine::handleEventsOrProgress(WatchHandle handle, etcdserverpb::WatchResponse& response)
{
    WatchInfo& watch = watches_.at(handle);
    const std::int64_t serverId = response.watch_id();

    // W5: a fragment may split a revision; gather until the last fragment.
    auto pending = fragments_.find(serverId);
    if (response.fragment() || pending != fragments_.end()) {
        FragmentBuffer& buffer = pending != fragments_.end() ? pending->second : fragments_[serverId];
        appendEvents(response, buffer.events);
        if (response.fragment())
            return;
        std::vector<WatchEvent> events = std::move(buffer.events);
        fragments_.erase(serverId);
        deliverEvents(watch, std::move(events), response.header().revision());
        return;
    }
    if (response.events_size() == 0) {
        deliverProgress(watch, response.header().revision());
        return;
    }
    std::vector<WatchEvent> events;
    appendEvents(response, events);
    deliverEvents(watch, std::move(events), response.header().revision());
}

void WatchEngine::handleUnknownWatchId(std::int64_t serverId)
{
    // W7: whatever keeps arriving for an ID nobody owns, cancel it once per
    // stream (Go's cancelSet). etcd does not answer a cancel for an ID it
    // does not know, so nothing waits on it.
    if (serverId < 0 || cancelSent_.count(serverId))
        return;
    sendCancel(serverId);
}

// --- sending -----------------------------------------------------------------------------

void WatchEngine::queueCreate(WatchHandle handle)
{
    WatchInfo& watch = watches_.at(handle);
    createQueue_.push_back(handle);
    if (watch.state == WatchState::Live)
        setState(watch, WatchState::Resuming);
}

void WatchEngine::sendQueuedCreates()
{
    if (streamState_ != StreamState::Open)
        return;
    // Serial mode (Go's algorithm): only the head of the queue is in flight.
    while (!createQueue_.empty() && (options_.pipelineCreates || inFlight_.empty())) {
        WatchInfo& watch = watches_.at(createQueue_.front());
        createQueue_.pop_front();
        sendCreate(watch);
    }
}

void WatchEngine::sendCreate(WatchInfo& watch)
{
    etcdserverpb::WatchRequest request;
    auto& create = *request.mutable_create_request();
    create.set_key(watch.spec.key);
    create.set_range_end(watch.spec.rangeEnd);
    // W3/W9: resume exactly where this watch left off.
    create.set_start_revision(watch.nextRevision);
    create.set_progress_notify(watch.spec.progressNotify);
    create.set_prev_kv(watch.spec.prevKv);
    create.set_fragment(options_.requestFragments);
    if (watch.spec.noPut)
        create.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
    if (watch.spec.noDelete)
        create.add_filters(etcdserverpb::WatchCreateRequest::NODELETE);

    InFlightCreate flying{watch.handle, 0};
    if (options_.pipelineCreates) {
        // IDs are never reused on a stream: etcd may still hold events of a
        // cancelled ID and would release them under a new watch with that ID.
        flying.requestedId = nextClientWatchId_++;
        create.set_watch_id(flying.requestedId);
    }
    inFlight_.push_back(flying);
    requests_.push_back(std::move(request));
    if (watch.state == WatchState::Pending)
        setState(watch, WatchState::Creating);
}

void WatchEngine::sendCancel(std::int64_t serverId)
{
    if (serverId < 0 || !cancelSent_.insert(serverId).second)
        return;
    etcdserverpb::WatchRequest request;
    request.mutable_cancel_request()->set_watch_id(serverId);
    requests_.push_back(std::move(request));
}

// --- stream lifecycle ------------------------------------------------------------------------

bool WatchEngine::hasActiveWatches() const { return !watches_.empty(); }

bool WatchEngine::isStaleTokenRefusal(const std::string& reason) const
{
    // etcd names an expired or unknown token (3.4.23 answers a creation with
    // an expired simple token "invalid auth token", tests/integration/
    // tst_auth.cpp); a plain "permission denied" is handled by
    // retryDenialWithFreshToken.
    return reason.find("invalid auth token") != std::string::npos
           || reason.find("auth: revision in header is old") != std::string::npos
           || reason.find("auth old revision") != std::string::npos;
}

void WatchEngine::openStreamIfNeeded()
{
    if (connectionWanted_ && streamState_ == StreamState::Idle && hasActiveWatches()) {
        streamState_ = StreamState::Opening;
        directives_.push_back(StreamDirective::Open);
    }
}

void WatchEngine::closeStreamIfUnused()
{
    if (hasActiveWatches())
        return;
    if (streamState_ == StreamState::Open) {
        // Not at once: the last cancel still goes out on this stream, and a
        // watch added right after reuses it (W8: the stream *may* close).
        closePending_ = true;
    } else if (streamState_ == StreamState::Opening) {
        directives_.push_back(StreamDirective::Close);
        resetStreamState();
        streamState_ = StreamState::Idle;
    } else if (streamState_ == StreamState::Backoff) {
        streamState_ = StreamState::Idle;
    }
}

void WatchEngine::closeIdleStream()
{
    closePending_ = false;
    if (hasActiveWatches() || streamState_ != StreamState::Open)
        return;
    directives_.push_back(StreamDirective::Close);
    dropUnsentRequests();
    resetStreamState();
    streamState_ = StreamState::Idle;
}

void WatchEngine::loseStream(const StreamError& error, TimePoint now)
{
    dropUnsentRequests();
    resetStreamState();
    for (auto& [handle, watch] : watches_) {
        watch.serverWatchId = -1;
        if (watch.state == WatchState::Live || watch.state == WatchState::Creating)
            setState(watch, watch.state == WatchState::Live ? WatchState::Resuming : WatchState::Pending,
                     error.message);
    }
    if (error.kind != StreamError::Kind::Transient) {
        streamState_ = StreamState::Failed;
        notify(EngineNotice::Kind::StreamFailed, error.message);
        return;
    }
    // W9/W12: retry with capped, jittered exponential back-off.
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto delay = options_.backoff.delay(backoffAttempt_++, unit(random_));
    reconnectAt_ = now + delay;
    streamState_ = StreamState::Backoff;
    notify(EngineNotice::Kind::StreamLost,
           error.message + " (retrying in " + std::to_string(delay.count()) + " ms)");
}

void WatchEngine::dropUnsentRequests()
{
    // Requests not yet taken belong to a stream that is gone. None may reach
    // the next one: watch IDs start again at 1 there, so a stale cancel could
    // hit a new watch. (A graceful close keeps them: a last cancel still goes.)
    requests_.clear();
}

void WatchEngine::resetStreamState()
{
    closePending_ = false;
    createQueue_.clear();
    inFlight_.clear();
    createsWaitingSince_.reset();
    byServerId_.clear();
    cancelSent_.clear();
    confirmedIds_.clear();
    fragments_.clear();
    nextClientWatchId_ = 1;
    clientIdsConfirmed_ = false;
    probeSentAt_.reset();
}

// --- delivery --------------------------------------------------------------------------------

void WatchEngine::setState(WatchInfo& watch, WatchState state, std::string reason, bool byUser)
{
    if (watch.state == state)
        return;
    watch.state = state;
    WatchUpdate update;
    update.kind = WatchUpdate::Kind::State;
    update.watch = watch.handle;
    update.state = state;
    update.reason = std::move(reason);
    update.byUser = byUser;
    updates_.push_back(std::move(update));
}

void WatchEngine::deliverEvents(WatchInfo& watch, std::vector<WatchEvent>&& events, std::int64_t headerRevision)
{
    // W11: never deliver a revision twice or out of order, nor an event
    // the watch did not ask for. After a resume from nextRevision nothing
    // below it should come, and revisions only grow; if a server sends
    // anything else anyway, drop it.
    std::int64_t floor = watch.nextRevision;
    std::size_t kept = 0;
    std::size_t stale = 0;
    std::size_t unwanted = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        WatchEvent& event = events[i];
        if (event.kv.modRevision < floor) {
            ++stale;
        } else if (!isWatchedBy(watch.spec, event)) {
            ++unwanted;
        } else {
            floor = event.kv.modRevision;
            if (kept != i)
                events[kept] = std::move(event);
            ++kept;
        }
    }
    events.erase(events.begin() + std::ptrdiff_t(kept), events.end());
    if (stale > 0)
        notify(EngineNotice::Kind::ServerMisbehaved,
               "etcd re-sent " + std::to_string(stale) + " event(s) below the watch's resume revision "
                   + std::to_string(watch.nextRevision) + " or out of revision order; dropped");
    if (unwanted > 0)
        notify(EngineNotice::Kind::ServerMisbehaved,
               "etcd sent " + std::to_string(unwanted) + " event(s) outside the watch's range or filters; dropped");
    if (events.empty())
        return;
    watch.nextRevision = events.back().kv.modRevision + 1;
    watch.eventsDelivered += std::int64_t(events.size());
    unacknowledged_ += std::int64_t(events.size());

    WatchUpdate update;
    update.kind = WatchUpdate::Kind::Events;
    update.watch = watch.handle;
    update.revision = headerRevision;
    update.events = std::move(events);
    updates_.push_back(std::move(update));
    updatePause();
}

void WatchEngine::deliverProgress(WatchInfo& watch, std::int64_t revision)
{
    if (revision <= 0)
        return;
    watch.nextRevision = std::max(watch.nextRevision, revision + 1);
    watch.lastProgressRevision = std::max(watch.lastProgressRevision, revision);
    WatchUpdate update;
    update.kind = WatchUpdate::Kind::Progress;
    update.watch = watch.handle;
    update.revision = revision;
    updates_.push_back(std::move(update));
}

void WatchEngine::updatePause()
{
    if (!readsPaused_ && unacknowledged_ >= options_.pauseReadsAtEvents)
        readsPaused_ = true;
    else if (readsPaused_ && unacknowledged_ <= options_.resumeReadsAtEvents)
        readsPaused_ = false;
}

void WatchEngine::notify(EngineNotice::Kind kind, std::string message, std::int64_t revision)
{
    notices_.push_back({kind, std::move(message), revision});
}

}  // namespace etcdscope
