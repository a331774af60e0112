// The event log: every record the monitor or the recorder receives, the
// watches and how far each got, in one SQLite file (Qt SQL, driver "QSQLITE")
// or one PostgreSQL database ("QPSQL"), with the same schema.
//
// Recording must not be bounded by RAM and exports must be complete, so the
// GUI keeps only a window in memory and pages through this store.
//
// Threading: a plain synchronous class. Its QSqlDatabase connection belongs to
// the thread that called open(); the caller keeps every later call (and the
// destruction) on that same dedicated store thread.
#pragma once

#include "format/event_record.h"
#include "format/record_formats.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace etcdscope {

class BulkEventWriter;

// Which records to count, read or export. Unset members match everything.
struct RecordFilter {
    std::optional<qint64> watch;       // the watch's storeId
    QString keyContains;               // byte substring of the key (UTF-8); empty: any key
    std::optional<RecordKind> kind;
};

// A watch's whole range as etcd held it at one revision: the recorder reads
// one after a gap (and when it first starts on a compacted store), so that
// the recording knows every key again from that revision on.
struct SnapshotInfo {
    qint64 id = 0;
    qint64 watch = 0;          // the watch's storeId
    qint64 revision = 0;
    qint64 takenMs = 0;        // wall-clock time it was read, ms since the epoch
    qint64 keys = 0;
};

// Where a page of changes() ends; the next page starts after it.
struct ChangeCursor {
    qint64 modRevision = 0;
    qint64 id = 0;
};

class EventStore {
public:
    // Opens (creating directories, file and schema as needed) the log at
    // `path`. nullptr and a one-sentence `error` when that fails.
    // `path` may also be a PostgreSQL URL (postgresql://user@host:port/db,
    // Qt's QPSQL driver) for a log that a team shares: the same schema.
    static std::unique_ptr<EventStore> open(const QString& path, QString* error);
    // Whether `location` names a database server rather than a file.
    static bool isDatabaseUrl(const QString& location);
    ~EventStore();

    EventStore(const EventStore&) = delete;
    EventStore& operator=(const EventStore&) = delete;

    // Appends all records in ONE transaction, each filed under
    // storeIdOf(record.watch) (records whose watch maps to 0 are left out;
    // without a mapping record.watch is the storeId), and gives the new ids
    // in `ids` (0 for those left out). Each watch's last revision (where it
    // resumes) becomes the highest of its records, in the same transaction.
    // On failure (e.g. disk full) nothing of the batch is kept, earlier data
    // is intact, and false comes back with a one-sentence `error`. The
    // records are not copied.
    bool append(const std::vector<EventRecord>& records, const std::function<qint64(WatchHandle)>& storeIdOf,
                QString* error, std::vector<qint64>* ids = nullptr);
    // The same, record.watch being the storeId, setting each record's id.
    bool append(std::vector<EventRecord>& records, QString* error);
    // Whether append() writes through the engine's own bulk interface (the
    // default where the driver's handle allows it) or through Qt's statements;
    // tests and benchmarks compare the two.
    void setBulkWrites(bool on);
    bool bulkWrites() const { return m_bulk != nullptr; }

    // The new watch's storeId; 0 if it could not be stored (logged).
    qint64 addWatch(const WatchDefinition& watch);
    // Marks the watch removed; its events stay in the log.
    void removeWatch(qint64 storeId);
    // Watches not removed, in storeId order, with their last revision.
    std::vector<WatchDefinition> watches() const;
    void setLastRevision(qint64 storeId, qint64 revision);

    // -1 if the database could not be read (logged).
    qint64 count(const RecordFilter& filter) const;
    // Up to `limit` matching records with id > afterId, in id order. Empty on
    // a database error (logged).
    std::vector<EventRecord> read(const RecordFilter& filter, qint64 afterId, int limit) const;

    // Streams the matching records to `path`, page by page, reporting
    // progress(done, total) after each page; progress may be empty. If it
    // returns false the export stops, no file is left at `path` and false comes
    // back with error "export cancelled". JSONL is exactly etcdscope-cli's
    // format (the "watch" number is the storeId; Note records are skipped).
    bool exportTo(const QString& path, ExportFormat format, const RecordFilter& filter,
                  const std::function<bool(qint64 done, qint64 total)>& progress, QString* error) const;

    // --- the recorded history (event_store_history.cpp)

    // Stores a snapshot of watch `storeId` at `revision`, its keys given page
    // by page by `nextPage` (called until it returns an empty page; nullopt
    // with `error` set: the read failed). ONE transaction: a snapshot is kept
    // whole or not at all, and nothing else of the log changes.
    bool addSnapshot(qint64 storeId, qint64 revision,
                     const std::function<std::optional<std::vector<KeyValue>>(QString* error)>& nextPage,
                     QString* error, qint64* keys = nullptr);
    // The watch's snapshots, oldest revision first; nullopt on a database error.
    std::optional<std::vector<SnapshotInfo>> snapshots(qint64 storeId, QString* error) const;
    // Up to `limit` keys of the snapshot inside `range` (key, rangeEnd as in
    // a WatchSpec) that sort after `afterKey` (empty: from the start), in key
    // order.
    std::optional<std::vector<KeyValue>> snapshotKeys(qint64 snapshotId, const WatchSpec& range,
                                                      const std::string& afterKey, int limit, QString* error) const;
    // Each version of a key inside `range` that some snapshot holds, by key
    // and then mod revision, once each, from the key after `afterKey` on.
    std::optional<std::vector<KeyValue>> snapshotVersions(const WatchSpec& range, const std::string& afterKey,
                                                          int limit, QString* error) const;
    // Up to `limit` Put and Delete records with a key inside `range` and
    // sinceRevision <= mod revision <= untilRevision (0: no bound), of one
    // watch or of all (storeId 0), ordered by mod revision then id, after
    // `after`. The same change recorded by two watches comes twice.
    std::optional<std::vector<EventRecord>> changes(const WatchSpec& range, qint64 storeId, qint64 sinceRevision,
                                                    qint64 untilRevision, ChangeCursor after, int limit,
                                                    QString* error) const;
    // For each key inside `range`, its newest Put or Delete record with
    // sinceRevision <= mod revision <= untilRevision (0: no bound), of one
    // watch or of all (storeId 0), in key order: two index seeks a key,
    // however many versions each key has.
    std::optional<std::vector<EventRecord>> latestPerKey(const WatchSpec& range, qint64 storeId, qint64 sinceRevision,
                                                         qint64 untilRevision, QString* error) const;
    // The newest Put or Delete record of `key` below `belowRevision`; an
    // empty optional inside when there is none.
    std::optional<std::optional<EventRecord>> versionBefore(const std::string& key, qint64 belowRevision,
                                                            QString* error) const;
    // The Gap records of a watch, in the order they were recorded.
    std::optional<std::vector<EventRecord>> gaps(qint64 storeId, QString* error) const;

    // --- retention (event_store_retention.cpp)

    // Bytes the log takes (SQLite: its pages; PostgreSQL: the database).
    std::optional<qint64> sizeOnDisk(QString* error) const;
    // The newest revision among events received before `receivedMs` (0: none).
    std::optional<qint64> lastRevisionReceivedBefore(qint64 receivedMs, QString* error) const;
    // The oldest revision among events received at or after `receivedMs` (0: none).
    std::optional<qint64> firstRevisionReceivedFrom(qint64 receivedMs, QString* error) const;
    // The revision up to which the oldest events must go for the log to fit
    // in `maxBytes` (0: it fits).
    std::optional<qint64> revisionToFit(qint64 maxBytes, QString* error) const;
    // In ONE transaction: the watch's events, gaps and snapshots up to
    // `revision` are replaced by one snapshot of its range at `revision`
    // (`state`, as the recording knew it; without it, by nothing) and a GAP
    // 1..revision noted "pruned from the log".
    bool pruneWatch(qint64 storeId, qint64 revision, const std::optional<std::vector<KeyValue>>& state,
                    QString* error);
    // Returns freed space: SQLite rewrites the file (VACUUM, needs room for a
    // copy), PostgreSQL frees it for reuse (VACUUM).
    bool giveSpaceBack(QString* error);

    QString path() const;

private:
    EventStore(QString path, QString connectionName);

    bool initialize(QString* error);
    bool initializePostgres(QString* error);
    // A statement written for SQLite in the dialect of this store's engine.
    QString translate(const QString& sql) const;
    // An INSERT that gives back the new row's id, and that id once it ran
    // (0 when there is none).
    QString returningId(const QString& insertSql) const;
    qint64 insertedId(QSqlQuery& insert) const;
    // A snapshot's row and its keys, inside the caller's transaction; 0 /
    // false with `reason` on failure.
    qint64 insertSnapshotRow(qint64 storeId, qint64 revision, qint64 keyCount, QString* reason);
    bool insertSnapshotKeys(qint64 snapshotId, const std::vector<KeyValue>& keys, QString* reason);
    bool createSchema(QString* error);
    // The prepared statement for `sql`, prepared on first use and kept for
    // the life of the store; nullptr (logged) if it does not prepare.
    QSqlQuery* statement(const QString& sql) const;
    // The prepared INSERT of `rows` event records (cached by row count: its
    // text is kilobytes, too long to rebuild and look up for every chunk),
    // and forgetting it after it failed, to prepare it anew.
    QSqlQuery* insertEventsStatement(int rows);
    void forgetInsertEventsStatement(int rows);
    // The rows through Qt's prepared statements (ids, if not null, get each
    // row's id); an empty string, or the database's reason for failing.
    QString insertWithStatements(std::span<const EventRecord* const> rows, std::span<const qint64> storeIds,
                                 qint64* ids);
    std::optional<qint64> countMatching(const RecordFilter& filter, QString* error) const;
    std::optional<std::vector<EventRecord>> readPage(const RecordFilter& filter, qint64 afterId, int limit,
                                                     QString* error) const;

    QString m_path;
    QString m_connectionName;          // unique per store, removed in the destructor
    bool m_postgres = false;           // QPSQL rather than QSQLITE
    QSqlDatabase m_db;
    // Keyed by SQL text; std::map so that pointers stay valid as it grows.
    mutable std::map<QString, QSqlQuery> m_statements;
    std::map<int, QSqlQuery*> m_insertEvents;  // by row count, into m_statements
    std::unique_ptr<BulkEventWriter> m_bulk;   // null: Qt's statements
};

}  // namespace etcdscope
