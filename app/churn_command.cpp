#include "churn_command.h"

#include "decode/value_text.h"
#include "format/event_format.h"
#include "history_command.h"
#include "insight/census.h"
#include "insight/churn.h"
#include "range_read.h"
#include "watch_command.h"

#include <QDateTime>

#include <algorithm>
#include <cstdio>
#include <map>

namespace etcdscope::cli {

namespace {

struct Tally {
    ChurnCounts counts;
    std::int64_t firstRevision = 0;
    std::int64_t lastRevision = 0;
};

std::string perSecond(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, value >= 100 ? "%.0f" : "%.2f", value);
    return text;
}

std::string groupJson(const std::string& prefix, const Tally& t, double seconds)
{
    std::string line = "{";
    appendBytesField(line, "prefix", prefix);
    line.erase(1, 1);  // the comma before the first field
    line += ",\"events\":" + std::to_string(t.counts.events) + ",\"deletes\":" + std::to_string(t.counts.deletes) +
        ",\"bytes\":" + std::to_string(t.counts.bytes) + ",\"revisions\":" + std::to_string(t.counts.revisions) +
        ",\"first_revision\":" + std::to_string(t.firstRevision) +
        ",\"last_revision\":" + std::to_string(t.lastRevision) +
        ",\"events_per_s\":" + perSecond(double(t.counts.events) / seconds) +
        ",\"bytes_per_s\":" + perSecond(double(t.counts.bytes) / seconds) + "}\n";
    return line;
}

std::string groupText(const std::string& prefix, const Tally& t, double seconds)
{
    char numbers[160];
    std::snprintf(numbers, sizeof numbers, "%9lld events %9s/s %12lld bytes %9lld revisions %7lld deletes  ",
                  (long long)t.counts.events, perSecond(double(t.counts.events) / seconds).c_str(),
                  (long long)t.counts.bytes, (long long)t.counts.revisions, (long long)t.counts.deletes);
    return numbers + shownKey(prefix) + '\n';
}

std::string timeText(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate).toStdString();
}

}  // namespace

int runChurn(const WatchCommandOptions& options)
{
    int exitCode = kExitDone;
    const auto history = readRecordedHistory(options, &exitCode);
    if (!history)
        return exitCode;

    const WatchSpec& range = options.watches.front();
    const int depth = options.depth ? int(*options.depth) : censusDepthBelow(range.key);
    std::map<std::string, Tally, std::less<>> groups;
    std::int64_t firstMs = 0;
    std::int64_t lastMs = 0;
    std::int64_t events = 0;
    std::int64_t firstRevision = 0;
    std::int64_t lastRevision = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    for (const EventRecord& r : *history) {
        if (r.kind == RecordKind::Gap) {
            gaps.emplace_back(r.gapFrom, r.gapTo);
            continue;
        }
        // A version known only from a snapshot is what was there, not a change.
        if (r.id == 0 || (r.kind != RecordKind::Put && r.kind != RecordKind::Delete))
            continue;
        const std::string_view key(r.key.constData(), std::size_t(r.key.size()));
        const std::string_view group = churnGroupOf(key, options.churnGrouping, depth);
        auto found = groups.find(group);
        if (found == groups.end())
            found = groups.emplace(std::string(group), Tally{}).first;
        Tally& t = found->second;
        t.counts.events += 1;
        t.counts.bytes += r.key.size() + r.value.size();
        if (r.kind == RecordKind::Delete)
            t.counts.deletes += 1;
        // The history is in revision order: a revision is new to the group when it passes the last one.
        if (r.modRevision != t.lastRevision)
            t.counts.revisions += 1;
        if (t.firstRevision == 0)
            t.firstRevision = r.modRevision;
        t.lastRevision = r.modRevision;
        if (firstRevision == 0)
            firstRevision = r.modRevision;
        lastRevision = r.modRevision;
        firstMs = firstMs == 0 ? r.receivedMs : std::min<std::int64_t>(firstMs, r.receivedMs);
        lastMs = std::max<std::int64_t>(lastMs, r.receivedMs);
        ++events;
    }
    // Rates over the time asked for, else over the time the events were received in.
    const std::int64_t fromMs = options.sinceTimeMs.value_or(firstMs);
    const std::int64_t toMs = options.untilTimeMs.value_or(options.sinceTimeMs ? QDateTime::currentMSecsSinceEpoch()
                                                                               : lastMs);
    const double seconds = std::max(1.0, double(toMs - fromMs) / 1000.0);

    std::vector<std::pair<const std::string*, const Tally*>> order;
    for (const auto& [prefix, t] : groups)
        order.emplace_back(&prefix, &t);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        if (a.second->counts.events != b.second->counts.events)
            return a.second->counts.events > b.second->counts.events;
        if (a.second->counts.bytes != b.second->counts.bytes)
            return a.second->counts.bytes > b.second->counts.bytes;
        return *a.first < *b.first;
    });
    const bool text = options.output == OutputFormat::Text;
    std::string out;
    for (const auto& [prefix, t] : order)
        out += text ? groupText(*prefix, *t, seconds) : groupJson(*prefix, *t, seconds);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }

    const std::string what = describeSpec(range).toStdString();
    if (events == 0) {
        std::fprintf(stderr, "etcdscope-cli: the event log holds no change of %s%s.\n", what.c_str(),
                     options.sinceRevision || options.sinceTimeMs || options.untilRevision || options.untilTimeMs
                         ? " in that span"
                         : "");
        return kExitDone;
    }
    std::fprintf(stderr,
                 "etcdscope-cli: %s, revisions %lld to %lld, received %s to %s (%.0f s): %lld events in %zu "
                 "groups, %s events/s.\n",
                 what.c_str(), (long long)firstRevision, (long long)lastRevision, timeText(firstMs).c_str(),
                 timeText(lastMs).c_str(), seconds, (long long)events, groups.size(),
                 perSecond(double(events) / seconds).c_str());
    for (const auto& [from, to] : gaps)
        std::fprintf(stderr, "etcdscope-cli: the log misses revisions %lld to %lld (compacted before they were "
                             "recorded): the counts leave them out.\n",
                     (long long)from, (long long)to);
    return kExitDone;
}

}  // namespace etcdscope::cli
