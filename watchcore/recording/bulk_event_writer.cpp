#include "recording/bulk_event_writer.h"
#include "recording/store_sql.h"

#include <QByteArray>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QVariant>
#include <QtEndian>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace etcdscope {

namespace {

// SQLite: one prepared single-row INSERT, stepped per row with the bytes
// bound in place. Per row that is SQLite's own work only; ids are the
// connection's last rowid after each step.
class SqliteEventWriter final : public BulkEventWriter {
public:
    explicit SqliteEventWriter(sqlite3* db) : db_(db) {}
    ~SqliteEventWriter() override { sqlite3_finalize(insert_); }

    bool givesIds() const override { return true; }

    bool write(std::span<const EventRecord* const> rows, std::span<const qint64> storeIds, qint64* ids,
               QSqlError* error) override
    {
        if (!insert_) {
            const QByteArray sql = store_sql::kInsertEventSql.toUtf8();
            if (sqlite3_prepare_v3(db_, sql.constData(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &insert_,
                                   nullptr) != SQLITE_OK) {
                *error = lastError(QStringLiteral("Unable to prepare the insert"));
                sqlite3_finalize(insert_);
                insert_ = nullptr;
                return false;
            }
        }
        bool written = true;
        for (std::size_t i = 0; i < rows.size() && written; ++i) {
            bind(*rows[i], storeIds[i]);
            if (sqlite3_step(insert_) == SQLITE_DONE) {
                if (ids)
                    ids[i] = sqlite3_last_insert_rowid(db_);
            } else {
                *error = lastError(QStringLiteral("Unable to insert"));
                written = false;
            }
            sqlite3_reset(insert_);
        }
        sqlite3_clear_bindings(insert_);  // the bound bytes belong to the caller's records
        return written;
    }

private:
    void bindBytes(int parameter, const QByteArray& bytes)
    {
        // constData() is never null, so an empty key is an empty blob, not NULL.
        sqlite3_bind_blob(insert_, parameter, bytes.constData(), int(bytes.size()), SQLITE_STATIC);
    }

    void bind(const EventRecord& r, qint64 storeId)
    {
        int p = 1;  // kEventColumnNames' order
        sqlite3_bind_int64(insert_, p++, r.receivedMs);
        sqlite3_bind_int64(insert_, p++, storeId);
        sqlite3_bind_int64(insert_, p++, int(r.kind));
        bindBytes(p++, r.key);
        bindBytes(p++, r.value);
        if (r.hasPrevValue)
            bindBytes(p++, r.prevValue);
        else
            sqlite3_bind_null(insert_, p++);
        sqlite3_bind_int64(insert_, p++, r.modRevision);
        sqlite3_bind_int64(insert_, p++, r.createRevision);
        sqlite3_bind_int64(insert_, p++, r.version);
        sqlite3_bind_int64(insert_, p++, r.lease);
        sqlite3_bind_int64(insert_, p++, r.gapFrom);
        sqlite3_bind_int64(insert_, p++, r.gapTo);
        if (r.note.isNull()) {
            sqlite3_bind_null(insert_, p++);
        } else {
            const QByteArray note = r.note.toUtf8();
            sqlite3_bind_text(insert_, p++, note.constData(), int(note.size()), SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(insert_, p++, r.gapMayLackDeletesAt);
    }

    // In the shape Qt's driver gives (the database's words, its code as the
    // native code), so that store_sql::describe() reads both alike.
    QSqlError lastError(const QString& what) const
    {
        return QSqlError(what, QString::fromUtf8(sqlite3_errmsg(db_)), QSqlError::StatementError,
                         QString::number(sqlite3_extended_errcode(db_)));
    }

    sqlite3* db_;
    sqlite3_stmt* insert_ = nullptr;
};

// PostgreSQL: the rows as one binary COPY (no statement text, no escaping of
// bytes; the server neither parses nor plans per row). COPY cannot return
// the ids it gives.
class PostgresEventWriter final : public BulkEventWriter {
public:
    explicit PostgresEventWriter(PGconn* connection) : connection_(connection) {}

    bool givesIds() const override { return false; }

    bool write(std::span<const EventRecord* const> rows, std::span<const qint64> storeIds, qint64*,
               QSqlError* error) override
    {
        const QByteArray copy =
            QByteArrayLiteral("COPY events(") + store_sql::kEventColumnNames + ") FROM STDIN (FORMAT binary)";
        PGresult* started = PQexec(connection_, copy.constData());
        const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
        if (!copying)
            *error = errorOf(started);
        PQclear(started);
        if (!copying) {
            drainResults(nullptr);
            return false;
        }
        buffer_.clear();
        // Signature, flags, header extension length (PostgreSQL's COPY binary format).
        buffer_.append("PGCOPY\n\377\r\n\0", 11);
        appendInt32(0);
        appendInt32(0);
        bool sent = true;
        for (std::size_t i = 0; i < rows.size() && sent; ++i) {
            appendRow(*rows[i], storeIds[i]);
            if (buffer_.size() >= kSendBytes)
                sent = send();
        }
        appendInt16(-1);  // the end of the rows
        sent = sent && send();
        if (!sent)
            *error = connectionError();
        // An abort message makes the server refuse what it got, should the sending have failed half-way.
        if (PQputCopyEnd(connection_, sent ? nullptr : "etcdscope could not send every row") != 1 && sent) {
            *error = connectionError();
            sent = false;
        }
        return drainResults(sent ? error : nullptr) && sent;
    }

private:
    static constexpr qsizetype kSendBytes = 1 << 20;

    bool send()
    {
        const bool ok = PQputCopyData(connection_, buffer_.constData(), int(buffer_.size())) == 1;
        buffer_.clear();
        return ok;
    }

    // Reads the connection's results to the end, so that it is idle again
    // for Qt; the first failure goes into `error` (if not null).
    bool drainResults(QSqlError* error)
    {
        bool ok = true;
        while (PGresult* result = PQgetResult(connection_)) {
            if (PQresultStatus(result) != PGRES_COMMAND_OK && ok) {
                ok = false;
                if (error)
                    *error = errorOf(result);
            }
            PQclear(result);
        }
        return ok;
    }

    QSqlError errorOf(const PGresult* result) const
    {
        const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
        const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        if (!primary)
            return connectionError();
        return QSqlError(QStringLiteral("Unable to copy the rows"), QString::fromUtf8(primary),
                         QSqlError::StatementError, QString::fromLatin1(state ? state : ""));
    }

    QSqlError connectionError() const
    {
        return QSqlError(QStringLiteral("Unable to copy the rows"), QString::fromUtf8(PQerrorMessage(connection_)),
                         QSqlError::ConnectionError);
    }

    void appendInt16(qint16 value)
    {
        const qint16 big = qToBigEndian(value);
        buffer_.append(reinterpret_cast<const char*>(&big), sizeof big);
    }
    void appendInt32(qint32 value)
    {
        const qint32 big = qToBigEndian(value);
        buffer_.append(reinterpret_cast<const char*>(&big), sizeof big);
    }
    void appendBigint(qint64 value)
    {
        appendInt32(8);
        const qint64 big = qToBigEndian(value);
        buffer_.append(reinterpret_cast<const char*>(&big), sizeof big);
    }
    void appendBytes(const QByteArray& bytes)
    {
        appendInt32(qint32(bytes.size()));
        buffer_.append(bytes);
    }
    void appendNull() { appendInt32(-1); }

    void appendRow(const EventRecord& r, qint64 storeId)
    {
        appendInt16(14);  // kEventColumnNames, in order; every integer column is BIGINT there
        appendBigint(r.receivedMs);
        appendBigint(storeId);
        appendBigint(int(r.kind));
        appendBytes(r.key);
        appendBytes(r.value);
        if (r.hasPrevValue)
            appendBytes(r.prevValue);
        else
            appendNull();
        appendBigint(r.modRevision);
        appendBigint(r.createRevision);
        appendBigint(r.version);
        appendBigint(r.lease);
        appendBigint(r.gapFrom);
        appendBigint(r.gapTo);
        if (r.note.isNull())
            appendNull();
        else
            appendBytes(r.note.toUtf8());  // text in binary COPY: the client encoding's bytes (UTF-8 here)
        appendBigint(r.gapMayLackDeletesAt);
    }

    PGconn* connection_;
    QByteArray buffer_;
};

}  // namespace

std::unique_ptr<BulkEventWriter> BulkEventWriter::forConnection(const QSqlDatabase& db)
{
    // Debian's Qt SQL drivers link the system's libsqlite3 and libpq, the
    // libraries this is built with, so the handles are theirs.
    const QVariant handle = db.driver() ? db.driver()->handle() : QVariant();
    if (!handle.isValid())
        return nullptr;
    if (qstrcmp(handle.typeName(), "sqlite3*") == 0) {
        if (sqlite3* native = *static_cast<sqlite3* const*>(handle.constData()))
            return std::make_unique<SqliteEventWriter>(native);
    } else if (qstrcmp(handle.typeName(), "PGconn*") == 0 || qstrcmp(handle.typeName(), "pg_conn*") == 0) {
        // Qt 6 names libpq's connection by its struct (pg_conn), Qt 5 by its typedef.
        if (PGconn* native = *static_cast<PGconn* const*>(handle.constData()))
            return std::make_unique<PostgresEventWriter>(native);
    }
    return nullptr;
}

}  // namespace etcdscope
