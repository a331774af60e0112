#include "decode/value_text.h"

#include "decode/kubernetes/registry_key.h"
#include "decode/kubernetes_value.h"
#include "format/event_format.h"

#include <QCoreApplication>
#include <QStringList>

#include <string_view>

namespace etcdscope {

namespace {

using namespace Qt::StringLiterals;

constexpr qsizetype kHexEscapeLength = 4;  // backslash, 'x', two hex digits
constexpr int kHexBase = 16;
constexpr int kValueOfHexA = 10;
constexpr int kBytesPerHexLine = 16;
constexpr char16_t kBackslash = u'\\';

// The value of one hex digit, or -1.
int hexDigitValue(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'0' && u <= u'9')
        return u - u'0';
    if (u >= u'a' && u <= u'f')
        return u - u'a' + kValueOfHexA;
    if (u >= u'A' && u <= u'F')
        return u - u'A' + kValueOfHexA;
    return -1;
}

// The byte of the \xNN escape whose backslash is at `at`, if well-formed.
std::optional<char> hexEscapeAt(const QString& text, qsizetype at)
{
    if (at + kHexEscapeLength > text.size() || text[at + 1] != u'x')
        return std::nullopt;
    const int high = hexDigitValue(text[at + 2]);
    const int low = hexDigitValue(text[at + 3]);
    if (high < 0 || low < 0)
        return std::nullopt;
    return static_cast<char>(high * kHexBase + low);
}

// Every byte that is not printable ASCII as \xNN, a backslash as \\.
QString escapeEachByte(const QByteArray& bytes)
{
    constexpr unsigned char kFirstPrintableAscii = 0x20;
    constexpr unsigned char kLastPrintableAscii = 0x7e;
    constexpr int kHexFieldWidth = 2;
    QString out;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\\')
            out += u"\\\\"_s;
        else if (byte >= kFirstPrintableAscii && byte <= kLastPrintableAscii)
            out += QLatin1Char(c);
        else
            out += u"\\x%1"_s.arg(uint(byte), kHexFieldWidth, kHexBase, QLatin1Char('0'));
    }
    return out;
}

}  // namespace

bool isValidUtf8(const QByteArray& bytes)
{
    return isValidUtf8(std::string_view(bytes.constData(), std::size_t(bytes.size())));
}

bool isPrintableText(const QByteArray& bytes)
{
    if (!isValidUtf8(bytes))
        return false;
    for (const char c : bytes)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
            return false;
    return true;
}

bool looksBinary(const QByteArray& bytes)
{
    int control = 0;
    for (char c : bytes)
        if ((unsigned char)c < 0x20 && c != '\n' && c != '\t' && c != '\r')
            ++control;
    return control > bytes.size() / 8 || !isValidUtf8(bytes);
}

DecodedKeyText decodeKeyText(const QString& text)
{
    DecodedKeyText decoded;
    // Text between escapes is encoded in one go so that surrogate pairs
    // become one UTF-8 sequence.
    qsizetype plainFrom = 0;
    const auto flushPlain = [&](qsizetype plainTo) {
        decoded.bytes += QStringView(text).sliced(plainFrom, plainTo - plainFrom).toUtf8();
    };
    qsizetype i = 0;
    while (i < text.size()) {
        if (text[i] != kBackslash) {
            ++i;
            continue;
        }
        flushPlain(i);
        if (i + 1 < text.size() && text[i + 1] == kBackslash) {
            decoded.bytes += '\\';
            i += 2;
        } else if (const auto byte = hexEscapeAt(text, i)) {
            decoded.bytes += *byte;
            i += kHexEscapeLength;
        } else {
            decoded.malformedAt = i;
            return decoded;
        }
        plainFrom = i;
    }
    flushPlain(text.size());
    return decoded;
}

std::optional<QByteArray> unescapeKey(const QString& text)
{
    DecodedKeyText decoded = decodeKeyText(text);
    if (!decoded.ok())
        return std::nullopt;
    return std::move(decoded.bytes);
}

QString escapeKey(const QByteArray& bytes)
{
    if (!isValidUtf8(bytes))
        return escapeEachByte(bytes);
    // Readable text stays readable; only invisible characters and the
    // backslash are escaped, as the UTF-8 bytes unescapeKey() turns them back into.
    QString out;
    const QString text = QString::fromUtf8(bytes);
    for (const char32_t codePoint : text.toUcs4()) {
        const QString character = QString::fromUcs4(&codePoint, 1);
        if (codePoint != kBackslash && QChar::isPrint(codePoint))
            out += character;
        else
            out += escapeEachByte(character.toUtf8());
    }
    return out;
}

namespace {

// CBOR's self-described tag (55799), which Kubernetes' CBOR serializer
// (KEP-4222) writes first.
bool isKubernetesCbor(const QByteArray& bytes) { return bytes.startsWith("\xd9\xd9\xf7"); }

}  // namespace

QString valuePreview(const QByteArray& key, const QByteArray& value, int maxChars)
{
    const auto object = value.isEmpty() || !key.startsWith("/registry/")
                            ? std::nullopt
                            : kubernetes::parseRegistryKey(std::string_view(key.constData(), std::size_t(key.size())));
    if (!object)
        return valuePreview(value, maxChars);
    const QString label = QString::fromStdString(object->label());
    if (const auto k8s = decodeKubernetesValue(value, false)) {
        if (!k8s->encryption.isEmpty())
            return QObject::tr("%1 (%2, %3 bytes)").arg(label, k8s->encryption).arg(value.size());
        if (!kubernetes::agreesWith(*object, k8s->apiVersion.toStdString(), k8s->kind.toStdString()))
            return QObject::tr("%1? the value is %2 %3 (Kubernetes protobuf, %4 bytes)")
                .arg(label, k8s->apiVersion, k8s->kind)
                .arg(value.size());
        return QObject::tr("%1 (%2, Kubernetes protobuf, %3 bytes)").arg(label, k8s->apiVersion).arg(value.size());
    }
    if (value.startsWith('{'))
        return QObject::tr("%1 (JSON, %2 bytes)").arg(label).arg(value.size());
    return valuePreview(value, maxChars);
}

QString valuePreview(const QByteArray& value, int maxChars)
{
    if (value.isEmpty())
        return {};
    if (const auto k8s = decodeKubernetesValue(value, false))
        return kubernetesPreview(*k8s, value.size());
    if (isKubernetesCbor(value))
        return QCoreApplication::translate("etcdscope", "Kubernetes CBOR (KEP-4222), %1 bytes").arg(value.size());
    if (looksBinary(value))
        return QStringLiteral("<%1 bytes>").arg(value.size());
    QString text = QString::fromUtf8(value.left(maxChars * 4));
    QString out;
    out.reserve(std::min<qsizetype>(text.size(), maxChars) + 1);
    for (QChar c : text) {
        if (out.size() >= maxChars) {
            out += QChar(0x2026);
            break;
        }
        if (c == '\n' || c == '\r' || c == '\t')
            out += ' ';
        else
            out += c;
    }
    return out;
}

QString textOrBinaryNotice(const QByteArray& bytes)
{
    if (isKubernetesCbor(bytes))
        return QCoreApplication::translate("etcdscope", "(a Kubernetes object in CBOR (KEP-4222), %1 bytes; etcdscope "
                                                        "names CBOR but does not decode it yet: see the Hex tab)")
            .arg(bytes.size());
    if (isValidUtf8(bytes))
        return QString::fromUtf8(bytes);
    return QCoreApplication::translate("etcdscope", "(%1 bytes that are not UTF-8 text; see the Hex tab)")
        .arg(bytes.size());
}

QString hexDump(const QByteArray& bytes, int maxBytes)
{
    QString out;
    const int shown = std::min<int>(int(bytes.size()), maxBytes);
    for (int offset = 0; offset < shown; offset += kBytesPerHexLine) {
        QString hex, ascii;
        for (int i = 0; i < kBytesPerHexLine; ++i) {
            if (offset + i < shown) {
                const auto c = static_cast<unsigned char>(bytes[offset + i]);
                hex += QStringLiteral("%1 ").arg(c, 2, 16, QChar('0'));
                ascii += (c >= 0x20 && c < 0x7f) ? QChar(c) : QChar('.');
            } else {
                hex += QStringLiteral("   ");
            }
            if (i == 7)
                hex += ' ';
        }
        out += QStringLiteral("%1  %2 |%3|\n").arg(offset, 8, 16, QChar('0')).arg(hex, ascii);
    }
    if (shown < bytes.size())
        out += QCoreApplication::translate("etcdscope", "… %1 more bytes not shown\n").arg(bytes.size() - shown);
    return out;
}

QString describeSpec(const WatchSpec& spec)
{
    const auto bytes = [](const std::string& s) { return escapeKey(QByteArray(s.data(), qsizetype(s.size()))); };
    QString text;
    if (spec.rangeEnd.empty())
        text = "key " + bytes(spec.key);
    else if (spec.rangeEnd == fromKeyRangeEnd())
        text = spec.key.empty() ? QStringLiteral("all keys") : "from key " + bytes(spec.key);
    else if (spec.rangeEnd == prefixRangeEnd(spec.key))
        text = "prefix " + bytes(spec.key);
    else
        text = "range [" + bytes(spec.key) + ", " + bytes(spec.rangeEnd) + ")";
    QStringList options;
    if (spec.startRevision > 0)
        options << QStringLiteral("from rev %1").arg(spec.startRevision);
    if (spec.prevKv)
        options << "prev-kv";
    if (spec.noPut)
        options << "no puts";
    if (spec.noDelete)
        options << "no deletes";
    if (spec.progressNotify)
        options << "progress";
    if (!options.isEmpty())
        text += " (" + options.join(", ") + ")";
    return text;
}

}  // namespace etcdscope
