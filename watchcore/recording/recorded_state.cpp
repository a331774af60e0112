#include "recording/recorded_state.h"

#include "decode/value_text.h"

#include <algorithm>

namespace etcdscope {

namespace {

constexpr int kPageRows = 5000;

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
            return QStringLiteral("Revisions %1 to %2 of %3 were compacted before they were recorded, so the "
                                  "recording does not know revision %4.")
                .arg(gap.gapFrom)
                .arg(gap.gapTo)
                .arg(range)
                .arg(revision);
    }
    return {};
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
        ChangeCursor after;
        for (;;) {
            const auto page =
                store.changes(range, watch.storeId, base.revision + 1, revision, after, kPageRows, &error);
            if (!page) {
                state.error = QStringLiteral("The recording cannot be read: %1.").arg(error);
                return state;
            }
            if (page->empty())
                break;
            for (const EventRecord& r : *page) {
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
            after = {page->back().modRevision, page->back().id};
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

}  // namespace etcdscope
