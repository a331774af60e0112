// Protobuf wire format written by hand, for tests that need values encoded
// the way Kubernetes stores them without Kubernetes' schemas.
#pragma once

#include <QByteArray>

#include <cstdint>

namespace etcdscope::testing::protobuf {

inline QByteArray varint(std::uint64_t v)
{
    QByteArray out;
    do {
        out += char((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return out;
}

// A length-delimited field: text, bytes or a nested message.
inline QByteArray bytesField(int number, const QByteArray& payload)
{
    return varint(std::uint64_t(number) << 3 | 2) + varint(std::uint64_t(payload.size())) + payload;
}

inline QByteArray numberField(int number, std::uint64_t value) { return varint(std::uint64_t(number) << 3) + varint(value); }

// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}.
inline QByteArray kubernetesEnvelope(const QByteArray& apiVersion, const QByteArray& kind, const QByteArray& object)
{
    return QByteArray("k8s\0", 4) + bytesField(1, bytesField(1, apiVersion) + bytesField(2, kind)) + bytesField(2, object)
        + bytesField(3, "") + bytesField(4, "");
}

}  // namespace etcdscope::testing::protobuf
