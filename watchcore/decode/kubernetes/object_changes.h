// What changed between two versions of a Kubernetes object, as a person
// asks it: the fields whose values differ (list items matched by name), the
// noise every write brings left out (resourceVersion, managedFields' times,
// the generation bump, said once), and for each field the field manager that
// owns it according to metadata.managedFields ("kube-controller-manager:
// spec.replicas").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace etcdscope::kubernetes {

struct FieldChange {
    std::string path;      // "spec.replicas", "spec.template.spec.containers[web].image"
    std::string before;    // compact JSON; empty when the field was absent
    std::string after;     // compact JSON; empty when the field is gone
    std::vector<std::string> managers;  // owners of the field after the change (before, for a removal)
};

struct ObjectChanges {
    std::vector<FieldChange> changes;    // in the object's order
    std::int64_t generationBefore = 0;   // metadata.generation, 0 when absent
    std::int64_t generationAfter = 0;
    bool onlyNoise = false;              // something changed, but only what every write changes
};

ObjectChanges objectChanges(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after);

// "kube-controller-manager: spec.replicas 1 → 3", one line a change.
std::string describeChanges(const ObjectChanges& changes);

}  // namespace etcdscope::kubernetes
