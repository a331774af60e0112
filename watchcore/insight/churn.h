// Churn: who is writing. Events, bytes and revisions per group of keys over
// the last minute and the last hour, counted from what the watches deliver —
// a group being a key up to its N-th '/' (as the census groups), or the
// Kubernetes resource (and namespace) the key belongs to.
//
// Counts live in sparse buckets, one a second for the last minute and one a
// minute for the last hour, per group, so memory grows with the groups that
// were written and the seconds they were written in, never with the events.
// The caller gives only live events (a watch replaying history is not churn
// now). An event delivered twice, by two watches that overlap, counts once.
// No I/O, no clock of its own: the caller says when.
#pragma once

#include "engine/watch_types.h"
#include "format/event_record.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace etcdscope {

enum class ChurnGrouping {
    Depth,                // up to and including the N-th '/'
    KubernetesResource,   // "/registry/pods/"; other keys by depth
    KubernetesNamespace,  // "/registry/pods/kube-system/"; cluster-scoped ones by resource
};

// The group of `key` (a prefix of it).
std::string_view churnGroupOf(std::string_view key, ChurnGrouping grouping, int depth);

struct ChurnCounts {
    std::int64_t events = 0;
    std::int64_t bytes = 0;      // key + value lengths of the events
    std::int64_t revisions = 0;  // distinct revisions that changed the group (a transaction is one)
    std::int64_t deletes = 0;

    ChurnCounts& operator+=(const ChurnCounts& other);
};

struct ChurnGroup {
    std::string prefix;
    ChurnCounts counts;          // over the window asked for
};

class ChurnTally {
public:
    enum class Window { Minute, Hour };
    static constexpr int kSteps = 60;  // buckets shown per window: seconds of a minute, minutes of an hour

    explicit ChurnTally(ChurnGrouping grouping = ChurnGrouping::Depth, int depth = 1);

    // Starts over with another grouping (what was counted is dropped).
    void regroup(ChurnGrouping grouping, int depth);
    ChurnGrouping grouping() const { return grouping_; }
    int depth() const { return depth_; }

    // One delivered event, received at atMs (ms since the epoch).
    void add(const WatchEvent& event, std::int64_t atMs);

    // The groups written in the window ending at nowMs, most events first
    // (ties: most bytes, then key order).
    std::vector<ChurnGroup> top(Window window, std::int64_t nowMs) const;
    ChurnCounts total(Window window, std::int64_t nowMs) const;
    // One group's counts per step, kSteps of them, oldest first, the last
    // one the step holding nowMs.
    std::vector<ChurnCounts> series(std::string_view prefix, Window window, std::int64_t nowMs) const;
    // The window's length in seconds, or less while counting has not yet
    // gone on that long: what a rate is divided by.
    double observedSeconds(Window window, std::int64_t nowMs) const;

    // Drops buckets that left the hour, and the groups left with none.
    void trim(std::int64_t nowMs);
    std::size_t groupCount() const { return groups_.size(); }

private:
    struct Bucket {
        std::int64_t step = 0;
        ChurnCounts counts;
    };
    struct Group {
        std::deque<Bucket> seconds;
        std::deque<Bucket> minutes;
        std::int64_t lastRevision = 0;
    };
    static ChurnCounts sum(const std::deque<Bucket>& buckets, std::int64_t firstStep);
    bool firstDelivery(std::int64_t revision, std::string_view key);

    ChurnGrouping grouping_;
    int depth_;
    std::int64_t startedMs_ = -1;  // the first event counted
    std::map<std::string, Group, std::less<>> groups_;
    // (revision, key) of recent events, to count a twice-delivered one once.
    std::unordered_set<std::uint64_t> seen_;
    std::deque<std::uint64_t> seenOrder_;
};

// The churn of a recorded history (recordedHistory(): oldest first, gaps
// and versions known only from snapshots among them): who wrote what over
// the recording, the answer of `etcdscope-cli churn` and of the History
// window's churn. Versions from snapshots are what was there, not changes,
// and are not counted; gaps are listed, their revisions unknown.
struct RecordedChurnGroup {
    std::string prefix;
    ChurnCounts counts;
    std::int64_t firstRevision = 0;
    std::int64_t lastRevision = 0;
};

struct RecordedChurn {
    std::vector<RecordedChurnGroup> groups;  // most events first (ties: most bytes, then key order)
    ChurnCounts total;                       // revisions: distinct revisions over all groups
    std::int64_t firstMs = 0;                // when the first and last changes counted were received
    std::int64_t lastMs = 0;
    std::int64_t firstRevision = 0;
    std::int64_t lastRevision = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;  // revisions the recording lacks, from..to
};

RecordedChurn tallyRecordedChurn(const std::vector<EventRecord>& history, ChurnGrouping grouping, int depth);

}  // namespace etcdscope
