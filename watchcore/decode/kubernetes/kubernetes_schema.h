// The Kubernetes API's message definitions, from the table in schema.txt
// (written by scripts/k8s_schema.py from the published field names, numbers
// and types), turned into protobuf descriptors so that protobuf's own
// dynamic-message parser reads stored objects. Beside each field the table
// keeps what protobuf does not know and Kubernetes' JSON needs: the JSON
// name, Go's omitempty, pointer and inlining.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace etcdscope::kubernetes {

// How a message is written in JSON when it is not written as its fields.
enum class Special {
    None,
    Time,                 // RFC 3339, seconds; zero: null
    MicroTime,            // RFC 3339 with microseconds; zero: null
    Duration,             // Go's duration text, "1h2m3s"
    Quantity,             // its string
    IntOrString,          // a number or a string
    Raw,                  // its bytes are JSON: embedded
    List,                 // a wrapper around a list: the list itself
    SchemaOrArray,        // apiextensions: a schema, or a list of them
    SchemaOrBool,         // apiextensions: a schema, or a boolean
    SchemaOrStringArray,  // apiextensions: a schema, or a list of strings
    Timestamp,            // meta/v1 Timestamp: its fields
};

struct FieldInfo {
    const google::protobuf::FieldDescriptor* field = nullptr;
    std::string json;      // the JSON member name
    bool omitEmpty = false;
    bool pointer = false;  // Go pointer: written when set, even if zero
    bool inlined = false;  // its members are written into the parent's
    bool base64 = false;   // bytes (Go []byte): base64 in JSON; for a map, its values
};

struct MessageInfo {
    Special special = Special::None;
    std::vector<FieldInfo> fields;  // in Go's order, which is JSON's
};

class Schema {
public:
    // The schemas built into etcdscope (parsed once, on first use; thread-safe).
    static const Schema& builtIn();

    // Parses a table in schema.txt's format; errors() names what was wrong.
    explicit Schema(std::string_view table);

    // The message for an object of `kind` in `apiVersion` ("v1", "apps/v1",
    // "rbac.authorization.k8s.io/v1"), or null when no schema is known.
    const google::protobuf::Descriptor* messageFor(std::string_view apiVersion, std::string_view kind) const;
    const google::protobuf::Descriptor* message(const std::string& fullName) const;
    const MessageInfo& info(const google::protobuf::Descriptor* message) const;
    google::protobuf::DynamicMessageFactory& factory() const { return *factory_; }

    std::size_t messageCount() const { return infos_.size(); }
    const std::vector<std::string>& errors() const { return errors_; }

private:
    google::protobuf::SimpleDescriptorDatabase database_;
    std::unique_ptr<google::protobuf::DescriptorPool> pool_;
    std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
    std::unordered_map<const google::protobuf::Descriptor*, MessageInfo> infos_;
    std::vector<std::string> errors_;
};

// The protobuf package of an API group and version: "apps/v1" →
// "k8s.io.api.apps.v1", "v1" → "k8s.io.api.core.v1".
std::string packageFor(std::string_view apiVersion);

}  // namespace etcdscope::kubernetes
