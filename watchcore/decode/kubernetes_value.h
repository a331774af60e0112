// Values Kubernetes stores in etcd as protobuf: the "k8s\0" magic, then a
// runtime.Unknown envelope (typeMeta {apiVersion, kind}, raw object bytes,
// content encoding and type). Without the Kubernetes schemas the object is
// decoded generically from the protobuf wire format: field numbers with
// numbers, text, nested messages or bytes, so a person can read it instead of
// a hex dump.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace etcdscope {

struct KubernetesValue {
    QString apiVersion;
    QString kind;
    QString contentType;   // usually empty (meaning protobuf)
    QString fields;        // the object's fields, one per line, indented by nesting
};

// nullopt when `value` does not start with the magic or its envelope does
// not parse. Without `withFields` only the envelope is read (cheap enough
// for previews painted per row); `fields` stays empty.
std::optional<KubernetesValue> decodeKubernetesValue(const QByteArray& value, bool withFields = true);

// "v1 Pod (Kubernetes protobuf, 1234 bytes)", for one-line previews.
QString kubernetesPreview(const KubernetesValue& value, qsizetype bytes);

}  // namespace etcdscope
