// Answers from a recording: what a key range held at a past revision, put
// together from the latest snapshot at or before it and the changes after.
// Shared by etcdscope-cli's history and restore and by the monitor.
#pragma once

#include "engine/watch_types.h"
#include "recording/event_store.h"

#include <QString>

#include <map>
#include <optional>
#include <vector>
#include <string>

namespace etcdscope {

// Whether `key` lies in the range of `spec` (etcd's rules: no range end, one
// key; "\0", every key from it).
bool keyInRange(const std::string& key, const WatchSpec& spec);
// Whether two ranges share at least one key.
bool rangesOverlap(const WatchSpec& a, const WatchSpec& b);
// Whether every key of `inner` lies in `outer`.
bool rangeContains(const WatchSpec& outer, const WatchSpec& inner);

// What to read of a recorded history.
struct HistoryQuery {
    WatchSpec range;          // key and range end, as in a watch
    qint64 since = 0;         // revisions from..
    qint64 until = 0;         // ..to; 0: no bound
    bool deletedOnly = false; // only keys whose last change is a delete, with the value it removed
    QByteArray grep;          // only versions whose value contains these bytes
};

// Every recorded version of the range, oldest first, each change once
// (several recorded watches may hold it), with the value it replaced where
// the recording knows it, and the GAP records of the watches that cover the
// range where they fall (not with deletedOnly or grep). A version known
// only from a snapshot is a PUT whose note says so. nullopt (and `error`) on
// a database error.
std::optional<std::vector<EventRecord>> recordedHistory(const EventStore& store, const HistoryQuery& query,
                                                       QString* error);

struct RecordedState {
    // Each key of the range that existed at the revision, as it was then.
    std::map<std::string, KeyValue> keys;
    qint64 watch = 0;         // the recorded watch it comes from (storeId)
    qint64 snapshot = 0;      // revision of the snapshot it starts from; 0: the recording starts at revision 1
    QString error;            // not empty: the recording cannot tell, and why (one sentence)
};

// The state of `range` at `revision` as the recording knows it. It is known
// only where a recorded watch covers the whole range, saw it from a known
// state (a snapshot, or revision 1) and lost no revision on the way: any
// other case is an error sentence, never a guess.
RecordedState recordedStateAt(const EventStore& store, const WatchSpec& range, qint64 revision);

// What pruning did to one recorded watch.
struct PrunedWatch {
    QString label;
    qint64 upTo = 0;          // its revisions up to this one went
    std::optional<qint64> keptKeys;  // keys kept as a snapshot at upTo; nullopt: the state there was not known
};

// Retention: every watch's events, gaps and snapshots up to `revision` (or
// its last revision, when lower) are replaced by a snapshot of its state
// there — when the recording knows it — and a GAP. Each watch in one
// transaction. False (and `error`) when one could not be pruned; the ones
// before it stay pruned, none is half-pruned.
bool pruneRecording(EventStore& store, qint64 revision, std::vector<PrunedWatch>* report, QString* error);

}  // namespace etcdscope
