#include "history_command.h"

#include "format/event_format.h"
#include "format/event_record.h"
#include "recording/event_store.h"
#include "watch_command.h"

#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace etcdscope::cli {

namespace {

constexpr int kPageRecords = 10'000;

bool inRange(const std::string& key, const WatchSpec& spec)
{
    if (spec.rangeEnd.empty())
        return key == spec.key;
    if (spec.rangeEnd == std::string(1, '\0'))
        return key >= spec.key;
    return key >= spec.key && key < spec.rangeEnd;
}

// Whether a recorded watch's range meets the asked one (its gaps are this history's gaps).
bool overlaps(const WatchSpec& watched, const WatchSpec& asked)
{
    const auto end = [](const WatchSpec& s) { return s.rangeEnd.empty() ? s.key + '\0' : s.rangeEnd; };
    const bool watchedToEnd = watched.rangeEnd == std::string(1, '\0');
    const bool askedToEnd = asked.rangeEnd == std::string(1, '\0');
    return (watchedToEnd || asked.key < end(watched)) && (askedToEnd || watched.key < end(asked));
}

}  // namespace

int runHistory(const WatchCommandOptions& options)
{
    const QString path = QString::fromStdString(options.database);
    if (!QFileInfo(path).isFile()) {
        std::fprintf(stderr, "etcdscope-cli: there is no event log at %s.\n", options.database.c_str());
        return kExitUsage;
    }
    QString error;
    const auto store = EventStore::open(path, &error);
    if (!store) {
        std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(error));
        return kExitUsage;
    }
    const WatchSpec& asked = options.watches.front();
    std::set<qint64> relevantWatches;
    for (const WatchDefinition& w : store->watches()) {
        if (overlaps(w.spec, asked))
            relevantWatches.insert(w.storeId);
    }
    // Oldest first, each change once (two recorded watches can cover one key).
    std::map<std::pair<qint64, std::string>, EventRecord> changes;
    std::map<std::pair<qint64, qint64>, EventRecord> gaps;
    qint64 after = 0;
    for (;;) {
        const std::vector<EventRecord> page = store->read({}, after, kPageRecords);
        if (page.empty())
            break;
        after = page.back().id;
        for (const EventRecord& r : page) {
            const qint64 revision = r.kind == RecordKind::Gap ? r.gapTo : r.modRevision;
            if ((options.sinceRevision && revision < *options.sinceRevision) ||
                (options.untilRevision && (r.kind == RecordKind::Gap ? r.gapFrom : revision) > *options.untilRevision))
                continue;
            if (r.kind == RecordKind::Gap) {
                if (relevantWatches.count(r.watch) && !options.deletedOnly && options.grep.empty())
                    gaps.emplace(std::make_pair(r.gapFrom, r.gapTo), r);
                continue;
            }
            if (r.kind == RecordKind::Note || !inRange(r.key.toStdString(), asked))
                continue;
            changes.emplace(std::make_pair(r.modRevision, r.key.toStdString()), r);
        }
    }
    std::vector<const EventRecord*> shown;
    if (options.deletedOnly) {
        // The last change of each key; keys whose last change is a delete.
        std::map<std::string, const EventRecord*> last;
        for (const auto& [at, r] : changes)
            last[at.second] = &r;
        for (const auto& [key, r] : last) {
            if (r->kind == RecordKind::Delete)
                shown.push_back(r);
        }
        std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->modRevision < b->modRevision; });
    } else {
        auto gap = gaps.begin();
        for (const auto& [at, r] : changes) {
            for (; gap != gaps.end() && gap->first.first <= at.first; ++gap)
                shown.push_back(&gap->second);
            if (!options.grep.empty() && !r.value.contains(QByteArray::fromStdString(options.grep)))
                continue;
            shown.push_back(&r);
        }
        for (; gap != gaps.end(); ++gap)
            shown.push_back(&gap->second);
    }
    std::string out;
    for (const EventRecord* r : shown) {
        const bool text = options.output == OutputFormat::Text;
        if (r->kind == RecordKind::Gap) {
            if (text)
                appendGapText(out, 1, r->gapFrom, r->gapTo);
            else
                appendGapJson(out, 1, r->gapFrom, r->gapTo);
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
