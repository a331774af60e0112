// The connection dialog: each kind of bad input named in one sentence with
// Connect disabled, certificates made by openssl (a good one, an expired
// one, one from another CA), the options it builds, and the keychain falling
// back to asking when no keychain service answers.
#include "shared/connection_dialog.h"
#include "test_pki.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::ui;

Q_DECLARE_METATYPE(etcdscope::ui::ConnectionInputs)

namespace {

ConnectionInputs in(const QString& endpoints = {}, bool tls = false, const QString& ca = {}, const QString& cert = {},
                    const QString& key = {}, const QString& user = {}, const QString& password = {})
{
    ConnectionInputs inputs;
    inputs.endpoints = endpoints;
    inputs.tls = tls;
    inputs.caFile = ca;
    inputs.certFile = cert;
    inputs.keyFile = key;
    inputs.user = user;
    inputs.password = password;
    return inputs;
}

}  // namespace

class TestConnectionDialog : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        // No session bus, so no keychain service can answer (as on a server
        // or a minimal desktop); the insecure fallback of QtKeychain is off.
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
        QVERIFY2(pki_.create().isEmpty(), "openssl could not make the test certificates");
        QFile text(pki_.path("notes.txt"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not a certificate\n");
    }

    void shouldNameTheProblem_data()
    {
        QTest::addColumn<ConnectionInputs>("inputs");
        QTest::addColumn<QString>("mentions");  // empty: no problem
        const QString ca = pki_.path("ca1.crt");
        const QString cert = pki_.path("client.crt");
        const QString key = pki_.path("client.key");
        QTest::newRow("plain, default endpoint") << in() << QString();
        QTest::newRow("TLS with CA, certificate and key")
            << in("https://127.0.0.1:2379", true, ca, cert, key, {}, {}) << QString();
        QTest::newRow("garbage endpoint") << in("127.0.0.1:notaport", false) << "notaport";
        QTest::newRow("https without TLS") << in("https://127.0.0.1:2379", false) << "tick Use TLS";
        QTest::newRow("CA file missing")
            << in("a:1", true, pki_.path("nothing.crt")) << "does not exist or cannot be read";
        QTest::newRow("CA file not PEM")
            << in("a:1", true, pki_.path("notes.txt")) << "not a PEM certificate";
        QTest::newRow("certificate without key") << in("a:1", true, ca, cert, {}) << "needs its key";
        QTest::newRow("key without certificate") << in("a:1", true, ca, {}, key) << "needs its client";
        QTest::newRow("expired client certificate")
            << in("a:1", true, ca, pki_.path("expired.crt"), pki_.path("expired.key"))
            << "expired on 2020-01-02";
        QTest::newRow("certificate given as key")
            << in("a:1", true, ca, cert, cert) << "not a PEM private key";
        QTest::newRow("user without password") << in("a:1", false, {}, {}, {}, "root", {})
                                               << "password of user root";
        QTest::newRow("user:password in the user field")
            << in("a:1", false, {}, {}, {}, "root:secret", "x") << "cannot contain ':'";
        QTest::newRow("TLS files but TLS off are ignored")
            << in("a:1", false, pki_.path("notes.txt"), {}, {}) << QString();
    }
    void shouldNameTheProblem()
    {
        QFETCH(ConnectionInputs, inputs);
        QFETCH(QString, mentions);
        const QString problem = ConnectionDialog::validationError(inputs);
        if (mentions.isEmpty())
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        else
            QVERIFY2(problem.contains(mentions), qPrintable(problem));
        // And the dialog shows the same sentence, with Connect disabled
        ConnectionDialog dialog;
        dialog.setInputs(inputs);
        QCOMPARE(dialog.findChild<QLabel*>("problemLabel")->text().contains(problem), true);
        QCOMPARE(dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled(), mentions.isEmpty());
    }

    void shouldBuildTheOptions()
    {
        const ConnectionOptions o = ConnectionDialog::optionsFor(
            in("https://10.0.0.1:2379, 10.0.0.2:2379", true, pki_.path("ca1.crt"), pki_.path("client.crt"),
               pki_.path("client.key"), "alice", "pw"));
        QCOMPARE(o.endpoints, (std::vector<std::string>{"10.0.0.1:2379", "10.0.0.2:2379"}));
        QVERIFY(o.tls.enabled());
        QCOMPARE(QString::fromStdString(o.tls.caFile), pki_.path("ca1.crt"));
        QCOMPARE(QString::fromStdString(o.tls.keyFile), pki_.path("client.key"));
        QCOMPARE(o.user, std::string("alice"));
        QCOMPARE(o.password, std::string("pw"));
        // TLS off: the files are not used
        const ConnectionOptions plain = ConnectionDialog::optionsFor(in("10.0.0.1:2379", false, pki_.path("ca1.crt")));
        QVERIFY(!plain.tls.enabled());
    }

    void shouldSayWhenNoKeychainCanKeepThePassword()
    {
        // When the password is to be remembered where no keychain answers
        QString storeError = "not called";
        storePassword("10.0.0.1:2379", "alice", "pw", this, [&](const QString& error) { storeError = error; });
        QTRY_VERIFY_WITH_TIMEOUT(storeError != "not called", 30'000);
        // Then the store fails with a reason (so the monitor asks next time),
        QVERIFY2(!storeError.isEmpty(), "a keychain answered; this test needs an environment without one");
        // and nothing can be read back
        QString readError = "not called", readBack = "unset";
        readPassword("10.0.0.1:2379", "alice", this, [&](const QString& password, const QString& error) {
            readBack = password;
            readError = error;
        });
        QTRY_VERIFY_WITH_TIMEOUT(readError != "not called", 30'000);
        QVERIFY(!readError.isEmpty());
        QVERIFY(readBack.isEmpty());
    }

    void shouldLookRightWithTls()
    {
        ConnectionDialog dialog;
        dialog.setInputs(in("https://etcd-0.example:2379,https://etcd-1.example:2379", true, pki_.path("ca1.crt"),
                            pki_.path("client.crt"), pki_.path("client.key"), "operator", "secret"));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(dialog.grab().save(QDir::temp().filePath("connection-dialog-tls.png")));
        dialog.findChild<QLineEdit*>("certEdit")->setText(pki_.path("expired.crt"));
        dialog.findChild<QLineEdit*>("keyEdit")->setText(pki_.path("expired.key"));
        QVERIFY(!dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(dialog.grab().save(QDir::temp().filePath("connection-dialog-expired.png")));
    }

private:
    testing::TestPki pki_;
};

QTEST_MAIN(TestConnectionDialog)
#include "tst_connection_dialog.moc"
