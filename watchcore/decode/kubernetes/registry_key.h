// What a Kubernetes key in etcd names: /registry/<resource>/[<namespace>/]<name>,
// with the API server's historical paths (services/specs, minions for nodes,
// controllers for ReplicationControllers, ingress …) and custom resources
// under /registry/<group>/<resource>/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace etcdscope::kubernetes {

struct RegistryKey {
    std::string group;      // "" for the core group, "apps", "example.com" …
    std::string resource;   // the plural resource: "deployments", "services"
    std::string kind;       // "Deployment"; empty for a custom resource (its kind is in the value)
    std::string namespaceName;  // empty when cluster-scoped
    std::string name;
    bool known = false;     // a built-in resource etcdscope knows; false: read from the path's shape

    // "Deployment default/web", "Node worker-1", "widgets.example.com shop/blue".
    std::string label() const;
};

// nullopt when `key` is not under a registry prefix ("/registry/" by
// default, as the API server's --etcd-prefix) or names no object.
std::optional<RegistryKey> parseRegistryKey(std::string_view key, std::string_view prefix = "/registry/");

// Whether a decoded value's apiVersion and kind agree with what the key names
// (the group of apiVersion and the kind; any version).
bool agreesWith(const RegistryKey& key, std::string_view apiVersion, std::string_view kind);

}  // namespace etcdscope::kubernetes
