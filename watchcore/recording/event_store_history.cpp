// The event store's recorded history: snapshots and the changes of a key
// range, read through the indexes of schema 2.
#include "recording/event_store.h"
#include "recording/store_sql.h"

#include <QDateTime>
#include <QLoggingCategory>

namespace etcdscope {

namespace {

using namespace store_sql;

Q_LOGGING_CATEGORY(lcHistory, "etcdscope.store.history", QtInfoMsg)

const auto kInsertSnapshotSql =
    QStringLiteral("INSERT INTO snapshots(watch, revision, taken_ms, key_count) VALUES(?, ?, ?, ?)");
const auto kSetSnapshotKeysSql = QStringLiteral("UPDATE snapshots SET key_count = ? WHERE id = ?");
const auto kInsertSnapshotKeySql = QStringLiteral(
    "INSERT INTO snapshot_keys(snapshot, key, value, mod_revision, create_revision, version, lease)"
    " VALUES(?, ?, ?, ?, ?, ?, ?)");
const auto kSelectSnapshotsSql = QStringLiteral(
    "SELECT id, watch, revision, taken_ms, key_count FROM snapshots WHERE watch = ? ORDER BY revision, id");
// Columns read back by keyFromRow().
const auto kSnapshotKeyColumns = QStringLiteral("key, value, mod_revision, create_revision, version, lease");

KeyValue keyFromRow(const QSqlQuery& row)
{
    KeyValue kv;
    kv.key = row.value(0).toByteArray().toStdString();
    kv.value = row.value(1).toByteArray().toStdString();
    kv.modRevision = row.value(2).toLongLong();
    kv.createRevision = row.value(3).toLongLong();
    kv.version = row.value(4).toLongLong();
    kv.lease = row.value(5).toLongLong();
    return kv;
}

// Runs a prepared select and turns each row into a T; nullopt (with
// `error`) on a database error, told apart from the last row.
template <typename T, typename FromRow>
std::optional<std::vector<T>> selectAll(QSqlQuery* select, const QVariantList& values, FromRow fromRow,
                                        QString* error)
{
    if (!select) {
        setError(error, QStringLiteral("the query does not prepare"));
        return std::nullopt;
    }
    bindAll(*select, values);
    if (!select->exec()) {
        setError(error, describe(select->lastError()));
        return std::nullopt;
    }
    std::vector<T> rows;
    while (select->next())
        rows.push_back(fromRow(*select));
    const bool failed = select->lastError().isValid();
    if (failed)
        setError(error, describe(select->lastError()));
    select->finish();  // ends the read transaction, or WAL checkpoints would wait for it
    if (failed)
        return std::nullopt;
    return rows;
}

}  // namespace

qint64 EventStore::insertSnapshotRow(qint64 storeId, qint64 revision, qint64 keyCount, QString* reason)
{
    QSqlQuery* insert = statement(returningId(kInsertSnapshotSql));
    if (!insert) {
        *reason = QStringLiteral("the insert does not prepare");
        return 0;
    }
    bindAll(*insert, {QVariant(storeId), QVariant(revision), QVariant(QDateTime::currentMSecsSinceEpoch()),
                      QVariant(keyCount)});
    const qint64 id = insert->exec() ? insertedId(*insert) : 0;
    if (id == 0)
        *reason = describe(insert->lastError());
    return id;
}

bool EventStore::insertSnapshotKeys(qint64 snapshotId, const std::vector<KeyValue>& keys, QString* reason)
{
    QSqlQuery* insert = statement(kInsertSnapshotKeySql);
    if (!insert) {
        *reason = QStringLiteral("the insert does not prepare");
        return false;
    }
    for (const KeyValue& kv : keys) {
        bindAll(*insert, {QVariant(snapshotId), blob(kv.key), blob(kv.value), QVariant(qint64(kv.modRevision)),
                          QVariant(qint64(kv.createRevision)), QVariant(qint64(kv.version)),
                          QVariant(qint64(kv.lease))});
        if (!insert->exec()) {
            *reason = describe(insert->lastError());
            m_statements.erase(kInsertSnapshotKeySql);  // prepare anew next time
            return false;
        }
    }
    return true;
}

bool EventStore::addSnapshot(qint64 storeId, qint64 revision,
                             const std::function<std::optional<std::vector<KeyValue>>(QString* error)>& nextPage,
                             QString* error, qint64* keys)
{
    QString reason;
    const auto fail = [&] {
        if (!m_db.rollback())
            qCDebug(lcHistory) << "rollback after a failed snapshot:" << describe(m_db.lastError());
        qCWarning(lcHistory) << "snapshot of watch" << storeId << "at revision" << revision << "failed:" << reason;
        setError(error, QStringLiteral("Could not keep the snapshot at revision %1: %2.").arg(revision).arg(reason));
        return false;
    };
    if (!m_db.transaction()) {
        reason = describe(m_db.lastError());
        setError(error, QStringLiteral("Could not keep the snapshot at revision %1: %2.").arg(revision).arg(reason));
        return false;
    }
    // The key count is known at the end: set then, in the same transaction.
    const qint64 snapshotId = insertSnapshotRow(storeId, revision, 0, &reason);
    if (snapshotId == 0)
        return fail();
    qint64 stored = 0;
    for (;;) {
        std::optional<std::vector<KeyValue>> page = nextPage(&reason);
        if (!page || !insertSnapshotKeys(snapshotId, *page, &reason))
            return fail();
        if (page->empty())
            break;
        stored += qint64(page->size());
    }
    QSqlQuery* setKeys = statement(kSetSnapshotKeysSql);
    if (!setKeys) {
        reason = QStringLiteral("the update does not prepare");
        return fail();
    }
    bindAll(*setKeys, {QVariant(stored), QVariant(snapshotId)});
    if (!setKeys->exec()) {
        reason = describe(setKeys->lastError());
        return fail();
    }
    if (!m_db.commit()) {
        reason = describe(m_db.lastError());
        return fail();
    }
    if (keys)
        *keys = stored;
    return true;
}

std::optional<std::vector<SnapshotInfo>> EventStore::snapshots(qint64 storeId, QString* error) const
{
    return selectAll<SnapshotInfo>(statement(kSelectSnapshotsSql), {QVariant(storeId)},
                                   [](const QSqlQuery& row) {
                                       SnapshotInfo s;
                                       s.id = row.value(0).toLongLong();
                                       s.watch = row.value(1).toLongLong();
                                       s.revision = row.value(2).toLongLong();
                                       s.takenMs = row.value(3).toLongLong();
                                       s.keys = row.value(4).toLongLong();
                                       return s;
                                   },
                                   error);
}

std::optional<std::vector<KeyValue>> EventStore::snapshotKeys(qint64 snapshotId, const WatchSpec& range,
                                                              const std::string& afterKey, int limit,
                                                              QString* error) const
{
    Conditions where;
    where.sql << QStringLiteral("snapshot = ?");
    where.values << QVariant(snapshotId);
    addKeyRange(where, QStringLiteral("key"), range);
    where.sql << QStringLiteral("key > ?");
    where.values << blob(afterKey) << QVariant(limit);
    const QString sql = QStringLiteral("SELECT ") + kSnapshotKeyColumns + QStringLiteral(" FROM snapshot_keys")
        + whereClause(where.sql) + QStringLiteral(" ORDER BY key LIMIT ?");
    return selectAll<KeyValue>(statement(sql), where.values, keyFromRow, error);
}

std::optional<std::vector<KeyValue>> EventStore::snapshotVersions(const WatchSpec& range, const std::string& afterKey,
                                                                  int limit, QString* error) const
{
    Conditions where;
    addKeyRange(where, QStringLiteral("key"), range);
    where.sql << QStringLiteral("key > ?");
    where.values << blob(afterKey);
    // Whole keys per page: a page ends at a key boundary, so `afterKey` resumes exactly.
    const QString keysSql = QStringLiteral("SELECT DISTINCT key FROM snapshot_keys") + whereClause(where.sql)
        + QStringLiteral(" ORDER BY key LIMIT ?");
    where.values << QVariant(limit);
    // One version of a key is the same in every snapshot that holds it.
    const QString sql = QStringLiteral("SELECT DISTINCT ") + kSnapshotKeyColumns
        + QStringLiteral(" FROM snapshot_keys WHERE key IN (") + keysSql
        + QStringLiteral(") ORDER BY key, mod_revision");
    return selectAll<KeyValue>(statement(sql), where.values, keyFromRow, error);
}

std::optional<std::vector<EventRecord>> EventStore::changes(const WatchSpec& range, qint64 storeId,
                                                            qint64 sinceRevision, qint64 untilRevision,
                                                            ChangeCursor after, int limit, QString* error) const
{
    Conditions where;
    where.sql << QStringLiteral("kind IN (%1, %2)").arg(int(RecordKind::Put)).arg(int(RecordKind::Delete));
    addKeyRange(where, QStringLiteral("key"), range);
    if (storeId != 0) {
        // "+watch": not a term SQLite may use an index for, so that it reads
        // the key range through events_by_key rather than all of the watch's
        // events through events_by_watch (the same value in PostgreSQL).
        where.sql << QStringLiteral("+watch = ?");
        where.values << QVariant(storeId);
    }
    // The same for the revision bounds: a wide window through
    // events_by_mod_revision reads every key's events.
    if (sinceRevision > 0) {
        where.sql << QStringLiteral("+mod_revision >= ?");
        where.values << QVariant(sinceRevision);
    }
    if (untilRevision > 0) {
        where.sql << QStringLiteral("+mod_revision <= ?");
        where.values << QVariant(untilRevision);
    }
    where.sql << QStringLiteral("(mod_revision > ? OR (mod_revision = ? AND id > ?))");
    where.values << QVariant(after.modRevision) << QVariant(after.modRevision) << QVariant(after.id)
                 << QVariant(limit);
    const QString sql =
        kSelectRecordsSql + whereClause(where.sql) + QStringLiteral(" ORDER BY mod_revision, id LIMIT ?");
    return selectAll<EventRecord>(statement(sql), where.values, recordFromRow, error);
}

std::optional<std::vector<EventRecord>> EventStore::latestPerKey(const WatchSpec& range, qint64 storeId,
                                                                 qint64 sinceRevision, qint64 untilRevision,
                                                                 QString* error) const
{
    // The newest version of one key: a backwards seek on events_by_key.
    Conditions newest;
    newest.sql << QStringLiteral("key = ?")
               << QStringLiteral("kind IN (%1, %2)").arg(int(RecordKind::Put)).arg(int(RecordKind::Delete));
    if (storeId != 0)
        newest.sql << QStringLiteral("+watch = ?");
    if (sinceRevision > 0)
        newest.sql << QStringLiteral("mod_revision >= ?");
    if (untilRevision > 0)
        newest.sql << QStringLiteral("mod_revision <= ?");
    QSqlQuery* newestQuery =
        statement(kSelectRecordsSql + whereClause(newest.sql) + QStringLiteral(" ORDER BY mod_revision DESC, id DESC LIMIT 1"));
    const auto newestOf = [&](const std::string& key) -> std::optional<std::vector<EventRecord>> {
        QVariantList values{blob(key)};
        if (storeId != 0)
            values << QVariant(storeId);
        if (sinceRevision > 0)
            values << QVariant(sinceRevision);
        if (untilRevision > 0)
            values << QVariant(untilRevision);
        return selectAll<EventRecord>(newestQuery, values, recordFromRow, error);
    };
    std::vector<EventRecord> result;
    if (range.rangeEnd.empty()) {
        auto one = newestOf(range.key);
        if (!one)
            return std::nullopt;
        return std::move(*one);
    }
    // The next key of the range after `after` (a loose index scan: one seek a key).
    Conditions next;
    next.sql << QStringLiteral("key > ?");
    if (range.rangeEnd != std::string(1, '\0'))
        next.sql << QStringLiteral("key < ?");
    QSqlQuery* nextQuery =
        statement(QStringLiteral("SELECT key FROM events") + whereClause(next.sql) + QStringLiteral(" ORDER BY key LIMIT 1"));
    // Keys of the range start at range.key itself: look at it first, then step past each key found.
    std::optional<std::string> key = range.key;
    while (key) {
        auto found = newestOf(*key);
        if (!found)
            return std::nullopt;
        for (EventRecord& r : *found)
            result.push_back(std::move(r));
        QVariantList values{blob(*key)};
        if (range.rangeEnd != std::string(1, '\0'))
            values << blob(range.rangeEnd);
        const auto following = selectAll<std::string>(
            nextQuery, values, [](const QSqlQuery& row) { return row.value(0).toByteArray().toStdString(); }, error);
        if (!following)
            return std::nullopt;
        key = following->empty() ? std::nullopt : std::optional<std::string>(following->front());
    }
    return result;
}

std::optional<std::optional<EventRecord>> EventStore::versionBefore(const std::string& key, qint64 belowRevision,
                                                                    QString* error) const
{
    const QString sql = kSelectRecordsSql
        + QStringLiteral(" WHERE key = ? AND kind IN (%1, %2) AND mod_revision < ? ORDER BY mod_revision DESC, id DESC"
                         " LIMIT 1")
              .arg(int(RecordKind::Put))
              .arg(int(RecordKind::Delete));
    const auto found = selectAll<EventRecord>(statement(sql), {blob(key), QVariant(belowRevision)}, recordFromRow, error);
    if (!found)
        return std::nullopt;
    return found->empty() ? std::optional<EventRecord>() : std::optional<EventRecord>(found->front());
}

std::optional<std::vector<EventRecord>> EventStore::gaps(qint64 storeId, QString* error) const
{
    const QString sql = kSelectRecordsSql + QStringLiteral(" WHERE watch = ? AND kind = %1 ORDER BY id")
                                                .arg(int(RecordKind::Gap));
    return selectAll<EventRecord>(statement(sql), {QVariant(storeId)}, recordFromRow, error);
}

}  // namespace etcdscope
