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

namespace {

EventRecord gapRecord(const WatchUpdate& update, qint64 receivedMs)
{
    EventRecord r;
    r.receivedMs = receivedMs;
    r.watch = update.watch;
    r.kind = RecordKind::Gap;
    r.gapFrom = update.fromRevision;
    r.gapTo = update.toRevision;
    r.gapMayLackDeletesAt = update.mayLackDeletesAt;
    r.modRevision = update.toRevision;
    return r;
}

EventRecord eventRecord(WatchHandle watch, const WatchEvent& e, qint64 receivedMs)
{
    EventRecord r;
    r.receivedMs = receivedMs;
    r.watch = watch;
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
    return r;
}

}  // namespace

std::vector<EventRecord> recordsFromUpdates(const std::vector<WatchUpdate>& updates, std::int64_t eventCount,
                                            qint64 receivedMs)
{
    UpdateCursor cursor;
    std::int64_t events = 0;
    return recordsFromUpdates(updates, cursor, std::size_t(eventCount) + updates.size(), receivedMs, events);
}

std::vector<EventRecord> recordsFromUpdates(const std::vector<WatchUpdate>& updates, UpdateCursor& cursor,
                                            std::size_t maxRecords, qint64 receivedMs, std::int64_t& events)
{
    std::vector<EventRecord> records;
    events = 0;
    while (cursor.update < updates.size() && records.size() < maxRecords) {
        const WatchUpdate& update = updates[cursor.update];
        if (update.kind == WatchUpdate::Kind::Events) {
            const std::size_t end = std::min(update.events.size(), cursor.event + (maxRecords - records.size()));
            if (records.empty())
                records.reserve(std::min(maxRecords, end - cursor.event + updates.size()));
            events += std::int64_t(end - cursor.event);
            for (; cursor.event < end; ++cursor.event)
                records.push_back(eventRecord(update.watch, update.events[cursor.event], receivedMs));
            if (cursor.event < update.events.size())
                break;  // the slice is full inside this update
        } else if (update.kind == WatchUpdate::Kind::Gap) {
            records.push_back(gapRecord(update, receivedMs));
        }
        ++cursor.update;
        cursor.event = 0;
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
