// The engine's inputs and outputs as plain values: its options, stream
// states, directives, notices, errors and the view of a watch it reports.
// No protobuf here, so that the session's consumers (the monitor's views,
// the CLI) see the engine's words without etcd's generated messages.
#pragma once

#include "engine/backoff.h"
#include "engine/watch_types.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace etcdscope {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct EngineOptions {
    // W2: create watches with client-chosen IDs, all in flight at once. Turned
    // off by the engine itself when a server shows it ignores those IDs.
    bool pipelineCreates = true;
    // W5: ask etcd to split responses larger than its request limit. Off by
    // default: etcd 3.4 builds fragments by re-measuring the whole message
    // after every event it adds (quadratic), so a catch-up response of
    // 100,000 events kept etcd at 200 % CPU for minutes; unfragmented, the
    // same replay takes seconds, and our receive size is unlimited anyway.
    // Fragments are merged whenever they arrive.
    bool requestFragments = false;
    // W6: after a compaction gap, go on from the compact revision (true) or
    // end the watch (false).
    bool resumeAfterCompaction = true;
    // W6: whether etcd delivers every event of the compaction revision
    // itself to a watch that resumes there. Before the fix of etcd issue
    // 18089 (merged August 2024; 3.4.34 and 3.5.16 are the first releases
    // with it) a compaction at the revision of a DELETE drops that DELETE's
    // tombstone, so the watch would miss it unseen. Either way the GAP ends
    // below the compaction revision and the watch goes on from it, so that
    // every event etcd still serves is delivered; when false, the GAP names
    // that revision as one that may lack its DELETEs (mayLackDeletesAt).
    bool compactRevisionIsComplete = true;
    // W4: whether a broadcast progress response (watch ID -1) proves that
    // every watch has seen all events up to its revision. Only etcd versions
    // that answer a progress request once every watcher is synced give that
    // guarantee; on older ones the broadcast can overtake queued events.
    bool broadcastProgressIsSafe = false;
    // W9 with authentication: a creation refused as "permission denied" may
    // be a real denial or a token that went stale in a way etcd does not
    // name (3.4.23 names an expired one, "invalid auth token", which is
    // retried anyway). When set (the session authenticates), a denied
    // creation is tried once more on a fresh stream, which has a fresh
    // token; denied again, it is final. Costs one stream reset per denial.
    bool retryDenialWithFreshToken = false;
    // W10: stop reading the stream when this many delivered events are not
    // yet acknowledged by the consumer; read again at the low watermark.
    std::int64_t pauseReadsAtEvents = 65'536;
    std::int64_t resumeReadsAtEvents = 16'384;
    // W12: after this long without a message, ask for progress; if that is not
    // answered within probeTimeout, the stream is treated as broken.
    std::chrono::milliseconds quietProbeAfter{5000};
    std::chrono::milliseconds probeTimeout{5000};
    BackoffPolicy backoff;
    std::uint64_t randomSeed = 0x5eed;  // jitter source; fixed for tests
};

// Why a stream ended, as the transport classified it.
struct StreamError {
    enum class Kind : std::uint8_t {
        Transient,    // network, unavailable member, lost leader: retry (W9)
        AuthFailure,  // bad credentials or permission: retrying cannot help
        Fatal,        // anything else that retrying cannot help
    };
    Kind kind = Kind::Transient;
    std::string message;
};

enum class StreamState : std::uint8_t {
    Idle,     // no stream and none wanted (no watches, or disconnected)
    Opening,  // asked the transport for a stream
    Open,     // stream up; requests flow
    Backoff,  // lost; waiting until reconnectAt() to try again
    Failed,   // ended by an error that retrying cannot fix
};

const char* streamStateName(StreamState state);

enum class StreamDirective : std::uint8_t {
    Open,   // open a new Watch stream (on the next endpoint after a failure)
    Close,  // close the current stream gracefully: nothing left to watch
    Reset,  // abandon the current stream now: it is broken or silent
    // W12: ask the member, outside the stream but on its connection, whether
    // it is alive (etcd's Status); answer with onLivenessConfirmed().
    CheckLiveness,
};

// Stream-level news for the person and the log.
struct EngineNotice {
    enum class Kind : std::uint8_t {
        StreamLost,          // a stream ended; a retry is scheduled
        StreamFailed,        // a stream ended for good (see StreamState::Failed)
        ServerMisbehaved,    // a response broke the protocol; ignored safely
        PipeliningDisabled,  // the server ignores client watch IDs (W2 fall-back)
        ServerProgress,      // a broadcast progress response (stream heartbeat)
    };
    Kind kind = Kind::StreamLost;
    std::string message;
    std::int64_t revision = 0;
};

// What the engine knows about one watch; for diagnostics views.
struct WatchInfo {
    WatchHandle handle = 0;
    WatchSpec spec;
    WatchState state = WatchState::Pending;
    std::int64_t serverWatchId = -1;       // on the current stream; -1 if none
    std::int64_t nextRevision = 0;         // W3: where it resumes; 0 = now
    std::int64_t createdRevision = 0;      // header revision of the last `created`
    std::int64_t lastProgressRevision = 0; // last progress that applied to it
    std::int64_t compactRevision = 0;      // last compaction that hit it
    std::int64_t eventsDelivered = 0;
    std::string cancelReason;
};

}  // namespace etcdscope
