// Small SQL helpers shared by the event store's source files; not part of
// the store's interface.
#pragma once

#include "engine/watch_types.h"
#include "format/event_record.h"

#include <QByteArray>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QVariantList>

#include <string>

namespace etcdscope::store_sql {

inline void setError(QString* error, const QString& text)
{
    if (error)
        *error = text;
}

// The database's own words ("disk I/O error", "database or disk is full")
// without Qt's "Unable to fetch row" suffix; they read well inside a sentence.
// Only the first line: libpq adds generic advice on the next ones.
inline QString describe(const QSqlError& error)
{
    QString text = error.databaseText().trimmed();
    if (text.isEmpty())
        text = error.text().trimmed();
    text = text.section(QLatin1Char('\n'), 0, 0).trimmed();
    if (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    if (text.isEmpty())
        return QStringLiteral("unknown database error");
    // What a write past a full disk gives: SQLite's I/O error (its "full" error says so itself; a failed
    // commit carries no code, only the text) and PostgreSQL's disk_full (53100).
    if (text == QLatin1String("disk I/O error"))
        text += QStringLiteral(" (is the log's disk full, or its file-size limit reached?)");
    else if (error.nativeErrorCode() == QLatin1String("53100"))
        text += QStringLiteral(" (the database server's disk is full)");
    return text;
}

// Qt binds a null QByteArray as SQL NULL, but an empty key or value is still
// a value (and an empty previous value is not "no previous value").
inline QVariant blob(const QByteArray& bytes)
{
    return bytes.isNull() ? QVariant(QByteArray("", 0)) : QVariant(bytes);
}

inline QVariant blob(const std::string& bytes) { return blob(QByteArray::fromStdString(bytes)); }

inline QVariant sqlNull() { return QVariant(QMetaType::fromType<QByteArray>()); }

inline void bindAll(QSqlQuery& query, const QVariantList& values)
{
    for (int i = 0; i < values.size(); ++i)
        query.bindValue(i, values.at(i));
}

// SQL conditions and their parameters, in order.
struct Conditions {
    QStringList sql;
    QVariantList values;
};

// `column` inside the key range of `range` (etcd's rules: no range end, one
// key; "\0", every key from it). Keys are BLOBs, compared byte by byte as
// etcd compares them.
inline void addKeyRange(Conditions& where, const QString& column, const WatchSpec& range)
{
    if (range.rangeEnd.empty()) {
        where.sql << column + QStringLiteral(" = ?");
        where.values << blob(range.key);
        return;
    }
    where.sql << column + QStringLiteral(" >= ?");
    where.values << blob(range.key);
    if (range.rangeEnd != std::string(1, '\0')) {
        where.sql << column + QStringLiteral(" < ?");
        where.values << blob(range.rangeEnd);
    }
}

inline QString whereClause(const QStringList& conditions)
{
    return conditions.isEmpty() ? QString() : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
}

// An event row's columns as written, in the order bindRecord() binds them
// (and the bulk writer sends them).
inline constexpr char kEventColumnNames[] =
    "received_ms, watch, kind, key, value, prev_value, mod_revision,"
    " create_revision, version, lease, gap_from, gap_to, note, gap_may_lack_deletes_at";
inline constexpr int kEventColumns = 14;
inline const QString kInsertEventSql =
    QStringLiteral("INSERT INTO events(%1) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .arg(QLatin1String(kEventColumnNames));

// Binds in kInsertEventSql's column order from `parameter` on, filed under
// `storeId`.
inline void bindRecord(QSqlQuery& insert, int parameter, const EventRecord& record, qint64 storeId)
{
    insert.bindValue(parameter++, record.receivedMs);
    insert.bindValue(parameter++, storeId);
    insert.bindValue(parameter++, int(record.kind));
    insert.bindValue(parameter++, blob(record.key));
    insert.bindValue(parameter++, blob(record.value));
    insert.bindValue(parameter++, record.hasPrevValue ? blob(record.prevValue) : sqlNull());
    insert.bindValue(parameter++, record.modRevision);
    insert.bindValue(parameter++, record.createRevision);
    insert.bindValue(parameter++, record.version);
    insert.bindValue(parameter++, record.lease);
    insert.bindValue(parameter++, record.gapFrom);
    insert.bindValue(parameter++, record.gapTo);
    insert.bindValue(parameter++, record.note);
    insert.bindValue(parameter++, record.gapMayLackDeletesAt);
}

// Columns read back by recordFromRow(), in RecordColumn order.
inline const auto kSelectRecordsSql = QStringLiteral(
    "SELECT id, received_ms, watch, kind, key, value, prev_value, prev_value IS NOT NULL,"
    " mod_revision, create_revision, version, lease, gap_from, gap_to, note,"
    " gap_may_lack_deletes_at FROM events");
enum RecordColumn : int {
    RecordId, RecordReceived, RecordWatch, RecordKindColumn, RecordKey, RecordValue, RecordPrevValue,
    RecordHasPrevValue, RecordModRevision, RecordCreateRevision, RecordVersion, RecordLease,
    RecordGapFrom, RecordGapTo, RecordNote, RecordGapMayLackDeletesAt,
};

inline RecordKind kindFromColumn(int value)
{
    const bool known = value >= int(RecordKind::Put) && value <= int(RecordKind::Note);
    return known ? RecordKind(value) : RecordKind::Note;
}

inline EventRecord recordFromRow(const QSqlQuery& row)
{
    EventRecord r;
    r.id = row.value(RecordId).toLongLong();
    r.receivedMs = row.value(RecordReceived).toLongLong();
    r.watch = row.value(RecordWatch).toLongLong();
    r.kind = kindFromColumn(row.value(RecordKindColumn).toInt());
    r.key = row.value(RecordKey).toByteArray();
    r.value = row.value(RecordValue).toByteArray();
    // Asked of SQLite: Qt reads a zero-length BLOB back as a null QByteArray.
    r.hasPrevValue = row.value(RecordHasPrevValue).toBool();
    if (r.hasPrevValue)
        r.prevValue = row.value(RecordPrevValue).toByteArray();
    r.modRevision = row.value(RecordModRevision).toLongLong();
    r.createRevision = row.value(RecordCreateRevision).toLongLong();
    r.version = row.value(RecordVersion).toLongLong();
    r.lease = row.value(RecordLease).toLongLong();
    r.gapFrom = row.value(RecordGapFrom).toLongLong();
    r.gapTo = row.value(RecordGapTo).toLongLong();
    r.note = row.value(RecordNote).toString();
    r.gapMayLackDeletesAt = row.value(RecordGapMayLackDeletesAt).toLongLong();
    return r;
}

}  // namespace etcdscope::store_sql
