// Value types shared by the engine, the session and their consumers.
// They cross the worker-thread boundary by value, so they hold no pointers
// into protobuf messages or engine state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace etcdscope {

// A watch as the user knows it: stable for the life of a session, across
// reconnects. Not the server's watch ID, which changes with every creation.
using WatchHandle = std::int64_t;

// What to watch. Mirrors WatchCreateRequest, minus the transport details.
struct WatchSpec {
    std::string key;            // first key (bytes)
    std::string rangeEnd;       // empty: just `key`; "\0": every key >= key
    std::int64_t startRevision = 0;  // 0: from now
    bool prevKv = false;        // ask for the previous key-value with each event
    bool progressNotify = false;  // ask for periodic per-watch progress
    bool noPut = false;         // filter out PUT events
    bool noDelete = false;      // filter out DELETE events

    friend bool operator==(const WatchSpec&, const WatchSpec&) = default;
};

// The range end that turns `key` into a prefix watch, as etcdctl computes it:
// the key with its last byte below 0xff incremented, or "\0" (every key)
// when there is no such byte.
std::string prefixRangeEnd(const std::string& key);

// The range end meaning "from this key on" (etcd's convention).
inline std::string fromKeyRangeEnd() { return std::string(1, '\0'); }

enum class EventType : std::uint8_t { Put, Delete };

struct KeyValue {
    std::string key;
    std::string value;
    std::int64_t createRevision = 0;
    std::int64_t modRevision = 0;
    std::int64_t version = 0;
    std::int64_t lease = 0;
};

struct WatchEvent {
    EventType type = EventType::Put;
    KeyValue kv;
    bool hasPrevKv = false;     // prevKv is meaningful (requested and present)
    KeyValue prevKv;
};

enum class WatchState : std::uint8_t {
    Pending,    // waiting for a stream to be created on
    Creating,   // create request sent, `created` not yet received
    Live,       // established on the current stream
    Resuming,   // was live; re-creating after a stream loss or compaction
    Cancelled,  // over: cancelled by the user or by the server
};

const char* watchStateName(WatchState state);

// One thing that happened to one watch, in the order it happened.
struct WatchUpdate {
    enum class Kind : std::uint8_t {
        Events,    // `events` holds one or more whole revisions, in order
        Gap,       // revisions [fromRevision, toRevision] were compacted away
        Progress,  // the watch has seen everything up to `revision`
        State,     // `state` changed; `reason` says why when it matters
    };
    Kind kind = Kind::Events;
    WatchHandle watch = 0;
    std::vector<WatchEvent> events;
    std::int64_t fromRevision = 0;
    std::int64_t toRevision = 0;
    // Gap: the revision after the gap (the compaction revision, where the
    // watch goes on) when etcd may serve it without its DELETEs (etcd issue
    // 18089, before 3.4.34 / 3.5.16); its PUTs follow as etcd serves them.
    // 0 when that revision comes whole.
    std::int64_t mayLackDeletesAt = 0;
    std::int64_t revision = 0;   // Events/Progress: the response header revision
    WatchState state = WatchState::Pending;
    std::string reason;
    bool byUser = false;         // State Cancelled: the user cancelled it, not etcd
};

}  // namespace etcdscope
