#include "app/catch_up_tracker.h"

#include <algorithm>

namespace etcdscope::ui {

void CatchUpTracker::track(const WatchInfo& info, qint64 nowMs)
{
    const qint64 start = info.spec.startRevision;
    const qint64 reached = info.nextRevision - 1;
    if (start <= 0 || info.createdRevision <= 0 || reached >= info.createdRevision) {
        watches_.remove(info.handle);
        return;
    }
    Replay& replay = watches_[info.handle];
    replay.start = start;
    replay.target = info.createdRevision;
    replay.reached = std::max(replay.reached, reached);
    replay.lastBatchMs = nowMs;
}

CatchUpTracker::Progress CatchUpTracker::progress(qint64 nowMs)
{
    Progress sum;
    for (auto it = watches_.begin(); it != watches_.end();) {
        if (nowMs - it->lastBatchMs > kQuietMs) {
            it = watches_.erase(it);
            continue;
        }
        sum.done += std::max<qint64>(0, it->reached - it->start);
        sum.total += std::max<qint64>(1, it->target - it->start);
        ++it;
    }
    return sum;
}

}  // namespace etcdscope::ui
