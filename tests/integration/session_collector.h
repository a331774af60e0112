// Collects what a WatchSession delivers, per watch, and acknowledges it.
#pragma once

#include "session/watch_session.h"

#include <QObject>
#include <QString>

#include <algorithm>
#include <chrono>
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
                if (keepUpdates && update.kind != WatchUpdate::Kind::State)
                    updates[update.watch].push_back(update);
                switch (update.kind) {
                case WatchUpdate::Kind::Events:
                    eventsDelivered += std::int64_t(update.events.size());
                    if (!update.events.empty()) {
                        const std::int64_t last = update.events.back().kv.modRevision;
                        highestDelivered = std::max(highestDelivered, last);
                        lastDelivered[update.watch] = std::max(lastDelivered[update.watch], last);
                    }
                    if (!keepEvents)
                        break;
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
                    gapsMayLackDeletesAt[update.watch].push_back(update.mayLackDeletesAt);
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
        connect(&session, &WatchSession::statusChanged, this, [this](const ConnectionStatus& s) {
            if (s.failedAttempts > status.failedAttempts)
                attemptTimes.push_back(std::chrono::steady_clock::now());
            status = s;
        });
        connect(&session, &WatchSession::errorOccurred, this,
                [this](const QString& sentence) { errors.push_back(sentence); });
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
    bool keepEvents = true;       // events and deliveries, per watch
    bool keepUpdates = false;     // every non-state update per watch, in order (for the oracle)
    std::int64_t unacknowledged = 0;
    std::int64_t maxUnacknowledged = 0;
    int batches = 0;
    std::map<WatchHandle, std::vector<WatchEvent>> events;
    std::map<WatchHandle, std::vector<std::vector<WatchEvent>>> deliveries;  // as delivered
    std::map<WatchHandle, WatchState> states;
    std::map<WatchHandle, std::string> reasons;
    std::map<WatchHandle, std::vector<std::pair<std::int64_t, std::int64_t>>> gaps;
    std::map<WatchHandle, std::vector<std::int64_t>> gapsMayLackDeletesAt;  // per gap, as gaps
    std::map<WatchHandle, std::vector<WatchUpdate>> updates;  // with keepUpdates
    std::map<WatchHandle, std::int64_t> lastDelivered;        // highest revision per watch
    std::int64_t highestDelivered = 0;
    std::int64_t eventsDelivered = 0;
    std::vector<std::chrono::steady_clock::time_point> attemptTimes;  // each failed attempt
    std::vector<QString> errors;                                      // sentences, in order
    ConnectionStatus status;

private:
    WatchSession& session_;
};

}  // namespace etcdscope::testing
