// A Kubernetes object stored in etcd as protobuf ("k8s\0", then a
// runtime.Unknown envelope holding apiVersion, kind and the object's bytes),
// decoded by its schema into the JSON Kubernetes itself writes for it
// (`kubectl get -o json`): Go's field names and order, omitempty as Go
// applies it, times as RFC 3339, quantities and int-or-strings as text or
// numbers, raw extensions embedded, bytes as base64.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace etcdscope::kubernetes {

class Schema;

struct Envelope {
    std::string apiVersion;
    std::string kind;
    std::string raw;              // the object's protobuf bytes
    std::string contentEncoding;  // usually empty
    std::string contentType;      // usually empty (protobuf)
};

struct DecodedObject {
    std::string apiVersion;
    std::string kind;
    // The object as Kubernetes writes it; null when it could not be decoded.
    nlohmann::ordered_json object;
    bool bySchema = false;  // false: no schema is known for this kind (or it did not parse)
    std::string problem;    // why not, one sentence; empty when decoded
};

inline constexpr std::string_view kProtobufMagic{"k8s\0", 4};

// Whether `value` starts with Kubernetes' protobuf magic.
bool isKubernetesProtobuf(std::string_view value);

// The envelope after the magic; nullopt when it does not parse.
std::optional<Envelope> readEnvelope(const Schema& schema, std::string_view value);

// The whole value (magic included) decoded by `schema`. Never throws; a
// truncated or hostile value gives `problem` and a null object.
DecodedObject decodeObject(const Schema& schema, std::string_view value);

// One message's bytes as JSON, by the message named `fullName`
// ("k8s.io.api.apps.v1.Deployment"); nullopt when unknown or not parsable.
std::optional<nlohmann::ordered_json> messageToJson(const Schema& schema, const std::string& fullName,
                                                    std::string_view bytes);

// Go's time.Duration text for `nanoseconds`: "1h2m3.5s", "150ms", "0s".
std::string goDuration(std::int64_t nanoseconds);
// RFC 3339 in UTC, with `fractionDigits` (0 or 6) digits of the second.
std::string rfc3339(std::int64_t seconds, std::int32_t nanos, int fractionDigits);

}  // namespace etcdscope::kubernetes
