// Values Kubernetes stores in etcd as protobuf: the "k8s\0" magic, then a
// runtime.Unknown envelope (typeMeta {apiVersion, kind}, raw object bytes,
// content encoding and type). A kind with a schema (decode/kubernetes) is
// decoded into the JSON Kubernetes writes for it; any other is decoded
// without one from the protobuf wire format: field numbers with numbers,
// text, nested messages or bytes, so a person can read it instead of a hex
// dump.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace etcdscope {

struct KubernetesValue {
    QString apiVersion;
    QString kind;
    QString contentType;   // usually empty (meaning protobuf)
    QString fields;        // without the schema: the object's fields, one per line, indented by nesting
    // By the schema: the object as Kubernetes writes it (JSON, two-space
    // indents); empty when no schema is known or it did not parse (`problem` says which).
    QString json;
    QString problem;
    // Encrypted at rest: "encrypted by aesgcm (key key1)"; the fields above
    // are the decrypted object's when the key was at hand.
    QString encryption;
    bool decrypted = false;
    bool bySchema() const { return !json.isEmpty(); }
};

// nullopt when `value` does not start with the magic or its envelope does
// not parse. Without `withFields` only the envelope is read (cheap enough
// for previews painted per row); `fields` and `json` stay empty. With it,
// `json` holds the object by its schema and `fields` the schema-less decode
// (kept for kinds without a schema).
// A value encrypted at rest ("k8s:enc:…") is named, and decrypted with the
// keys in use (kubernetes::useEncryptionKeys) when they hold its key;
// `etcdKey` is the key it is stored under (AES-GCM authenticates it).
std::optional<KubernetesValue> decodeKubernetesValue(const QByteArray& value, bool withFields = true,
                                                     const QByteArray& etcdKey = {});

// "v1 Pod (Kubernetes protobuf, 1234 bytes)", for one-line previews.
QString kubernetesPreview(const KubernetesValue& value, qsizetype bytes);

}  // namespace etcdscope
