#include "postgres_process.h"

#include "etcd_process.h"  // freeLoopbackPort, reapWithin, spawnChild

#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace etcdscope::testing {

namespace {

using namespace std::chrono_literals;
constexpr auto kStartDeadline = 60s;
constexpr auto kStopDeadline = 15s;
const QString kUser = QStringLiteral("etcdscope");

// The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/N/bin).
QString findBinDir()
{
    QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList found = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    std::sort(found.begin(), found.end(), [](const QString& a, const QString& b) { return a.toInt() < b.toInt(); });
    for (auto it = found.crbegin(); it != found.crend(); ++it) {
        const QString bin = versions.filePath(*it + QStringLiteral("/bin"));
        if (QFile::exists(bin + QStringLiteral("/postgres")))
            return bin;
    }
    return {};
}

pid_t spawnAs(const QString& program, const QStringList& arguments, uid_t uid, gid_t gid, const QString& workDir,
              const QString& logPath)
{
    std::vector<std::string> argv{program.toStdString()};
    for (const QString& a : arguments)
        argv.push_back(a.toStdString());
    return spawnChild(argv, logPath.toStdString(), workDir.toStdString(), std::make_pair(uid, gid));
}

QString tail(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll().right(1500)) : QString();
}

}  // namespace

PostgresProcess::PostgresProcess()
    : binDir_(findBinDir())
    , port_(freeLoopbackPort())
{
    uid_ = ::getuid();
    gid_ = ::getgid();
    if (uid_ == 0) {
        if (const passwd* pg = ::getpwnam("postgres")) {
            uid_ = pg->pw_uid;
            gid_ = pg->pw_gid;
        }
    }
    if (dir_.isValid() && ::chown(dir_.path().toStdString().c_str(), uid_, gid_) != 0)
        qWarning("cannot hand %s to the PostgreSQL user", qPrintable(dir_.path()));
}

PostgresProcess::~PostgresProcess() { stop(); }

QString PostgresProcess::url(const QString& database) const
{
    return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3").arg(kUser).arg(port_).arg(database);
}

std::string PostgresProcess::run(const QStringList& arguments)
{
    const QString log = dir_.filePath(QStringLiteral("tool.log"));
    QFile::remove(log);
    const pid_t pid = spawnAs(binDir_ + QLatin1Char('/') + arguments.front(), arguments.mid(1), uid_, gid_,
                              dir_.path(), log);
    if (pid < 0)
        return "cannot start " + arguments.front().toStdString();
    if (!reapWithin(pid, kStartDeadline)) {
        ::kill(pid, SIGKILL);
        reapWithin(pid, kStopDeadline);
        return arguments.front().toStdString() + " did not finish";
    }
    return {};
}

std::string PostgresProcess::start()
{
    if (running())
        return "PostgreSQL is already running";
    if (binDir_.isEmpty())
        return "PostgreSQL is not installed (Debian package postgresql)";
    if (!dir_.isValid())
        return "cannot create a temporary directory";
    if (uid_ == 0)
        return "PostgreSQL does not run as root and there is no postgres user";
    const QString data = dir_.filePath(QStringLiteral("data"));
    if (!initialized_) {
        run({QStringLiteral("initdb"), QStringLiteral("-D"), data, QStringLiteral("-U"), kUser, QStringLiteral("-A"),
             QStringLiteral("trust"), QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--no-sync")});
        if (!QFile::exists(data + QStringLiteral("/PG_VERSION")))
            return "initdb failed: " + tail(dir_.filePath(QStringLiteral("tool.log"))).toStdString();
        initialized_ = true;
    }
    const QString log = dir_.filePath(QStringLiteral("postgres.log"));
    pid_ = spawnAs(binDir_ + QStringLiteral("/postgres"),
                   {QStringLiteral("-D"), data, QStringLiteral("-p"), QString::number(port_), QStringLiteral("-k"),
                    dir_.path(), QStringLiteral("-c"), QStringLiteral("listen_addresses=127.0.0.1"),
                    QStringLiteral("-c"), QStringLiteral("fsync=off")},
                   uid_, gid_, dir_.path(), log);
    if (pid_ < 0)
        return "cannot start postgres";
    const QString connection = QStringLiteral("etcdscope.test.pg.%1").arg(port_);
    std::string error = "PostgreSQL did not answer within the start deadline";
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        if (!db.isValid())
            error = "Qt's PostgreSQL driver (libqt6sql6-psql) is not installed";
        db.setHostName(QStringLiteral("127.0.0.1"));
        db.setPort(port_);
        db.setUserName(kUser);
        db.setDatabaseName(QStringLiteral("postgres"));
        const auto until = std::chrono::steady_clock::now() + kStartDeadline;
        while (db.isValid() && std::chrono::steady_clock::now() < until) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                error = "postgres exited at start: " + tail(log).toStdString();
                break;
            }
            if (db.open()) {
                error.clear();
                db.close();
                break;
            }
            QThread::msleep(100);
        }
    }
    QSqlDatabase::removeDatabase(connection);
    if (!error.empty())
        stop();
    return error;
}

QString PostgresProcess::createDatabase(std::string* error)
{
    const QString name = QStringLiteral("log%1").arg(++databases_);
    const QString connection = QStringLiteral("etcdscope.test.pg.create.%1").arg(port_);
    QString failure;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
        db.setHostName(QStringLiteral("127.0.0.1"));
        db.setPort(port_);
        db.setUserName(kUser);
        db.setDatabaseName(QStringLiteral("postgres"));
        if (!db.open()) {
            failure = db.lastError().text();
        } else {
            QSqlQuery create(db);
            if (!create.exec(QStringLiteral("CREATE DATABASE ") + name))
                failure = create.lastError().text();
            create.finish();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    if (!failure.isEmpty()) {
        if (error)
            *error = failure.toStdString();
        return {};
    }
    return url(name);
}

void PostgresProcess::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGINT);  // PostgreSQL's fast shutdown
    if (!reapWithin(pid_, kStopDeadline))
        ::kill(pid_, SIGKILL), reapWithin(pid_, kStopDeadline);
    pid_ = -1;
}

void PostgresProcess::kill9()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    reapWithin(pid_, kStopDeadline);
    pid_ = -1;
}

}  // namespace etcdscope::testing
