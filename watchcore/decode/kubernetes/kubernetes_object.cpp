#include "decode/kubernetes/kubernetes_object.h"

#include "decode/kubernetes/kubernetes_schema.h"

#include <google/protobuf/message.h>

#include <QByteArray>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>

namespace etcdscope::kubernetes {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using Json = nlohmann::ordered_json;

constexpr char kUnknown[] = "k8s.io.apimachinery.pkg.runtime.Unknown";

// Recursion through messages is bounded by protobuf's parser (100 levels);
// this bound keeps the JSON walk equally finite for any schema.
constexpr int kMaxDepth = 120;

std::string base64(const std::string& bytes)
{
    return QByteArray::fromRawData(bytes.data(), qsizetype(bytes.size())).toBase64().toStdString();
}

class Writer {
public:
    explicit Writer(const Schema& schema) : schema_(schema) {}

    Json message(const Message& m, int depth) const
    {
        const MessageInfo& info = schema_.info(m.GetDescriptor());
        if (depth > kMaxDepth)
            return nullptr;
        if (info.special != Special::None && info.special != Special::Timestamp)
            return special(m, info.special, depth);
        Json object = Json::object();
        members(m, info, object, depth);
        return object;
    }

    // The fields of `m` into `object`, inlined ones in place.
    void members(const Message& m, const MessageInfo& info, Json& object, int depth) const
    {
        const Reflection* r = m.GetReflection();
        for (const FieldInfo& f : info.fields) {
            if (f.inlined && f.field->type() == FieldDescriptor::TYPE_MESSAGE && !f.field->is_repeated()) {
                if (f.pointer && !r->HasField(m, f.field))
                    continue;
                const Message& inner = r->GetMessage(m, f.field);
                const MessageInfo& innerInfo = schema_.info(inner.GetDescriptor());
                if (innerInfo.special == Special::None)
                    members(inner, innerInfo, object, depth + 1);
                continue;
            }
            std::optional<Json> value = field(m, f, depth);
            if (value)
                object[f.json] = std::move(*value);
        }
    }

private:
    // nullopt: Go omits the field.
    std::optional<Json> field(const Message& m, const FieldInfo& f, int depth) const
    {
        const Reflection* r = m.GetReflection();
        const FieldDescriptor* fd = f.field;
        if (fd->is_map()) {
            const int n = r->FieldSize(m, fd);
            if (n == 0)
                return f.omitEmpty ? std::nullopt : std::optional<Json>(nullptr);
            // Go writes a map's keys sorted.
            std::vector<std::pair<std::string, Json>> entries;
            entries.reserve(std::size_t(n));
            for (int i = 0; i < n; ++i) {
                const Message& entry = r->GetRepeatedMessage(m, fd, i);
                const Reflection* er = entry.GetReflection();
                const FieldDescriptor* key = entry.GetDescriptor()->FindFieldByNumber(1);
                const FieldDescriptor* value = entry.GetDescriptor()->FindFieldByNumber(2);
                std::string scratch;
                const std::string& k = er->GetStringReference(entry, key, &scratch);
                entries.emplace_back(k, single(entry, value, f.base64, depth));
            }
            std::stable_sort(entries.begin(), entries.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            Json object = Json::object();
            for (auto& [k, v] : entries)
                object[k] = std::move(v);  // a repeated key: the last one, as Go's decoder keeps
            return object;
        }
        if (fd->is_repeated()) {
            const int n = r->FieldSize(m, fd);
            if (n == 0)
                return f.omitEmpty ? std::nullopt : std::optional<Json>(nullptr);
            Json array = Json::array();
            for (int i = 0; i < n; ++i)
                array.push_back(element(m, fd, i, f.base64, depth));
            return array;
        }
        const bool has = r->HasField(m, fd);
        if (f.pointer && !has)
            return f.omitEmpty ? std::nullopt : std::optional<Json>(nullptr);
        Json value = single(m, fd, f.base64, depth);
        // A struct is never empty to Go; a pointer is written when set.
        if (!f.pointer && f.omitEmpty && fd->type() != FieldDescriptor::TYPE_MESSAGE && isZero(value))
            return std::nullopt;
        return value;
    }

    static bool isZero(const Json& v)
    {
        switch (v.type()) {
        case Json::value_t::boolean: return !v.get<bool>();
        case Json::value_t::number_integer: return v.get<std::int64_t>() == 0;
        case Json::value_t::number_unsigned: return v.get<std::uint64_t>() == 0;
        case Json::value_t::number_float: return v.get<double>() == 0;
        case Json::value_t::string: return v.get_ref<const std::string&>().empty();
        case Json::value_t::null: return true;
        default: return false;
        }
    }

    // A singular field's value (`index` < 0) or one element of a repeated field.
    Json value(const Message& m, const FieldDescriptor* fd, int index, bool asBase64, int depth) const
    {
        const Reflection* r = m.GetReflection();
        const bool one = index < 0;
        switch (fd->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32: return one ? r->GetInt32(m, fd) : r->GetRepeatedInt32(m, fd, index);
        case FieldDescriptor::CPPTYPE_INT64: return one ? r->GetInt64(m, fd) : r->GetRepeatedInt64(m, fd, index);
        case FieldDescriptor::CPPTYPE_UINT32: return one ? r->GetUInt32(m, fd) : r->GetRepeatedUInt32(m, fd, index);
        case FieldDescriptor::CPPTYPE_UINT64: return one ? r->GetUInt64(m, fd) : r->GetRepeatedUInt64(m, fd, index);
        case FieldDescriptor::CPPTYPE_DOUBLE: return one ? r->GetDouble(m, fd) : r->GetRepeatedDouble(m, fd, index);
        case FieldDescriptor::CPPTYPE_FLOAT:
            return double(one ? r->GetFloat(m, fd) : r->GetRepeatedFloat(m, fd, index));
        case FieldDescriptor::CPPTYPE_BOOL: return one ? r->GetBool(m, fd) : r->GetRepeatedBool(m, fd, index);
        case FieldDescriptor::CPPTYPE_ENUM:
            return one ? r->GetEnumValue(m, fd) : r->GetRepeatedEnumValue(m, fd, index);
        case FieldDescriptor::CPPTYPE_MESSAGE:
            return message(one ? r->GetMessage(m, fd) : r->GetRepeatedMessage(m, fd, index), depth + 1);
        case FieldDescriptor::CPPTYPE_STRING: {
            std::string scratch;
            const std::string& s = one ? r->GetStringReference(m, fd, &scratch)
                                       : r->GetRepeatedStringReference(m, fd, index, &scratch);
            if (!asBase64)
                return s;
            // An unset []byte is nil to Go (null); a set one, even empty, is base64.
            return !one || r->HasField(m, fd) || !s.empty() ? Json(base64(s)) : Json(nullptr);
        }
        }
        return nullptr;
    }

    Json single(const Message& m, const FieldDescriptor* fd, bool asBase64, int depth) const
    {
        return value(m, fd, -1, asBase64, depth);
    }

    Json element(const Message& m, const FieldDescriptor* fd, int i, bool asBase64, int depth) const
    {
        return value(m, fd, i, asBase64, depth);
    }

    // Field `number` of `m` (as its JSON), or nullptr when it is not set.
    Json numbered(const Message& m, int number, int depth) const
    {
        const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
        if (!fd)
            return nullptr;
        const Reflection* r = m.GetReflection();
        if (fd->is_repeated()) {
            if (r->FieldSize(m, fd) == 0)
                return nullptr;
            Json array = Json::array();
            for (int i = 0; i < r->FieldSize(m, fd); ++i)
                array.push_back(element(m, fd, i, false, depth));
            return array;
        }
        if (!r->HasField(m, fd))
            return nullptr;
        return single(m, fd, false, depth);
    }

    std::int64_t integerField(const Message& m, int number) const
    {
        const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
        if (!fd || fd->is_repeated())
            return 0;
        const Reflection* r = m.GetReflection();
        switch (fd->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32: return r->GetInt32(m, fd);
        case FieldDescriptor::CPPTYPE_INT64: return r->GetInt64(m, fd);
        default: return 0;
        }
    }

    bool hasField(const Message& m, int number) const
    {
        const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
        return fd && !fd->is_repeated() && m.GetReflection()->HasField(m, fd);
    }

    std::string textField(const Message& m, int number) const
    {
        const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
        if (!fd || fd->is_repeated() || fd->cpp_type() != FieldDescriptor::CPPTYPE_STRING)
            return {};
        return m.GetReflection()->GetString(m, fd);
    }

    Json special(const Message& m, Special kind, int depth) const
    {
        switch (kind) {
        case Special::Time:
        case Special::MicroTime:
            // Go's zero time (written as an empty message) is null.
            if (!hasField(m, 1) && !hasField(m, 2))
                return nullptr;
            return kind == Special::Time ? rfc3339(integerField(m, 1), 0, 0)
                                         : rfc3339(integerField(m, 1), std::int32_t(integerField(m, 2)), 6);
        case Special::Duration: return goDuration(integerField(m, 1));
        case Special::Quantity: {
            const std::string text = textField(m, 1);
            return text.empty() ? std::string("0") : text;
        }
        case Special::IntOrString:
            if (integerField(m, 1) == 1)
                return textField(m, 3);
            return integerField(m, 2);
        case Special::Raw: {
            const std::string raw = textField(m, 1);
            if (raw.empty())
                return nullptr;
            Json embedded = Json::parse(raw, nullptr, false);
            if (embedded.is_discarded())
                return base64(raw);  // not JSON (a nested protobuf object): its bytes
            return embedded;
        }
        case Special::List: {
            Json items = numbered(m, 1, depth);
            return items;
        }
        case Special::SchemaOrArray: {
            Json schemas = numbered(m, 2, depth);
            return schemas.is_null() ? numbered(m, 1, depth) : schemas;
        }
        case Special::SchemaOrBool: {
            Json schema = numbered(m, 2, depth);
            if (!schema.is_null())
                return schema;
            return integerField(m, 1) != 0 || boolField(m, 1);
        }
        case Special::SchemaOrStringArray: {
            Json property = numbered(m, 2, depth);
            return property.is_null() ? numbered(m, 1, depth) : property;
        }
        case Special::None:
        case Special::Timestamp: break;
        }
        return nullptr;
    }

    bool boolField(const Message& m, int number) const
    {
        const FieldDescriptor* fd = m.GetDescriptor()->FindFieldByNumber(number);
        return fd && !fd->is_repeated() && fd->cpp_type() == FieldDescriptor::CPPTYPE_BOOL &&
               m.GetReflection()->GetBool(m, fd);
    }

    const Schema& schema_;
};

std::unique_ptr<Message> parseMessage(const Schema& schema, const Descriptor* descriptor, std::string_view bytes)
{
    const Message* prototype = schema.factory().GetPrototype(descriptor);
    if (!prototype)
        return nullptr;
    std::unique_ptr<Message> message(prototype->New());
    if (bytes.size() > std::size_t(INT32_MAX) || !message->ParseFromArray(bytes.data(), int(bytes.size())))
        return nullptr;
    return message;
}

// Days since 1970-01-01 → civil date (proleptic Gregorian).
void civilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = std::int64_t(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

// Go's fmtFrac: v / 10^prec with trailing zeros (and a bare '.') dropped.
std::string fraction(std::uint64_t& v, int prec)
{
    std::string digits;
    bool print = false;
    for (int i = 0; i < prec; ++i) {
        const unsigned digit = unsigned(v % 10);
        print = print || digit != 0;
        if (print)
            digits.insert(digits.begin(), char('0' + digit));
        v /= 10;
    }
    return print ? "." + digits : std::string();
}

}  // namespace

std::string goDuration(std::int64_t nanoseconds)
{
    if (nanoseconds == 0)
        return "0s";
    const bool negative = nanoseconds < 0;
    std::uint64_t u = negative ? std::uint64_t(0) - std::uint64_t(nanoseconds) : std::uint64_t(nanoseconds);
    std::string out;
    if (u < 1'000'000'000ULL) {
        // Under a second: ns, µs or ms with a fraction.
        if (u < 1'000ULL) {
            out = std::to_string(u) + "ns";
        } else if (u < 1'000'000ULL) {
            const std::string frac = fraction(u, 3);
            out = std::to_string(u) + frac + "\u00b5s";
        } else {
            const std::string frac = fraction(u, 6);
            out = std::to_string(u) + frac + "ms";
        }
    } else {
        const std::string frac = fraction(u, 9);
        out = std::to_string(u % 60) + frac + "s";
        u /= 60;
        if (u > 0) {
            out = std::to_string(u % 60) + "m" + out;
            u /= 60;
            if (u > 0)
                out = std::to_string(u) + "h" + out;
        }
    }
    return negative ? "-" + out : out;
}

std::string rfc3339(std::int64_t seconds, std::int32_t nanos, int fractionDigits)
{
    std::int64_t days = seconds / 86400;
    std::int64_t rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        --days;
    }
    std::int64_t year = 0;
    unsigned month = 0;
    unsigned day = 0;
    civilFromDays(days, year, month, day);
    char buffer[64];
    int n = std::snprintf(buffer, sizeof buffer, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d", year, month, day,
                          int(rest / 3600), int(rest / 60 % 60), int(rest % 60));
    if (fractionDigits == 6 && n > 0)
        n += std::snprintf(buffer + n, sizeof buffer - std::size_t(n), ".%06d", int(std::clamp(nanos, 0, 999'999'999) / 1000));
    return std::string(buffer, std::size_t(std::max(n, 0))) + "Z";
}

bool isKubernetesProtobuf(std::string_view value) { return value.substr(0, kProtobufMagic.size()) == kProtobufMagic; }

std::optional<Envelope> readEnvelope(const Schema& schema, std::string_view value)
{
    if (!isKubernetesProtobuf(value))
        return std::nullopt;
    const Descriptor* unknown = schema.message(kUnknown);
    if (!unknown)
        return std::nullopt;
    const std::unique_ptr<Message> m = parseMessage(schema, unknown, value.substr(kProtobufMagic.size()));
    if (!m)
        return std::nullopt;
    const Reflection* r = m->GetReflection();
    const Descriptor* d = m->GetDescriptor();
    Envelope envelope;
    if (const FieldDescriptor* typeMeta = d->FindFieldByNumber(1)) {
        const Message& meta = r->GetMessage(*m, typeMeta);
        envelope.apiVersion = meta.GetReflection()->GetString(meta, meta.GetDescriptor()->FindFieldByNumber(1));
        envelope.kind = meta.GetReflection()->GetString(meta, meta.GetDescriptor()->FindFieldByNumber(2));
    }
    envelope.raw = r->GetString(*m, d->FindFieldByNumber(2));
    envelope.contentEncoding = r->GetString(*m, d->FindFieldByNumber(3));
    envelope.contentType = r->GetString(*m, d->FindFieldByNumber(4));
    return envelope;
}

std::optional<nlohmann::ordered_json> messageToJson(const Schema& schema, const std::string& fullName,
                                                    std::string_view bytes)
{
    const Descriptor* descriptor = schema.message(fullName);
    if (!descriptor)
        return std::nullopt;
    const std::unique_ptr<Message> m = parseMessage(schema, descriptor, bytes);
    if (!m)
        return std::nullopt;
    return Writer(schema).message(*m, 0);
}

DecodedObject decodeObject(const Schema& schema, std::string_view value)
{
    DecodedObject result;
    const std::optional<Envelope> envelope = readEnvelope(schema, value);
    if (!envelope) {
        result.problem = isKubernetesProtobuf(value) ? "The Kubernetes envelope is truncated or corrupt."
                                                     : "Not a Kubernetes protobuf value.";
        return result;
    }
    result.apiVersion = envelope->apiVersion;
    result.kind = envelope->kind;
    if (!envelope->contentEncoding.empty()) {
        result.problem = "The object is stored with content encoding \"" + envelope->contentEncoding +
                         "\", which etcdscope does not read.";
        return result;
    }
    const Descriptor* descriptor = schema.messageFor(envelope->apiVersion, envelope->kind);
    if (!descriptor) {
        result.problem = "No schema is known for " + envelope->apiVersion + " " + envelope->kind + ".";
        return result;
    }
    const std::unique_ptr<Message> m = parseMessage(schema, descriptor, envelope->raw);
    if (!m) {
        result.problem = "The " + envelope->kind + " does not parse by its schema (truncated or corrupt).";
        return result;
    }
    Json object = Json::object();
    object["kind"] = envelope->kind;
    object["apiVersion"] = envelope->apiVersion;
    Writer writer(schema);
    writer.members(*m, schema.info(descriptor), object, 0);
    result.object = std::move(object);
    result.bySchema = true;
    return result;
}

}  // namespace etcdscope::kubernetes
