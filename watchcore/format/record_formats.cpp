#include "format/record_formats.h"

#include "format/event_format.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

namespace etcdscope {

namespace {

void appendJsonlRecord(std::string& out, const EventRecord& record)
{
    switch (record.kind) {
    case RecordKind::Put:
    case RecordKind::Delete:
        appendEventJson(out, record.watch, toWatchEvent(record));
        break;
    case RecordKind::Gap:
        appendGapJson(out, record.watch, record.gapFrom, record.gapTo, record.gapMayLackDeletesAt);
        break;
    case RecordKind::Note:
        break;  // the CLI's format has no notes; a reader would reject them
    }
}

constexpr std::string_view kCsvHeader =
    "id,received,watch,type,key,value,prev_value,mod_revision,create_revision,version,lease,gap_from,gap_to,"
    "gap_may_lack_deletes_at\r\n";
constexpr std::string_view kCsvBase64Prefix = "base64:";
constexpr std::string_view kCsvCharsNeedingQuotes = ",\"\r\n";

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
void appendCsvText(std::string& out, std::string_view text)
{
    if (text.find_first_of(kCsvCharsNeedingQuotes) == std::string_view::npos) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

// Bytes that are not UTF-8 become "base64:<base64>". Text that itself starts
// with that prefix is encoded too, so a reader can always decode the prefix.
void appendCsvBytes(std::string& out, const QByteArray& bytes)
{
    const std::string_view view(bytes.constData(), std::size_t(bytes.size()));
    if (isValidUtf8(view) && !view.starts_with(kCsvBase64Prefix)) {
        appendCsvText(out, view);
        return;
    }
    out += kCsvBase64Prefix;
    appendBase64(out, view);
}

void appendCsvNumber(std::string& out, qint64 value) { out += std::to_string(value); }

std::string isoUtc(qint64 msSinceEpoch)
{
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODateWithMs).toStdString();
}

// Column order is kCsvHeader's. A note's text goes in the value column.
void appendCsvRecord(std::string& out, const EventRecord& r)
{
    appendCsvNumber(out, r.id);
    out += ',';
    out += isoUtc(r.receivedMs);
    out += ',';
    appendCsvNumber(out, r.watch);
    out += ',';
    out += recordKindName(r.kind);
    out += ',';
    appendCsvBytes(out, r.key);
    out += ',';
    appendCsvBytes(out, r.kind == RecordKind::Note ? r.note.toUtf8() : r.value);
    out += ',';
    if (r.hasPrevValue)
        appendCsvBytes(out, r.prevValue);
    for (qint64 number : {r.modRevision, r.createRevision, r.version, r.lease}) {
        out += ',';
        appendCsvNumber(out, number);
    }
    out += ',';
    if (r.kind == RecordKind::Gap)
        appendCsvNumber(out, r.gapFrom);
    out += ',';
    if (r.kind == RecordKind::Gap)
        appendCsvNumber(out, r.gapTo);
    out += ',';
    if (r.kind == RecordKind::Gap && r.gapMayLackDeletesAt != 0)
        appendCsvNumber(out, r.gapMayLackDeletesAt);
    out += "\r\n";
}

enum class Field { Absent, Present, Invalid };

// `name` as UTF-8 text, or `name`_b64 as base64, as appendEventJson writes them.
Field readBytes(const QJsonObject& object, const QString& name, QByteArray* out, QString* reason)
{
    const QJsonValue text = object.value(name);
    if (!text.isUndefined()) {
        if (!text.isString()) {
            *reason = QStringLiteral("\"%1\" is not a string").arg(name);
            return Field::Invalid;
        }
        *out = text.toString().toUtf8();
        return Field::Present;
    }
    const QString encodedName = name + QStringLiteral("_b64");
    const QJsonValue encoded = object.value(encodedName);
    if (encoded.isUndefined())
        return Field::Absent;
    auto decoded = QByteArray::fromBase64Encoding(encoded.toString().toLatin1(),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (!encoded.isString() || !decoded) {
        *reason = QStringLiteral("\"%1\" is not base64").arg(encodedName);
        return Field::Invalid;
    }
    *out = std::move(decoded.decoded);
    return Field::Present;
}

// An integer field; absent ones are 0 unless `required`.
bool readInteger(const QJsonObject& object, const QString& name, bool required, qint64* out, QString* reason)
{
    const QJsonValue value = object.value(name);
    if (value.isUndefined()) {
        if (required)
            *reason = QStringLiteral("\"%1\" is missing").arg(name);
        return !required;
    }
    const qint64 integer = value.toInteger();
    if (!value.isDouble() || double(integer) != value.toDouble()) {
        *reason = QStringLiteral("\"%1\" is not an integer").arg(name);
        return false;
    }
    *out = integer;
    return true;
}

bool readGap(const QJsonObject& object, EventRecord* record, QString* reason)
{
    record->kind = RecordKind::Gap;
    if (!readInteger(object, QStringLiteral("from_revision"), true, &record->gapFrom, reason)
        || !readInteger(object, QStringLiteral("to_revision"), true, &record->gapTo, reason)
        || !readInteger(object, QStringLiteral("may_lack_deletes_at"), false, &record->gapMayLackDeletesAt, reason))
        return false;
    record->modRevision = record->gapTo;  // as recordsFromUpdates() files a gap
    return true;
}

bool readEvent(const QJsonObject& object, RecordKind kind, EventRecord* record, QString* reason)
{
    record->kind = kind;
    const Field key = readBytes(object, QStringLiteral("key"), &record->key, reason);
    if (key == Field::Absent)
        *reason = QStringLiteral("\"key\" is missing");
    if (key != Field::Present)
        return false;
    if (readBytes(object, QStringLiteral("value"), &record->value, reason) == Field::Invalid)
        return false;
    const Field prev = readBytes(object, QStringLiteral("prev_value"), &record->prevValue, reason);
    if (prev == Field::Invalid)
        return false;
    record->hasPrevValue = prev == Field::Present;
    return readInteger(object, QStringLiteral("mod_revision"), true, &record->modRevision, reason)
        && readInteger(object, QStringLiteral("create_revision"), false, &record->createRevision, reason)
        && readInteger(object, QStringLiteral("version"), false, &record->version, reason)
        && readInteger(object, QStringLiteral("lease"), false, &record->lease, reason);
}

}  // namespace

bool parseJsonlRecord(const QByteArray& line, EventRecord* record, QString* reason)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *reason = parseError.errorString();
        return false;
    }
    if (!document.isObject()) {
        *reason = QStringLiteral("it is not a JSON object");
        return false;
    }
    const QJsonObject object = document.object();
    qint64 watch = 0;
    if (!readInteger(object, QStringLiteral("watch"), true, &watch, reason))
        return false;
    record->watch = watch;
    const QString type = object.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("PUT"))
        return readEvent(object, RecordKind::Put, record, reason);
    if (type == QLatin1String("DELETE"))
        return readEvent(object, RecordKind::Delete, record, reason);
    if (type == QLatin1String("GAP"))
        return readGap(object, record, reason);
    *reason = QStringLiteral("unknown type \"%1\"").arg(type);
    return false;
}

std::string_view exportHeader(ExportFormat format)
{
    return format == ExportFormat::Csv ? kCsvHeader : std::string_view();
}

void appendRecord(std::string& out, ExportFormat format, const EventRecord& record)
{
    if (format == ExportFormat::Jsonl)
        appendJsonlRecord(out, record);
    else
        appendCsvRecord(out, record);
}

std::vector<EventRecord> readJsonlFile(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("Could not open %1: %2.").arg(path, file.errorString());
        return {};
    }
    const QString fileName = QFileInfo(path).fileName();
    std::vector<EventRecord> records;
    qint64 lineNumber = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        ++lineNumber;
        if (line.isEmpty())
            continue;
        EventRecord record;
        QString reason;
        if (!parseJsonlRecord(line, &record, &reason)) {
            if (error)
                *error = QStringLiteral("Line %1 of %2 is not a valid event: %3.").arg(lineNumber).arg(fileName, reason);
            return {};
        }
        records.push_back(std::move(record));
    }
    return records;
}

}  // namespace etcdscope
