#include "recording/recorded_state.h"

#include "decode/value_text.h"

#include <algorithm>
#include <set>

namespace etcdscope {

namespace {

constexpr int kPageRows = 5000;

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
    r.note = QStringLiteral("known from a snapshot");
    return r;
}

const std::string kToTheEnd(1, '\0');

// The first key after the range: a single key's successor, or the range end.
std::string endOf(const WatchSpec& spec) { return spec.rangeEnd.empty() ? spec.key + '\0' : spec.rangeEnd; }

// Why `watch` cannot tell the state of its range at `revision`; empty when it can.
// `base` becomes the revision of the snapshot to start from (0: revision 1).
QString whyUnknown(const EventStore& store, const WatchDefinition& watch, qint64 revision, SnapshotInfo& base)
{
    const QString range = describeSpec(watch.spec);
    QString error;
    const auto snapshots = store.snapshots(watch.storeId, &error);
    const auto gaps = store.gaps(watch.storeId, &error);
    if (!snapshots || !gaps)
        return QStringLiteral("The recording cannot be read: %1.").arg(error);
    if (watch.lastRevision < revision)
        return QStringLiteral("The recording of %1 ends at revision %2, before revision %3.")
            .arg(range)
            .arg(watch.lastRevision)
            .arg(revision);
    base = SnapshotInfo{};
    for (const SnapshotInfo& s : *snapshots) {
        if (s.revision <= revision)
            base = s;
    }
    if (base.id == 0 && watch.spec.startRevision != 1)
        return QStringLiteral("The recording of %1 holds only the changes it saw, not the whole range as it was at "
                              "revision %2 (etcdscope-cli record keeps a complete history).")
            .arg(range)
            .arg(revision);
    for (const EventRecord& gap : *gaps) {
        if (gap.gapTo > base.revision && gap.gapFrom <= revision)
            return QStringLiteral("Revisions %1 to %2 of %3 were %5, so the recording does not know revision %4.")
                .arg(gap.gapFrom)
                .arg(gap.gapTo)
                .arg(range)
                .arg(revision)
                .arg(gap.note.isEmpty() ? QStringLiteral("compacted before they were recorded") : gap.note);
    }
    return {};
}

// Keys whose last recorded change (in the window) is a delete, each with
// the value it removed, oldest delete first: one index seek a key, however
// long each key's history.
std::optional<std::vector<EventRecord>> deletedKeys(const EventStore& store, const HistoryQuery& query, QString* error)
{
    const auto latest = store.latestPerKey(query.range, 0, query.since, query.until, error);
    if (!latest)
        return std::nullopt;
    std::vector<EventRecord> deleted;
    for (const EventRecord& r : *latest) {
        if (r.kind != RecordKind::Delete)
            continue;
        const std::string key = r.key.toStdString();
        WatchSpec one;
        one.key = key;
        const auto kept = store.snapshotVersions(one, {}, kPageRows, error);
        if (!kept)
            return std::nullopt;
        // A snapshot newer than the delete holds the key again: it came back.
        const bool cameBack = std::any_of(kept->begin(), kept->end(),
                                          [&](const KeyValue& kv) { return kv.modRevision > r.modRevision; });
        if (cameBack)
            continue;
        EventRecord entry = r;
        if (!entry.hasPrevValue) {
            // What it removed: the version before it, an event or one a snapshot kept.
            const auto before = store.versionBefore(key, r.modRevision, error);
            if (!before)
                return std::nullopt;
            const KeyValue* fromSnapshot = nullptr;
            for (const KeyValue& kv : *kept) {
                if (kv.modRevision < r.modRevision && (!fromSnapshot || kv.modRevision > fromSnapshot->modRevision))
                    fromSnapshot = &kv;
            }
            if (*before && (*before)->kind == RecordKind::Put &&
                (!fromSnapshot || (*before)->modRevision >= fromSnapshot->modRevision)) {
                entry.hasPrevValue = true;
                entry.prevValue = (*before)->value;
            } else if (fromSnapshot && (!*before || fromSnapshot->modRevision > (*before)->modRevision)) {
                entry.hasPrevValue = true;
                entry.prevValue = QByteArray::fromStdString(fromSnapshot->value);
            }
        }
        deleted.push_back(std::move(entry));
    }
    std::sort(deleted.begin(), deleted.end(),
              [](const EventRecord& a, const EventRecord& b) { return a.modRevision < b.modRevision; });
    return deleted;
}

}  // namespace

bool keyInRange(const std::string& key, const WatchSpec& spec)
{
    if (spec.rangeEnd.empty())
        return key == spec.key;
    if (spec.rangeEnd == kToTheEnd)
        return key >= spec.key;
    return key >= spec.key && key < spec.rangeEnd;
}

bool rangesOverlap(const WatchSpec& a, const WatchSpec& b)
{
    const bool aToEnd = a.rangeEnd == kToTheEnd;
    const bool bToEnd = b.rangeEnd == kToTheEnd;
    return (aToEnd || b.key < endOf(a)) && (bToEnd || a.key < endOf(b));
}

bool rangeContains(const WatchSpec& outer, const WatchSpec& inner)
{
    if (inner.key < outer.key)
        return false;
    if (outer.rangeEnd == kToTheEnd)
        return true;
    if (inner.rangeEnd == kToTheEnd)
        return false;
    return endOf(inner) <= endOf(outer);
}

std::optional<std::vector<EventRecord>> recordedHistory(const EventStore& store, const HistoryQuery& query,
                                                       QString* error)
{
    const WatchSpec& asked = query.range;
    const qint64 since = query.since;
    const qint64 until = query.until;
    if (query.deletedOnly)
        return deletedKeys(store, query, error);
    const auto inWindow = [&](qint64 revision) { return revision >= since && (until == 0 || revision <= until); };
    // The gaps of the watches that cover any of the range are this history's gaps.
    std::map<std::pair<qint64, qint64>, EventRecord> gaps;
    for (const WatchDefinition& w : store.watches()) {
        if (!rangesOverlap(w.spec, asked))
            continue;
        const auto found = store.gaps(w.storeId, error);
        if (!found)
            return std::nullopt;
        for (const EventRecord& gap : *found) {
            if (gap.gapTo >= since && (until == 0 || gap.gapFrom <= until))
                gaps.emplace(std::make_pair(gap.gapFrom, gap.gapTo), gap);
        }
    }
    // Versions known from snapshots (what was there before compaction), each once.
    std::map<std::pair<qint64, std::string>, EventRecord> fromSnapshots;
    std::string afterKey;
    for (;;) {
        const auto page = store.snapshotVersions(asked, afterKey, kPageRows, error);
        if (!page)
            return std::nullopt;
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
        const auto page = store.changes(asked, 0, since, until, after, kPageRows, error);
        if (!page)
            return std::nullopt;
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
    if (query.deletedOnly) {
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
        const bool showGaps = query.grep.isEmpty();
        for (const EventRecord& r : changes) {
            for (; gap != gaps.end() && gap->first.first <= r.modRevision; ++gap) {
                if (showGaps)
                    shown.push_back(&gap->second);
            }
            if (!query.grep.isEmpty() && !r.value.contains(query.grep))
                continue;
            shown.push_back(&r);
        }
        for (; showGaps && gap != gaps.end(); ++gap)
            shown.push_back(&gap->second);
    }
    std::vector<EventRecord> result;
    result.reserve(shown.size());
    for (const EventRecord* r : shown)
        result.push_back(*r);
    return result;
}

RecordedState recordedStateAt(const EventStore& store, const WatchSpec& range, qint64 revision)
{
    RecordedState state;
    QString firstReason;
    for (const WatchDefinition& watch : store.watches()) {
        if (!rangeContains(watch.spec, range))
            continue;
        SnapshotInfo base;
        const QString reason = whyUnknown(store, watch, revision, base);
        if (!reason.isEmpty()) {
            if (firstReason.isEmpty())
                firstReason = reason;
            continue;
        }
        QString error;
        std::string afterKey;
        for (bool more = base.id != 0; more;) {
            const auto page = store.snapshotKeys(base.id, range, afterKey, kPageRows, &error);
            if (!page) {
                state.error = QStringLiteral("The recording cannot be read: %1.").arg(error);
                return state;
            }
            for (const KeyValue& kv : *page)
                state.keys[kv.key] = kv;
            more = !page->empty();
            if (more)
                afterKey = page->back().key;
        }
        // Only each key's last change after the snapshot matters: read just those.
        const auto latest = store.latestPerKey(range, watch.storeId, base.revision + 1, revision, &error);
        if (!latest) {
            state.error = QStringLiteral("The recording cannot be read: %1.").arg(error);
            return state;
        }
        for (const EventRecord& r : *latest) {
            if (r.kind == RecordKind::Delete) {
                state.keys.erase(r.key.toStdString());
                continue;
            }
            KeyValue& kv = state.keys[r.key.toStdString()];
            kv.key = r.key.toStdString();
            kv.value = r.value.toStdString();
            kv.modRevision = r.modRevision;
            kv.createRevision = r.createRevision;
            kv.version = r.version;
            kv.lease = r.lease;
        }
        state.watch = watch.storeId;
        state.snapshot = base.revision;
        return state;
    }
    state.keys.clear();
    state.error = firstReason.isEmpty()
        ? QStringLiteral("No recorded watch covers all of %1.").arg(describeSpec(range))
        : firstReason;
    return state;
}

bool pruneRecording(EventStore& store, qint64 revision, std::vector<PrunedWatch>* report, QString* error)
{
    for (const WatchDefinition& watch : store.watches()) {
        const qint64 upTo = std::min(revision, watch.lastRevision);
        if (upTo <= 0)
            continue;
        // The state the pruned events led to, kept as a snapshot; an unknown state stays unknown.
        const RecordedState state = recordedStateAt(store, watch.spec, upTo);
        std::optional<std::vector<KeyValue>> keys;
        if (state.error.isEmpty()) {
            keys.emplace();
            keys->reserve(state.keys.size());
            for (const auto& [key, kv] : state.keys)
                keys->push_back(kv);
        }
        if (!store.pruneWatch(watch.storeId, upTo, keys, error))
            return false;
        if (report)
            report->push_back({watch.label, upTo, keys ? std::optional<qint64>(qint64(keys->size())) : std::nullopt});
    }
    return true;
}

}  // namespace etcdscope
