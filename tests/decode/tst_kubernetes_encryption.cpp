// Kubernetes' encryption at rest: values named by their prefix, keys read
// from an EncryptionConfiguration, and aescbc, aesgcm and secretbox values
// decrypted. The ciphertexts are made here by other code than the code under
// test: `openssl enc` for AES-CBC, OpenSSL's and libsodium's encrypting calls
// for AES-GCM and secretbox, laid out as the API server stores them.
#include "decode/kubernetes/encryption.h"
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/kubernetes_schema.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace etcdscope::kubernetes;

namespace {

const std::string kSecretKey = "/registry/secrets/default/db-password";

std::string randomBytes(std::size_t n)
{
    std::string out(n, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n));
    return out;
}

std::string base64(const std::string& s) { return QByteArray::fromStdString(s).toBase64().toStdString(); }

std::string configuration(const std::string& cbc, const std::string& gcm, const std::string& box)
{
    return "apiVersion: apiserver.config.k8s.io/v1\n"
           "kind: EncryptionConfiguration\n"
           "resources:\n"
           "  - resources: [secrets]\n"
           "    providers:\n"
           "      - aesgcm:\n"
           "          keys:\n"
           "            - name: gcm-1\n"
           "              secret: " + base64(gcm) + "\n"
           "      - aescbc:\n"
           "          keys:\n"
           "            - name: cbc-1\n"
           "              secret: " + base64(cbc) + "\n"
           "      - secretbox:\n"
           "          keys:\n"
           "            - name: box-1\n"
           "              secret: " + base64(box) + "\n"
           "      - identity: {}\n";
}

std::string storedSecret()
{
    QFile file(QStringLiteral(ETCDSCOPE_K8S_FIXTURES "/core.v1.Secret.pb"));
    return file.open(QIODevice::ReadOnly) ? file.readAll().toStdString() : std::string();
}

// AES-CBC by the openssl program: IV, then the PKCS#7-padded ciphertext.
std::string cbcByOpenssl(const std::string& key, const std::string& iv, const std::string& plaintext)
{
    QProcess openssl;
    openssl.start("openssl", {"enc", "-aes-256-cbc", "-K", QByteArray::fromStdString(key).toHex(), "-iv",
                              QByteArray::fromStdString(iv).toHex()});
    openssl.write(QByteArray::fromStdString(plaintext));
    openssl.closeWriteChannel();
    if (!openssl.waitForFinished(30'000) || openssl.exitCode() != 0)
        return {};
    return iv + openssl.readAllStandardOutput().toStdString();
}

// AES-GCM with the etcd key as authenticated data: nonce, ciphertext, tag.
std::string gcmByOpenssl(const std::string& key, const std::string& plaintext, const std::string& aad)
{
    const std::string nonce = randomBytes(12);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    std::string out(plaintext.size() + 16, '\0');
    int n = 0, last = 0, ignored = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                       reinterpret_cast<const unsigned char*>(nonce.data()));
    EVP_EncryptUpdate(ctx, nullptr, &ignored, reinterpret_cast<const unsigned char*>(aad.data()), int(aad.size()));
    EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                      reinterpret_cast<const unsigned char*>(plaintext.data()), int(plaintext.size()));
    EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &last);
    out.resize(std::size_t(n + last));
    std::string tag(16, '\0');
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    EVP_CIPHER_CTX_free(ctx);
    return nonce + out + tag;
}

// NaCl secretbox: nonce, then MAC and ciphertext.
std::string secretboxBySodium(const std::string& key, const std::string& plaintext)
{
    const std::string nonce = randomBytes(crypto_secretbox_NONCEBYTES);
    std::string box(plaintext.size() + crypto_secretbox_MACBYTES, '\0');
    crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()),
                          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                          reinterpret_cast<const unsigned char*>(nonce.data()),
                          reinterpret_cast<const unsigned char*>(key.data()));
    return nonce + box;
}

}  // namespace

class TestKubernetesEncryption : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(sodium_init() >= 0); }

    void shouldNameTheProviderAndKeyOfAnEncryptedValue()
    {
        const auto gcm = parseEncrypted("k8s:enc:aesgcm:v1:key1:\x01\x02");
        QVERIFY(gcm);
        QCOMPARE(gcm->describe(), std::string("encrypted by aesgcm (key key1)"));
        QCOMPARE(gcm->payload, std::string_view("\x01\x02"));
        const auto kms = parseEncrypted("k8s:enc:kms:v2:vault-plugin:\x0a\x03");
        QVERIFY(kms);
        QCOMPARE(kms->describe(), std::string("encrypted by KMS v2 (plugin vault-plugin)"));
        QVERIFY(!parseEncrypted("k8s\0"));
        QVERIFY(!parseEncrypted("k8s:enc:aesgcm:v1"));
        QVERIFY(!parseEncrypted("plain value"));
        // KMS is named, never decrypted here
        EncryptionKeys none;
        QVERIFY(QString::fromStdString(decrypt(none, *kms, kSecretKey).problem).contains("KMS plugin"));
    }

    void shouldDecryptEachProviderAndDecodeTheObjectInside()
    {
        // Given an EncryptionConfiguration with one key per provider, and a Secret as Kubernetes stores it
        const std::string cbcKey = randomBytes(32), gcmKey = randomBytes(32), boxKey = randomBytes(32);
        std::string error;
        const auto keys = parseEncryptionConfiguration(configuration(cbcKey, gcmKey, boxKey), "enc.yaml", &error);
        QVERIFY2(keys, error.c_str());
        QCOMPARE(keys->keys.size(), std::size_t(3));
        const std::string secret = storedSecret();
        QVERIFY(secret.size() > 100);

        const std::string cbc = cbcByOpenssl(cbcKey, randomBytes(16), secret);
        QVERIFY2(!cbc.empty(), "openssl enc failed");
        const std::vector<std::string> stored = {
            "k8s:enc:aescbc:v1:cbc-1:" + cbc,
            "k8s:enc:aesgcm:v1:gcm-1:" + gcmByOpenssl(gcmKey, secret, kSecretKey),
            "k8s:enc:secretbox:v1:box-1:" + secretboxBySodium(boxKey, secret),
        };
        for (const std::string& value : stored) {
            // When each is decrypted
            const auto encrypted = parseEncrypted(value);
            QVERIFY(encrypted);
            const Decryption decrypted = decrypt(*keys, *encrypted, kSecretKey);
            // Then the plaintext is the stored Secret, which decodes by its schema
            QVERIFY2(decrypted.plaintext, decrypted.problem.c_str());
            QCOMPARE(*decrypted.plaintext, secret);
            const DecodedObject object = decodeObject(Schema::builtIn(), *decrypted.plaintext);
            QVERIFY(object.bySchema);
            QCOMPARE(object.object.value("kind", ""), std::string("Secret"));
        }
    }

    void shouldSayWhyAValueDoesNotDecrypt()
    {
        const std::string gcmKey = randomBytes(32), boxKey = randomBytes(32);
        std::string error;
        const auto keys = parseEncryptionConfiguration(configuration(randomBytes(32), gcmKey, boxKey), "enc.yaml", &error);
        QVERIFY2(keys, error.c_str());
        const auto other = parseEncryptionConfiguration(configuration(randomBytes(32), randomBytes(32), randomBytes(32)),
                                                        "other.yaml", &error);
        const std::string secret = storedSecret();
        const std::string gcm = "k8s:enc:aesgcm:v1:gcm-1:" + gcmByOpenssl(gcmKey, secret, kSecretKey);

        // A value copied under another etcd key: AES-GCM's authenticated data does not match
        Decryption moved = decrypt(*keys, *parseEncrypted(gcm), "/registry/secrets/default/elsewhere");
        QVERIFY(!moved.plaintext);
        QVERIFY2(QString::fromStdString(moved.problem).contains("another etcd key"), moved.problem.c_str());
        // Another key of the same name
        Decryption wrong = decrypt(*other, *parseEncrypted(gcm), kSecretKey);
        QVERIFY(!wrong.plaintext);
        QVERIFY2(QString::fromStdString(wrong.problem).startsWith("Key gcm-1 of other.yaml does not decrypt"),
                 wrong.problem.c_str());
        const std::string box = "k8s:enc:secretbox:v1:box-1:" + secretboxBySodium(boxKey, secret);
        QVERIFY(!decrypt(*other, *parseEncrypted(box), kSecretKey).plaintext);
        // A key the configuration does not have
        Decryption missing = decrypt(*keys, *parseEncrypted("k8s:enc:aescbc:v1:cbc-9:" + std::string(32, 'x')), kSecretKey);
        QVERIFY2(QString::fromStdString(missing.problem).contains("enc.yaml has no aescbc key of that name"),
                 missing.problem.c_str());
        // Cut short
        QVERIFY(!decrypt(*keys, *parseEncrypted(gcm.substr(0, 40)), kSecretKey).plaintext);
    }

    void shouldRefuseAFileThatIsNoEncryptionConfiguration_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("sentence");
        QTest::newRow("not YAML") << "kind: [unclosed" << "is not YAML";
        QTest::newRow("another kind") << "kind: Pod\n" << "is not an EncryptionConfiguration";
        QTest::newRow("identity only") << "kind: EncryptionConfiguration\nresources:\n- providers:\n  - identity: {}\n"
                                       << "holds no aescbc, aesgcm or secretbox key";
        QTest::newRow("secret not base64")
            << "kind: EncryptionConfiguration\nresources:\n- providers:\n  - aescbc:\n      keys:\n      - name: k\n"
               "        secret: '%%%'\n"
            << "no name or no base64 secret";
    }

    void shouldRefuseAFileThatIsNoEncryptionConfiguration()
    {
        QFETCH(QString, text);
        QFETCH(QString, sentence);
        std::string error;
        QVERIFY(!parseEncryptionConfiguration(text.toStdString(), "bad.yaml", &error));
        QVERIFY2(QString::fromStdString(error).contains(sentence), error.c_str());
        QVERIFY(!loadEncryptionConfiguration("/nonexistent/enc.yaml", &error));
        QCOMPARE(error, std::string("Cannot read /nonexistent/enc.yaml."));
    }
};

QTEST_GUILESS_MAIN(TestKubernetesEncryption)
#include "tst_kubernetes_encryption.moc"
