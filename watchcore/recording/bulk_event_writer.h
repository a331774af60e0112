// Event rows written through each engine's own bulk interface, on the
// connection Qt SQL opened. The recorder's hot path: through QSqlQuery every
// value passes a QVariant and a placeholder name, and PostgreSQL gets every
// byte of a value as text inside the statement (docs/PERFORMANCE.md, issue 15).
#pragma once

#include "format/event_record.h"

#include <QSqlError>
#include <QtGlobal>

#include <memory>
#include <span>

class QSqlDatabase;

namespace etcdscope {

class BulkEventWriter {
public:
    virtual ~BulkEventWriter() = default;

    // The writer for `db`'s engine (QSQLITE or QPSQL), or nullptr when the
    // driver's native handle is not the library this was built with (then
    // the store keeps to Qt's statements).
    static std::unique_ptr<BulkEventWriter> forConnection(const QSqlDatabase& db);

    // Whether write() can give each row's id (PostgreSQL's COPY cannot).
    virtual bool givesIds() const = 0;

    // Appends rows[i] filed under the watch storeIds[i], in order, inside the
    // caller's transaction; ids (givesIds() only, else null) gets each row's
    // id. On failure `error` holds the database's own words and nothing
    // of this call is to be kept (the caller rolls back).
    virtual bool write(std::span<const EventRecord* const> rows, std::span<const qint64> storeIds, qint64* ids,
                       QSqlError* error) = 0;
};

}  // namespace etcdscope
