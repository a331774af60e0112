// Putting a key range back as a recording saw it at a past revision: the
// plan (what is absent now and comes back, what changed or was created since
// and is left alone unless overwriting), and its writes, each guarded by
// what the plan read so that a key changed meanwhile is never overwritten.
// The CLI's restore and the History window's both run these, off the GUI
// thread: each call talks to etcd and to the log and may take seconds.
#pragma once

#include "admin/admin_connection.h"
#include "engine/watch_types.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace etcdscope {

class EventStore;

// A whole key range read from etcd at one revision, page by page (any
// number of keys, one consistent view).
struct WholeRange {
    std::map<std::string, KeyValue> keys;
    std::int64_t revision = 0;  // the revision every page was read at
    std::string error;          // one sentence; empty on success
    bool compacted = false;     // the revision asked for is compacted
};

// `revision` 0: the newest.
WholeRange readWholeRange(AdminConnection& connection, const WatchSpec& range, std::int64_t revision);

enum class RestoreAction {
    Restore,      // existed then, absent now: put back if still absent
    PutBack,      // changed since (overwriting): its value then, if still unchanged
    Remove,       // created since (overwriting): deleted, if still unchanged
    KeepChanged,  // changed since, left alone
    KeepCreated,  // created since, left alone
};

struct RestoreStep {
    RestoreAction action;
    KeyValue then;  // Restore, PutBack: the key as it was at the revision
    KeyValue now;   // PutBack, Remove, Keep*: the key as it is
    const std::string& key() const { return action == RestoreAction::Restore ? then.key : now.key; }
    bool writes() const
    {
        return action == RestoreAction::Restore || action == RestoreAction::PutBack || action == RestoreAction::Remove;
    }
};

struct RestorePlan {
    std::vector<RestoreStep> steps;  // in key order; keys equal then and now are not in it
    std::int64_t asOf = 0;           // the revision the range is put back to
    std::int64_t readAt = 0;         // etcd's revision when the present state was read
    QString error;                   // why there is no plan, one sentence; empty on success
    bool etcdFailed = false;         // the error is etcd's (else the recording's)
    int count(RestoreAction action) const;
    int writes() const;              // steps that write
    int kept() const;                // steps left alone
};

// The plan for `range` as `store` knows it at `asOf`, against etcd now.
RestorePlan planRestore(EventStore& store, AdminConnection& connection, const WatchSpec& range, std::int64_t asOf,
                        bool overwrite);
// The plan for the two states (`then`, `now` by key).
std::vector<RestoreStep> planSteps(const std::map<std::string, KeyValue>& then,
                                   const std::map<std::string, KeyValue>& now, bool overwrite);

struct RestoreOutcome {
    int written = 0;
    // Keys left alone because they changed after the plan was read, with
    // their mod revision at the moment of writing (0: absent).
    std::vector<std::pair<std::string, std::int64_t>> changedMeanwhile;
    std::string error;  // the write that failed, one sentence; later steps were not tried
};

// Writes the plan's steps in key order; `onStep(done, total)` after each.
RestoreOutcome applyRestore(AdminConnection& connection, const RestorePlan& plan,
                            const std::function<void(int, int)>& onStep = {});

}  // namespace etcdscope
