// A real etcd for integration tests: started on free loopback ports with its
// own data directory, stopped by PID (also when a test fails), restartable on
// the same data directory. Plus blocking KV helpers for writing and for
// reading back etcd's own history — independent of the code under test.
#pragma once

#include "fault_proxy.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QStringList>
#include <QTemporaryDir>

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace etcdscope::testing {

struct HistoryEvent {
    bool put = true;
    std::string key;
    std::string value;
    std::int64_t modRevision = 0;
    bool hasPrev = false;
    std::string prevValue;
    friend bool operator==(const HistoryEvent&, const HistoryEvent&) = default;
};

// How one member of a multi-member cluster is set up (see EtcdCluster).
struct MemberSetup {
    std::string name;
    int clientPort = 0;
    int peerPort = 0;                // where the member listens for peers
    std::string advertisedPeerUrl;   // what its peers dial (may be a proxy)
    std::string initialCluster;      // "name=url,..." for every member
    std::string clusterToken;
};

class EtcdProcess {
public:
    // A single-member cluster. Extra etcd flags, e.g. {"--max-txn-ops=2000"}.
    explicit EtcdProcess(QStringList extraArguments = {});
    // A member of a larger cluster.
    EtcdProcess(MemberSetup setup, QStringList extraArguments);
    ~EtcdProcess();
    EtcdProcess(const EtcdProcess&) = delete;
    EtcdProcess& operator=(const EtcdProcess&) = delete;

    // Starts etcd and waits (with a deadline) until it serves requests.
    // Returns an error description, empty on success.
    std::string start();
    // start() in two halves, so that the members of a cluster can start
    // together (none becomes ready before a quorum runs).
    std::string spawn();
    std::string waitReady();
    void kill9();  // SIGKILL by PID, and reap it
    void stop();   // SIGTERM, then SIGKILL after a deadline
    void pause();  // SIGSTOP, returning once every thread is stopped: the member hangs, its sockets stay open
    void resume(); // SIGCONT
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    std::string endpoint() const;  // "127.0.0.1:PORT"
    int clientPort() const { return clientPort_; }

    // --- blocking client helpers (fresh channel each time the process restarts)
    std::int64_t put(const std::string& key, const std::string& value);
    std::int64_t del(const std::string& key, const std::string& rangeEnd = {});
    // One transaction of puts: all land at one revision, which is returned.
    std::int64_t txnPuts(const std::vector<std::pair<std::string, std::string>>& puts);
    std::int64_t currentRevision();
    // The key's value now; nullopt when it does not exist.
    std::optional<std::string> get(const std::string& key);
    void compact(std::int64_t revision);
    std::string defragment();  // empty on success
    // Maintenance.Hash, which makes etcd commit its pending backend batch
    // (otherwise committed every 100 ms): Status then counts every write so far.
    void commitBackend();
    // Every event of the range from `fromRevision` up to and including
    // `untilRevision` (which must be the revision of an event in the range),
    // read with a plain watch of its own.
    std::vector<HistoryEvent> history(const std::string& key, const std::string& rangeEnd, std::int64_t fromRevision,
                                      std::int64_t untilRevision, bool prevKv = false);
    // The value of a Prometheus gauge on /metrics, if present.
    std::optional<double> metric(const std::string& name);
    // Maintenance.Status of this member; nullopt when it does not answer
    // within `deadline`.
    std::optional<etcdserverpb::StatusResponse> status(std::chrono::milliseconds deadline = std::chrono::seconds(2));
    // Asks this member (which must be the leader) to hand leadership to the
    // member with ID `target`. Returns an error description, empty on success.
    std::string moveLeader(std::uint64_t target);
    // Wipes the data directory (the member must be stopped): a fresh cluster
    // with a new cluster ID starts on the next start().
    void wipeData();
    // A plaintext channel to this member, no limit on message size.
    std::shared_ptr<grpc::Channel> channel();
    // Flags for the next start().
    void addArguments(const QStringList& arguments) { extraArguments_ += arguments; }
    QString dataDirectory() const { return dataDir_.path(); }

private:
    etcdserverpb::KV::Stub& kv();
    // After the first answer: "" when it came from this process's etcd, else
    // why not (and this etcd is stopped).
    std::string answeredBySomeoneElse();

    QStringList extraArguments_;
    MemberSetup setup_;
    QTemporaryDir dataDir_;
    int clientPort_ = 0;
    int peerPort_ = 0;
    pid_t pid_ = -1;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
};

// One or three (or more) etcd members on loopback, each with its own data
// directory and ports, started and stopped by PID. With peer proxies, every
// member's peer traffic passes through a FaultProxy, so that a member can be
// cut off from its peers while its clients still reach it.
class EtcdCluster {
public:
    EtcdCluster(int size, QStringList extraArguments = {}, bool peerProxies = false);
    ~EtcdCluster();
    std::string start();  // every member; empty on success
    int size() const { return int(members_.size()); }
    EtcdProcess& member(int i) { return *members_[std::size_t(i)]; }
    std::vector<std::string> endpoints() const;
    std::uint64_t memberId(int i);
    // The index of the member every answering member names as leader, once
    // they agree; -1 when that does not happen before `deadline`.
    int waitForLeader(std::chrono::milliseconds deadline = std::chrono::seconds(30));
    std::string moveLeader(int to);
    // Cuts member `i` off from its peers (both directions), or lets it back.
    void isolate(int i);
    void rejoin(int i);

private:
    std::vector<std::unique_ptr<EtcdProcess>> members_;
    std::vector<std::unique_ptr<FaultProxy>> peerProxies_;
    std::vector<std::uint64_t> ids_;
};

// Runs a program and waits for it with a deadline; for CLI tests.
struct ProcessResult {
    int exitCode = -1;
    bool timedOut = false;
    QByteArray out;
    QByteArray err;
};
ProcessResult runProcess(const QString& program, const QStringList& arguments,
                         std::chrono::milliseconds deadline = std::chrono::seconds(60));

// Parses JSONL output of etcdscope-cli into events (GAP lines included, with
// put=false and key "GAP" and modRevision = from, value = "to").
std::vector<HistoryEvent> parseCliJsonl(const QByteArray& output, int watch = 0);

// A free TCP port on 127.0.0.1, below the kernel's ephemeral range and
// handed to one caller among all test processes on the machine (see the
// definition).
int freeLoopbackPort();

// The arguments of `etcdscope-cli watch` against `etcd`, then `more`.
inline QStringList cliWatchArgs(const EtcdProcess& etcd, const QStringList& more)
{
    return QStringList{"watch", "--endpoints", QString::fromStdString(etcd.endpoint())} + more;
}

// Resident memory of a process (0: this one) in MiB, from /proc: "VmRSS:"
// (now) or "VmHWM:" (peak). 0 when it cannot be read.
double residentMiB(pid_t pid = 0, const char* field = "VmRSS:");

// Waits for a child with a deadline; true if it was reaped (or is gone).
bool reapWithin(pid_t pid, std::chrono::milliseconds deadline);

// fork + exec of `argv` (argv[0] the program's path) with stdout and stderr
// appended to `logPath`, in `workDir` (empty: this one), as `uid`/`gid` when
// running as root and they are given; the child dies with the test process
// (PR_SET_PDEATHSIG), even when no destructor runs. -1 when it cannot start.
pid_t spawnChild(const std::vector<std::string>& argv, const std::string& logPath, const std::string& workDir = {},
                 std::optional<std::pair<uid_t, gid_t>> runAs = std::nullopt);

}  // namespace etcdscope::testing
