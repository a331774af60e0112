#include "format/event_record.h"

namespace etcdscope {

namespace {

QByteArray bytes(const std::string& s) { return QByteArray(s.data(), qsizetype(s.size())); }

}  // namespace

const char* recordKindName(RecordKind kind)
{
    switch (kind) {
    case RecordKind::Put: return "PUT";
    case RecordKind::Delete: return "DELETE";
    case RecordKind::Gap: return "GAP";
    case RecordKind::Note: return "NOTE";
    }
    return "NOTE";
}

std::vector<EventRecord> recordsFromUpdates(const std::vector<WatchUpdate>& updates, std::int64_t eventCount,
                                            qint64 receivedMs)
{
    std::vector<EventRecord> records;
    records.reserve(std::size_t(eventCount) + updates.size());
    for (const WatchUpdate& update : updates) {
        if (update.kind == WatchUpdate::Kind::Gap) {
            EventRecord r;
            r.receivedMs = receivedMs;
            r.watch = update.watch;
            r.kind = RecordKind::Gap;
            r.gapFrom = update.fromRevision;
            r.gapTo = update.toRevision;
            r.modRevision = update.toRevision;
            records.push_back(std::move(r));
            continue;
        }
        if (update.kind != WatchUpdate::Kind::Events)
            continue;
        for (const WatchEvent& e : update.events) {
            EventRecord r;
            r.receivedMs = receivedMs;
            r.watch = update.watch;
            r.kind = e.type == EventType::Put ? RecordKind::Put : RecordKind::Delete;
            r.key = bytes(e.kv.key);
            r.value = bytes(e.kv.value);
            r.hasPrevValue = e.hasPrevKv;
            if (e.hasPrevKv)
                r.prevValue = bytes(e.prevKv.value);
            r.modRevision = e.kv.modRevision;
            r.createRevision = e.kv.createRevision;
            r.version = e.kv.version;
            r.lease = e.kv.lease;
            records.push_back(std::move(r));
        }
    }
    return records;
}

WatchEvent toWatchEvent(const EventRecord& record)
{
    WatchEvent e;
    e.type = record.kind == RecordKind::Delete ? EventType::Delete : EventType::Put;
    e.kv.key = record.key.toStdString();
    e.kv.value = record.value.toStdString();
    e.kv.modRevision = record.modRevision;
    e.kv.createRevision = record.createRevision;
    e.kv.version = record.version;
    e.kv.lease = record.lease;
    e.hasPrevKv = record.hasPrevValue;
    if (record.hasPrevValue)
        e.prevKv.value = record.prevValue.toStdString();
    return e;
}

}  // namespace etcdscope
