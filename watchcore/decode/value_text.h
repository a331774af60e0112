// Bytes as text for people: the one place that decides how keys and values
// of etcd (arbitrary bytes) are shown, escaped, previewed and dumped, for
// every view and the command line alike.
#pragma once

#include "engine/watch_types.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace etcdscope {

bool isValidUtf8(const QByteArray& bytes);
// UTF-8 with no control characters but line breaks and tabs.
bool isPrintableText(const QByteArray& bytes);
// Not worth showing as text: not UTF-8, or more than one byte in eight a
// control character.
bool looksBinary(const QByteArray& bytes);

// Keys as people type and read them: text with \xNN (two hex digits) and
// double-backslash escapes. Decoding stops at the first malformed escape.
struct DecodedKeyText {
    QByteArray bytes;
    qsizetype malformedAt = -1;  // index of the backslash of the first bad escape
    bool ok() const { return malformedAt < 0; }
};
DecodedKeyText decodeKeyText(const QString& text);
// The bytes of escaped text; nullopt if an escape is malformed.
std::optional<QByteArray> unescapeKey(const QString& text);
// The inverse of unescapeKey(): printable text stays as it is, a backslash
// becomes \\ and every other byte \xNN (every byte of a key that is not UTF-8).
QString escapeKey(const QByteArray& bytes);

// A short, printable preview of a value for a table cell: a Kubernetes
// object named by its kind, binary as "<N bytes>", text on one line cut at
// `maxChars` with an ellipsis.
QString valuePreview(const QByteArray& value, int maxChars = 120);
// The same for a value stored under `key`: a Kubernetes object under
// /registry/ is named as the key names it, "Deployment default/web (apps/v1,
// Kubernetes protobuf, 1234 bytes)", and a value whose kind is not the one the
// key names says so.
QString valuePreview(const QByteArray& key, const QByteArray& value, int maxChars);
// The value as text, or one sentence saying it is not text.
QString textOrBinaryNotice(const QByteArray& bytes);
// Offset, hex and ASCII columns, 16 bytes a line, at most `maxBytes`.
QString hexDump(const QByteArray& bytes, int maxBytes);

// A watch in one line ("prefix services/", "range [a, b)", "key cfg",
// "from key m", "all keys"), with its options.
QString describeSpec(const WatchSpec& spec);

}  // namespace etcdscope
