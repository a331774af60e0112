#include "decode/kubernetes/registry_key.h"

#include <array>
#include <vector>

namespace etcdscope::kubernetes {

namespace {

struct Resource {
    std::string_view path;   // the key's segment(s) after the prefix
    std::string_view group;
    std::string_view kind;
    bool namespaced;
};

// The API server's storage paths for the built-in resources (its
// resource prefixes, some historical).
constexpr std::array kResources = {
    Resource{"pods", "", "Pod", true},
    Resource{"services/specs", "", "Service", true},
    Resource{"services/endpoints", "", "Endpoints", true},
    Resource{"serviceaccounts", "", "ServiceAccount", true},
    Resource{"secrets", "", "Secret", true},
    Resource{"configmaps", "", "ConfigMap", true},
    Resource{"namespaces", "", "Namespace", false},
    Resource{"minions", "", "Node", false},
    Resource{"persistentvolumes", "", "PersistentVolume", false},
    Resource{"persistentvolumeclaims", "", "PersistentVolumeClaim", true},
    Resource{"events", "", "Event", true},
    Resource{"limitranges", "", "LimitRange", true},
    Resource{"resourcequotas", "", "ResourceQuota", true},
    Resource{"controllers", "", "ReplicationController", true},
    Resource{"podtemplates", "", "PodTemplate", true},
    Resource{"ranges/serviceips", "", "RangeAllocation", false},
    Resource{"ranges/servicenodeports", "", "RangeAllocation", false},
    Resource{"masterleases", "", "Endpoints", false},
    Resource{"deployments", "apps", "Deployment", true},
    Resource{"replicasets", "apps", "ReplicaSet", true},
    Resource{"statefulsets", "apps", "StatefulSet", true},
    Resource{"daemonsets", "apps", "DaemonSet", true},
    Resource{"controllerrevisions", "apps", "ControllerRevision", true},
    Resource{"jobs", "batch", "Job", true},
    Resource{"cronjobs", "batch", "CronJob", true},
    Resource{"horizontalpodautoscalers", "autoscaling", "HorizontalPodAutoscaler", true},
    Resource{"leases", "coordination.k8s.io", "Lease", true},
    Resource{"leasecandidates", "coordination.k8s.io", "LeaseCandidate", true},
    Resource{"endpointslices", "discovery.k8s.io", "EndpointSlice", true},
    Resource{"ingress", "networking.k8s.io", "Ingress", true},
    Resource{"ingressclasses", "networking.k8s.io", "IngressClass", false},
    Resource{"networkpolicies", "networking.k8s.io", "NetworkPolicy", true},
    Resource{"ipaddresses", "networking.k8s.io", "IPAddress", false},
    Resource{"servicecidrs", "networking.k8s.io", "ServiceCIDR", false},
    Resource{"roles", "rbac.authorization.k8s.io", "Role", true},
    Resource{"rolebindings", "rbac.authorization.k8s.io", "RoleBinding", true},
    Resource{"clusterroles", "rbac.authorization.k8s.io", "ClusterRole", false},
    Resource{"clusterrolebindings", "rbac.authorization.k8s.io", "ClusterRoleBinding", false},
    Resource{"poddisruptionbudgets", "policy", "PodDisruptionBudget", true},
    Resource{"podsecuritypolicy", "policy", "PodSecurityPolicy", false},
    Resource{"storageclasses", "storage.k8s.io", "StorageClass", false},
    Resource{"volumeattachments", "storage.k8s.io", "VolumeAttachment", false},
    Resource{"csidrivers", "storage.k8s.io", "CSIDriver", false},
    Resource{"csinodes", "storage.k8s.io", "CSINode", false},
    Resource{"csistoragecapacities", "storage.k8s.io", "CSIStorageCapacity", true},
    Resource{"volumeattributesclasses", "storage.k8s.io", "VolumeAttributesClass", false},
    Resource{"priorityclasses", "scheduling.k8s.io", "PriorityClass", false},
    Resource{"runtimeclasses", "node.k8s.io", "RuntimeClass", false},
    Resource{"certificatesigningrequests", "certificates.k8s.io", "CertificateSigningRequest", false},
    Resource{"clustertrustbundles", "certificates.k8s.io", "ClusterTrustBundle", false},
    Resource{"mutatingwebhookconfigurations", "admissionregistration.k8s.io", "MutatingWebhookConfiguration", false},
    Resource{"validatingwebhookconfigurations", "admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
             false},
    Resource{"validatingadmissionpolicies", "admissionregistration.k8s.io", "ValidatingAdmissionPolicy", false},
    Resource{"validatingadmissionpolicybindings", "admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
             false},
    Resource{"mutatingadmissionpolicies", "admissionregistration.k8s.io", "MutatingAdmissionPolicy", false},
    Resource{"mutatingadmissionpolicybindings", "admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding",
             false},
    Resource{"apiextensions.k8s.io/customresourcedefinitions", "apiextensions.k8s.io", "CustomResourceDefinition",
             false},
    Resource{"apiregistration.k8s.io/apiservices", "apiregistration.k8s.io", "APIService", false},
    Resource{"flowschemas", "flowcontrol.apiserver.k8s.io", "FlowSchema", false},
    Resource{"prioritylevelconfigurations", "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", false},
    Resource{"storageversions", "internal.apiserver.k8s.io", "StorageVersion", false},
    Resource{"storageversionmigrations", "storagemigration.k8s.io", "StorageVersionMigration", false},
    Resource{"resourceclaims", "resource.k8s.io", "ResourceClaim", true},
    Resource{"resourceclaimtemplates", "resource.k8s.io", "ResourceClaimTemplate", true},
    Resource{"deviceclasses", "resource.k8s.io", "DeviceClass", false},
    Resource{"resourceslices", "resource.k8s.io", "ResourceSlice", false},
};

std::vector<std::string_view> split(std::string_view s)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= s.size()) {
        const std::size_t slash = s.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? s.size() : slash;
        parts.push_back(s.substr(start, end - start));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    return parts;
}

}  // namespace

std::string RegistryKey::label() const
{
    const std::string what = !kind.empty() ? kind : resource + (group.empty() ? "" : "." + group);
    return what + " " + (namespaceName.empty() ? name : namespaceName + "/" + name);
}

std::optional<RegistryKey> parseRegistryKey(std::string_view key, std::string_view prefix)
{
    if (key.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    const std::string_view rest = key.substr(prefix.size());
    // The longest known resource path that the key continues with a '/'.
    const Resource* best = nullptr;
    for (const Resource& r : kResources) {
        if (rest.size() > r.path.size() && rest.substr(0, r.path.size()) == r.path && rest[r.path.size()] == '/' &&
            (!best || r.path.size() > best->path.size()))
            best = &r;
    }
    RegistryKey out;
    std::vector<std::string_view> tail;
    if (best) {
        out.group = best->group;
        out.resource = std::string(best->path.substr(best->path.rfind('/') + 1));
        out.kind = best->kind;
        out.known = true;
        tail = split(rest.substr(best->path.size() + 1));
        if (best->namespaced && tail.size() == 2) {
            out.namespaceName = tail[0];
            out.name = tail[1];
        } else if (!best->namespaced && tail.size() == 1) {
            out.name = tail[0];
        } else {
            return std::nullopt;
        }
        if (out.name.empty())
            return std::nullopt;
        if (out.resource == "specs")
            out.resource = "services";
        else if (out.resource == "minions")
            out.resource = "nodes";
        else if (out.resource == "controllers")
            out.resource = "replicationcontrollers";
        else if (out.resource == "ingress")
            out.resource = "ingresses";
        return out;
    }
    // A custom resource: <group with a dot>/<resource>/[<namespace>/]<name>.
    const std::vector<std::string_view> parts = split(rest);
    if (parts.size() < 3 || parts.size() > 4 || parts[0].find('.') == std::string_view::npos)
        return std::nullopt;
    for (std::string_view p : parts) {
        if (p.empty())
            return std::nullopt;
    }
    out.group = parts[0];
    out.resource = parts[1];
    if (parts.size() == 4)
        out.namespaceName = parts[2];
    out.name = parts.back();
    return out;
}

bool agreesWith(const RegistryKey& key, std::string_view apiVersion, std::string_view kind)
{
    const std::size_t slash = apiVersion.find('/');
    const std::string_view group = slash == std::string_view::npos ? std::string_view() : apiVersion.substr(0, slash);
    if (key.kind.empty())
        return group == key.group;
    // Events are stored once, read as core/v1 or events.k8s.io; Ingress moved from extensions.
    const bool groupAgrees = group == key.group || (key.kind == "Event" && group == "events.k8s.io") ||
                             (key.kind == "Ingress" && group == "extensions");
    return groupAgrees && kind == key.kind;
}

}  // namespace etcdscope::kubernetes
