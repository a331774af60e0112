// Kubernetes' own round-trip fixtures (tests/data/kubernetes, from
// kubernetes/api and kubernetes/apiextensions-apiserver testdata/HEAD; see the
// README there): every stored object (.pb, the bytes as in etcd) must decode
// to the JSON Kubernetes writes for it (.json), member for member and in the
// same order. The count per API group is printed.
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/kubernetes_schema.h"

#include <QDir>
#include <QFile>
#include <QMap>
#include <QtTest>

using namespace etcdscope::kubernetes;

namespace {

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TestKubernetesFixtures : public QObject {
    Q_OBJECT

private slots:
    void shouldBuildEverySchema()
    {
        const Schema& schema = Schema::builtIn();
        QVERIFY2(schema.errors().empty(), schema.errors().empty() ? "" : schema.errors().front().c_str());
        QVERIFY(schema.messageCount() > 1000);
    }

    void shouldDecodeEveryFixtureToItsJson_data()
    {
        QTest::addColumn<QString>("stem");
        const QDir dir(QStringLiteral(ETCDSCOPE_K8S_FIXTURES));
        const QStringList stored = dir.entryList({"*.pb"}, QDir::Files, QDir::Name);
        QVERIFY2(stored.size() >= 80, qPrintable(QString("%1 fixtures in %2").arg(stored.size()).arg(dir.path())));
        for (const QString& name : stored) {
            const QString stem = name.chopped(3);
            QTest::newRow(qPrintable(stem)) << dir.filePath(stem);
        }
    }

    void shouldDecodeEveryFixtureToItsJson()
    {
        QFETCH(QString, stem);
        const QByteArray stored = readAll(stem + ".pb");
        const QByteArray expectedText = readAll(stem + ".json");
        QVERIFY(!stored.isEmpty());
        QVERIFY(!expectedText.isEmpty());
        const DecodedObject decoded = decodeObject(Schema::builtIn(), std::string_view(stored.data(), std::size_t(stored.size())));
        QVERIFY2(decoded.bySchema, decoded.problem.c_str());
        const auto expected = nlohmann::ordered_json::parse(expectedText.toStdString());
        if (decoded.object != expected) {
            // Name what differs, as a JSON patch from the decoded object to the fixture.
            const auto patch = nlohmann::json::diff(nlohmann::json(decoded.object), nlohmann::json(expected));
            const std::string what = patch.empty() ? std::string("the members' order differs")
                                                   : patch.dump().substr(0, 1500);
            QFAIL(what.c_str());
        }
        const QString group = QFileInfo(stem).fileName().section('.', 0, -2);  // group.version
        ++counts_[group];
    }

    void cleanupTestCase()
    {
        int total = 0;
        for (auto it = counts_.cbegin(); it != counts_.cend(); ++it) {
            qInfo().noquote() << QString("%1: %2").arg(it.key(), -45).arg(it.value());
            total += it.value();
        }
        qInfo().noquote() << "fixtures decoded equal to their JSON:" << total;
    }

private:
    QMap<QString, int> counts_;
};

QTEST_GUILESS_MAIN(TestKubernetesFixtures)
#include "tst_kubernetes_fixtures.moc"
