#include "decode/kubernetes_value.h"

#include "decode/kubernetes/encryption.h"
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/kubernetes_schema.h"

#include "decode/value_text.h"
#include "format/event_format.h"

#include <QDateTime>
#include <QObject>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace etcdscope {

namespace {

constexpr char kMagic[] = {'k', '8', 's', '\0'};
constexpr int kMaxDepth = 12;
constexpr int kMaxLines = 4000;

struct Reader {
    const unsigned char* p;
    const unsigned char* end;

    bool varint(std::uint64_t& out)
    {
        out = 0;
        for (int shift = 0; shift < 64 && p < end; shift += 7) {
            const unsigned char byte = *p++;
            out |= std::uint64_t(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                return true;
        }
        return false;
    }
};

struct Field {
    std::uint32_t number = 0;
    int wireType = 0;
    std::uint64_t value = 0;  // varint, fixed64 or fixed32
    QByteArray bytes;         // length-delimited
};

// Every field of `data` as a protobuf message, or false when it is not one.
bool parseMessage(const QByteArray& data, std::vector<Field>& fields)
{
    Reader r{reinterpret_cast<const unsigned char*>(data.constData()),
             reinterpret_cast<const unsigned char*>(data.constData()) + data.size()};
    while (r.p < r.end) {
        std::uint64_t tag = 0;
        if (!r.varint(tag) || (tag >> 3) == 0 || (tag >> 3) > 536870911)
            return false;
        Field f;
        f.number = std::uint32_t(tag >> 3);
        f.wireType = int(tag & 7);
        switch (f.wireType) {
        case 0:
            if (!r.varint(f.value))
                return false;
            break;
        case 1:
        case 5: {
            const int size = f.wireType == 1 ? 8 : 4;
            if (r.end - r.p < size)
                return false;
            for (int i = size - 1; i >= 0; --i)
                f.value = (f.value << 8) | r.p[i];
            r.p += size;
            break;
        }
        case 2: {
            std::uint64_t length = 0;
            if (!r.varint(length) || length > std::uint64_t(r.end - r.p))
                return false;
            f.bytes = QByteArray(reinterpret_cast<const char*>(r.p), qsizetype(length));
            r.p += length;
            break;
        }
        default:
            return false;  // groups (3, 4) are not used by Kubernetes
        }
        fields.push_back(std::move(f));
    }
    return true;
}

QString text(const std::vector<Field>& fields, std::uint32_t number)
{
    for (const Field& f : fields)
        if (f.number == number && f.wireType == 2)
            return QString::fromUtf8(f.bytes);
    return {};
}

QByteArray bytes(const std::vector<Field>& fields, std::uint32_t number)
{
    for (const Field& f : fields)
        if (f.number == number && f.wireType == 2)
            return f.bytes;
    return {};
}

// The few field names every Kubernetes object shares (from
// k8s.io/apimachinery's and k8s.io/api's generated.proto): the object's
// metadata, and spec/status for the kinds that have them. Other fields keep
// their numbers.
struct Schema;
struct FieldName {
    std::uint32_t number;
    const char* name;
    const Schema* nested = nullptr;  // the message's own names
    enum class Shape { Plain, Map, Time } shape = Shape::Plain;
};
struct Schema {
    std::vector<FieldName> fields;
    const FieldName* find(std::uint32_t number) const
    {
        for (const FieldName& f : fields)
            if (f.number == number)
                return &f;
        return nullptr;
    }
};

const Schema kOwnerReference{{{1, "kind"}, {3, "name"}, {4, "uid"}, {5, "apiVersion"}, {6, "controller"},
                              {7, "blockOwnerDeletion"}}};
const Schema kObjectMeta{{{1, "name"}, {2, "generateName"}, {3, "namespace"}, {4, "selfLink"}, {5, "uid"},
                          {6, "resourceVersion"}, {7, "generation"},
                          {8, "creationTimestamp", nullptr, FieldName::Shape::Time},
                          {9, "deletionTimestamp", nullptr, FieldName::Shape::Time}, {10, "deletionGracePeriodSeconds"},
                          {11, "labels", nullptr, FieldName::Shape::Map}, {12, "annotations", nullptr, FieldName::Shape::Map},
                          {13, "ownerReferences", &kOwnerReference}, {14, "finalizers"}, {17, "managedFields"}}};
const Schema kObjectWithSpec{{{1, "metadata", &kObjectMeta}, {2, "spec"}, {3, "status"}}};
const Schema kConfigMap{{{1, "metadata", &kObjectMeta}, {2, "data", nullptr, FieldName::Shape::Map},
                         {3, "binaryData", nullptr, FieldName::Shape::Map}, {4, "immutable"}}};
const Schema kSecret{{{1, "metadata", &kObjectMeta}, {2, "data", nullptr, FieldName::Shape::Map}, {3, "type"},
                      {4, "stringData", nullptr, FieldName::Shape::Map}, {5, "immutable"}}};
const Schema kObjectOnly{{{1, "metadata", &kObjectMeta}}};

const Schema& schemaOf(const QString& kind)
{
    if (kind == QLatin1String("ConfigMap"))
        return kConfigMap;
    if (kind == QLatin1String("Secret"))
        return kSecret;
    static const QStringList withSpec{"Pod", "Service", "Node", "Namespace", "PersistentVolume",
                                      "PersistentVolumeClaim", "ReplicationController", "Deployment", "ReplicaSet",
                                      "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress", "NetworkPolicy",
                                      "HorizontalPodAutoscaler", "PodDisruptionBudget", "CustomResourceDefinition",
                                      "APIService", "Lease", "ResourceQuota", "LimitRange", "StorageClass"};
    return withSpec.contains(kind) ? kObjectWithSpec : kObjectOnly;
}

void describe(const std::vector<Field>& fields, const Schema* schema, int depth, QStringList& lines)
{
    const QString indent(depth * 2, ' ');
    for (const Field& f : fields) {
        if (lines.size() >= kMaxLines) {
            lines << indent + QObject::tr("… (cut short)");
            return;
        }
        const FieldName* name = schema ? schema->find(f.number) : nullptr;
        const QString head = indent + QString::number(f.number) + (name ? QString(" ") + name->name : QString()) + ": ";
        if (f.wireType != 2) {
            lines << head + QString::number(f.value);
            continue;
        }
        std::vector<Field> nested;
        if (name && name->shape != FieldName::Shape::Plain && parseMessage(f.bytes, nested)) {
            if (name->shape == FieldName::Shape::Map) {  // an entry: {1: key, 2: value}
                const QString key = text(nested, 1);
                const QByteArray value = bytes(nested, 2);
                lines << indent + QString::number(f.number) + " " + name->name + "[\"" + key + "\"]: "
                             + (isPrintableText(value) ? "\"" + QString::fromUtf8(value).replace('\n', "\\n") + "\""
                                                     : QObject::tr("<%1 bytes>").arg(value.size()));
            } else {  // Time: {1: seconds, 2: nanos}
                qint64 seconds = 0;
                for (const Field& t : nested)
                    if (t.number == 1 && t.wireType == 0)
                        seconds = qint64(t.value);
                lines << head + QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
            }
            continue;
        }
        // Text first: short words are often also valid protobuf by accident.
        if (isPrintableText(f.bytes) && !f.bytes.isEmpty()) {
            lines << head + "\"" + QString::fromUtf8(f.bytes).replace('\n', "\\n") + "\"";
        } else if (depth < kMaxDepth && !f.bytes.isEmpty() && parseMessage(f.bytes, nested) && !nested.empty()) {
            lines << head + "{";
            describe(nested, name ? name->nested : nullptr, depth + 1, lines);
            lines << indent + "}";
        } else {
            lines << head + QObject::tr("<%1 bytes> %2")
                                .arg(f.bytes.size())
                                .arg(QString::fromLatin1(f.bytes.left(24).toHex(' ')));
        }
    }
}

}  // namespace

std::optional<KubernetesValue> decodeKubernetesValue(const QByteArray& value, bool withFields, const QByteArray& etcdKey)
{
    const std::string_view bytes(value.constData(), std::size_t(value.size()));
    if (const auto encrypted = kubernetes::parseEncrypted(bytes)) {
        KubernetesValue out;
        out.encryption = QString::fromStdString(encrypted->describe());
        if (!withFields)
            return out;
        const auto keys = kubernetes::encryptionKeysInUse();
        if (!keys) {
            out.problem = QObject::tr("Open the cluster's EncryptionConfiguration (File > Kubernetes encryption "
                                      "keys…) to read it.");
            return out;
        }
        const kubernetes::Decryption decryption =
            kubernetes::decrypt(*keys, *encrypted, std::string_view(etcdKey.constData(), std::size_t(etcdKey.size())));
        if (!decryption.plaintext) {
            out.problem = QString::fromStdString(decryption.problem);
            return out;
        }
        const QByteArray plaintext = QByteArray::fromStdString(*decryption.plaintext);
        std::optional<KubernetesValue> inner = decodeKubernetesValue(plaintext, true, etcdKey);
        if (!inner) {
            // Decrypted, and not protobuf: JSON (custom resources), or something else.
            const auto object = nlohmann::ordered_json::parse(*decryption.plaintext, nullptr, false);
            if (!object.is_discarded() && object.is_object()) {
                out.apiVersion = QString::fromStdString(object.value("apiVersion", ""));
                out.kind = QString::fromStdString(object.value("kind", ""));
                out.json = QString::fromStdString(object.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
            } else {
                out.problem = QObject::tr("Decrypted, but the plaintext is neither a Kubernetes object nor JSON.");
            }
            out.decrypted = true;
            return out;
        }
        inner->encryption = out.encryption;
        inner->decrypted = true;
        return inner;
    }
    if (!value.startsWith(QByteArray(kMagic, sizeof kMagic)))
        return std::nullopt;
    std::vector<Field> envelope;
    if (!parseMessage(value.mid(sizeof kMagic), envelope))
        return std::nullopt;
    KubernetesValue out;
    QByteArray raw;
    for (const Field& f : envelope) {
        if (f.number == 1 && f.wireType == 2) {
            std::vector<Field> typeMeta;
            if (!parseMessage(f.bytes, typeMeta))
                return std::nullopt;
            out.apiVersion = text(typeMeta, 1);
            out.kind = text(typeMeta, 2);
        } else if (f.number == 2 && f.wireType == 2) {
            raw = f.bytes;
        } else if (f.number == 4 && f.wireType == 2) {
            out.contentType = QString::fromUtf8(f.bytes);
        }
    }
    if (out.kind.isEmpty())
        return std::nullopt;
    if (!withFields)
        return out;
    std::vector<Field> object;
    QStringList lines;
    if (parseMessage(raw, object))
        describe(object, &schemaOf(out.kind), 0, lines);
    else
        lines << QObject::tr("(the object's %1 bytes are not protobuf)").arg(raw.size());
    out.fields = lines.join('\n');
    const kubernetes::DecodedObject decoded =
        kubernetes::decodeObject(kubernetes::Schema::builtIn(), std::string_view(value.constData(), std::size_t(value.size())));
    if (decoded.bySchema)
        out.json = QString::fromStdString(decoded.object.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    else
        out.problem = QString::fromStdString(decoded.problem);
    return out;
}

QString kubernetesPreview(const KubernetesValue& value, qsizetype bytes)
{
    if (!value.encryption.isEmpty() && value.kind.isEmpty())
        return QObject::tr("Kubernetes value %1 (%2 bytes)").arg(value.encryption).arg(bytes);
    return QObject::tr("%1 %2 (Kubernetes protobuf, %3 bytes)").arg(value.apiVersion, value.kind).arg(bytes);
}

}  // namespace etcdscope
