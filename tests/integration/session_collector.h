// Collects what a WatchSession delivers, per watch, and acknowledges it.
#pragma once

#include "watch_session.h"

#include <QObject>

#include <algorithm>
#include <map>
#include <vector>

namespace etcdscope::testing {

class SessionCollector : public QObject {
    Q_OBJECT
public:
    explicit SessionCollector(WatchSession& session) : session_(session)
    {
        connect(&session, &WatchSession::updatesReady, this, [this](const UpdateBatchPtr& batch) {
            ++batches;
            for (const WatchUpdate& update : batch->updates) {
                switch (update.kind) {
                case WatchUpdate::Kind::Events:
                    deliveries[update.watch].push_back(update.events);
                    for (const WatchEvent& e : update.events)
                        events[update.watch].push_back(e);
                    break;
                case WatchUpdate::Kind::State:
                    states[update.watch] = update.state;
                    reasons[update.watch] = update.reason;
                    break;
                case WatchUpdate::Kind::Gap:
                    gaps[update.watch].push_back({update.fromRevision, update.toRevision});
                    break;
                case WatchUpdate::Kind::Progress:
                    break;
                }
            }
            unacknowledged += batch->eventCount;
            maxUnacknowledged = std::max(maxUnacknowledged, unacknowledged);
            if (autoAcknowledge)
                acknowledgeAll();
        });
        connect(&session, &WatchSession::statusChanged, this,
                [this](const ConnectionStatus& s) { status = s; });
    }

    void acknowledgeAll()
    {
        session_.acknowledge(unacknowledged);
        unacknowledged = 0;
    }

    bool allLive(const std::vector<WatchHandle>& handles) const
    {
        for (WatchHandle h : handles) {
            auto it = states.find(h);
            if (it == states.end() || it->second != WatchState::Live)
                return false;
        }
        return true;
    }
    std::size_t count(WatchHandle h) const
    {
        auto it = events.find(h);
        return it == events.end() ? 0 : it->second.size();
    }

    bool autoAcknowledge = true;  // false: a consumer that lags until told
    std::int64_t unacknowledged = 0;
    std::int64_t maxUnacknowledged = 0;
    int batches = 0;
    std::map<WatchHandle, std::vector<WatchEvent>> events;
    std::map<WatchHandle, std::vector<std::vector<WatchEvent>>> deliveries;  // as delivered
    std::map<WatchHandle, WatchState> states;
    std::map<WatchHandle, std::string> reasons;
    std::map<WatchHandle, std::vector<std::pair<std::int64_t, std::int64_t>>> gaps;
    ConnectionStatus status;

private:
    WatchSession& session_;
};

}  // namespace etcdscope::testing
