// Kubernetes keys in etcd: which object a /registry key names, the API
// server's historical paths included, and custom resources by their shape;
// what changed between two versions of an object, and who owns it.
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/object_changes.h"
#include "decode/kubernetes/registry_key.h"

#include <QtTest>

using namespace etcdscope::kubernetes;

namespace {

// The JSON below names the web container's fieldsV1 entry KWEB; the API
// server writes it k:{"name":"web"} (a key that is itself JSON).
nlohmann::ordered_json withListKeys(std::string text)
{
    const std::string key = "\"k:{\\\"name\\\":\\\"web\\\"}\"";
    for (std::size_t at = text.find("\"KWEB\""); at != std::string::npos; at = text.find("\"KWEB\""))
        text.replace(at, 6, key);
    return nlohmann::ordered_json::parse(text);
}

}  // namespace

class TestKubernetesKeys : public QObject {
    Q_OBJECT

private slots:
    void shouldNameTheObjectOfAKey_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("label");
        QTest::newRow("pod") << "/registry/pods/default/web-0" << "" << "pods" << "Pod default/web-0";
        QTest::newRow("service (services/specs)") << "/registry/services/specs/kube-system/kube-dns" << ""
                                                  << "services" << "Service kube-system/kube-dns";
        QTest::newRow("endpoints") << "/registry/services/endpoints/default/kubernetes" << "" << "endpoints"
                                   << "Endpoints default/kubernetes";
        QTest::newRow("node (minions)") << "/registry/minions/worker-1" << "" << "nodes" << "Node worker-1";
        QTest::newRow("replication controller (controllers)") << "/registry/controllers/default/rc" << ""
                                                              << "replicationcontrollers"
                                                              << "ReplicationController default/rc";
        QTest::newRow("ingress") << "/registry/ingress/shop/front" << "networking.k8s.io" << "ingresses"
                                 << "Ingress shop/front";
        QTest::newRow("deployment") << "/registry/deployments/default/web" << "apps" << "deployments"
                                    << "Deployment default/web";
        QTest::newRow("cluster role") << "/registry/clusterroles/admin" << "rbac.authorization.k8s.io"
                                      << "clusterroles" << "ClusterRole admin";
        QTest::newRow("lease") << "/registry/leases/kube-node-lease/worker-1" << "coordination.k8s.io" << "leases"
                               << "Lease kube-node-lease/worker-1";
        QTest::newRow("CRD") << "/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com"
                             << "apiextensions.k8s.io" << "customresourcedefinitions"
                             << "CustomResourceDefinition widgets.example.com";
        QTest::newRow("namespaced custom resource") << "/registry/example.com/widgets/shop/blue" << "example.com"
                                                    << "widgets" << "widgets.example.com shop/blue";
        QTest::newRow("cluster custom resource") << "/registry/example.com/gadgets/red" << "example.com"
                                                 << "gadgets" << "gadgets.example.com red";
    }

    void shouldNameTheObjectOfAKey()
    {
        QFETCH(QString, key);
        QFETCH(QString, group);
        QFETCH(QString, resource);
        QFETCH(QString, label);
        const auto parsed = parseRegistryKey(key.toStdString());
        QVERIFY(parsed);
        QCOMPARE(QString::fromStdString(parsed->group), group);
        QCOMPARE(QString::fromStdString(parsed->resource), resource);
        QCOMPARE(QString::fromStdString(parsed->label()), label);
    }

    void shouldNotNameWhatIsNoObject_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("outside /registry") << "/config/app";
        QTest::newRow("a resource without a name") << "/registry/pods/default/";
        QTest::newRow("a namespaced resource without a namespace") << "/registry/pods/web-0";
        QTest::newRow("too deep") << "/registry/pods/default/web/extra";
        QTest::newRow("no group dot") << "/registry/unknownthing/a/b";
    }

    void shouldNotNameWhatIsNoObject()
    {
        QFETCH(QString, key);
        QVERIFY(!parseRegistryKey(key.toStdString()));
    }

    void shouldConfirmTheKindAgainstTheValue()
    {
        const auto deployment = parseRegistryKey("/registry/deployments/default/web");
        QVERIFY(agreesWith(*deployment, "apps/v1", "Deployment"));
        QVERIFY(!agreesWith(*deployment, "v1", "Pod"));
        const auto event = parseRegistryKey("/registry/events/default/e1");
        QVERIFY(agreesWith(*event, "v1", "Event"));
        QVERIFY(agreesWith(*event, "events.k8s.io/v1", "Event"));
        const auto widget = parseRegistryKey("/registry/example.com/widgets/shop/blue");
        QVERIFY(agreesWith(*widget, "example.com/v1", "Widget"));
        QVERIFY(!agreesWith(*widget, "other.io/v1", "Widget"));
    }

    void shouldNameTheFieldsThatChangedAndWhoOwnsThem()
    {
        // Given a Deployment scaled by the controller manager and given a new image by kubectl: its
        // managedFields as the API server keeps them (fieldsV1 sets per manager)
        const auto before = withListKeys(R"({
          "kind": "Deployment", "apiVersion": "apps/v1",
          "metadata": {"name": "web", "namespace": "default", "resourceVersion": "100", "generation": 4,
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "time": "2026-01-01T00:00:00Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
                                 "f:containers": {"KWEB": {".": {}, "f:image": {}, "f:name": {}}}}}}}}]},
          "spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.25"}, {"name": "sidecar", "image": "envoy:1"}]}}},
          "status": {"replicas": 2}})");
        const auto after = withListKeys(R"({
          "kind": "Deployment", "apiVersion": "apps/v1",
          "metadata": {"name": "web", "namespace": "default", "resourceVersion": "187", "generation": 5,
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "time": "2026-01-02T00:00:00Z",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
                                 "f:containers": {"KWEB": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
                              {"manager": "kube-controller-manager", "operation": "Update", "subresource": "scale",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
          "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "sidecar", "image": "envoy:1"}, {"name": "web", "image": "nginx:1.27"}]}}},
          "status": {"replicas": 2}})");

        // When the two versions are compared
        const ObjectChanges changes = objectChanges(before, after);

        // Then the replicas and the web container's image changed (the sidecar only moved in the list),
        // each with its owner; resourceVersion and managedFields are not listed; the generation bump is
        QCOMPARE(changes.changes.size(), std::size_t(2));
        QCOMPARE(changes.changes[0].path, std::string("spec.replicas"));
        QCOMPARE(changes.changes[0].before, std::string("2"));
        QCOMPARE(changes.changes[0].after, std::string("3"));
        QCOMPARE(changes.changes[0].managers, std::vector<std::string>{"kube-controller-manager (scale)"});
        QCOMPARE(changes.changes[1].path, std::string("spec.template.spec.containers[web].image"));
        QCOMPARE(changes.changes[1].managers, std::vector<std::string>{"kubectl"});
        QCOMPARE(changes.generationBefore, std::int64_t(4));
        QCOMPARE(changes.generationAfter, std::int64_t(5));
        QCOMPARE(describeChanges(changes),
                 std::string("kube-controller-manager (scale): spec.replicas 2 \u2192 3\n"
                             "kubectl: spec.template.spec.containers[web].image \"nginx:1.25\" \u2192 \"nginx:1.27\"\n"
                             "generation 4 \u2192 5\n"));

        // And a write that changed only the resourceVersion says so
        auto touched = before;
        touched["metadata"]["resourceVersion"] = "101";
        const ObjectChanges noise = objectChanges(before, touched);
        QVERIFY(noise.changes.empty());
        QVERIFY(noise.onlyNoise);
    }

    void shouldWriteGoDurationsAndTimes()
    {
        // Go's time.Duration.String() and Kubernetes' RFC 3339 forms
        QCOMPARE(goDuration(0), std::string("0s"));
        QCOMPARE(goDuration(1'500'000'000), std::string("1.5s"));
        QCOMPARE(goDuration(3'600'000'000'000), std::string("1h0m0s"));
        QCOMPARE(goDuration(3'723'000'000'000), std::string("1h2m3s"));
        QCOMPARE(goDuration(150'000'000), std::string("150ms"));
        QCOMPARE(goDuration(2'500), std::string("2.5\u00b5s"));
        QCOMPARE(goDuration(-90'000'000'000), std::string("-1m30s"));
        QCOMPARE(rfc3339(1'199'149'261, 0, 0), std::string("2008-01-01T01:01:01Z"));
        QCOMPARE(rfc3339(0, 0, 0), std::string("1970-01-01T00:00:00Z"));
        QCOMPARE(rfc3339(1'199'149'261, 123'456'789, 6), std::string("2008-01-01T01:01:01.123456Z"));
        QCOMPARE(rfc3339(-1, 0, 0), std::string("1969-12-31T23:59:59Z"));
    }
};

QTEST_GUILESS_MAIN(TestKubernetesKeys)
#include "tst_kubernetes_keys.moc"
