// Whether a member's answer continues the history a session has already
// delivered. Sans-I/O: fed the header of each connection attempt's first
// answer, it says go on, try again, or stop.
//
// Two ways a history breaks: the member belongs to another cluster (its
// data was wiped or replaced: another cluster ID), or it is behind the
// revisions already seen and stays there (restored from an older backup).
// A follower that lags a little catches up within moments, so being behind
// is retried a few times before it is final. Mixing two histories would
// deliver events the watches cannot place, so the watches stop instead.
#pragma once

#include "engine/engine_types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace etcdscope {

class HistoryGuard {
public:
    // A member that stays behind for this many attempts in a row (or two
    // rounds of all endpoints, if more) is restored from a backup, not lagging.
    static constexpr int kBehindAttemptsBeforeGivingUp = 6;

    // Empty when a member at `endpoint` answering with `clusterId` at
    // `revision` continues what the session saw (`seenRevision`); else why
    // not, as the engine's error: Transient (behind, try again) or Fatal.
    std::optional<StreamError> check(std::uint64_t clusterId, std::int64_t revision, std::int64_t seenRevision,
                                     const std::string& endpoint, std::size_t endpointCount);

    // Starting afresh on another cluster: whatever answers next is the history.
    void forget();

    std::uint64_t clusterId() const { return clusterId_; }

private:
    std::uint64_t clusterId_ = 0;  // the first cluster ID seen; 0: none yet
    int behindInARow_ = 0;         // consecutive attempts that found a member behind
};

}  // namespace etcdscope
