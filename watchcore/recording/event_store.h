// The event log on disk: every record the monitor receives, the watches and
// how far each got, in one SQLite database (Qt SQL, driver "QSQLITE").
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
#include <vector>

namespace etcdscope {

// Which records to count, read or export. Unset members match everything.
struct RecordFilter {
    std::optional<qint64> watch;       // the watch's storeId
    QString keyContains;               // byte substring of the key (UTF-8); empty: any key
    std::optional<RecordKind> kind;
};

class EventStore {
public:
    // Opens (creating directories, file and schema as needed) the log at
    // `path`. nullptr and a one-sentence `error` when that fails.
    static std::unique_ptr<EventStore> open(const QString& path, QString* error);
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

    QString path() const;

private:
    EventStore(QString path, QString connectionName);

    bool initialize(QString* error);
    bool createSchema(QString* error);
    // The prepared statement for `sql`, prepared on first use and kept for
    // the life of the store; nullptr (logged) if it does not prepare.
    QSqlQuery* statement(const QString& sql) const;
    std::optional<qint64> countMatching(const RecordFilter& filter, QString* error) const;
    std::optional<std::vector<EventRecord>> readPage(const RecordFilter& filter, qint64 afterId, int limit,
                                                     QString* error) const;

    QString m_path;
    QString m_connectionName;          // unique per store, removed in the destructor
    QSqlDatabase m_db;
    // Keyed by SQL text; std::map so that pointers stay valid as it grows.
    mutable std::map<QString, QSqlQuery> m_statements;
};

}  // namespace etcdscope
