// What the GUI benchmarks measure the event loop with: a heartbeat timer on
// the GUI thread whose every gap beyond its interval is a stall, and the
// percentile of a list of figures.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <algorithm>
#include <vector>

namespace etcdscope::bench {

// The p-th percentile (0..1) of `values`, nearest rank; 0 for none.
inline double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, std::size_t(p * double(values.size() - 1) + 0.5))];
}

struct StallMeter {
    static constexpr int kHeartbeatMs = 5;
    std::vector<double> stallsMs;
    QElapsedTimer beat;
    QTimer heartbeat;

    StallMeter()
    {
        heartbeat.setTimerType(Qt::PreciseTimer);
        heartbeat.setInterval(kHeartbeatMs);
        QObject::connect(&heartbeat, &QTimer::timeout, [this] {
            if (beat.isValid())
                stallsMs.push_back(std::max(0.0, double(beat.nsecsElapsed()) / 1e6 - kHeartbeatMs));
            beat.restart();
        });
    }
    void start() { heartbeat.start(); }
    void stop() { heartbeat.stop(); }
    double max() const { return stallsMs.empty() ? 0.0 : *std::max_element(stallsMs.begin(), stallsMs.end()); }
};

}  // namespace etcdscope::bench
