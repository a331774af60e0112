// Watch health from etcd's own metrics: each member's /metrics read on an
// interval and kept as a series per metric — watch streams, watchers, slow
// watchers (those etcd could not keep up with), events pending for them, the
// database size and the quota. etcd versions differ in what they serve: a
// metric a member does not serve is named as such, never drawn as zero.
// No I/O, no clock of its own.
#pragma once

#include "insight/prometheus_text.h"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace etcdscope {

struct EtcdMetric {
    enum Id { WatchStreams, Watchers, SlowWatchers, PendingEvents, DbSize, DbSizeInUse, Quota, Count };
    Id id;
    const char* title;                // "Slow watchers"
    std::vector<const char*> names;   // what etcd calls it, the newest name first
};

// The metrics read, in the order shown.
const std::array<EtcdMetric, EtcdMetric::Count>& etcdMetrics();

struct MetricPoint {
    std::int64_t atMs = 0;
    double value = 0;
};

class WatchHealth {
public:
    static constexpr std::int64_t kKeepMs = 6LL * 60 * 60 * 1000;  // points kept per member

    struct Member {
        std::string name;
        std::string url;                 // where its metrics were read
        std::string error;               // the last read failed: why, one sentence; else empty
        std::int64_t lastReadMs = 0;     // the last read that gave metrics
        std::array<std::deque<MetricPoint>, EtcdMetric::Count> series;
        std::array<const char*, EtcdMetric::Count> servedAs{};  // the name it serves each under; null: not served
        std::deque<MetricPoint> canaryMs;  // the canary's write-to-event latency seen on this member
        std::deque<MetricPoint> progressMs;  // the time this member took to answer a progress request
        std::int64_t progressRevision = 0;   // the revision its last answer gave
    };

    // A read of `member`'s metrics at atMs from `url`: the text, or why there is none.
    void add(std::uint64_t member, const std::string& name, const std::string& url, std::int64_t atMs,
             const MetricsText& metrics);
    // The canary's write seen as an event on `member` `latencyMs` after it was sent.
    void addCanaryLatency(std::uint64_t member, const std::string& name, std::int64_t atMs, double latencyMs);
    // `member` answered a progress request `lagMs` after it was asked, at `revision`.
    void addProgress(std::uint64_t member, const std::string& name, std::int64_t atMs, double lagMs,
                     std::int64_t revision);
    // How many revisions `member`'s last progress answer stood behind the
    // newest answer of any member; nullopt when it has not answered.
    std::optional<std::int64_t> progressBehind(std::uint64_t member) const;
    void clear();

    const std::map<std::uint64_t, Member>& members() const { return members_; }
    // The latest value of `metric` of `member`; nullopt when not served or never read.
    std::optional<double> latest(std::uint64_t member, EtcdMetric::Id metric) const;
    // The metrics `member`'s last read does not serve, by title ("Slow watchers (etcd_debugging_…)");
    // none when it was never read or its read failed.
    std::vector<std::string> notServed(std::uint64_t member) const;

private:
    Member& named(std::uint64_t member, const std::string& name);
    static void append(std::deque<MetricPoint>& series, std::int64_t atMs, double value);

    std::map<std::uint64_t, Member> members_;
};

}  // namespace etcdscope
