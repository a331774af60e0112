// A throwaway PKI made with openssl for TLS tests: two CAs, a server
// certificate from CA1 for 127.0.0.1 and localhost, and two client
// certificates from CA1: a valid one and one that expired in 2020.
#pragma once

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <string>

namespace etcdscope::testing {

class EtcdProcess;

class TestPki {
public:
    // Empty on success, else what failed.
    QString create();
    QString path(const QString& name) const { return dir_.filePath(name); }

private:
    QString signExpired();
    QString openssl(const QStringList& arguments);

    QTemporaryDir dir_;
};

// An etcd (not started) with two client listeners: https on `tlsPort`,
// demanding a client certificate signed by CA1, and plain http on its
// endpoint() for the test's own writes; `extraArguments` go to etcd too.
std::unique_ptr<EtcdProcess> tlsEtcd(const TestPki& pki, const std::string& name, int tlsPort,
                                     const QStringList& extraArguments = {});

}  // namespace etcdscope::testing
