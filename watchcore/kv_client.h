// Reads of etcd's key space for the key browser: ranges (keys only or with
// values, at the newest revision or at an older one), off the caller's
// thread. A KvClient owns a worker thread; every request is queued to it and
// answered by a queued signal, so the GUI thread never waits on the network.
// Requests run one after another in the order they were made.
//
// The worker dials the endpoints in turn with the same channel settings,
// TLS files and user as the watch session (etcd_channel.h), authenticates
// when a user is set, and authenticates again once when etcd says the token
// is invalid or expired.
#pragma once

#include "connection_options.h"
#include "watch_types.h"

#include <QMetaType>
#include <QObject>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QThread;

namespace etcdscope {

struct RangeQuery {
    std::string key;
    std::string rangeEnd;        // empty: just `key`; "\0": every key >= key
    std::int64_t limit = 0;      // 0: no limit
    std::int64_t revision = 0;   // 0: the newest
    bool keysOnly = false;       // metadata without values
};

struct RangeResult {
    std::vector<KeyValue> kvs;
    bool more = false;           // the limit cut the range short
    std::int64_t count = 0;      // keys in the whole range
    std::int64_t revision = 0;   // the store's revision when etcd answered
    std::string error;           // one sentence for the person; empty on success
    bool compacted = false;      // the revision asked for was compacted
};
using RangeResultPtr = std::shared_ptr<const RangeResult>;

// One member as the cluster lists it and as it answers for itself.
struct MemberStatus {
    std::uint64_t id = 0;
    std::string name;
    std::vector<std::string> clientUrls;
    std::vector<std::string> peerUrls;
    bool learner = false;
    // From the member's own Status answer (see KvWorker::memberChannel):
    bool reachable = false;
    std::string error;           // why it did not answer, one sentence
    std::string version;
    std::int64_t dbSize = 0;     // bytes on disk
    std::int64_t dbSizeInUse = 0;
    std::uint64_t leader = 0;    // the leader's ID as this member sees it; 0: none
    std::uint64_t raftTerm = 0;
    std::uint64_t raftIndex = 0;
    std::uint64_t raftAppliedIndex = 0;
    std::int64_t revision = 0;
    std::vector<std::string> errors;  // what etcd itself reports as wrong
};

struct ClusterStatus {
    std::uint64_t clusterId = 0;
    std::uint64_t leader = 0;    // as most reachable members see it; 0: none
    std::vector<MemberStatus> members;
    std::vector<std::string> alarms;  // "NOSPACE on member 8e9e05c52164694d"
    std::string error;           // the member list could not be read
};
using ClusterStatusPtr = std::shared_ptr<const ClusterStatus>;

// The outcome of a put or a delete.
struct WriteResult {
    std::int64_t revision = 0;   // the store's revision after it
    std::int64_t deleted = 0;    // keys a delete removed
    std::string error;           // one sentence; empty on success
};
using WriteResultPtr = std::shared_ptr<const WriteResult>;

// Users and roles, read only.
struct RolePermission {
    std::string type;      // READ, WRITE, READWRITE
    std::string key;
    std::string rangeEnd;  // empty: just the key; "\0": every key from it
};
struct AuthInfo {
    enum class State { Unknown, On, Off };
    State state = State::Unknown;  // whether the cluster has authentication on
    std::vector<std::pair<std::string, std::vector<std::string>>> users;          // name, roles
    std::vector<std::pair<std::string, std::vector<RolePermission>>> roles;       // name, permissions
    std::string error;
};
using AuthInfoPtr = std::shared_ptr<const AuthInfo>;

struct LeaseInfo {
    std::int64_t id = 0;
    std::int64_t ttl = 0;         // seconds left; -1: expired since it was listed
    std::int64_t grantedTtl = 0;  // seconds it was granted for
    std::vector<std::string> keys;
};

struct LeaseList {
    std::vector<LeaseInfo> leases;  // at most the limit asked for, by ID
    std::int64_t total = 0;         // leases in the cluster
    std::string error;
};
using LeaseListPtr = std::shared_ptr<const LeaseList>;

class KvWorker;
class Mailbox;

class KvClient : public QObject {
    Q_OBJECT

public:
    explicit KvClient(QObject* parent = nullptr);
    ~KvClient() override;

    // Used by the requests made after it; the open channel is dropped.
    void setConnection(ConnectionOptions options);
    // Queues a range; the answer comes as rangeDone with the returned id.
    quint64 range(RangeQuery query);
    // Queues a look at the whole cluster: members, each member's status,
    // alarms. Each member is asked on its own client URL within
    // `perMemberTimeout`, so one dead member delays the answer by at most that.
    quint64 clusterStatus(std::chrono::milliseconds perMemberTimeout = std::chrono::milliseconds(2000));
    // Queues a list of the cluster's leases with the time each has left and
    // the keys attached, for at most `limit` leases (one request each).
    quint64 leases(int limit = 500);
    // Queues a read of the users, their roles and the roles' permissions
    // (etcd allows it to root, or to anyone while authentication is off).
    quint64 authInfo();
    // Writes (the caller decides whether writing is allowed and confirmed).
    // With `expectedModRevision`, only if the key's mod revision is still
    // that (0: only if the key does not exist); else nothing is written and
    // the error says what the key is now.
    quint64 put(std::string key, std::string value, std::optional<std::int64_t> expectedModRevision = std::nullopt);
    // Deletes `key`, or every key in [key, rangeEnd) when rangeEnd is set.
    quint64 deleteRange(std::string key, std::string rangeEnd = {});
    // Maintenance, answered by writeDone too: compaction of the history up
    // to `revision`; defragmentation of one member (dialled directly); a
    // snapshot of the store written to `path` (through `path`.part, renamed
    // when complete, removed when not), with snapshotProgress on the way.
    quint64 compact(std::int64_t revision);
    // Deactivates every raised alarm (NOSPACE once space is freed, CORRUPT).
    quint64 disarmAlarms();
    quint64 defragment(std::uint64_t memberId, std::vector<std::string> clientUrls);
    quint64 snapshot(std::string path);
    // Ends a snapshot in progress (its writeDone says so; the file is removed).
    void cancelSnapshot();

signals:
    void rangeDone(quint64 id, const etcdscope::RangeResultPtr& result);
    void clusterStatusDone(quint64 id, const etcdscope::ClusterStatusPtr& status);
    void leasesDone(quint64 id, const etcdscope::LeaseListPtr& leases);
    void writeDone(quint64 id, const etcdscope::WriteResultPtr& result);
    void authInfoDone(quint64 id, const etcdscope::AuthInfoPtr& info);
    void snapshotProgress(quint64 id, qint64 bytes);

private:
    // Runs `work` on the worker, then emits `done` with its result here.
    template <typename Result, typename Work>
    quint64 post(Work work, void (KvClient::*done)(quint64, const std::shared_ptr<const Result>&));

    QThread* thread_;
    KvWorker* worker_;
    Mailbox* workerMailbox_;  // requests to the worker's thread
    Mailbox* clientMailbox_;  // answers back to this object's thread
    std::atomic<quint64> nextId_{1};
};

}  // namespace etcdscope

Q_DECLARE_METATYPE(etcdscope::RangeResultPtr)
Q_DECLARE_METATYPE(etcdscope::ClusterStatusPtr)
Q_DECLARE_METATYPE(etcdscope::LeaseListPtr)
Q_DECLARE_METATYPE(etcdscope::WriteResultPtr)
Q_DECLARE_METATYPE(etcdscope::AuthInfoPtr)
