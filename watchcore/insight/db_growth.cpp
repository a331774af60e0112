#include "insight/db_growth.h"

#include <algorithm>

namespace etcdscope {

namespace {

// bbolt's page: a drop of less is not a compaction or defragmentation.
constexpr std::int64_t kMinDropBytes = 4096;
constexpr std::size_t kMaxMarkers = 500;
constexpr double kMsPerHour = 3600.0 * 1000.0;

}  // namespace

void DbGrowth::add(std::uint64_t member, const std::string& name, std::int64_t atMs, std::int64_t size,
                   std::int64_t inUse)
{
    Member& m = members_[member];
    m.name = name;
    if (!m.samples.empty()) {
        const DbSample& last = m.samples.back();
        if (last.size - size >= kMinDropBytes)
            markers_.push_back({DbMarker::Kind::Defragmentation, atMs, member, last.size - size});
        else if (inUse > 0 && last.inUse - inUse >= kMinDropBytes)
            markers_.push_back({DbMarker::Kind::Compaction, atMs, member, last.inUse - inUse});
    }
    m.samples.push_back({atMs, size, inUse});
    while (m.samples.front().atMs < atMs - kKeepMs)
        m.samples.pop_front();
    while (!markers_.empty() && (markers_.front().atMs < atMs - kKeepMs || markers_.size() > kMaxMarkers))
        markers_.pop_front();
}

void DbGrowth::clear()
{
    members_.clear();
    markers_.clear();
}

QuotaEstimate DbGrowth::estimate(std::int64_t quotaBytes) const
{
    QuotaEstimate e;
    const Member* largest = nullptr;
    for (const auto& [id, m] : members_) {
        if (m.samples.empty())
            continue;
        if (!largest || m.samples.back().inUse > largest->samples.back().inUse) {
            largest = &m;
            e.member = id;
        }
    }
    if (!largest)
        return e;
    const DbSample& last = largest->samples.back();
    e.inUse = last.inUse;
    e.size = last.size;
    e.overQuota = quotaBytes > 0 && last.size >= quotaBytes;
    // Fitted after the member's last drop: a compaction is not a shrinking trend.
    std::int64_t from = last.atMs - kRateWindowMs;
    for (const DbMarker& marker : markers_)
        if (marker.member == e.member)
            from = std::max(from, marker.atMs);
    std::vector<const DbSample*> fitted;
    for (const DbSample& s : largest->samples)
        if (s.atMs >= from)
            fitted.push_back(&s);
    if (fitted.size() < 2 || fitted.back()->atMs - fitted.front()->atMs < kMinRateSpanMs)
        return e;
    // Least squares, times relative to the first sample (ms; fits in a double exactly enough).
    const double t0 = double(fitted.front()->atMs);
    double sumT = 0, sumY = 0, sumTT = 0, sumTY = 0;
    for (const DbSample* s : fitted) {
        const double t = double(s->atMs) - t0;
        sumT += t;
        sumY += double(s->inUse);
        sumTT += t * t;
        sumTY += t * double(s->inUse);
    }
    const double n = double(fitted.size());
    const double denominator = n * sumTT - sumT * sumT;
    if (denominator <= 0)
        return e;
    const double bytesPerMs = (n * sumTY - sumT * sumY) / denominator;
    e.known = true;
    e.bytesPerHour = bytesPerMs * kMsPerHour;
    e.fittedOverMs = double(fitted.back()->atMs) - t0;
    if (bytesPerMs > 0 && quotaBytes > 0)
        e.msToQuota = e.overQuota ? 0 : std::int64_t(double(std::max<std::int64_t>(0, quotaBytes - last.inUse)) / bytesPerMs);
    return e;
}

}  // namespace etcdscope
