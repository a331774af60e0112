// The event log's file formats: JSONL (exactly etcdscope-cli's lines, so
// either can read the other's) and CSV (RFC 4180, one header line), written
// record by record into a buffer; and the JSONL reader for logs opened later.
#pragma once

#include "format/event_record.h"

#include <QByteArray>
#include <QString>

#include <string>
#include <string_view>
#include <vector>

namespace etcdscope {

enum class ExportFormat { Jsonl, Csv };

// What a file of `format` starts with (CSV's header line; nothing for JSONL).
std::string_view exportHeader(ExportFormat format);
// Appends one record in `format`. JSONL has no notes: they are left out
// (the "watch" number is whatever the record holds, e.g. a storeId).
void appendRecord(std::string& out, ExportFormat format, const EventRecord& record);

// One JSONL line as a record; false with the reason ("\"key\" is missing").
bool parseJsonlRecord(const QByteArray& line, EventRecord* record, QString* reason);
// Reads a JSONL log written by an export or etcdscope-cli into records for
// offline viewing (ids and arrival times are 0: the file has none). A
// malformed line gives an empty result and an error naming the line.
std::vector<EventRecord> readJsonlFile(const QString& path, QString* error);

}  // namespace etcdscope
