// Event formats shared by the CLI and exports: JSON lines and plain text.
// Appends to a caller-owned buffer so that a batch is formatted without a
// per-event allocation.
#pragma once

#include "engine/watch_types.h"

#include <string>
#include <string_view>

namespace etcdscope {

// True if `bytes` is well-formed UTF-8 (no overlongs, no surrogates).
bool isValidUtf8(std::string_view bytes);

// Standard base64 (RFC 4648, with padding).
void appendBase64(std::string& out, std::string_view bytes);

// ,"name":"text" — or ,"name_b64":"base64" when the bytes are not UTF-8.
void appendBytesField(std::string& out, std::string_view name, std::string_view bytes);

// One JSON object and a newline. Fields: watch, type (PUT/DELETE), key,
// value, mod_revision, create_revision, version, lease (and lease_hex, the
// exact ID in hexadecimal, when it is not 0), and prev_value when
// the event carries a previous value. Bytes that are not UTF-8 go into
// key_b64 / value_b64 / prev_value_b64 instead.
void appendEventJson(std::string& out, WatchHandle watch, const WatchEvent& event);
// {"watch":N,"type":"GAP","from_revision":A,"to_revision":B}, with
// ,"may_lack_deletes_at":C when `mayLackDeletesAt` (WatchUpdate's) is not 0.
void appendGapJson(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision,
                   std::int64_t mayLackDeletesAt);

// "[1] PUT 12 key value" (a DELETE has no value; " (was value)" with the
// previous value). A key or value is bare when it is printable UTF-8 without
// spaces, quotes or backslashes, else in double quotes with \" \\ \t \n \r
// and \xNN (control characters, bytes that are not UTF-8) escaped.
void appendEventText(std::string& out, WatchHandle watch, const WatchEvent& event);
// "[1] GAP 5-19 (compacted: …)", naming `mayLackDeletesAt` when it is not 0.
void appendGapText(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision,
                   std::int64_t mayLackDeletesAt);

}  // namespace etcdscope
