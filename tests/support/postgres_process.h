// A throwaway PostgreSQL server for tests: its own data directory (initdb),
// a free loopback port, started and stopped by PID. PostgreSQL refuses to
// run as root, so when the tests run as root the server runs as the
// `postgres` user (Debian's package makes it).
#pragma once

#include <QString>
#include <QTemporaryDir>

#include <string>
#include <sys/types.h>

namespace etcdscope::testing {

class PostgresProcess {
public:
    PostgresProcess();
    ~PostgresProcess();
    PostgresProcess(const PostgresProcess&) = delete;
    PostgresProcess& operator=(const PostgresProcess&) = delete;

    // initdb (the first time), start, and wait with a deadline until it
    // answers; empty on success, else what went wrong.
    std::string start();
    void stop();   // fast shutdown (SIGINT), SIGKILL after a deadline
    void kill9();
    bool running() const { return pid_ > 0; }

    // A new, empty database; its URL for the event store, or empty (and
    // `error`) when it could not be made.
    QString createDatabase(std::string* error = nullptr);
    int port() const { return port_; }

private:
    std::string run(const QStringList& arguments);  // a PostgreSQL program as the server's user; its error output
    QString url(const QString& database) const;

    QTemporaryDir dir_;
    QString binDir_;
    int port_ = 0;
    pid_t pid_ = -1;
    uid_t uid_ = 0;  // the server's user
    gid_t gid_ = 0;
    bool initialized_ = false;
    int databases_ = 0;
};

}  // namespace etcdscope::testing
