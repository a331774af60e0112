// etcd's Maintenance service for the cluster view: alarms, defragmentation
// of one member, and a snapshot of the store saved to a file.
#pragma once

#include "admin/admin_connection.h"
#include "admin/admin_types.h"

#include <QString>

#include <functional>
#include <mutex>

namespace etcdscope {

// Deactivates every raised alarm (what `etcdctl alarm disarm` does).
WriteResult disarmAlarms(AdminConnection& connection);

// Defragments one member, dialled directly (see AdminConnection::memberChannel).
WriteResult defragmentMember(AdminConnection& connection, std::uint64_t memberId,
                             const std::vector<std::string>& clientUrls);

// A snapshot being taken, and the way to end it from another thread (a
// member that stopped sending is not waited for).
class SnapshotJob {
public:
    // From any thread.
    void cancel();
    // Before the job is queued: not cancelled yet.
    void arm();

    // On the worker thread: streams the store into `path` through a
    // QSaveFile (the file appears only when complete; a failed or cancelled
    // snapshot leaves nothing), calling `progress` with the bytes so far.
    WriteResult run(AdminConnection& connection, const QString& path, const std::function<void(qint64)>& progress);

private:
    // Registers the stream's context; false when cancelled already.
    bool attach(grpc::ClientContext* context);
    bool cancelled();

    std::mutex mutex_;                       // guards the two below
    grpc::ClientContext* context_ = nullptr;  // the stream in progress; null between attempts
    bool cancelled_ = false;
};

}  // namespace etcdscope
