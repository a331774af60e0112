#include "admin/maintenance_requests.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QSaveFile>

namespace etcdscope {

namespace {

// A defragmentation blocks the member and takes long on a large store.
constexpr std::chrono::minutes kDefragmentTimeout{10};
// A snapshot of a large store over a slow link.
constexpr std::chrono::hours kSnapshotTimeout{1};

}  // namespace

WriteResult disarmAlarms(AdminConnection& connection)
{
    WriteResult result;
    auto alarm = [](const auto& channel, auto... call) {
        etcdserverpb::Maintenance::NewStub(channel)->async()->Alarm(call...);
    };
    etcdserverpb::AlarmRequest list;
    list.set_action(etcdserverpb::AlarmRequest::GET);
    etcdserverpb::AlarmResponse raised;
    if (auto failure = connection.call("alarm list", list, &raised, alarm)) {
        result.error = failure->error.message;
        return result;
    }
    for (const etcdserverpb::AlarmMember& member : raised.alarms()) {
        etcdserverpb::AlarmRequest disarm;
        disarm.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
        disarm.set_memberid(member.memberid());
        disarm.set_alarm(member.alarm());
        etcdserverpb::AlarmResponse response;
        if (auto failure = connection.call("alarm disarm", disarm, &response, alarm)) {
            result.error = failure->error.message;
            return result;
        }
        ++result.alarmsDisarmed;
        result.revision = response.header().revision();
    }
    return result;
}

WriteResult defragmentMember(AdminConnection& connection, std::uint64_t memberId,
                             const std::vector<std::string>& clientUrls)
{
    WriteResult result;
    const AdminConnection::MemberChannel member = connection.memberChannel(memberId, clientUrls);
    if (!member.channel) {
        result.error = member.error;
        return result;
    }
    etcdserverpb::DefragmentResponse response;
    if (auto error = connection.callMember(member, etcdserverpb::DefragmentRequest(), &response,
                                           [](const auto& channel, auto... call) {
                                               etcdserverpb::Maintenance::NewStub(channel)->async()->Defragment(call...);
                                           },
                                           kDefragmentTimeout))
        result.error = *error;
    result.revision = response.header().revision();
    return result;
}

void SnapshotJob::arm()
{
    std::lock_guard lock(mutex_);
    cancelled_ = false;
}

void SnapshotJob::cancel()
{
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (context_)
        context_->TryCancel();
}

bool SnapshotJob::attach(grpc::ClientContext* context)
{
    std::lock_guard lock(mutex_);
    context_ = context;
    return !cancelled_;
}

bool SnapshotJob::cancelled()
{
    std::lock_guard lock(mutex_);
    return cancelled_;
}

WriteResult SnapshotJob::run(AdminConnection& connection, const QString& path,
                             const std::function<void(qint64)>& progress)
{
    WriteResult result;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        result.error = "Cannot write " + path.toStdString() + ": " + file.errorString().toStdString() + ".";
        return result;
    }
    std::string writeError;
    const auto failure = connection.run("snapshot", [&](const std::shared_ptr<grpc::Channel>& channel,
                                                        grpc::ClientContext& context) {
        // Another member after a failure starts the file over.
        if (!file.seek(0) || !file.resize(0))
            return grpc::Status(grpc::INTERNAL, "cannot truncate " + path.toStdString());
        result.bytesWritten = 0;
        if (!attach(&context))
            return grpc::Status(grpc::CANCELLED, "snapshot cancelled");
        auto reader = etcdserverpb::Maintenance::NewStub(channel)->Snapshot(&context, {});
        etcdserverpb::SnapshotResponse chunk;
        while (reader->Read(&chunk)) {
            const std::string& blob = chunk.blob();
            if (file.write(blob.data(), qint64(blob.size())) != qint64(blob.size())) {
                writeError = "Writing " + path.toStdString() + " failed: " + file.errorString().toStdString() + ".";
                context.TryCancel();
                break;
            }
            result.bytesWritten += qint64(blob.size());
            progress(result.bytesWritten);
        }
        const grpc::Status status = reader->Finish();
        attach(nullptr);
        return status;
    }, kSnapshotTimeout);
    if (cancelled())
        result.error = "The snapshot was cancelled; nothing of it was kept.";
    else if (!writeError.empty())
        result.error = writeError;
    else if (failure)
        result.error = failure->error.message;
    else if (!file.commit())
        result.error = "Saving " + path.toStdString() + " failed: " + file.errorString().toStdString() + ".";
    if (!result.error.empty()) {
        file.cancelWriting();  // a partial snapshot is no snapshot: nothing is left at `path`
        result.bytesWritten = 0;
    }
    return result;
}

}  // namespace etcdscope
