#include "format/event_format.h"

#include <charconv>
#include <cstring>

namespace etcdscope {

namespace {

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

void appendEscapedText(std::string& out, std::string_view bytes)
{
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else if (c == '\\') {
            out += "\\\\";
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
}

const char* typeName(EventType type) { return type == EventType::Put ? "PUT" : "DELETE"; }

}  // namespace

// "name":"text" or "name_b64":"base64" depending on the bytes.
void appendBytesField(std::string& out, std::string_view name, std::string_view bytes)
{
    out += ",\"";
    out += name;
    if (isValidUtf8(bytes)) {
        out += "\":";
        appendJsonString(out, bytes);
    } else {
        out += "_b64\":\"";
        appendBase64(out, bytes);
        out += '"';
    }
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
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int length;
        std::uint32_t min;
        std::uint32_t codepoint;
        if ((c & 0xe0) == 0xc0) { length = 2; min = 0x80; codepoint = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { length = 3; min = 0x800; codepoint = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { length = 4; min = 0x10000; codepoint = c & 0x07; }
        else return false;
        if (end - p < length)
            return false;
        for (int i = 1; i < length; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            codepoint = (codepoint << 6) | (p[i] & 0x3f);
        }
        if (codepoint < min || codepoint > 0x10ffff || (codepoint >= 0xd800 && codepoint <= 0xdfff))
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

void appendJsonString(std::string& out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t runStart = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(text.data() + runStart, i - runStart);
        runStart = i + 1;
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
    out.append(text.data() + runStart, text.size() - runStart);
    out += '"';
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
    if (event.hasPrevKv)
        appendBytesField(out, "prev_value", event.prevKv.value);
    out += "}\n";
}

void appendGapJson(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision)
{
    out += "{\"watch\":";
    appendInt(out, watch);
    out += ",\"type\":\"GAP\"";
    appendField(out, "from_revision", fromRevision);
    appendField(out, "to_revision", toRevision);
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
    appendEscapedText(out, event.kv.key);
    if (event.type == EventType::Put) {
        out += ' ';
        appendEscapedText(out, event.kv.value);
    }
    if (event.hasPrevKv) {
        out += " (was ";
        appendEscapedText(out, event.prevKv.value);
        out += ')';
    }
    out += '\n';
}

void appendGapText(std::string& out, WatchHandle watch, std::int64_t fromRevision, std::int64_t toRevision)
{
    out += '[';
    appendInt(out, watch);
    out += "] GAP ";
    appendInt(out, fromRevision);
    out += '-';
    appendInt(out, toRevision);
    out += " (compacted: these revisions can no longer be watched)\n";
}

}  // namespace etcdscope
