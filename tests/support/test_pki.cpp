#include "test_pki.h"

#include "etcd_process.h"

#include <QDir>
#include <QFile>
#include <QProcess>

namespace etcdscope::testing {

QString TestPki::create()
{
    if (!dir_.isValid())
        return "no temporary directory";
    QFile serverExt(path("server.ext"));
    QFile clientExt(path("client.ext"));
    if (!serverExt.open(QIODevice::WriteOnly) || !clientExt.open(QIODevice::WriteOnly))
        return "cannot write extension files";
    // etcd's gateway dials its own listener with the server certificate
    // as a client certificate, hence clientAuth as well.
    serverExt.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    clientExt.write("extendedKeyUsage=clientAuth\n");
    serverExt.close();
    clientExt.close();
    QString error;
    for (const QString name : {"ca1", "ca2"})
        if (!(error = openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                               "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-subj",
                               "/CN=etcdscope test " + name}))
                 .isEmpty())
            return error;
    for (const QString name : {"server", "client", "expired"})
        if (!(error = openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                               "-keyout", name + ".key", "-out", name + ".csr", "-subj",
                               name == "server" ? QString("/CN=localhost") : QString("/CN=root")}))
                 .isEmpty())
            return error;
    if (!(error = openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca1.crt", "-CAkey", "ca1.key",
                           "-set_serial", "2", "-days", "2", "-extfile", "server.ext", "-out", "server.crt"}))
             .isEmpty())
        return error;
    if (!(error = openssl({"x509", "-req", "-in", "client.csr", "-CA", "ca1.crt", "-CAkey", "ca1.key",
                           "-set_serial", "3", "-days", "2", "-extfile", "client.ext", "-out", "client.crt"}))
             .isEmpty())
        return error;
    // openssl 3.0's x509 cannot back-date a certificate; `openssl ca` can.
    return signExpired();
}

QString TestPki::signExpired()
{
    QDir(dir_.path()).mkdir("db");
    QFile index(path("db/index.txt"));
    QFile serial(path("db/serial"));
    QFile config(path("ca.cnf"));
    if (!index.open(QIODevice::WriteOnly) || !serial.open(QIODevice::WriteOnly)
        || !config.open(QIODevice::WriteOnly))
        return "cannot write the CA database";
    serial.write("04\n");
    config.write("[ ca ]\ndefault_ca = test_ca\n"
                 "[ test_ca ]\ndatabase = db/index.txt\nserial = db/serial\nnew_certs_dir = db\n"
                 "certificate = ca1.crt\nprivate_key = ca1.key\ndefault_md = sha256\npolicy = any_name\n"
                 "unique_subject = no\nx509_extensions = client_ext\n"
                 "[ any_name ]\ncommonName = supplied\n"
                 "[ client_ext ]\nextendedKeyUsage = clientAuth\n");
    index.close();
    serial.close();
    config.close();
    return openssl({"ca", "-batch", "-notext", "-config", "ca.cnf", "-in", "expired.csr", "-out", "expired.crt",
                    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"});
}

QString TestPki::openssl(const QStringList& arguments)
{
    QProcess process;
    process.setWorkingDirectory(dir_.path());
    process.start("openssl", arguments);
    if (!process.waitForStarted(10'000) || !process.waitForFinished(60'000))
        return "openssl " + arguments.join(' ') + " did not run";
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return "openssl " + arguments.join(' ') + " failed: " + QString::fromLocal8Bit(process.readAllStandardError());
    return {};
}

std::unique_ptr<EtcdProcess> tlsEtcd(const TestPki& pki, const std::string& name, int tlsPort,
                                     const QStringList& extraArguments)
{
    MemberSetup setup;
    setup.name = name;
    setup.clientPort = freeLoopbackPort();
    setup.peerPort = freeLoopbackPort();
    setup.advertisedPeerUrl = "http://127.0.0.1:" + std::to_string(setup.peerPort);
    setup.initialCluster = name + "=" + setup.advertisedPeerUrl;
    setup.clusterToken = "etcdscope-" + name;
    const QString plain = QString("http://127.0.0.1:%1").arg(setup.clientPort);
    // etcd takes the last of repeated flags: these replace the helper's
    // plain-only listener with a plain one and a TLS one.
    return std::make_unique<EtcdProcess>(
        setup, QStringList{"--listen-client-urls", plain + QString(",https://127.0.0.1:%1").arg(tlsPort),
                           "--advertise-client-urls", plain, "--cert-file", pki.path("server.crt"), "--key-file",
                           pki.path("server.key"), "--trusted-ca-file", pki.path("ca1.crt"), "--client-cert-auth"}
                   + extraArguments);
}

}  // namespace etcdscope::testing
