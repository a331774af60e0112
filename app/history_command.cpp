#include "history_command.h"

#include "format/event_format.h"
#include "format/event_record.h"
#include "recording/event_store.h"
#include "recording/recorded_state.h"
#include "watch_command.h"

#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace etcdscope::cli {

namespace {

constexpr int kPageRecords = 10'000;

// A version of a key known only from a snapshot, as a PUT record.
EventRecord recordOf(const KeyValue& kv)
{
    EventRecord r;
    r.kind = RecordKind::Put;
    r.key = QByteArray::fromStdString(kv.key);
    r.value = QByteArray::fromStdString(kv.value);
    r.modRevision = kv.modRevision;
    r.createRevision = kv.createRevision;
    r.version = kv.version;
    r.lease = kv.lease;
    return r;
}

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

int runHistory(const WatchCommandOptions& options)
{
    const auto store = openExistingLog(options.database);
    if (!store)
        return kExitUsage;
    QString error;
    const WatchSpec& asked = options.watches.front();
    const qint64 since = options.sinceRevision.value_or(0);
    const qint64 until = options.untilRevision.value_or(0);
    const auto inWindow = [&](qint64 revision) { return revision >= since && (until == 0 || revision <= until); };
    // The gaps of the watches that cover any of the range are this history's gaps.
    std::map<std::pair<qint64, qint64>, EventRecord> gaps;
    for (const WatchDefinition& w : store->watches()) {
        if (!rangesOverlap(w.spec, asked))
            continue;
        const auto found = store->gaps(w.storeId, &error);
        if (!found)
            return unreadable(error);
        for (const EventRecord& gap : *found) {
            if (gap.gapTo >= since && (until == 0 || gap.gapFrom <= until))
                gaps.emplace(std::make_pair(gap.gapFrom, gap.gapTo), gap);
        }
    }
    // Versions known from snapshots (what was there before compaction), each once.
    std::map<std::pair<qint64, std::string>, EventRecord> fromSnapshots;
    std::string afterKey;
    for (;;) {
        const auto page = store->snapshotVersions(asked, afterKey, kPageRecords, &error);
        if (!page)
            return unreadable(error);
        if (page->empty())
            break;
        for (const KeyValue& kv : *page) {
            if (inWindow(kv.modRevision))
                fromSnapshots.emplace(std::make_pair(qint64(kv.modRevision), kv.key), recordOf(kv));
        }
        afterKey = page->back().key;
    }
    // Oldest first, each change once (two recorded watches can cover one key).
    std::vector<EventRecord> changes;
    std::set<std::string> atRevision;  // keys already taken at changes.back()'s revision
    ChangeCursor after;
    for (;;) {
        const auto page = store->changes(asked, 0, since, until, after, kPageRecords, &error);
        if (!page)
            return unreadable(error);
        if (page->empty())
            break;
        after = {page->back().modRevision, page->back().id};
        for (const EventRecord& r : *page) {
            if (changes.empty() || changes.back().modRevision != r.modRevision)
                atRevision.clear();
            if (!atRevision.insert(r.key.toStdString()).second)
                continue;
            fromSnapshots.erase(std::make_pair(r.modRevision, r.key.toStdString()));
            changes.push_back(r);
        }
    }
    for (auto& [at, r] : fromSnapshots)
        changes.push_back(std::move(r));
    std::stable_sort(changes.begin(), changes.end(),
                     [](const EventRecord& a, const EventRecord& b) { return a.modRevision < b.modRevision; });

    // What each change replaced, from the version before it (the recorder
    // does not ask etcd for previous values); a delete carries the value it
    // removed, as etcd's prev_kv would.
    std::map<std::string, const EventRecord*> latest;
    for (EventRecord& r : changes) {
        const std::string key = r.key.toStdString();
        const auto before = latest.find(key);
        if (!r.hasPrevValue && before != latest.end() && before->second->kind == RecordKind::Put) {
            r.hasPrevValue = true;
            r.prevValue = before->second->value;
        }
        latest[key] = &r;
    }

    std::vector<const EventRecord*> shown;
    if (options.deletedOnly) {
        // The last change of each key; keys whose last change is a delete.
        std::map<std::string, const EventRecord*> last;
        for (const EventRecord& r : changes)
            last[r.key.toStdString()] = &r;
        for (const auto& [key, r] : last) {
            if (r->kind == RecordKind::Delete)
                shown.push_back(r);
        }
        std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->modRevision < b->modRevision; });
    } else {
        auto gap = gaps.begin();
        const bool showGaps = options.grep.empty();
        for (const EventRecord& r : changes) {
            for (; gap != gaps.end() && gap->first.first <= r.modRevision; ++gap) {
                if (showGaps)
                    shown.push_back(&gap->second);
            }
            if (!options.grep.empty() && !r.value.contains(QByteArray::fromStdString(options.grep)))
                continue;
            shown.push_back(&r);
        }
        for (; showGaps && gap != gaps.end(); ++gap)
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
