// The watch multiplexer: every rule of the watch contract (SPEC §3, W1–W12)
// as a sans-I/O state machine.
//
// It is fed user commands (addWatch, cancelWatch, requestProgress,
// acknowledge) and stream inputs (onStreamOpened, onResponse, onStreamError,
// onTick with the current time) and answers with plain outputs to drain:
// requests to write on the stream, updates to deliver per watch, directives
// for the stream itself, and notices for the person. It never touches gRPC,
// threads or a clock, so it can be driven by scripted server conversations.
#pragma once

#include "engine/engine_types.h"
#include "engine/watch_types.h"

#include "etcd/etcdserverpb/rpc.pb.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace etcdscope {

class WatchEngine {
public:
    explicit WatchEngine(EngineOptions options = {});

    // --- user commands -----------------------------------------------------
    // Starts watching. `handle` must be unused and > 0. Returns a readable
    // reason when the spec is invalid (nothing is changed then).
    std::optional<std::string> addWatch(WatchHandle handle, WatchSpec spec);
    // W8: stops a watch in whatever state it is. Unknown handles are ignored.
    void cancelWatch(WatchHandle handle);
    // W4: asks the server for a progress response on the stream.
    void requestProgress();
    // W10: the consumer has finished with this many delivered events.
    void acknowledge(std::int64_t events);
    // Whether a stream is wanted at all (connect / disconnect). Turning it on
    // after a failure retries at once.
    void setConnectionWanted(bool wanted, TimePoint now);
    void setBroadcastProgressIsSafe(bool safe) { options_.broadcastProgressIsSafe = safe; }
    void setCompactRevisionIsComplete(bool complete) { options_.compactRevisionIsComplete = complete; }
    void setRetryDenialWithFreshToken(bool retry) { options_.retryDenialWithFreshToken = retry; }
    // The next stream belongs to another cluster (a person chose to start
    // afresh): revisions seen so far mean nothing there, so every watch
    // starts from that cluster's "now" and the server revision is forgotten.
    // Only while no stream is open.
    void forgetHistory();

    // --- stream inputs -----------------------------------------------------
    void onStreamOpened(TimePoint now);
    void onResponse(etcdserverpb::WatchResponse&& response, TimePoint now);
    void onStreamError(const StreamError& error, TimePoint now);
    void onTick(TimePoint now);
    // The member answered a CheckLiveness request.
    void onLivenessConfirmed(TimePoint now);

    // --- outputs (drain after every input) -----------------------------------
    std::vector<etcdserverpb::WatchRequest> takeRequests();
    std::vector<WatchUpdate> takeUpdates();
    std::vector<StreamDirective> takeDirectives();
    std::vector<EngineNotice> takeNotices();
    // When onTick should next be called, if anything is time-driven.
    std::optional<TimePoint> nextTickAt() const;
    // W10: the transport must not read while this is true.
    bool readsPaused() const { return readsPaused_; }

    // --- state, for diagnostics and tests ------------------------------------
    StreamState streamState() const { return streamState_; }
    bool pipelining() const { return options_.pipelineCreates; }
    std::int64_t serverRevision() const { return serverRevision_; }
    std::int64_t unacknowledgedEvents() const { return unacknowledged_; }
    std::optional<WatchInfo> watchInfo(WatchHandle handle) const;
    std::vector<WatchHandle> activeWatches() const;
    std::optional<TimePoint> reconnectAt() const;

private:
    // A create request sent on the current stream and not yet answered.
    struct InFlightCreate {
        WatchHandle handle = 0;        // 0: cancelled while in flight
        std::int64_t requestedId = 0;  // client-chosen ID, 0 in serial mode
        bool cancelSent = false;       // cancelled by its client ID already
    };
    // Events of a fragmented response gathered until its last fragment (W5).
    struct FragmentBuffer {
        std::vector<WatchEvent> events;
    };

    void handleCreated(etcdserverpb::WatchResponse& response);
    void handleCanceled(WatchHandle handle, const etcdserverpb::WatchResponse& response);
    void handleBroadcastProgress(std::int64_t revision);
    void handleEventsOrProgress(WatchHandle handle, etcdserverpb::WatchResponse& response);
    void handleUnknownWatchId(std::int64_t serverId);
    InFlightCreate takeInFlightFor(std::int64_t answeredId);

    void queueCreate(WatchHandle handle);
    void sendQueuedCreates();
    void sendCreate(WatchInfo& watch);
    void sendCancel(std::int64_t serverId);
    void openStreamIfNeeded();
    void closeStreamIfUnused();
    void closeIdleStream();
    bool isStaleTokenRefusal(const std::string& reason) const;
    void loseStream(const StreamError& error, TimePoint now);
    void resetStreamState();
    void dropUnsentRequests();
    // `byUser`: a cancellation the user asked for (not etcd's).
    void setState(WatchInfo& watch, WatchState state, std::string reason = {}, bool byUser = false);
    void deliverEvents(WatchInfo& watch, std::vector<WatchEvent>&& events, std::int64_t headerRevision);
    void deliverProgress(WatchInfo& watch, std::int64_t revision);
    void updatePause();
    void notify(EngineNotice::Kind kind, std::string message, std::int64_t revision = 0);
    bool hasActiveWatches() const;

    EngineOptions options_;
    std::mt19937_64 random_;

    std::map<WatchHandle, WatchInfo> watches_;  // ordered: resume order is stable
    StreamState streamState_ = StreamState::Idle;
    bool connectionWanted_ = false;

    // --- per stream: cleared whenever a stream starts or ends ---------------
    std::deque<WatchHandle> createQueue_;       // creations not yet sent
    std::deque<InFlightCreate> inFlight_;       // creations sent, in send order
    std::unordered_map<std::int64_t, WatchHandle> byServerId_;
    std::unordered_set<std::int64_t> cancelSent_;  // W7/W8: one cancel per ID
    std::unordered_map<std::int64_t, FragmentBuffer> fragments_;
    std::int64_t nextClientWatchId_ = 1;
    // A `created` on this stream carried the ID we asked for: client IDs are
    // known to be honoured, so one can be cancelled before its `created`.
    bool clientIdsConfirmed_ = false;
    // Every watch ID a `created` confirmed on this stream. etcd never
    // confirms one twice (client IDs are not reused, its own only grow), so
    // a repeat is a stale or duplicated response and must bind nothing.
    std::unordered_set<std::int64_t> confirmedIds_;
    TimePoint lastReceiveAt_{};
    std::optional<TimePoint> probeSentAt_;  // W12 liveness probe outstanding
    // W12: since when creations have been waiting for their `created`
    // without any being confirmed (stamped at the first tick that sees them).
    std::optional<TimePoint> createsWaitingSince_;
    bool probeForCreations_ = false;  // the outstanding probe is about creations
    bool closePending_ = false;             // no watch left: close at the next tick

    // --- across streams ------------------------------------------------------
    int backoffAttempt_ = 0;
    TimePoint reconnectAt_{};
    std::int64_t serverRevision_ = 0;
    std::int64_t unacknowledged_ = 0;
    // Watches whose last creation was denied and is being retried on a
    // fresh stream (retryDenialWithFreshToken); cleared when one is created.
    std::unordered_set<WatchHandle> retryingDenial_;
    bool readsPaused_ = false;

    // --- outputs ---------------------------------------------------------------
    std::vector<etcdserverpb::WatchRequest> requests_;
    std::vector<WatchUpdate> updates_;
    std::vector<StreamDirective> directives_;
    std::vector<EngineNotice> notices_;
};

}  // namespace etcdscope
