// How far the watches that replay history have got, for the status bar's
// progress bar. Pure: fed the engine's view of each watch with the time it
// arrived, it answers revisions replayed of revisions to replay.
//
// A watch replays from its start revision up to the store's revision when it
// was created. A replaying watch whose range has no events left below that
// target sends nothing more, so after kQuietMs without a batch it counts as
// caught up.
#pragma once

#include "engine/engine_types.h"

#include <QHash>

namespace etcdscope::ui {

class CatchUpTracker {
public:
    static constexpr qint64 kQuietMs = 1500;

    struct Progress {
        qint64 done = 0;   // revisions replayed, summed over the replaying watches
        qint64 total = 0;  // revisions to replay; 0: nothing is replaying
    };

    // The engine's view of a watch, as delivered at `nowMs`.
    void track(const WatchInfo& info, qint64 nowMs);
    void forget(WatchHandle handle) { watches_.remove(handle); }
    // Drops watches quiet for kQuietMs, then sums the rest.
    Progress progress(qint64 nowMs);

private:
    struct Replay {
        qint64 start = 0;        // the watch's start revision
        qint64 target = 0;       // the store's revision at its creation
        qint64 reached = 0;      // the last revision delivered
        qint64 lastBatchMs = 0;  // when it last delivered
    };
    QHash<WatchHandle, Replay> watches_;
};

}  // namespace etcdscope::ui
