// Hostile and broken Kubernetes values: every prefix of stored objects,
// random byte changes, lengths past the end and nesting far beyond any real
// object, fed to both decoders (by schema, and the schema-less fallback).
// Each must answer (an object, or a problem sentence) and never crash or
// hang; run under the asan preset for memory errors. A few seconds with
// fixed seeds by default; ETCDSCOPE_FUZZ_ITERATIONS sets how many.
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/kubernetes_schema.h"
#include "decode/kubernetes_value.h"

#include <QDir>
#include <QFile>
#include <QtTest>

#include <random>

using namespace etcdscope;
using namespace etcdscope::kubernetes;

namespace {

std::vector<QByteArray> fixtures()
{
    std::vector<QByteArray> out;
    const QDir dir(QStringLiteral(ETCDSCOPE_K8S_FIXTURES));
    for (const QString& name : dir.entryList({"*.pb"}, QDir::Files, QDir::Name)) {
        QFile file(dir.filePath(name));
        if (file.open(QIODevice::ReadOnly))
            out.push_back(file.readAll());
    }
    return out;
}

// Decodes with both decoders; true when the schema decoder answered consistently.
bool decodeBoth(const QByteArray& value)
{
    const DecodedObject decoded = decodeObject(Schema::builtIn(), std::string_view(value.constData(), std::size_t(value.size())));
    (void)decodeKubernetesValue(value);
    return decoded.bySchema ? decoded.object.is_object() && decoded.problem.empty() : !decoded.problem.empty();
}

void appendVarint(QByteArray& out, quint64 v)
{
    while (v >= 0x80) {
        out.append(char(v | 0x80));
        v >>= 7;
    }
    out.append(char(v));
}

}  // namespace

class TestKubernetesFuzz : public QObject {
    Q_OBJECT

private slots:
    void shouldAnswerEveryPrefixOfAStoredObject()
    {
        const std::vector<QByteArray> all = fixtures();
        QVERIFY(all.size() > 50);
        int refused = 0;
        for (const QByteArray& value : all) {
            for (qsizetype n = 0; n < value.size(); n += 1 + value.size() / 97) {
                QVERIFY(decodeBoth(value.left(n)));
                refused += !decodeObject(Schema::builtIn(), std::string_view(value.constData(), std::size_t(n))).bySchema;
            }
        }
        QVERIFY2(refused > 0, "a cut-short object must be refused somewhere");
    }

    void shouldAnswerRandomlyChangedObjects()
    {
        const std::vector<QByteArray> all = fixtures();
        const int iterations = qEnvironmentVariableIsSet("ETCDSCOPE_FUZZ_ITERATIONS")
                                   ? qEnvironmentVariableIntValue("ETCDSCOPE_FUZZ_ITERATIONS")
                                   : 100'000;
        std::mt19937 random(20261203);
        for (int i = 0; i < iterations; ++i) {
            QByteArray value = all[random() % all.size()];
            const int changes = 1 + int(random() % 8);
            for (int c = 0; c < changes && value.size() > 4; ++c) {
                const qsizetype at = 4 + qsizetype(random() % quint32(value.size() - 4));
                switch (random() % 4) {
                case 0: value[at] = char(random()); break;                      // a byte changed
                case 1: value.remove(at, 1 + qsizetype(random() % 16)); break;  // bytes lost
                case 2: {                                                       // a length past the end
                    QByteArray huge;
                    appendVarint(huge, 0xFFFFFFFFull + random());
                    value.insert(at, huge);
                    break;
                }
                default: value.insert(at, value.mid(at, qsizetype(random() % 64))); break;  // bytes repeated
                }
            }
            QVERIFY2(decodeBoth(value), qPrintable(QString("iteration %1").arg(i)));
        }
    }

    void shouldRefuseNestingBeyondAnyRealObject()
    {
        // A CustomResourceDefinition whose schema nests `not` 5,000 levels deep
        // (JSONSchemaProps.not = 28 in apiextensions v1)
        QByteArray nested;
        for (int i = 0; i < 5000; ++i) {
            QByteArray outer;
            outer.append(char(((28 << 3 | 2) & 0x7F) | 0x80));
            outer.append(char((28 << 3 | 2) >> 7));
            appendVarint(outer, quint64(nested.size()));
            nested = outer + nested;
        }
        QByteArray envelope("k8s\0", 4);
        QByteArray typeMeta;
        typeMeta.append(char(0x0A));
        appendVarint(typeMeta, 20);
        typeMeta.append("apiextensions.k8s.io");
        typeMeta.append(char(0x12));
        appendVarint(typeMeta, 17);
        typeMeta.append("JSONSchemaPropsXX");  // not a stored kind: decoded by the fallback only
        envelope.append(char(0x0A));
        appendVarint(envelope, quint64(typeMeta.size()));
        envelope.append(typeMeta);
        envelope.append(char(0x12));
        appendVarint(envelope, quint64(nested.size()));
        envelope.append(nested);
        QVERIFY(decodeBoth(envelope));
        // ... and the same bytes read by the schema of JSONSchemaProps itself are refused, not recursed
        const auto json = messageToJson(Schema::builtIn(),
                                        "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps",
                                        std::string_view(nested.constData(), std::size_t(nested.size())));
        QVERIFY(!json);
    }
};

QTEST_GUILESS_MAIN(TestKubernetesFuzz)
#include "tst_kubernetes_fuzz.moc"
