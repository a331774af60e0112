#include "recording/event_store.h"
#include "recording/bulk_event_writer.h"
#include "recording/store_sql.h"

#include "format/event_format.h"
#include "format/record_formats.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QUrl>
#include <QUrlQuery>
#include <QSqlError>
#include <QStringList>
#include <QVariantList>

#include <atomic>
#include <string>
#include <string_view>

namespace etcdscope {

namespace {

QString eventCount(std::size_t n)
{
    return n == 1 ? QStringLiteral("1 event") : QStringLiteral("%1 events").arg(n);
}

using namespace store_sql;

Q_LOGGING_CATEGORY(lcStore, "etcdscope.store", QtInfoMsg)

// The newest schema this build writes; a file of a newer one is refused.
// Every log starts as version 1 and is migrated step by step (kMigrations).
constexpr int kSchemaVersion = 4;
// How long a write waits for another connection's lock before it fails.
constexpr int kBusyTimeoutMs = 60'000;
// SQLite's page cache per connection, KiB.
constexpr int kCacheKiB = 64 * 1024;
// SQLite's page size for a new log, bytes.
constexpr int kPageBytes = 16 * 1024;
// WAL pages after which a commit copies the WAL into the file (SQLite's
// default: 1,000).
constexpr int kWalCheckpointPages = 8192;
// Records held in memory at once while exporting.
constexpr int kExportPageRecords = 1000;

const auto kDriverName = QStringLiteral("QSQLITE");
const auto kPostgresDriverName = QStringLiteral("QPSQL");
// Held while a PostgreSQL log's schema is created or migrated.
constexpr qint64 kSchemaLockKey = 0x65746364;
const auto kCancelledError = QStringLiteral("export cancelled");

// Rows one INSERT carries: on PostgreSQL each statement is a round trip; on
// SQLite each is Qt's and SQLite's per-statement work (ids are consecutive).
constexpr int kPostgresRowsPerInsert = 500;
constexpr int kSqliteRowsPerInsert = 64;

// Connection names must be unique per process: several stores (the live log,
// an opened one) may exist at once.
std::atomic<quint64> nextConnectionNumber{1};

constexpr const char* kSchemaStatements[] = {
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value)",
    "CREATE TABLE IF NOT EXISTS events("
    " id INTEGER PRIMARY KEY,"
    " received_ms INTEGER NOT NULL DEFAULT 0,"
    " watch INTEGER NOT NULL,"          // the watch's storeId
    " kind INTEGER NOT NULL,"           // RecordKind
    " key BLOB,"
    " value BLOB,"
    " prev_value BLOB NULL,"            // NULL: the event carries no previous value
    " mod_revision INTEGER NOT NULL DEFAULT 0,"
    " create_revision INTEGER NOT NULL DEFAULT 0,"
    " version INTEGER NOT NULL DEFAULT 0,"
    " lease INTEGER NOT NULL DEFAULT 0,"
    " gap_from INTEGER NOT NULL DEFAULT 0,"
    " gap_to INTEGER NOT NULL DEFAULT 0,"
    " note TEXT)",
    "CREATE INDEX IF NOT EXISTS events_by_watch ON events(watch, id)",
    "CREATE INDEX IF NOT EXISTS events_by_mod_revision ON events(mod_revision)",
    "CREATE TABLE IF NOT EXISTS watches("
    " id INTEGER PRIMARY KEY,"
    " label TEXT,"
    " key BLOB,"
    " range_end BLOB,"
    " start_revision INTEGER NOT NULL DEFAULT 0,"
    " prev_kv INTEGER NOT NULL DEFAULT 0,"
    " progress_notify INTEGER NOT NULL DEFAULT 0,"
    " no_put INTEGER NOT NULL DEFAULT 0,"
    " no_delete INTEGER NOT NULL DEFAULT 0,"
    " notify INTEGER NOT NULL DEFAULT 0,"
    " last_revision INTEGER NOT NULL DEFAULT 0,"
    " removed INTEGER DEFAULT 0)",
};

// One step from the version before `version` to it, run in the transaction
// that opens the log.
struct Migration {
    int version;
    std::vector<const char*> statements;
};

const Migration kMigrations[] = {
    // 2: snapshots (a watch's whole range as etcd held it at one revision,
    // stored whole or not at all) and an index by key for histories.
    {2,
     {"CREATE TABLE snapshots("
      " id INTEGER PRIMARY KEY,"
      " watch INTEGER NOT NULL,"
      " revision INTEGER NOT NULL,"
      " taken_ms INTEGER NOT NULL DEFAULT 0,"
      " key_count INTEGER NOT NULL DEFAULT 0)",
      "CREATE INDEX snapshots_by_watch ON snapshots(watch, revision)",
      "CREATE TABLE snapshot_keys("
      " snapshot INTEGER NOT NULL,"
      " key BLOB NOT NULL,"
      " value BLOB NOT NULL,"
      " mod_revision INTEGER NOT NULL,"
      " create_revision INTEGER NOT NULL,"
      " version INTEGER NOT NULL,"
      " lease INTEGER NOT NULL,"
      " PRIMARY KEY(snapshot, key))",
      "CREATE INDEX snapshot_keys_by_key ON snapshot_keys(key)",
      "CREATE INDEX events_by_key ON events(key, mod_revision)"}},
    // 3: a watch's gaps found without reading its events.
    {3, {"CREATE INDEX events_gaps ON events(watch, id) WHERE kind = 2"}},
    // 4: a gap names the revision after it when etcd may have served that
    // revision without its DELETEs (EventRecord::gapMayLackDeletesAt).
    {4, {"ALTER TABLE events ADD COLUMN gap_may_lack_deletes_at INTEGER NOT NULL DEFAULT 0"}},
};

const auto kInsertSchemaVersionSql =
    QStringLiteral("INSERT INTO meta(key, value) VALUES('schema_version', 1) ON CONFLICT DO NOTHING");
const auto kUpdateSchemaVersionSql = QStringLiteral("UPDATE meta SET value = ? WHERE key = 'schema_version'");
const auto kSelectSchemaVersionSql = QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'");


const auto kCountRecordsSql = QStringLiteral("SELECT count(*) FROM events");

// Parameters bound in this order by addWatch().
const auto kInsertWatchSql = QStringLiteral(
    "INSERT INTO watches(label, key, range_end, start_revision, prev_kv, progress_notify, no_put,"
    " no_delete, notify, last_revision) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
const auto kRemoveWatchSql = QStringLiteral("UPDATE watches SET removed = 1 WHERE id = ?");
const auto kSetLastRevisionSql = QStringLiteral("UPDATE watches SET last_revision = ? WHERE id = ?");

// Columns read back by watches(), in WatchColumn order.
const auto kSelectWatchesSql = QStringLiteral(
    "SELECT id, label, key, range_end, start_revision, prev_kv, progress_notify, no_put, no_delete,"
    " notify, last_revision FROM watches WHERE removed = 0 ORDER BY id");
enum WatchColumn : int {
    WatchId, WatchLabel, WatchKey, WatchRangeEnd, WatchStartRevision, WatchPrevKv, WatchProgressNotify,
    WatchNoPut, WatchNoDelete, WatchNotify, WatchLastRevision,
};

// kInsertEventSql for `rows` records in one statement.
QString insertEventsSql(int rows)
{
    const QString sql = kInsertEventSql;
    const qsizetype values = sql.indexOf(QLatin1String("VALUES"));
    const QString one = sql.mid(values + 6).trimmed();
    QStringList all;
    for (int i = 0; i < rows; ++i)
        all << one;
    return sql.left(values + 6) + all.join(QLatin1Char(','));
}

// A record filter as SQL conditions and their parameters, in order.
struct FilterSql {
    QStringList conditions;
    QVariantList values;
};

FilterSql filterSql(const RecordFilter& filter)
{
    FilterSql sql;
    if (filter.watch) {
        sql.conditions << QStringLiteral("watch = ?");
        sql.values << QVariant(qint64(*filter.watch));
    }
    if (filter.kind) {
        sql.conditions << QStringLiteral("kind = ?");
        sql.values << QVariant(int(*filter.kind));
    }
    if (!filter.keyContains.isEmpty()) {
        // instr() on two BLOBs compares bytes: a plain substring match,
        // without LIKE's wildcards and ASCII case folding.
        sql.conditions << QStringLiteral("instr(key, ?) > 0");
        sql.values << blob(filter.keyContains.toUtf8());
    }
    return sql;
}

WatchDefinition watchFromRow(const QSqlQuery& row)
{
    WatchDefinition w;
    w.storeId = row.value(WatchId).toLongLong();
    w.label = row.value(WatchLabel).toString();
    w.spec.key = row.value(WatchKey).toByteArray().toStdString();
    w.spec.rangeEnd = row.value(WatchRangeEnd).toByteArray().toStdString();
    w.spec.startRevision = row.value(WatchStartRevision).toLongLong();
    w.spec.prevKv = row.value(WatchPrevKv).toBool();
    w.spec.progressNotify = row.value(WatchProgressNotify).toBool();
    w.spec.noPut = row.value(WatchNoPut).toBool();
    w.spec.noDelete = row.value(WatchNoDelete).toBool();
    w.notify = row.value(WatchNotify).toBool();
    w.lastRevision = row.value(WatchLastRevision).toLongLong();
    return w;
}


bool writeAll(QSaveFile& file, std::string& chunk)
{
    const bool written = file.write(chunk.data(), qint64(chunk.size())) == qint64(chunk.size());
    chunk.clear();
    return written;
}

}  // namespace

// --- EventStore -----------------------------------------------------------

bool EventStore::isDatabaseUrl(const QString& location)
{
    return location.startsWith(QLatin1String("postgresql://")) || location.startsWith(QLatin1String("postgres://"));
}

std::unique_ptr<EventStore> EventStore::open(const QString& path, QString* error)
{
    const QString connectionName = QStringLiteral("etcdscope.store.%1").arg(nextConnectionNumber++);
    std::unique_ptr<EventStore> store(new EventStore(path, connectionName));
    if (!store->initialize(error))
        return nullptr;
    store->setBulkWrites(true);
    return store;
}

void EventStore::setBulkWrites(bool on)
{
    m_bulk = on ? BulkEventWriter::forConnection(m_db) : nullptr;
}

EventStore::EventStore(QString path, QString connectionName)
    : m_path(std::move(path))
    , m_connectionName(std::move(connectionName))
    , m_postgres(isDatabaseUrl(m_path))
    , m_db(QSqlDatabase::addDatabase(m_postgres ? kPostgresDriverName : kDriverName, m_connectionName))
{
}

QString EventStore::translate(const QString& sql) const
{
    if (!m_postgres)
        return sql;
    // The statements are written for SQLite; PostgreSQL needs 64-bit integers
    // spelled out, serial ids, bytea and position() for a byte substring.
    QString out = sql;
    out.replace(QLatin1String("INTEGER PRIMARY KEY"), QLatin1String("BIGSERIAL PRIMARY KEY"));
    out.replace(QLatin1String("INTEGER"), QLatin1String("BIGINT"));
    out.replace(QLatin1String(" BLOB"), QLatin1String(" BYTEA"));
    out.replace(QLatin1String("instr(key, ?) > 0"), QLatin1String("position(? in key) > 0"));
    out.replace(QLatin1String("meta(key TEXT PRIMARY KEY, value)"), QLatin1String("meta(key TEXT PRIMARY KEY, value BIGINT)"));
    return out;
}

QString EventStore::returningId(const QString& insertSql) const
{
    return m_postgres ? insertSql + QStringLiteral(" RETURNING id") : insertSql;
}

qint64 EventStore::insertedId(QSqlQuery& insert) const
{
    if (!m_postgres)
        return insert.lastInsertId().toLongLong();
    const qint64 id = insert.next() ? insert.value(0).toLongLong() : 0;
    insert.finish();
    return id;
}

EventStore::~EventStore()
{
    // Every query and handle must be gone before the connection is removed,
    // or Qt warns that it is still in use and keeps it.
    m_bulk.reset();
    m_insertEvents.clear();
    m_statements.clear();
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

QString EventStore::path() const { return m_path; }

bool EventStore::initialize(QString* error)
{
    if (m_postgres)
        return initializePostgres(error);
    const QString folder = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(folder)) {
        setError(error, QStringLiteral("Could not create the folder %1 for the event log.").arg(folder));
        return false;
    }
    if (!m_db.isValid()) {
        setError(error, QStringLiteral("The SQLite driver for Qt SQL (QSQLITE) is not installed."));
        return false;
    }
    m_db.setDatabaseName(m_path);
    // Another connection holding the log (an export, etcdscope-cli reading
    // it) delays a write instead of failing it.
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs));
    if (!m_db.open()) {
        setError(error, QStringLiteral("Could not open the event log %1: %2.").arg(m_path, describe(m_db.lastError())));
        return false;
    }
    QSqlQuery pragma(m_db);
    // 16 KiB pages for a new log (an existing one keeps its own; SQLite
    // fixes the size with the first table): SQLite writes a WAL frame per
    // dirty page, and with 4 KiB pages recording 350,000 events made 364,000
    // pwrite calls and took 4.7 CPU-seconds; with 16 KiB, 3.1.
    if (!pragma.exec(QStringLiteral("PRAGMA page_size=%1").arg(kPageBytes)))
        qCWarning(lcStore) << "could not set the page size:" << describe(pragma.lastError());
    // WAL: readers (exports, paging) do not block the writer; NORMAL: no
    // fsync per commit; a power cut may lose the last batches, never the file.
    if (!pragma.exec(QStringLiteral("PRAGMA journal_mode=WAL"))) {
        setError(error, QStringLiteral("Could not open the event log %1: %2.").arg(m_path, describe(pragma.lastError())));
        return false;
    }
    if (pragma.next() && pragma.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
        qCWarning(lcStore) << "event log" << m_path << "is not in WAL mode but" << pragma.value(0).toString();
    pragma.finish();
    if (!pragma.exec(QStringLiteral("PRAGMA synchronous=NORMAL")))
        qCWarning(lcStore) << "could not relax synchronous writes:" << describe(pragma.lastError());
    // 64 MiB of pages (SQLite's default is 2 MiB): the indexes of a growing
    // log stay in memory instead of being read back from the file per insert.
    if (!pragma.exec(QStringLiteral("PRAGMA cache_size=-%1").arg(kCacheKiB)))
        qCWarning(lcStore) << "could not enlarge the page cache:" << describe(pragma.lastError());
    if (!pragma.exec(QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(kWalCheckpointPages)))
        qCWarning(lcStore) << "could not set the WAL checkpoint size:" << describe(pragma.lastError());
    return createSchema(error);
}

bool EventStore::initializePostgres(QString* error)
{
    if (!m_db.isValid()) {
        setError(error, QStringLiteral("The PostgreSQL driver for Qt SQL (QPSQL, Debian's libqt6sql6-psql) is not "
                                       "installed."));
        return false;
    }
    // postgresql://[user[:password]@]host[:port]/database[?sslmode=…&…]; what
    // the URL leaves out, libpq takes from its environment (PGPASSWORD, …).
    const QUrl url(m_path);
    if (!url.isValid() || url.host().isEmpty() || url.path().size() < 2) {
        setError(error, QStringLiteral("The event log address %1 is not a PostgreSQL URL such as "
                                       "postgresql://user@host:5432/database.")
                            .arg(url.toString(QUrl::RemovePassword)));
        return false;
    }
    m_path = url.toString(QUrl::RemovePassword);  // never shown or logged with the password
    m_db.setHostName(url.host());
    m_db.setPort(url.port(5432));
    m_db.setDatabaseName(url.path().mid(1));
    if (!url.userName().isEmpty())
        m_db.setUserName(url.userName());
    if (!url.password().isEmpty())
        m_db.setPassword(url.password());
    QStringList options{QStringLiteral("connect_timeout=10")};
    for (const auto& [name, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded))
        options << name + QLatin1Char('=') + value;
    m_db.setConnectOptions(options.join(QLatin1Char(';')));
    if (!m_db.open()) {
        qCWarning(lcStore) << "cannot connect to" << m_path << ":" << m_db.lastError().databaseText();
        setError(error, QStringLiteral("Could not open the event log %1: %2.").arg(m_path, describe(m_db.lastError())));
        return false;
    }
    // "relation … already exists, skipping" and the like are not for the person.
    QSqlQuery session(m_db);
    if (!session.exec(QStringLiteral("SET client_min_messages = warning")))
        qCWarning(lcStore) << "cannot quiet the server's notices:" << describe(session.lastError());
    // As SQLite's synchronous=NORMAL: a commit does not wait for its WAL to
    // reach the disk. A server crash may lose the last commits, never the
    // database, and each watch's resume revision goes with its events, so
    // the recorder reads what was lost from etcd again.
    if (!session.exec(QStringLiteral("SET synchronous_commit = off")))
        qCWarning(lcStore) << "cannot relax commits:" << describe(session.lastError());
    return createSchema(error);
}

bool EventStore::createSchema(QString* error)
{
    const auto fail = [&](const QString& reason) {
        m_db.rollback();
        setError(error, QStringLiteral("Could not prepare the event log %1: %2.").arg(m_path, reason));
        return false;
    };
    // A log already at this schema needs nothing: no lock, no DDL, so that a
    // reader (history, the History window) never waits for a recorder's
    // transaction in progress.
    {
        QSqlQuery current(m_db);
        if (current.exec(kSelectSchemaVersionSql) && current.next()) {
            const int version = current.value(0).toInt();
            current.finish();
            if (version == kSchemaVersion)
                return true;
        }
    }
    // IMMEDIATE: the write lock first, so that two processes creating one
    // new log wait for each other (busy timeout) instead of one failing.
    // PostgreSQL: a lock of the transaction, for the same reason.
    QSqlQuery begin(m_db);
    if (!begin.exec(m_postgres ? QStringLiteral("BEGIN") : QStringLiteral("BEGIN IMMEDIATE")))
        return fail(describe(begin.lastError()));
    if (m_postgres && !begin.exec(QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(kSchemaLockKey)))
        return fail(describe(begin.lastError()));
    int version = 0;
    {
        QSqlQuery query(m_db);
        for (const char* sql : kSchemaStatements) {
            if (!query.exec(translate(QString::fromLatin1(sql))))
                return fail(describe(query.lastError()));
        }
        if (!query.exec(kInsertSchemaVersionSql))
            return fail(describe(query.lastError()));
        const bool fresh = query.numRowsAffected() == 1;  // a new log: its migrations are not news
        if (!query.exec(kSelectSchemaVersionSql) || !query.next())
            return fail(describe(query.lastError()));
        version = query.value(0).toInt();
        query.finish();
        if (version > kSchemaVersion)
            return fail(QStringLiteral("it was written by a newer etcdscope (schema %1, this one reads up to %2)")
                            .arg(version)
                            .arg(kSchemaVersion));
        for (const Migration& migration : kMigrations) {
            if (migration.version <= version)
                continue;
            for (const char* sql : migration.statements) {
                if (!query.exec(translate(QString::fromLatin1(sql))))
                    return fail(QStringLiteral("migration to schema %1: %2")
                                    .arg(migration.version)
                                    .arg(describe(query.lastError())));
            }
            query.prepare(kUpdateSchemaVersionSql);
            query.bindValue(0, migration.version);
            if (!query.exec())
                return fail(describe(query.lastError()));
            if (!fresh)
                qCInfo(lcStore) << "event log" << m_path << "migrated from schema" << version << "to"
                                << migration.version;
            version = migration.version;
        }
    }
    if (!m_db.commit())
        return fail(describe(m_db.lastError()));
    return true;
}

QSqlQuery* EventStore::statement(const QString& sql) const
{
    const auto found = m_statements.find(sql);
    if (found != m_statements.end())
        return &found->second;
    QSqlQuery query(m_db);
    query.setForwardOnly(true);  // no client-side cache of every row read
    if (!query.prepare(translate(sql))) {
        qCWarning(lcStore) << "cannot prepare" << sql << ":" << describe(query.lastError());
        return nullptr;
    }
    return &m_statements.emplace(sql, std::move(query)).first->second;
}

QSqlQuery* EventStore::insertEventsStatement(int rows)
{
    QSqlQuery*& insert = m_insertEvents[rows];
    if (!insert)
        insert = statement(returningId(insertEventsSql(rows)));
    return insert;
}

void EventStore::forgetInsertEventsStatement(int rows)
{
    m_insertEvents.erase(rows);
    m_statements.erase(returningId(insertEventsSql(rows)));
}

QString EventStore::insertWithStatements(std::span<const EventRecord* const> rows, std::span<const qint64> storeIds,
                                         qint64* ids)
{
    // Rows go in statements of `perInsert` (PostgreSQL: hundreds, one round trip each).
    const std::size_t perInsert = m_postgres ? kPostgresRowsPerInsert : kSqliteRowsPerInsert;
    for (std::size_t next = 0; next < rows.size();) {
        // The tail of a batch in power-of-two statements: a few prepared shapes, not hundreds.
        std::size_t count = perInsert;
        while (count > 1 && count > rows.size() - next)
            count /= 2;
        QSqlQuery* insert = insertEventsStatement(int(count));
        if (!insert)
            return QStringLiteral("the insert does not prepare");
        for (std::size_t row = 0; row < count; ++row)
            bindRecord(*insert, int(row) * kEventColumns, *rows[next + row], storeIds[next + row]);
        if (!insert->exec()) {
            const QString reason = describe(insert->lastError());
            forgetInsertEventsStatement(int(count));
            return reason;
        }
        // PostgreSQL: RETURNING gives the ids in row order; SQLite: one INSERT numbers
        // its rows consecutively, up to the last insert id.
        const qint64 lastId = m_postgres ? 0 : insert->lastInsertId().toLongLong();
        for (std::size_t row = 0; row < count; ++row) {
            const qint64 id = m_postgres ? (insert->next() ? insert->value(0).toLongLong() : 0)
                                         : lastId - qint64(count - 1 - row);
            if (ids)
                ids[next + row] = id;
        }
        insert->finish();
        next += count;
    }
    return {};
}

bool EventStore::append(std::vector<EventRecord>& records, QString* error)
{
    std::vector<qint64> ids;
    const bool appended = append(records, {}, error, &ids);
    for (std::size_t i = 0; i < records.size(); ++i)
        records[i].id = appended ? ids[i] : 0;
    return appended;
}

bool EventStore::append(const std::vector<EventRecord>& records, const std::function<qint64(WatchHandle)>& storeIdOf,
                        QString* error, std::vector<qint64>* ids)
{
    if (ids)
        ids->assign(records.size(), 0);
    if (records.empty())
        return true;
    QElapsedTimer took;
    took.start();
    if (!m_db.transaction()) {
        setError(error, QStringLiteral("Could not save %1 to the event log: %2.")
                            .arg(eventCount(records.size()))
                            .arg(describe(m_db.lastError())));
        return false;
    }
    // The records that go in (a watch cancelled before it was stored has none) and their watches' store ids.
    std::vector<const EventRecord*> rows;
    std::vector<qint64> rowStoreIds;
    std::vector<std::size_t> rowIndex;
    rows.reserve(records.size());
    rowStoreIds.reserve(records.size());
    rowIndex.reserve(records.size());
    std::map<qint64, qint64> lastRevision;  // per watch: where it resumes, committed with its events
    for (std::size_t i = 0; i < records.size(); ++i) {
        const EventRecord& r = records[i];
        const qint64 storeId = storeIdOf ? storeIdOf(r.watch) : r.watch;
        if (storeId == 0)
            continue;
        rows.push_back(&r);
        rowStoreIds.push_back(storeId);
        rowIndex.push_back(i);
        if (r.kind != RecordKind::Note) {
            qint64& last = lastRevision[storeId];
            last = std::max(last, r.kind == RecordKind::Gap ? r.gapTo : r.modRevision);
        }
    }
    std::vector<qint64> rowIds(ids ? rows.size() : 0);
    QString reason;
    if (m_bulk && (!ids || m_bulk->givesIds())) {
        QSqlError failure;
        if (!m_bulk->write(rows, rowStoreIds, ids ? rowIds.data() : nullptr, &failure))
            reason = describe(failure);
    } else {
        reason = insertWithStatements(rows, rowStoreIds, ids ? rowIds.data() : nullptr);
    }
    if (ids && reason.isEmpty()) {
        for (std::size_t row = 0; row < rows.size(); ++row)
            (*ids)[rowIndex[row]] = rowIds[row];
    }
    if (QSqlQuery* update = reason.isEmpty() ? statement(kSetLastRevisionSql) : nullptr) {
        for (const auto& [storeId, revision] : lastRevision) {
            update->bindValue(0, revision);
            update->bindValue(1, storeId);
            if (!update->exec()) {
                reason = describe(update->lastError());
                break;
            }
        }
    }
    if (reason.isEmpty() && m_db.commit()) {
        qCDebug(lcStore) << "appended" << rows.size() << "records in" << took.nsecsElapsed() / 1000 << "us";
        return true;
    }
    if (reason.isEmpty())
        reason = describe(m_db.lastError());
    // SQLite may already have rolled back on an I/O error; then this fails harmlessly.
    if (!m_db.rollback())
        qCDebug(lcStore) << "rollback after a failed append:" << describe(m_db.lastError());
    if (ids)
        ids->assign(records.size(), 0);
    qCWarning(lcStore) << "append of" << records.size() << "records failed:" << reason;
    setError(error, QStringLiteral("Could not save %1 to the event log: %2.").arg(eventCount(records.size())).arg(reason));
    return false;
}

qint64 EventStore::addWatch(const WatchDefinition& watch)
{
    QSqlQuery* insert = statement(returningId(kInsertWatchSql));
    if (!insert)
        return 0;
    int parameter = 0;
    insert->bindValue(parameter++, watch.label);
    insert->bindValue(parameter++, blob(watch.spec.key));
    insert->bindValue(parameter++, blob(watch.spec.rangeEnd));
    insert->bindValue(parameter++, qint64(watch.spec.startRevision));
    // Flags as 0 or 1: integer columns in both engines.
    insert->bindValue(parameter++, int(watch.spec.prevKv));
    insert->bindValue(parameter++, int(watch.spec.progressNotify));
    insert->bindValue(parameter++, int(watch.spec.noPut));
    insert->bindValue(parameter++, int(watch.spec.noDelete));
    insert->bindValue(parameter++, int(watch.notify));
    insert->bindValue(parameter++, watch.lastRevision);
    if (!insert->exec()) {
        qCWarning(lcStore) << "cannot store watch" << watch.label << ":" << describe(insert->lastError());
        return 0;
    }
    return insertedId(*insert);
}

void EventStore::removeWatch(qint64 storeId)
{
    QSqlQuery* update = statement(kRemoveWatchSql);
    if (!update)
        return;
    update->bindValue(0, storeId);
    if (!update->exec())
        qCWarning(lcStore) << "cannot remove watch" << storeId << ":" << describe(update->lastError());
}

void EventStore::setLastRevision(qint64 storeId, qint64 revision)
{
    QSqlQuery* update = statement(kSetLastRevisionSql);
    if (!update)
        return;
    update->bindValue(0, revision);
    update->bindValue(1, storeId);
    if (!update->exec())
        qCWarning(lcStore) << "cannot record revision" << revision << "of watch" << storeId << ":"
                           << describe(update->lastError());
}

std::vector<WatchDefinition> EventStore::watches() const
{
    std::vector<WatchDefinition> result;
    QSqlQuery* select = statement(kSelectWatchesSql);
    if (!select)
        return result;
    if (!select->exec()) {
        qCWarning(lcStore) << "cannot read watches:" << describe(select->lastError());
        return result;
    }
    while (select->next())
        result.push_back(watchFromRow(*select));
    select->finish();  // ends the read transaction, or WAL checkpoints would wait for it
    return result;
}

std::optional<qint64> EventStore::countMatching(const RecordFilter& filter, QString* error) const
{
    const FilterSql where = filterSql(filter);
    QSqlQuery* select = statement(kCountRecordsSql + whereClause(where.conditions));
    if (!select) {
        setError(error, QStringLiteral("the count does not prepare"));
        return std::nullopt;
    }
    bindAll(*select, where.values);
    if (!select->exec() || !select->next()) {
        setError(error, describe(select->lastError()));
        return std::nullopt;
    }
    const qint64 matching = select->value(0).toLongLong();
    select->finish();
    return matching;
}

std::optional<std::vector<EventRecord>> EventStore::readPage(const RecordFilter& filter, qint64 afterId, int limit,
                                                             QString* error) const
{
    FilterSql where = filterSql(filter);
    where.conditions.prepend(QStringLiteral("id > ?"));
    where.values.prepend(QVariant(afterId));
    where.values.append(QVariant(limit));
    QSqlQuery* select =
        statement(kSelectRecordsSql + whereClause(where.conditions) + QStringLiteral(" ORDER BY id LIMIT ?"));
    if (!select) {
        setError(error, QStringLiteral("the query does not prepare"));
        return std::nullopt;
    }
    bindAll(*select, where.values);
    if (!select->exec()) {
        setError(error, describe(select->lastError()));
        return std::nullopt;
    }
    std::vector<EventRecord> records;
    while (select->next())
        records.push_back(recordFromRow(*select));
    // next() also ends on an error; tell that apart from the last row
    const bool failed = select->lastError().isValid();
    if (failed)
        setError(error, describe(select->lastError()));
    select->finish();
    if (failed)
        return std::nullopt;
    return records;
}

qint64 EventStore::count(const RecordFilter& filter) const
{
    QString reason;
    const std::optional<qint64> matching = countMatching(filter, &reason);
    if (!matching)
        qCWarning(lcStore) << "cannot count records:" << reason;
    return matching.value_or(-1);
}

std::vector<EventRecord> EventStore::read(const RecordFilter& filter, qint64 afterId, int limit) const
{
    QString reason;
    std::optional<std::vector<EventRecord>> page = readPage(filter, afterId, limit, &reason);
    if (!page) {
        qCWarning(lcStore) << "cannot read records:" << reason;
        return {};
    }
    return std::move(*page);
}

bool EventStore::exportTo(const QString& path, ExportFormat format, const RecordFilter& filter,
                          const std::function<bool(qint64 done, qint64 total)>& progress, QString* error) const
{
    const auto fail = [&](const QString& reason) {
        setError(error, QStringLiteral("Could not export the event log to %1: %2.").arg(path, reason));
        return false;
    };
    // QSaveFile: until commit() the data goes to a temporary file, so a
    // cancelled or failed export leaves nothing (and no older file clobbered).
    QSaveFile file(path);
    QString reason;
    const std::optional<qint64> total = countMatching(filter, &reason);
    if (!total)
        return fail(reason);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    std::string chunk;
    chunk += exportHeader(format);
    qint64 done = 0;
    qint64 afterId = 0;
    bool more = true;
    while (more) {
        if (progress && !progress(done, *total)) {
            file.cancelWriting();
            setError(error, kCancelledError);
            return false;
        }
        const std::optional<std::vector<EventRecord>> page = readPage(filter, afterId, kExportPageRecords, &reason);
        if (!page)
            return fail(reason);
        for (const EventRecord& record : *page)
            appendRecord(chunk, format, record);
        if (!writeAll(file, chunk))
            return fail(file.errorString());
        more = !page->empty();
        if (more) {
            done += qint64(page->size());
            afterId = page->back().id;
        }
    }
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

}  // namespace etcdscope
