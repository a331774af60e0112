#include "etcd_process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QThread>

#include <arpa/inet.h>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace etcdscope::testing {

namespace {

using namespace std::chrono_literals;
constexpr auto kStartDeadline = 30s;
constexpr auto kCallDeadline = 10s;
constexpr auto kStopDeadline = 10s;

std::chrono::system_clock::time_point deadlineIn(std::chrono::milliseconds d)
{
    return std::chrono::system_clock::now() + d;
}

}  // namespace

bool reapWithin(pid_t pid, std::chrono::milliseconds deadline)
{
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || r < 0)
            return true;
        QThread::msleep(10);
    }
    return false;
}

pid_t spawnChild(const std::vector<std::string>& argvStrings, const std::string& logPath, const std::string& workDir,
                 std::optional<std::pair<uid_t, gid_t>> runAs)
{
    std::vector<std::string> storage = argvStrings;
    std::vector<char*> argv;
    for (auto& s : storage)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    const int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (log < 0)
        return -1;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log);
        return -1;
    }
    if (pid == 0) {
        // In the child: die with the test process, even when it crashes or is
        // killed and no destructor runs (the kernel sends SIGKILL).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
        if (runAs && ::getuid() == 0 && (::setgid(runAs->second) != 0 || ::setuid(runAs->first) != 0))
            ::_exit(126);
        if (!workDir.empty() && ::chdir(workDir.c_str()) != 0)
            ::_exit(125);
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log);
    return pid;
}

namespace {

// True when nothing on 127.0.0.1 holds `port` (listening, connected or in
// TIME_WAIT: bound without SO_REUSEADDR).
bool portIsFree(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(std::uint16_t(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return free;
}

// The first port of the kernel's range for the local side of outgoing
// connections (and for bind to port 0); Linux's default when it cannot be read.
int firstEphemeralPort()
{
    QFile range("/proc/sys/net/ipv4/ip_local_port_range");
    if (range.open(QIODevice::ReadOnly)) {
        const int first = range.readAll().simplified().split(' ').value(0).toInt();
        if (first > 0)
            return first;
    }
    return 32768;
}

int kernelChosenPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

}  // namespace

int freeLoopbackPort()
{
    // A port the kernel picks for bind(0) comes from the ephemeral range, so
    // between its release and etcd's (or PostgreSQL's) bind it can go to any
    // outgoing connection, or to another test process that asked the same
    // way: then the server fails to start and the test talks to someone
    // else's. Instead every test process on this machine takes the next port
    // of one counter, kept in a file under an exclusive lock, in the 10,000
    // ports below the ephemeral range, which the kernel never hands out.
    const int ephemeralFirst = firstEphemeralPort();
    constexpr int kWindow = 10'000;
    const int first = ephemeralFirst - kWindow;
    if (first < 1024)
        return kernelChosenPort();
    const QByteArray path = QDir(QDir::tempPath()).filePath("etcdscope-test-ports").toLocal8Bit();
    const int fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
        if (fd >= 0)
            ::close(fd);
        return kernelChosenPort();
    }
    char text[16] = {};
    const ssize_t read = ::pread(fd, text, sizeof text - 1, 0);
    int next = read > 0 ? std::atoi(text) : 0;
    if (next < first || next >= ephemeralFirst)
        next = first + int(::getpid() % kWindow);  // a fresh counter starts anywhere in the window
    int port = 0;
    for (int tried = 0; tried < kWindow && port == 0; ++tried) {
        if (portIsFree(next))
            port = next;
        next = next + 1 < ephemeralFirst ? next + 1 : first;
    }
    const std::string stored = std::to_string(next);
    // Should the write fail, the next caller starts afresh; this port is still free.
    if (::ftruncate(fd, 0) == 0)
        (void)!::pwrite(fd, stored.data(), stored.size(), 0);
    ::flock(fd, LOCK_UN);
    ::close(fd);
    return port != 0 ? port : kernelChosenPort();
}

double residentMiB(pid_t pid, const char* field)
{
    QFile status(pid > 0 ? QString("/proc/%1/status").arg(pid) : QString("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(int(std::strlen(field))).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return 0;
}

EtcdProcess::EtcdProcess(QStringList extraArguments)
    : extraArguments_(std::move(extraArguments))
{
    clientPort_ = freeLoopbackPort();
    peerPort_ = freeLoopbackPort();
}

EtcdProcess::EtcdProcess(MemberSetup setup, QStringList extraArguments)
    : extraArguments_(std::move(extraArguments))
    , setup_(std::move(setup))
{
    clientPort_ = setup_.clientPort;
    peerPort_ = setup_.peerPort;
}

EtcdProcess::~EtcdProcess()
{
    resume();  // a stopped process would ignore nothing, but be tidy
    kill9();
}

std::string EtcdProcess::endpoint() const { return "127.0.0.1:" + std::to_string(clientPort_); }

std::string EtcdProcess::start()
{
    const std::string error = spawn();
    return error.empty() ? waitReady() : error;
}

std::string EtcdProcess::spawn()
{
    if (running())
        return "etcd is already running";
    const QString etcd = QStandardPaths::findExecutable("etcd");
    if (etcd.isEmpty())
        return "the etcd binary is not on PATH (Debian package etcd-server)";
    if (!dataDir_.isValid())
        return "cannot create a temporary data directory";
    const QString client = QString("http://127.0.0.1:%1").arg(clientPort_);
    const QString peer = QString("http://127.0.0.1:%1").arg(peerPort_);
    const bool single = setup_.name.empty();
    const QString advertisedPeer = single ? peer : QString::fromStdString(setup_.advertisedPeerUrl);
    QStringList arguments = {
        "--name", single ? QString("test") : QString::fromStdString(setup_.name),
        "--data-dir", dataDir_.filePath("data"),
        "--listen-client-urls", client,
        "--advertise-client-urls", client,
        "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", advertisedPeer,
        "--initial-cluster", single ? "test=" + peer : QString::fromStdString(setup_.initialCluster),
        "--logger", "zap",
        "--log-outputs", "stderr",
    };
    if (!single)
        arguments += {"--initial-cluster-token", QString::fromStdString(setup_.clusterToken)};
    arguments += extraArguments_;

    std::vector<std::string> argv{etcd.toStdString()};
    for (const QString& a : arguments)
        argv.push_back(a.toStdString());
    const std::string stdio = dataDir_.filePath("etcd.stdio").toStdString();
    const pid_t pid = spawnChild(argv, stdio);
    if (pid < 0)
        return "cannot start etcd (or create its log file " + stdio + "): " + std::string(std::strerror(errno));
    pid_ = pid;
    channel_.reset();
    kv_.reset();
    return {};
}

std::string EtcdProcess::waitReady()
{
    if (!running())
        return "etcd is not running";
    const auto until = std::chrono::steady_clock::now() + kStartDeadline;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            QFile log(dataDir_.filePath("etcd.stdio"));
            log.open(QIODevice::ReadOnly);
            return "etcd exited at start: " + log.readAll().right(2000).toStdString();
        }
        grpc::ClientContext context;
        context.set_deadline(deadlineIn(500ms));
        etcdserverpb::RangeRequest request;
        request.set_key("health");
        etcdserverpb::RangeResponse response;
        if (kv().Range(&context, request, &response).ok())
            return answeredBySomeoneElse();
        channel_.reset();
        kv_.reset();
        QThread::msleep(50);
    }
    kill9();
    return "etcd did not become ready within the start deadline";
}

std::string EtcdProcess::answeredBySomeoneElse()
{
    // Ports are handed out so that this should not happen (freeLoopbackPort);
    // if it does, say so rather than let a test talk to another test's etcd.
    const bool single = setup_.name.empty();
    const std::string peer = single ? "http://127.0.0.1:" + std::to_string(peerPort_) : setup_.advertisedPeerUrl;
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::MemberListResponse members;
    if (!etcdserverpb::Cluster::NewStub(channel())->MemberList(&context, {}, &members).ok())
        return {};  // the listing is a check, not a condition of being ready
    for (const etcdserverpb::Member& member : members.members())
        for (const std::string& url : member.peerurls())
            if (url == peer)
                return {};
    kill9();
    return "another etcd answers on " + endpoint() + " (a member with peer URL " + peer
        + " was expected): the port was taken before this one could bind it";
}

void EtcdProcess::kill9()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    reapWithin(pid_, kStopDeadline);
    pid_ = -1;
    channel_.reset();
    kv_.reset();
}

void EtcdProcess::stop()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGTERM);
    if (!reapWithin(pid_, kStopDeadline))
        ::kill(pid_, SIGKILL), reapWithin(pid_, kStopDeadline);
    pid_ = -1;
    channel_.reset();
    kv_.reset();
}

namespace {

// Whether every thread of `pid` is stopped (state T in /proc/PID/task/*/stat).
// kill() returns once SIGSTOP is queued; until the thread that takes it has
// run, the others go on (etcd answered a request sent just after the kill).
bool allThreadsStopped(pid_t pid)
{
    const QDir tasks(QString("/proc/%1/task").arg(pid));
    const QStringList ids = tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    if (ids.isEmpty())
        return false;
    for (const QString& id : ids) {
        QFile stat(tasks.filePath(id + "/stat"));
        if (!stat.open(QIODevice::ReadOnly))
            continue;  // the thread has ended
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');  // the name may hold spaces and parentheses
        if (close < 0 || close + 2 >= line.size())
            return false;
        const char state = line.at(close + 2);
        if (state != 'T' && state != 't')
            return false;
    }
    return true;
}

}  // namespace

void EtcdProcess::pause()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGSTOP);
    QDeadlineTimer deadline(5000);
    while (!allThreadsStopped(pid_) && !deadline.hasExpired())
        QThread::usleep(200);
}

void EtcdProcess::resume()
{
    if (pid_ > 0)
        ::kill(pid_, SIGCONT);
}

std::shared_ptr<grpc::Channel> EtcdProcess::channel()
{
    if (!channel_) {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(-1);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        channel_ = grpc::CreateCustomChannel(endpoint(), grpc::InsecureChannelCredentials(), args);
    }
    return channel_;
}

etcdserverpb::KV::Stub& EtcdProcess::kv()
{
    if (!kv_)
        kv_ = etcdserverpb::KV::NewStub(channel());
    return *kv_;
}

std::int64_t EtcdProcess::put(const std::string& key, const std::string& value)
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    etcdserverpb::PutResponse response;
    const grpc::Status status = kv().Put(&context, request, &response);
    if (!status.ok())
        qFatal("put failed: %s", status.error_message().c_str());
    return response.header().revision();
}

std::int64_t EtcdProcess::del(const std::string& key, const std::string& rangeEnd)
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::DeleteRangeRequest request;
    request.set_key(key);
    request.set_range_end(rangeEnd);
    etcdserverpb::DeleteRangeResponse response;
    const grpc::Status status = kv().DeleteRange(&context, request, &response);
    if (!status.ok())
        qFatal("delete failed: %s", status.error_message().c_str());
    return response.header().revision();
}

std::int64_t EtcdProcess::txnPuts(const std::vector<std::pair<std::string, std::string>>& puts)
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::TxnRequest request;
    for (const auto& [key, value] : puts) {
        auto* put = request.add_success()->mutable_request_put();
        put->set_key(key);
        put->set_value(value);
    }
    etcdserverpb::TxnResponse response;
    const grpc::Status status = kv().Txn(&context, request, &response);
    if (!status.ok())
        qFatal("txn failed: %s", status.error_message().c_str());
    return response.header().revision();
}

std::optional<std::string> EtcdProcess::get(const std::string& key)
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::RangeRequest request;
    request.set_key(key);
    etcdserverpb::RangeResponse response;
    const grpc::Status status = kv().Range(&context, request, &response);
    if (!status.ok())
        qFatal("get failed: %s", status.error_message().c_str());
    if (response.kvs_size() == 0)
        return std::nullopt;
    return response.kvs(0).value();
}

std::int64_t EtcdProcess::currentRevision()
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::RangeRequest request;
    request.set_key("\0", 1);
    request.set_count_only(true);
    etcdserverpb::RangeResponse response;
    const grpc::Status status = kv().Range(&context, request, &response);
    if (!status.ok())
        qFatal("range failed: %s", status.error_message().c_str());
    return response.header().revision();
}

void EtcdProcess::compact(std::int64_t revision)
{
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::CompactionRequest request;
    request.set_revision(revision);
    request.set_physical(true);
    etcdserverpb::CompactionResponse response;
    const grpc::Status status = kv().Compact(&context, request, &response);
    if (!status.ok())
        qFatal("compact failed: %s", status.error_message().c_str());
}

std::string EtcdProcess::defragment()
{
    auto stub = etcdserverpb::Maintenance::NewStub(channel());
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(std::chrono::seconds(60)));
    etcdserverpb::DefragmentRequest request;
    etcdserverpb::DefragmentResponse response;
    const grpc::Status status = stub->Defragment(&context, request, &response);
    return status.ok() ? std::string() : status.error_message();
}

void EtcdProcess::commitBackend()
{
    auto stub = etcdserverpb::Maintenance::NewStub(channel());
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::HashRequest request;
    etcdserverpb::HashResponse response;
    const grpc::Status status = stub->Hash(&context, request, &response);
    if (!status.ok())
        qFatal("hash failed: %s", status.error_message().c_str());
}

std::vector<HistoryEvent> EtcdProcess::history(const std::string& key, const std::string& rangeEnd,
                                               std::int64_t fromRevision, std::int64_t untilRevision, bool prevKv)
{
    auto stub = etcdserverpb::Watch::NewStub(channel());
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(std::chrono::seconds(60)));
    auto stream = stub->Watch(&context);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(key);
    create->set_range_end(rangeEnd);
    create->set_start_revision(fromRevision);
    create->set_prev_kv(prevKv);
    stream->Write(request);
    std::vector<HistoryEvent> events;
    etcdserverpb::WatchResponse response;
    bool done = false;
    while (!done && stream->Read(&response)) {
        if (response.canceled())
            qFatal("history watch cancelled: %s (compact revision %lld)", response.cancel_reason().c_str(),
                   (long long)response.compact_revision());
        for (const auto& e : response.events()) {
            HistoryEvent event;
            event.put = e.type() == mvccpb::Event::PUT;
            event.key = e.kv().key();
            event.value = e.kv().value();
            event.modRevision = e.kv().mod_revision();
            event.hasPrev = e.has_prev_kv();
            event.prevValue = e.prev_kv().value();
            events.push_back(std::move(event));
            done = done || events.back().modRevision >= untilRevision;
        }
    }
    context.TryCancel();
    if (!done)
        qFatal("history watch ended before revision %lld", (long long)untilRevision);
    while (!events.empty() && events.back().modRevision > untilRevision)
        events.pop_back();
    return events;
}

std::optional<double> EtcdProcess::metric(const std::string& name)
{
    QTcpSocket socket;
    socket.connectToHost("127.0.0.1", quint16(clientPort_));
    if (!socket.waitForConnected(5000))
        return std::nullopt;
    socket.write("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray body;
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(5000))
        body += socket.readAll();
    body += socket.readAll();
    for (const QByteArray& line : body.split('\n')) {
        if (line.startsWith(QByteArray::fromStdString(name + " ")))
            return line.mid(int(name.size()) + 1).trimmed().toDouble();
    }
    return std::nullopt;
}

std::optional<etcdserverpb::StatusResponse> EtcdProcess::status(std::chrono::milliseconds deadline)
{
    if (!running())
        return std::nullopt;
    auto stub = etcdserverpb::Maintenance::NewStub(channel());
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(deadline));
    etcdserverpb::StatusRequest request;
    etcdserverpb::StatusResponse response;
    if (!stub->Status(&context, request, &response).ok())
        return std::nullopt;
    return response;
}

std::string EtcdProcess::moveLeader(std::uint64_t target)
{
    auto stub = etcdserverpb::Maintenance::NewStub(channel());
    grpc::ClientContext context;
    context.set_deadline(deadlineIn(kCallDeadline));
    etcdserverpb::MoveLeaderRequest request;
    request.set_targetid(target);
    etcdserverpb::MoveLeaderResponse response;
    const grpc::Status status = stub->MoveLeader(&context, request, &response);
    return status.ok() ? std::string() : status.error_message();
}

void EtcdProcess::wipeData()
{
    if (running())
        qFatal("wipeData needs a stopped member");
    QDir(dataDir_.filePath("data")).removeRecursively();
}

// --- EtcdCluster

EtcdCluster::EtcdCluster(int size, QStringList extraArguments, bool peerProxies)
{
    std::vector<int> clientPorts;
    std::vector<int> peerPorts;
    std::vector<std::string> peerUrls;
    for (int i = 0; i < size; ++i) {
        clientPorts.push_back(freeLoopbackPort());
        peerPorts.push_back(freeLoopbackPort());
        int advertised = peerPorts.back();
        if (peerProxies) {
            peerProxies_.push_back(std::make_unique<FaultProxy>(peerPorts.back()));
            advertised = peerProxies_.back()->port();
        }
        peerUrls.push_back("http://127.0.0.1:" + std::to_string(advertised));
    }
    std::string initialCluster;
    for (int i = 0; i < size; ++i)
        initialCluster += (i ? "," : "") + std::string("m") + std::to_string(i) + "=" + peerUrls[std::size_t(i)];
    const std::string token = "etcdscope-test-" + std::to_string(clientPorts.front());
    for (int i = 0; i < size; ++i) {
        MemberSetup setup{"m" + std::to_string(i), clientPorts[std::size_t(i)], peerPorts[std::size_t(i)],
                          peerUrls[std::size_t(i)], initialCluster, token};
        members_.push_back(std::make_unique<EtcdProcess>(std::move(setup), extraArguments));
    }
}

EtcdCluster::~EtcdCluster()
{
    for (auto& m : members_) {
        m->resume();
        m->kill9();
    }
}

std::string EtcdCluster::start()
{
    for (auto& m : members_)
        if (std::string error = m->spawn(); !error.empty())
            return error;
    for (auto& m : members_)
        if (std::string error = m->waitReady(); !error.empty())
            return error;
    ids_.assign(members_.size(), 0);
    for (int i = 0; i < size(); ++i) {
        const auto s = member(i).status(kCallDeadline);
        if (!s)
            return "member " + std::to_string(i) + " does not answer Status";
        ids_[std::size_t(i)] = s->header().member_id();
    }
    return {};
}

std::vector<std::string> EtcdCluster::endpoints() const
{
    std::vector<std::string> list;
    for (const auto& m : members_)
        list.push_back(m->endpoint());
    return list;
}

std::uint64_t EtcdCluster::memberId(int i) { return ids_.at(std::size_t(i)); }

int EtcdCluster::waitForLeader(std::chrono::milliseconds deadline)
{
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        std::uint64_t leader = 0;
        bool agreed = true;
        int answered = 0;
        for (int i = 0; i < size(); ++i) {
            const auto s = member(i).status(std::chrono::milliseconds(500));
            if (!s)
                continue;
            ++answered;
            if (s->leader() == 0 || (leader != 0 && s->leader() != leader))
                agreed = false;
            leader = s->leader() ? s->leader() : leader;
        }
        if (agreed && answered > 0 && leader != 0)
            for (int i = 0; i < size(); ++i)
                if (ids_[std::size_t(i)] == leader && member(i).running())
                    return i;
        QThread::msleep(50);
    }
    return -1;
}

std::string EtcdCluster::moveLeader(int to)
{
    const int leader = waitForLeader();
    if (leader < 0)
        return "no leader";
    if (leader == to)
        return {};
    return member(leader).moveLeader(memberId(to));
}

// etcd's peer requests name their sender in an "X-Server-From" header (the
// member ID in hex), so a member's own connections to its peers can be told
// apart at the peers' proxies.
void EtcdCluster::isolate(int i)
{
    if (peerProxies_.empty())
        qFatal("isolate needs a cluster with peer proxies");
    char id[32];
    std::snprintf(id, sizeof id, "%llx", static_cast<unsigned long long>(memberId(i)));
    for (int p = 0; p < size(); ++p) {
        if (p == i) {
            ProxyFaults refuse;
            refuse.refuseNew = true;
            peerProxies_[std::size_t(p)]->setFaults(refuse);
            peerProxies_[std::size_t(p)]->cutAll();
        } else {
            peerProxies_[std::size_t(p)]->block(std::string("X-Server-From: ") + id);
        }
    }
}

void EtcdCluster::rejoin(int i)
{
    (void)i;
    for (auto& proxy : peerProxies_) {
        proxy->heal();
        proxy->unblockAll();
    }
}

ProcessResult runProcess(const QString& program, const QStringList& arguments, std::chrono::milliseconds deadline)
{
    QProcess process;
    process.start(program, arguments);
    ProcessResult result;
    if (!process.waitForStarted(10000))
        return result;
    if (!process.waitForFinished(int(deadline.count()))) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

std::vector<HistoryEvent> parseCliJsonl(const QByteArray& output, int watch)
{
    auto bytes = [](const QJsonObject& o, const char* field) -> std::string {
        if (o.contains(field))
            return o.value(field).toString().toStdString();
        const QString b64 = QString(field) + "_b64";
        if (o.contains(b64))
            return QByteArray::fromBase64(o.value(b64).toString().toLatin1()).toStdString();
        return {};
    };
    std::vector<HistoryEvent> events;
    for (const QByteArray& line : output.split('\n')) {
        if (line.isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.isEmpty())
            qFatal("not a JSON line: %s", line.constData());
        if (watch != 0 && o.value("watch").toInt() != watch)
            continue;
        HistoryEvent event;
        const QString type = o.value("type").toString();
        if (type == "GAP") {
            event.put = false;
            event.key = "GAP";
            event.modRevision = o.value("from_revision").toInteger();
            event.value = std::to_string(o.value("to_revision").toInteger());
        } else {
            event.put = type == "PUT";
            event.key = bytes(o, "key");
            event.value = bytes(o, "value");
            event.modRevision = o.value("mod_revision").toInteger();
            event.hasPrev = o.contains("prev_value") || o.contains("prev_value_b64");
            event.prevValue = bytes(o, "prev_value");
        }
        events.push_back(std::move(event));
    }
    return events;
}

}  // namespace etcdscope::testing
