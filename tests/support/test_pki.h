// A throwaway PKI made with openssl for TLS tests: two CAs, a server
// certificate from CA1 for 127.0.0.1 and localhost, and two client
// certificates from CA1: a valid one and one that expired in 2020.
#pragma once

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace etcdscope::testing {

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

}  // namespace etcdscope::testing
