// The event store's retention: what to keep by age or size, pruning a
// watch's old events into one snapshot (so what is kept stays answerable),
// and giving the space back.
#include "recording/event_store.h"
#include "recording/store_sql.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <cmath>

namespace etcdscope {

namespace {

using namespace store_sql;

Q_LOGGING_CATEGORY(lcRetention, "etcdscope.store.retention", QtInfoMsg)

// Runs `sql` with `values` and gives the first column of its first row
// (nullopt, and `error`, on a database error; `empty` when there is no row).
std::optional<QVariant> scalar(QSqlQuery* query, const QVariantList& values, QString* error, QVariant empty = {})
{
    if (!query) {
        setError(error, QStringLiteral("the query does not prepare"));
        return std::nullopt;
    }
    bindAll(*query, values);
    if (!query->exec()) {
        setError(error, describe(query->lastError()));
        return std::nullopt;
    }
    QVariant value = query->next() ? query->value(0) : empty;
    query->finish();
    return value;
}

}  // namespace

std::optional<qint64> EventStore::sizeOnDisk(QString* error) const
{
    if (m_postgres) {
        const auto bytes = scalar(statement(QStringLiteral("SELECT pg_database_size(current_database())")), {}, error);
        return bytes ? std::optional<qint64>(bytes->toLongLong()) : std::nullopt;
    }
    const auto pages = scalar(statement(QStringLiteral("PRAGMA page_count")), {}, error);
    const auto pageSize = scalar(statement(QStringLiteral("PRAGMA page_size")), {}, error);
    if (!pages || !pageSize)
        return std::nullopt;
    return pages->toLongLong() * pageSize->toLongLong();
}

std::optional<qint64> EventStore::lastRevisionReceivedBefore(qint64 receivedMs, QString* error) const
{
    const auto revision = scalar(statement(QStringLiteral(
                                     "SELECT max(mod_revision) FROM events WHERE kind IN (0, 1) AND received_ms < ?")),
                                 {QVariant(receivedMs)}, error, QVariant(qint64(0)));
    return revision ? std::optional<qint64>(revision->toLongLong()) : std::nullopt;
}

std::optional<qint64> EventStore::firstRevisionReceivedFrom(qint64 receivedMs, QString* error) const
{
    const auto revision = scalar(statement(QStringLiteral(
                                     "SELECT min(mod_revision) FROM events WHERE kind IN (0, 1) AND received_ms >= ?")),
                                 {QVariant(receivedMs)}, error, QVariant(qint64(0)));
    return revision ? std::optional<qint64>(revision->toLongLong()) : std::nullopt;
}

std::optional<qint64> EventStore::revisionToFit(qint64 maxBytes, QString* error) const
{
    const auto bytes = sizeOnDisk(error);
    if (!bytes)
        return std::nullopt;
    if (*bytes <= maxBytes)
        return qint64(0);
    const auto events = scalar(statement(QStringLiteral("SELECT count(*) FROM events WHERE kind IN (0, 1)")), {},
                               error);
    if (!events)
        return std::nullopt;
    // The oldest share of the events that is over the limit (the snapshot and
    // the indexes shrink with them).
    const double over = 1.0 - double(maxBytes) / double(*bytes);
    const qint64 drop = std::max<qint64>(1, qint64(std::ceil(over * double(events->toLongLong()))));
    const auto revision = scalar(statement(QStringLiteral("SELECT mod_revision FROM events WHERE kind IN (0, 1)"
                                                          " ORDER BY mod_revision LIMIT 1 OFFSET ?")),
                                 {QVariant(drop - 1)}, error, QVariant(qint64(0)));
    return revision ? std::optional<qint64>(revision->toLongLong()) : std::nullopt;
}

bool EventStore::pruneWatch(qint64 storeId, qint64 revision, const std::optional<std::vector<KeyValue>>& state,
                            QString* error)
{
    QString reason;
    const auto fail = [&] {
        if (!m_db.rollback())
            qCDebug(lcRetention) << "rollback after a failed prune:" << describe(m_db.lastError());
        setError(error, QStringLiteral("Could not prune the log below revision %1: %2.").arg(revision).arg(reason));
        return false;
    };
    if (!m_db.transaction()) {
        reason = describe(m_db.lastError());
        setError(error, QStringLiteral("Could not prune the log below revision %1: %2.").arg(revision).arg(reason));
        return false;
    }
    qint64 snapshotId = 0;
    if (state) {
        snapshotId = insertSnapshotRow(storeId, revision, qint64(state->size()), &reason);
        if (snapshotId == 0 || !insertSnapshotKeys(snapshotId, *state, &reason))
            return fail();
    }
    // What the new snapshot (or nothing, when the state was not known) replaces.
    const QStringList deletes{
        QStringLiteral("DELETE FROM events WHERE watch = ? AND kind <> 2 AND mod_revision <= ?"),
        QStringLiteral("DELETE FROM events WHERE watch = ? AND kind = 2 AND gap_to <= ?"),
        QStringLiteral("DELETE FROM snapshot_keys WHERE snapshot IN"
                       " (SELECT id FROM snapshots WHERE watch = ? AND revision <= ? AND id <> ?)"),
        QStringLiteral("DELETE FROM snapshots WHERE watch = ? AND revision <= ? AND id <> ?"),
    };
    for (const QString& sql : deletes) {
        QSqlQuery* query = statement(sql);
        QVariantList values{QVariant(storeId), QVariant(revision)};
        if (sql.contains(QLatin1String("id <> ?")))
            values << QVariant(snapshotId);
        if (!query) {
            reason = QStringLiteral("the statements do not prepare");
            return fail();
        }
        bindAll(*query, values);
        if (!query->exec()) {
            reason = describe(query->lastError());
            return fail();
        }
    }
    // The pruned revisions are a gap of the history from now on, as compacted ones are.
    EventRecord gap;
    gap.receivedMs = QDateTime::currentMSecsSinceEpoch();
    gap.kind = RecordKind::Gap;
    gap.gapFrom = 1;
    gap.gapTo = revision;
    gap.modRevision = revision;
    gap.note = QStringLiteral("pruned from the log");
    QSqlQuery* insertGap = statement(returningId(kInsertEventSql));
    if (!insertGap) {
        reason = QStringLiteral("the insert does not prepare");
        return fail();
    }
    bindRecord(*insertGap, 0, gap, storeId);
    if (!insertGap->exec()) {
        reason = describe(insertGap->lastError());
        return fail();
    }
    insertGap->finish();
    if (!m_db.commit()) {
        reason = describe(m_db.lastError());
        return fail();
    }
    qCInfo(lcRetention) << "watch" << storeId << "pruned up to revision" << revision;
    return true;
}

bool EventStore::giveSpaceBack(QString* error)
{
    QSqlQuery query(m_db);
    // SQLite: the file rewritten without its free pages (needs room for a
    // copy). PostgreSQL: the space freed for the tables to reuse.
    const bool done = m_postgres ? query.exec(QStringLiteral("VACUUM events, snapshot_keys, snapshots"))
                                 : query.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")) &&
                                       query.exec(QStringLiteral("VACUUM"));
    if (!done)
        setError(error, QStringLiteral("Could not give the space back: %1.").arg(describe(query.lastError())));
    return done;
}

}  // namespace etcdscope
