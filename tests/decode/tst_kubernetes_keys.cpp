// Kubernetes keys in etcd: which object a /registry key names, the API
// server's historical paths included, and custom resources by their shape.
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/registry_key.h"

#include <QtTest>

using namespace etcdscope::kubernetes;

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
