#include "engine/history_guard.h"

#include <algorithm>
#include <cstdio>

namespace etcdscope {

std::optional<StreamError> HistoryGuard::check(std::uint64_t clusterId, std::int64_t revision,
                                               std::int64_t seenRevision, const std::string& endpoint,
                                               std::size_t endpointCount)
{
    if (clusterId_ == 0)
        clusterId_ = clusterId;
    if (clusterId != clusterId_) {
        char ids[80];
        std::snprintf(ids, sizeof ids, "%llx to %llx", static_cast<unsigned long long>(clusterId_),
                      static_cast<unsigned long long>(clusterId));
        return StreamError{StreamError::Kind::Fatal,
                           "The etcd at " + endpoint + " belongs to a different cluster than before (cluster ID "
                               + ids + "; its data was wiped or replaced), so the watches were stopped rather "
                               "than mixing two histories; start a new session to watch it."};
    }
    if (revision >= seenRevision) {
        behindInARow_ = 0;
        return std::nullopt;
    }
    const std::string where = "The etcd at " + endpoint + " is at revision " + std::to_string(revision)
        + ", behind revision " + std::to_string(seenRevision) + " that this session already saw";
    if (++behindInARow_ < std::max<int>(kBehindAttemptsBeforeGivingUp, 2 * int(endpointCount)))
        return StreamError{StreamError::Kind::Transient, where + "; trying again."};
    return StreamError{StreamError::Kind::Fatal,
                       where + " and stays behind (restored from an older backup?), so the watches were stopped "
                               "rather than mixing two histories; start a new session to watch it."};
}

void HistoryGuard::forget()
{
    clusterId_ = 0;
    behindInARow_ = 0;
}

}  // namespace etcdscope
