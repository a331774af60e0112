// The admin client: etcd's KV, Cluster, Maintenance, Lease and Auth
// services for the key browser and the cluster, lease and user views, off
// the caller's thread. An AdminClient owns a worker thread; every request is
// queued to it and answered by a queued signal, so the GUI thread never
// waits on the network. Requests run one after another in the order they
// were made.
//
// One file per service does the work (kv_requests.h, cluster_requests.h,
// maintenance_requests.h, lease_requests.h, auth_requests.h) over one
// AdminConnection: the same dialling, TLS, token and failure sentences as
// the watch session (transport/etcd_connection.h), failing over to the next
// member when one is at fault.
#pragma once

#include "admin/admin_types.h"
#include "transport/connection_options.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

class QThread;

namespace etcdscope {

class AdminWorker;
class Mailbox;
class SnapshotJob;

class AdminClient : public QObject {
    Q_OBJECT

public:
    explicit AdminClient(QObject* parent = nullptr);
    ~AdminClient() override;

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
    // snapshot of the store saved to `path` (the file appears only when
    // complete), with snapshotProgress on the way.
    quint64 compact(std::int64_t revision);
    // Deactivates every raised alarm (NOSPACE once space is freed, CORRUPT).
    quint64 disarmAlarms();
    quint64 defragment(std::uint64_t memberId, std::vector<std::string> clientUrls);
    quint64 snapshot(QString path);
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
    quint64 post(Work work, void (AdminClient::*done)(quint64, const std::shared_ptr<const Result>&));

    QThread* thread_;
    AdminWorker* worker_;
    Mailbox* workerMailbox_;  // requests to the worker's thread
    Mailbox* clientMailbox_;  // answers back to this object's thread
    std::shared_ptr<SnapshotJob> snapshotJob_;  // the snapshot's cancel switch, shared with the worker
    std::atomic<quint64> nextId_{1};
};

}  // namespace etcdscope
