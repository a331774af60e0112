#include "insight/watch_health.h"

#include <algorithm>

namespace etcdscope {

const std::array<EtcdMetric, EtcdMetric::Count>& etcdMetrics()
{
    static const std::array<EtcdMetric, EtcdMetric::Count> metrics{{
        {EtcdMetric::WatchStreams, "Watch streams", {"etcd_debugging_mvcc_watch_stream_total"}},
        {EtcdMetric::Watchers, "Watchers", {"etcd_debugging_mvcc_watcher_total"}},
        {EtcdMetric::SlowWatchers, "Slow watchers", {"etcd_debugging_mvcc_slow_watcher_total"}},
        {EtcdMetric::PendingEvents, "Pending events", {"etcd_debugging_mvcc_pending_events_total"}},
        {EtcdMetric::DbSize, "Database size",
         {"etcd_mvcc_db_total_size_in_bytes", "etcd_debugging_mvcc_db_total_size_in_bytes"}},
        {EtcdMetric::DbSizeInUse, "Database size in use", {"etcd_mvcc_db_total_size_in_use_in_bytes"}},
        {EtcdMetric::Quota, "Quota", {"etcd_server_quota_backend_bytes"}},
    }};
    return metrics;
}

void WatchHealth::add(std::uint64_t member, const std::string& name, const std::string& url, std::int64_t atMs,
                      const MetricsText& metrics)
{
    Member& m = members_[member];
    m.name = name;
    m.url = url;
    m.error = metrics.error;
    if (!metrics.error.empty())
        return;
    m.lastReadMs = atMs;
    for (const EtcdMetric& metric : etcdMetrics()) {
        m.servedAs[metric.id] = nullptr;
        for (const char* candidate : metric.names) {
            if (const std::optional<double> value = metrics.value(candidate)) {
                m.servedAs[metric.id] = candidate;
                append(m.series[metric.id], atMs, *value);
                break;
            }
        }
    }
}

WatchHealth::Member& WatchHealth::named(std::uint64_t member, const std::string& name)
{
    Member& m = members_[member];
    if (m.name.empty())
        m.name = name;
    return m;
}

void WatchHealth::append(std::deque<MetricPoint>& series, std::int64_t atMs, double value)
{
    series.push_back({atMs, value});
    while (!series.empty() && series.front().atMs < atMs - kKeepMs)
        series.pop_front();
}

void WatchHealth::addCanaryLatency(std::uint64_t member, const std::string& name, std::int64_t atMs, double latencyMs)
{
    append(named(member, name).canaryMs, atMs, latencyMs);
}

void WatchHealth::addProgress(std::uint64_t member, const std::string& name, std::int64_t atMs, double lagMs,
                              std::int64_t revision)
{
    Member& m = named(member, name);
    append(m.progressMs, atMs, lagMs);
    m.progressRevision = revision;
}

std::optional<std::int64_t> WatchHealth::progressBehind(std::uint64_t member) const
{
    const auto found = members_.find(member);
    if (found == members_.end() || found->second.progressMs.empty())
        return std::nullopt;
    std::int64_t newest = 0;
    for (const auto& [id, m] : members_)
        if (!m.progressMs.empty())
            newest = std::max(newest, m.progressRevision);
    return newest - found->second.progressRevision;
}

void WatchHealth::clear() { members_.clear(); }

std::optional<double> WatchHealth::latest(std::uint64_t member, EtcdMetric::Id metric) const
{
    const auto found = members_.find(member);
    if (found == members_.end() || !found->second.servedAs[metric] || found->second.series[metric].empty())
        return std::nullopt;
    return found->second.series[metric].back().value;
}

std::vector<std::string> WatchHealth::notServed(std::uint64_t member) const
{
    std::vector<std::string> missing;
    const auto found = members_.find(member);
    if (found == members_.end() || found->second.lastReadMs == 0 || !found->second.error.empty())
        return missing;
    for (const EtcdMetric& metric : etcdMetrics())
        if (!found->second.servedAs[metric.id])
            missing.push_back(std::string(metric.title) + " (" + metric.names.front() + ")");
    return missing;
}

}  // namespace etcdscope
