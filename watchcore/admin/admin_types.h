// What the admin client asks and what etcd answers, as plain values that
// cross from the client's worker thread to its owner (shared, const).
#pragma once

#include "engine/watch_types.h"

#include <QMetaType>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace etcdscope {

struct RangeQuery {
    std::string key;
    std::string rangeEnd;        // empty: just `key`; "\0": every key >= key
    std::int64_t limit = 0;      // 0: no limit
    std::int64_t revision = 0;   // 0: the newest
    bool keysOnly = false;       // metadata without values
    bool countOnly = false;      // only how many keys (RangeResult::count), no keys
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
    // From the member's own Status answer (see AdminConnection::memberChannel):
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

// The outcome of a write or a maintenance request. Each count belongs to
// the requests that name it and stays 0 for the others.
struct WriteResult {
    std::int64_t revision = 0;        // the store's revision after it (0: not reported, e.g. a snapshot)
    std::int64_t keysDeleted = 0;     // deleteRange: keys removed
    std::int64_t alarmsDisarmed = 0;  // disarmAlarms: alarms deactivated
    std::int64_t bytesWritten = 0;    // snapshot: size of the file saved
    // A guarded write refused because the key was not as read: what it is
    // now (its mod revision, 0: absent).
    bool conflict = false;
    std::int64_t currentModRevision = 0;
    std::string error;                // one sentence; empty on success
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

}  // namespace etcdscope

Q_DECLARE_METATYPE(etcdscope::RangeResultPtr)
Q_DECLARE_METATYPE(etcdscope::ClusterStatusPtr)
Q_DECLARE_METATYPE(etcdscope::LeaseListPtr)
Q_DECLARE_METATYPE(etcdscope::WriteResultPtr)
Q_DECLARE_METATYPE(etcdscope::AuthInfoPtr)
