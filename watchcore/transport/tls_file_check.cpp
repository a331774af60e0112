#include "transport/tls_file_check.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QObject>
#include <QSslCertificate>

namespace etcdscope {

namespace {

// The file's first MiB, or an error sentence in `error`.
QByteArray readPem(const QString& path, const QString& what, QString* error)
{
    QFile file(path);
    if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly)) {
        *error = QObject::tr("The %1 %2 does not exist or cannot be read.").arg(what, path);
        return {};
    }
    return file.read(1 << 20);
}

}  // namespace

QString checkCertificateFile(const QString& path, const QString& what, bool checkDates)
{
    QString error;
    const QByteArray pem = readPem(path, what, &error);
    if (!error.isEmpty())
        return error;
    if (!pem.contains("-----BEGIN CERTIFICATE-----"))
        return QObject::tr("The %1 %2 is not a PEM certificate (it has no BEGIN CERTIFICATE block).").arg(what, path);
    if (!checkDates)
        return {};
    const QList<QSslCertificate> certificates = QSslCertificate::fromData(pem, QSsl::Pem);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const QSslCertificate& certificate : certificates) {
        if (certificate.expiryDate().isValid() && certificate.expiryDate() < now)
            return QObject::tr("The %1 %2 expired on %3.")
                .arg(what, path, certificate.expiryDate().toString("yyyy-MM-dd"));
        if (certificate.effectiveDate().isValid() && certificate.effectiveDate() > now)
            return QObject::tr("The %1 %2 is not valid before %3.")
                .arg(what, path, certificate.effectiveDate().toString("yyyy-MM-dd"));
    }
    return {};
}

QString checkKeyFile(const QString& path)
{
    QString error;
    const QByteArray pem = readPem(path, QObject::tr("client key"), &error);
    if (!error.isEmpty())
        return error;
    if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED"))
        return QObject::tr("The client key %1 is encrypted; gRPC needs it unencrypted (openssl pkey -in KEY -out "
                           "PLAIN).")
            .arg(path);
    if (!pem.contains("PRIVATE KEY-----"))
        return QObject::tr("The client key %1 is not a PEM private key.").arg(path);
    return {};
}

QString checkTlsFiles(const TlsFiles& tls, bool checkDates)
{
    if (!tls.caFile.empty())
        if (QString error = checkCertificateFile(QString::fromStdString(tls.caFile), QObject::tr("CA certificate"), checkDates);
            !error.isEmpty())
            return error;
    if (!tls.certFile.empty())
        if (QString error = checkCertificateFile(QString::fromStdString(tls.certFile),
                                                 QObject::tr("client certificate"), checkDates);
            !error.isEmpty())
            return error;
    if (!tls.keyFile.empty())
        return checkKeyFile(QString::fromStdString(tls.keyFile));
    return {};
}

}  // namespace etcdscope
