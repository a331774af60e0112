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

std::string perSecond(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, value >= 100 ? "%.0f" : "%.2f", value);
    return text;
}

std::string groupJson(const RecordedChurnGroup& t, double seconds)
{
    std::string line = "{";
    appendBytesField(line, "prefix", t.prefix);
    line.erase(1, 1);  // the comma before the first field
    line += ",\"events\":" + std::to_string(t.counts.events) + ",\"deletes\":" + std::to_string(t.counts.deletes) +
        ",\"bytes\":" + std::to_string(t.counts.bytes) + ",\"revisions\":" + std::to_string(t.counts.revisions) +
        ",\"first_revision\":" + std::to_string(t.firstRevision) +
        ",\"last_revision\":" + std::to_string(t.lastRevision) +
        ",\"events_per_s\":" + perSecond(double(t.counts.events) / seconds) +
        ",\"bytes_per_s\":" + perSecond(double(t.counts.bytes) / seconds) + "}\n";
    return line;
}

std::string groupText(const RecordedChurnGroup& t, double seconds)
{
    char numbers[160];
    std::snprintf(numbers, sizeof numbers, "%9lld events %9s/s %12lld bytes %9lld revisions %7lld deletes  ",
                  (long long)t.counts.events, perSecond(double(t.counts.events) / seconds).c_str(),
                  (long long)t.counts.bytes, (long long)t.counts.revisions, (long long)t.counts.deletes);
    return numbers + shownKey(t.prefix) + '\n';
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
    const RecordedChurn churn = tallyRecordedChurn(*history, options.churnGrouping, depth);
    const std::int64_t firstMs = churn.firstMs;
    const std::int64_t lastMs = churn.lastMs;
    // Rates over the time asked for, else over the time the events were received in.
    const std::int64_t fromMs = options.sinceTimeMs.value_or(firstMs);
    const std::int64_t toMs = options.untilTimeMs.value_or(options.sinceTimeMs ? QDateTime::currentMSecsSinceEpoch()
                                                                               : lastMs);
    const double seconds = std::max(1.0, double(toMs - fromMs) / 1000.0);

    const bool text = options.output == OutputFormat::Text;
    std::string out;
    for (const RecordedChurnGroup& group : churn.groups)
        out += text ? groupText(group, seconds) : groupJson(group, seconds);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }

    const std::string what = describeSpec(range).toStdString();
    if (churn.total.events == 0) {
        std::fprintf(stderr, "etcdscope-cli: the event log holds no change of %s%s.\n", what.c_str(),
                     options.sinceRevision || options.sinceTimeMs || options.untilRevision || options.untilTimeMs
                         ? " in that span"
                         : "");
        return kExitDone;
    }
    std::fprintf(stderr,
                 "etcdscope-cli: %s, revisions %lld to %lld, received %s to %s (%.0f s): %lld events in %zu "
                 "groups, %s events/s.\n",
                 what.c_str(), (long long)churn.firstRevision, (long long)churn.lastRevision,
                 timeText(firstMs).c_str(), timeText(lastMs).c_str(), seconds, (long long)churn.total.events,
                 churn.groups.size(), perSecond(double(churn.total.events) / seconds).c_str());
    for (const auto& [from, to] : churn.gaps)
        std::fprintf(stderr, "etcdscope-cli: the log misses revisions %lld to %lld (compacted before they were "
                             "recorded): the counts leave them out.\n",
                     (long long)from, (long long)to);
    return kExitDone;
}

}  // namespace etcdscope::cli
