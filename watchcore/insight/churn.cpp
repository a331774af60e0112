#include "insight/churn.h"

#include "decode/kubernetes/registry_key.h"
#include "insight/census.h"

#include <algorithm>
#include <functional>
#include <tuple>

namespace etcdscope {

namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
// Events remembered to count a second delivery once: more than a watch lags
// behind another over the same keys in practice (a catch-up is not live).
constexpr std::size_t kSeenEvents = 1 << 18;

std::int64_t stepMs(ChurnTally::Window window)
{
    return window == ChurnTally::Window::Minute ? kMsPerSecond : kMsPerMinute;
}

template <class Buckets>
void addTo(Buckets& buckets, std::int64_t step, const ChurnCounts& counts)
{
    if (buckets.empty() || buckets.back().step < step)
        buckets.push_back({step, {}});
    // A clock stepping back adds to the newest bucket rather than reordering.
    buckets.back().counts += counts;
    while (buckets.front().step <= buckets.back().step - ChurnTally::kSteps)
        buckets.pop_front();
}

// The object part of a registry key ("ns/name" or "name") when the key ends with it.
std::size_t objectPartLength(std::string_view key, const kubernetes::RegistryKey& parsed, bool withNamespace)
{
    std::size_t length = parsed.name.size();
    if (withNamespace && !parsed.namespaceName.empty())
        length += parsed.namespaceName.size() + 1;
    if (length >= key.size())
        return 0;
    const std::string_view tail = key.substr(key.size() - length);
    const bool matches = withNamespace && !parsed.namespaceName.empty()
        ? tail == parsed.namespaceName + "/" + parsed.name
        : tail == parsed.name;
    return matches ? length : 0;
}

}  // namespace

ChurnCounts& ChurnCounts::operator+=(const ChurnCounts& other)
{
    events += other.events;
    bytes += other.bytes;
    revisions += other.revisions;
    deletes += other.deletes;
    return *this;
}

std::string_view churnGroupOf(std::string_view key, ChurnGrouping grouping, int depth)
{
    if (grouping != ChurnGrouping::Depth) {
        if (const auto parsed = kubernetes::parseRegistryKey(key)) {
            const bool resourceOnly = grouping == ChurnGrouping::KubernetesResource;
            if (const std::size_t object = objectPartLength(key, *parsed, resourceOnly))
                return key.substr(0, key.size() - object);
        }
    }
    return censusGroupOf(key, depth);
}

ChurnTally::ChurnTally(ChurnGrouping grouping, int depth)
    : grouping_(grouping)
    , depth_(depth)
{
}

void ChurnTally::regroup(ChurnGrouping grouping, int depth)
{
    grouping_ = grouping;
    depth_ = depth;
    groups_.clear();
    seen_.clear();
    seenOrder_.clear();
    startedMs_ = -1;
}

bool ChurnTally::firstDelivery(std::int64_t revision, std::string_view key)
{
    const std::uint64_t id = std::hash<std::string_view>{}(key) * 0x9e3779b97f4a7c15ULL ^ std::uint64_t(revision);
    if (!seen_.insert(id).second)
        return false;
    seenOrder_.push_back(id);
    if (seenOrder_.size() > kSeenEvents) {
        seen_.erase(seenOrder_.front());
        seenOrder_.pop_front();
    }
    return true;
}

void ChurnTally::add(const WatchEvent& event, std::int64_t atMs)
{
    const std::int64_t revision = event.kv.modRevision;
    if (!firstDelivery(revision, event.kv.key))
        return;
    if (startedMs_ < 0)
        startedMs_ = atMs;
    const std::string_view prefix = churnGroupOf(event.kv.key, grouping_, depth_);
    auto it = groups_.find(prefix);
    if (it == groups_.end())
        it = groups_.emplace(std::string(prefix), Group{}).first;
    Group& group = it->second;
    ChurnCounts counts;
    counts.events = 1;
    counts.bytes = std::int64_t(event.kv.key.size() + event.kv.value.size());
    counts.deletes = event.type == EventType::Delete ? 1 : 0;
    counts.revisions = revision != group.lastRevision ? 1 : 0;
    group.lastRevision = revision;
    addTo(group.seconds, atMs / kMsPerSecond, counts);
    addTo(group.minutes, atMs / kMsPerMinute, counts);
}

ChurnCounts ChurnTally::sum(const std::deque<Bucket>& buckets, std::int64_t firstStep)
{
    ChurnCounts total;
    for (auto it = buckets.rbegin(); it != buckets.rend() && it->step >= firstStep; ++it)
        total += it->counts;
    return total;
}

std::vector<ChurnGroup> ChurnTally::top(Window window, std::int64_t nowMs) const
{
    const std::int64_t firstStep = nowMs / stepMs(window) - (kSteps - 1);
    std::vector<ChurnGroup> shown;
    for (const auto& [prefix, group] : groups_) {
        const ChurnCounts counts = sum(window == Window::Minute ? group.seconds : group.minutes, firstStep);
        if (counts.events > 0)
            shown.push_back({prefix, counts});
    }
    std::sort(shown.begin(), shown.end(), [](const ChurnGroup& a, const ChurnGroup& b) {
        return std::tie(b.counts.events, b.counts.bytes, a.prefix) < std::tie(a.counts.events, a.counts.bytes, b.prefix);
    });
    return shown;
}

ChurnCounts ChurnTally::total(Window window, std::int64_t nowMs) const
{
    ChurnCounts all;
    for (const ChurnGroup& g : top(window, nowMs))
        all += g.counts;
    return all;
}

std::vector<ChurnCounts> ChurnTally::series(std::string_view prefix, Window window, std::int64_t nowMs) const
{
    std::vector<ChurnCounts> steps(kSteps);
    const auto it = groups_.find(prefix);
    if (it == groups_.end())
        return steps;
    const std::int64_t lastStep = nowMs / stepMs(window);
    for (const Bucket& b : window == Window::Minute ? it->second.seconds : it->second.minutes) {
        const std::int64_t back = lastStep - b.step;
        if (back >= 0 && back < kSteps)
            steps[std::size_t(kSteps - 1 - back)] += b.counts;
    }
    return steps;
}

double ChurnTally::observedSeconds(Window window, std::int64_t nowMs) const
{
    if (startedMs_ < 0)
        return 0;
    const double windowSeconds = double(kSteps * stepMs(window)) / double(kMsPerSecond);
    const double since = double(nowMs - startedMs_) / double(kMsPerSecond);
    return std::clamp(since, 1.0, windowSeconds);
}

void ChurnTally::trim(std::int64_t nowMs)
{
    const std::int64_t firstSecond = nowMs / kMsPerSecond - (kSteps - 1);
    const std::int64_t firstMinute = nowMs / kMsPerMinute - (kSteps - 1);
    for (auto it = groups_.begin(); it != groups_.end();) {
        Group& g = it->second;
        while (!g.seconds.empty() && g.seconds.front().step < firstSecond)
            g.seconds.pop_front();
        while (!g.minutes.empty() && g.minutes.front().step < firstMinute)
            g.minutes.pop_front();
        it = g.minutes.empty() ? groups_.erase(it) : std::next(it);
    }
}

RecordedChurn tallyRecordedChurn(const std::vector<EventRecord>& history, ChurnGrouping grouping, int depth)
{
    RecordedChurn churn;
    std::map<std::string, RecordedChurnGroup, std::less<>> groups;
    for (const EventRecord& r : history) {
        if (r.kind == RecordKind::Gap) {
            churn.gaps.emplace_back(r.gapFrom, r.gapTo);
            continue;
        }
        // A version known only from a snapshot (no row of its own) is what was there, not a change.
        if (r.id == 0 || (r.kind != RecordKind::Put && r.kind != RecordKind::Delete))
            continue;
        const std::string_view key(r.key.constData(), std::size_t(r.key.size()));
        const std::string_view prefix = churnGroupOf(key, grouping, depth);
        auto found = groups.find(prefix);
        if (found == groups.end())
            found = groups.emplace(std::string(prefix), RecordedChurnGroup{std::string(prefix), {}, 0, 0}).first;
        RecordedChurnGroup& g = found->second;
        ChurnCounts event;
        event.events = 1;
        event.bytes = r.key.size() + r.value.size();
        event.deletes = r.kind == RecordKind::Delete ? 1 : 0;
        // The history is in revision order: a revision is new to a group when it passes the group's last one.
        event.revisions = r.modRevision != g.lastRevision ? 1 : 0;
        g.counts += event;
        if (g.firstRevision == 0)
            g.firstRevision = r.modRevision;
        g.lastRevision = r.modRevision;
        event.revisions = r.modRevision != churn.lastRevision ? 1 : 0;
        churn.total += event;
        if (churn.firstRevision == 0)
            churn.firstRevision = r.modRevision;
        churn.lastRevision = r.modRevision;
        churn.firstMs = churn.firstMs == 0 ? r.receivedMs : std::min<std::int64_t>(churn.firstMs, r.receivedMs);
        churn.lastMs = std::max<std::int64_t>(churn.lastMs, r.receivedMs);
    }
    churn.groups.reserve(groups.size());
    for (auto& entry : groups)
        churn.groups.push_back(std::move(entry.second));
    std::sort(churn.groups.begin(), churn.groups.end(), [](const RecordedChurnGroup& a, const RecordedChurnGroup& b) {
        return std::tie(b.counts.events, b.counts.bytes, a.prefix) < std::tie(a.counts.events, a.counts.bytes, b.prefix);
    });
    return churn;
}

}  // namespace etcdscope
