// One row of the event log, as the GUI, the store and exports see it: an
// event, a compaction gap, or a note (connection lost / restored).
#pragma once

#include "engine/watch_types.h"

#include <QByteArray>
#include <QMetaType>
#include <QString>

#include <memory>
#include <vector>

namespace etcdscope {

enum class RecordKind : quint8 { Put = 0, Delete = 1, Gap = 2, Note = 3 };

struct EventRecord {
    qint64 id = 0;             // row id in the store; 0 until stored
    qint64 receivedMs = 0;     // wall-clock time of arrival, ms since the epoch
    WatchHandle watch = 0;
    RecordKind kind = RecordKind::Put;
    QByteArray key;
    QByteArray value;
    QByteArray prevValue;
    bool hasPrevValue = false;
    qint64 modRevision = 0;    // Put/Delete: the event's revision
    qint64 createRevision = 0;
    qint64 version = 0;
    qint64 lease = 0;
    qint64 gapFrom = 0;        // Gap: first compacted revision
    qint64 gapTo = 0;          // Gap: last compacted revision
    qint64 gapMayLackDeletesAt = 0;  // Gap: WatchUpdate::mayLackDeletesAt
    QString note;              // Note: what happened, one sentence
};

// A watch as the GUI keeps it: what to watch, how it is shown, where it is.
struct WatchDefinition {
    WatchHandle handle = 0;    // session handle while running; 0 when stored only
    qint64 storeId = 0;        // stable id in the store across restarts
    QString label;             // shown in the tree, e.g. "prefix services/"
    WatchSpec spec;
    bool notify = false;       // desktop notification on events
    qint64 lastRevision = 0;   // last revision recorded; resume from +1
};

// One delivered batch as records, shared by the views and the recording:
// read-only, never copied.
using RecordBatch = std::shared_ptr<const std::vector<EventRecord>>;

// "PUT", "DELETE", "GAP" or "NOTE", as in the CLI's and the exports' type field.
const char* recordKindName(RecordKind kind);

// Flattens a session's updates into records (events and gaps), in delivery
// order; `eventCount` (the events among them) sizes the result once.
std::vector<EventRecord> recordsFromUpdates(const std::vector<WatchUpdate>& updates, std::int64_t eventCount,
                                            qint64 receivedMs);

// Where a conversion in pieces stands in a batch's updates.
struct UpdateCursor {
    std::size_t update = 0;  // index of the next update
    std::size_t event = 0;   // next event within it
};

// Converts the updates from `cursor` on until about `maxRecords` records are
// made (one update's events may be split across calls, never reordered) and
// advances the cursor; the whole batch once the cursor reaches the end.
// `events` receives the number of events among the records.
std::vector<EventRecord> recordsFromUpdates(const std::vector<WatchUpdate>& updates, UpdateCursor& cursor,
                                            std::size_t maxRecords, qint64 receivedMs, std::int64_t& events);

// The record as the watch event the formatters take.
WatchEvent toWatchEvent(const EventRecord& record);

}  // namespace etcdscope

Q_DECLARE_METATYPE(etcdscope::RecordBatch)
