#include "format/event_format.h"

#include <charconv>
#include <cstring>

namespace etcdscope {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void appendInt(std::string& out, std::int64_t value)
{
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

void appendField(std::string& out, std::string_view name, std::int64_t value)
{
    out += ",\"";
    out += name;
    out += "\":";
    appendInt(out, value);
}

// The length of the UTF-8 sequence at p (its code point in `codepoint`), or
// 0 when the bytes there are not one (overlong, surrogate, cut short).
int utf8Sequence(const unsigned char* p, const unsigned char* end, std::uint32_t* codepoint)
{
    const unsigned char c = *p;
    if (c < 0x80) {
        *codepoint = c;
        return 1;
    }
    int length;
    std::uint32_t min;
    std::uint32_t value;
    if ((c & 0xe0) == 0xc0) { length = 2; min = 0x80; value = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { length = 3; min = 0x800; value = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { length = 4; min = 0x10000; value = c & 0x07; }
    else return 0;
    if (end - p < length)
        return 0;
    for (int i = 1; i < length; ++i) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        value = (value << 6) | (p[i] & 0x3f);
    }
    if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *codepoint = value;
    return length;
}

// A key or value of a text line, so that a reader can tell where it ends:
// bare when it is printable UTF-8 without spaces, quotes or backslashes;
// otherwise in double quotes, with \" \\ \t \n \r for those and \xNN for
// control characters and bytes that are not UTF-8. Valid UTF-8 is printed as
// it is.
void appendTextToken(std::string& out, std::string_view bytes)
{
    const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = begin + bytes.size();
    // A code point printed as it is: not a control character (C0, DEL, C1).
    const auto printable = [](std::uint32_t codepoint) {
        return codepoint >= 0x20 && codepoint != 0x7f && !(codepoint >= 0x80 && codepoint < 0xa0);
    };
    bool bare = !bytes.empty();
    for (const auto* p = begin; bare && p < end;) {
        std::uint32_t codepoint = 0;
        const int length = utf8Sequence(p, end, &codepoint);
        bare = length > 0 && printable(codepoint) && codepoint != ' ' && codepoint != '"' && codepoint != '\\';
        p += length > 0 ? length : 1;
    }
    if (bare) {
        out += bytes;
        return;
    }
    out += '"';
    for (const auto* p = begin; p < end;) {
        std::uint32_t codepoint = 0;
        const int length = utf8Sequence(p, end, &codepoint);
        if (length > 0 && printable(codepoint)) {
            if (codepoint == '"' || codepoint == '\\')
                out += '\\';
            out.append(reinterpret_cast<const char*>(p), std::size_t(length));
            p += length;
            continue;
        }
        const int escaped = length > 0 ? length : 1;  // a control character, or one byte that is not UTF-8
        for (int i = 0; i < escaped; ++i, ++p) {
            switch (*p) {
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default:
                out += "\\x";
                out += kHex[*p >> 4];
                out += kHex[*p & 0xf];
            }
        }
    }
    out += '"';
}

const char* typeName(EventType type) { return type == EventType::Put ? "PUT" : "DELETE"; }

// The JSON escape of one byte below 0x20, a quote or a backslash.
void appendEscape(std::string& out, unsigned char c)
{
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
}

// Whether any byte of `word` is below 0x20, '"', '\\' or has its top bit set:
// the bytes that need a look of their own in a JSON string.
bool needsALook(std::uint64_t word)
{
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    const auto hasZero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const std::uint64_t below20 = (word - kOnes * 0x20) & ~word & kHigh;
    return ((word & kHigh) | below20 | hasZero(word ^ (kOnes * '"')) | hasZero(word ^ (kOnes * '\\'))) != 0;
}

// Appends `bytes` escaped for a JSON string, checking in the same pass that
// they are UTF-8; false (with `out` partly written) when they are not.
bool appendEscapedUtf8(std::string& out, std::string_view bytes)
{
    const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = begin + bytes.size();
    const auto* p = begin;
    const auto* run = begin;  // start of the bytes that go out as they are
    while (p < end) {
        // Plain ASCII, 8 bytes at a time.
        while (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, 8);
            if (needsALook(word))
                break;
            p += 8;
        }
        if (p >= end)
            break;
        const unsigned char c = *p;
        if (c >= 0x80) {
            std::uint32_t codepoint = 0;
            const int length = utf8Sequence(p, end, &codepoint);
            if (length == 0)
                return false;
            p += length;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++p;
            continue;
        }
        out.append(reinterpret_cast<const char*>(run), std::size_t(p - run));
        appendEscape(out, c);
        run = ++p;
    }
    out.append(reinterpret_cast<const char*>(run), std::size_t(end - run));
    return true;
}

}  // namespace

// "name":"text" or "name_b64":"base64" depending on the bytes: one pass
// escapes and checks them, and only bytes that are not UTF-8 are written again.
void appendBytesField(std::string& out, std::string_view name, std::string_view bytes)
{
    const std::size_t mark = out.size();
    out += ",\"";
    out += name;
    out += "\":\"";
    if (appendEscapedUtf8(out, bytes)) {
        out += '"';
        return;
    }
    out.resize(mark);
    out += ",\"";
    out += name;
    out += "_b64\":\"";
    appendBase64(out, bytes);
    out += '"';
}

bool isValidUtf8(std::string_view bytes)
{
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto* end = p + bytes.size();
    while (p < end) {
        // Fast path: 8 ASCII bytes at a time.
        while (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, 8);
            if (word & 0x8080808080808080ULL)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        std::uint32_t codepoint = 0;
        const int length = utf8Sequence(p, end, &codepoint);
        if (length == 0)
            return false;
        p += length;
    }
    return true;
}

void appendBase64(std::string& out, std::string_view bytes)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    out.reserve(out.size() + (n + 2) / 3 * 4);
    for (; n >= 3; n -= 3, p += 3) {
        const std::uint32_t v = (p[0] << 16) | (p[1] << 8) | p[2];
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (n == 1) {
        const std::uint32_t v = p[0] << 16;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (n == 2) {
        const std::uint32_t v = (p[0] << 16) | (p[1] << 8);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
}

void appendEventJson(std::string& out, WatchHandle watch, const WatchEvent& event)
{
    out += "{\"watch\":";
    appendInt(out, watch);
    out += event.type == EventType::Put ? ",\"type\":\"PUT\"" : ",\"type\":\"DELETE\"";
    appendBytesField(out, "key", event.kv.key);
    appendBytesField(out, "value", event.kv.value);
    appendField(out, "mod_revision", event.kv.modRevision);
    appendField(out, "create_revision", event.kv.createRevision);
    appendField(out, "version", event.kv.version);
    appendField(out, "lease", event.kv.lease);
    if (event.kv.lease != 0) {
        // Lease IDs use all 63 bits; a JSON number above 2^53 loses its last
        // digits in jq and JavaScript. The exact ID, as etcdctl's lease
        // commands print and take it: sixteen hexadecimal digits, leading
        // zeros kept (etcdctl prints %016x), in a string.
        char hex[16];
        const auto end = std::to_chars(hex, hex + sizeof hex, static_cast<std::uint64_t>(event.kv.lease), 16).ptr;
        const auto digits = static_cast<std::size_t>(end - hex);
        out += ",\"lease_hex\":\"";
        out.append(sizeof hex - digits, '0');
        out.append(hex, digits);
        out += '"';
    }
    if (event.hasPrevKv)
        appendBytesField(out, "prev_value", event.prevKv.value);
    out += "}\n";
}

void appendGapJson(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision,
                   std::int64_t mayLackDeletesAt)
{
    out += "{\"watch\":";
    appendInt(out, watch);
    out += ",\"type\":\"GAP\"";
    appendField(out, "from_revision", fromRevision);
    appendField(out, "to_revision", toRevision);
    if (mayLackDeletesAt != 0)
        appendField(out, "may_lack_deletes_at", mayLackDeletesAt);
    out += "}\n";
}

void appendEventText(std::string& out, WatchHandle watch, const WatchEvent& event)
{
    out += '[';
    appendInt(out, watch);
    out += "] ";
    out += typeName(event.type);
    out += ' ';
    appendInt(out, event.kv.modRevision);
    out += ' ';
    appendTextToken(out, event.kv.key);
    if (event.type == EventType::Put) {
        out += ' ';
        appendTextToken(out, event.kv.value);
    }
    if (event.hasPrevKv) {
        out += " (was ";
        appendTextToken(out, event.prevKv.value);
        out += ')';
    }
    out += '\n';
}

void appendGapText(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision,
                   std::int64_t mayLackDeletesAt)
{
    out += '[';
    appendInt(out, watch);
    out += "] GAP ";
    appendInt(out, fromRevision);
    out += '-';
    appendInt(out, toRevision);
    out += " (compacted: these revisions can no longer be watched";
    if (mayLackDeletesAt != 0) {
        out += "; revision ";
        appendInt(out, mayLackDeletesAt);
        out += " follows as etcd serves it, which may lack its DELETEs: etcd issue 18089";
    }
    out += ")\n";
}

}  // namespace etcdscope
