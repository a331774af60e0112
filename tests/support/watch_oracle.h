// The history oracle: what etcd really committed, read with a plain gRPC
// watch of its own (not etcdscope's code), and the properties that etcd's own
// robustness suite holds every watch to, checked against it:
//   filter     every event matches the watch's range and filters
//   ordered    revisions never decrease
//   unique     one event per (revision, key)
//   atomic     a revision is never split across deliveries
//   bookmarkable  progress never decreases; no event at or below a progress
//                 revision already reported
//   resumable  the first event is the first matching history event at or
//              after the start revision
//   is-create  create revision and version are etcd's
//   reliable   the delivered events equal the history for the range, except
//              a declared compaction GAP that covers exactly compacted revisions
//   prev-kv    the previous key-value equals the key's state at revision - 1,
//              computed by replaying the history (not etcd's own prev_kv)
#pragma once

#include "engine/watch_types.h"
#include "etcd_process.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace etcdscope::testing {

// Every event of every key from `fromRevision` to `untilRevision` inclusive
// (which must be a revision that exists), in order. Fails the process with a
// message when etcd cannot give it (e.g. compacted).
std::vector<WatchEvent> readHistory(EtcdProcess& member, std::int64_t fromRevision, std::int64_t untilRevision);

// What one watch delivered, in order: Events, Gap and Progress updates.
struct WatchRecord {
    WatchSpec spec;
    std::vector<WatchUpdate> updates;
};

struct PropertyCheck {
    std::map<std::string, std::string> failures;  // property → first failure, empty when held
    std::int64_t eventsChecked = 0;
    std::int64_t gapsDeclared = 0;
    // GAPs that said the compaction revision after them may lack its
    // DELETEs, and the DELETEs there that did not come.
    std::int64_t gapsMayLackDeletes = 0;
    std::int64_t deletesLeftOut = 0;
    bool held() const { return failures.empty(); }
    std::string describe() const;
};

// The property names, in the order reports show them.
const std::vector<std::string>& propertyNames();

// Checks one watch against `history`, which must start at revision 1 (or at
// `historyStart`, with every event before it compacted away) and reach at
// least the last revision the watch was expected to see. Revisions below a
// compaction revision C in `compactions` may be declared as a GAP, which may
// say that C itself may lack its DELETEs (etcd issue 18089): those alone may
// then be missing; any other missing event fails.
PropertyCheck checkWatch(const WatchRecord& record, const std::vector<WatchEvent>& history,
                         std::int64_t untilRevision, const std::set<std::int64_t>& compactions = {});

// The last revision of `history` that a watch with `spec` would see, or 0.
std::int64_t lastMatchingRevision(const WatchSpec& spec, const std::vector<WatchEvent>& history);

bool specMatches(const WatchSpec& spec, const WatchEvent& event);

}  // namespace etcdscope::testing
