#include "history_command.h"

#include "format/event_format.h"
#include "format/event_record.h"
#include "recording/event_store.h"
#include "recording/recorded_state.h"
#include "watch_command.h"

#include <QFileInfo>

#include <cstdio>
#include <limits>

namespace etcdscope::cli {

namespace {

int unreadable(const QString& error)
{
    std::fprintf(stderr, "etcdscope-cli: the event log cannot be read: %s.\n", qPrintable(error));
    return kExitUsage;
}

}  // namespace

std::unique_ptr<EventStore> openExistingLog(const std::string& location)
{
    const QString path = QString::fromStdString(location);
    if (!EventStore::isDatabaseUrl(path) && !QFileInfo(path).isFile()) {
        std::fprintf(stderr, "etcdscope-cli: there is no event log at %s.\n", location.c_str());
        return nullptr;
    }
    QString error;
    auto store = EventStore::open(path, &error);
    if (!store)
        std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(error));
    return store;
}

namespace {

// The query the options ask for; `nothing` when nothing was received by --until.
std::optional<HistoryQuery> recordedQuery(const EventStore& store, const WatchCommandOptions& options, bool* nothing,
                                          QString* error)
{
    *nothing = false;
    HistoryQuery query;
    query.range = options.watches.front();
    query.since = options.sinceRevision.value_or(0);
    query.until = options.untilRevision.value_or(0);
    // Times become the revisions the log received at them.
    if (options.sinceTimeMs) {
        const auto first = store.firstRevisionReceivedFrom(*options.sinceTimeMs, error);
        if (!first)
            return std::nullopt;
        query.since = *first == 0 ? std::numeric_limits<qint64>::max() : *first;  // nothing received since then
    }
    if (options.untilTimeMs) {
        const auto last = store.lastRevisionReceivedBefore(*options.untilTimeMs + 1, error);
        if (!last)
            return std::nullopt;
        *nothing = *last == 0;  // nothing was received by then
        query.until = *last;
    }
    query.deletedOnly = options.deletedOnly;
    query.grep = QByteArray::fromStdString(options.grep);
    return query;
}

}  // namespace

std::optional<std::vector<EventRecord>> readRecordedHistory(const WatchCommandOptions& options, int* exitCode)
{
    const auto store = openExistingLog(options.database);
    if (!store) {
        *exitCode = kExitUsage;
        return std::nullopt;
    }
    QString error;
    bool nothing = false;
    const std::optional<HistoryQuery> query = recordedQuery(*store, options, &nothing, &error);
    auto history = !query ? std::nullopt
        : nothing         ? std::optional<std::vector<EventRecord>>(std::vector<EventRecord>{})
                          : recordedHistory(*store, *query, &error);
    if (!history)
        *exitCode = unreadable(error);
    return history;
}

int runHistory(const WatchCommandOptions& options)
{
    int exitCode = kExitDone;
    const auto history = readRecordedHistory(options, &exitCode);
    if (!history)
        return exitCode;
    std::string out;
    for (const EventRecord& entry : *history) {
        const EventRecord* r = &entry;
        const bool text = options.output == OutputFormat::Text;
        if (r->kind == RecordKind::Gap) {
            if (text)
                appendGapText(out, 1, r->gapFrom, r->gapTo, r->gapMayLackDeletesAt);
            else
                appendGapJson(out, 1, r->gapFrom, r->gapTo, r->gapMayLackDeletesAt);
            continue;
        }
        const WatchEvent event = toWatchEvent(*r);
        if (text)
            appendEventText(out, 1, event);
        else
            appendEventJson(out, 1, event);
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }
    return kExitDone;
}

}  // namespace etcdscope::cli
