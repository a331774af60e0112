#include "kv_client.h"

#include "etcd_channel.h"
#include "logging.h"
#include "thread_handoff.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <QThread>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <map>
#include <mutex>

Q_LOGGING_CATEGORY(lcKv, "etcdscope.kv", QtInfoMsg)

namespace etcdscope {

// Lives on the client's thread; blocking gRPC calls there keep the order of
// requests simple and never touch the caller's thread.
class KvWorker : public QObject {
public:
    // From any thread: the request in progress ends now, and no other starts
    // (the client is going away).
    void stop()
    {
        std::lock_guard lock(activeMutex_);
        stopping_ = true;
        if (active_)
            active_->TryCancel();
    }

    // From any thread: if a snapshot is being taken, it ends now (a member
    // that stopped sending is not waited for).
    void cancelSnapshot()
    {
        snapshotCancelled_ = true;
        std::lock_guard lock(activeMutex_);
        if (active_ && snapshotRunning_)
            active_->TryCancel();
    }

    // From the client's thread, before a snapshot is queued: no cancel yet.
    void armSnapshot() { snapshotCancelled_ = false; }

    void setConnection(ConnectionOptions options)
    {
        options_ = std::move(options);
        dropChannel();
        endpointIndex_ = 0;
    }

    RangeResult range(const RangeQuery& query)
    {
        etcdserverpb::RangeRequest request;
        request.set_key(query.key);
        request.set_range_end(query.rangeEnd);
        request.set_limit(query.limit);
        request.set_revision(query.revision);
        request.set_keys_only(query.keysOnly);
        etcdserverpb::RangeResponse response;
        RangeResult result;
        const grpc::Status status = call([&](grpc::ClientContext* context) {
            return kv_->Range(context, request, &response);
        });
        if (!status.ok()) {
            result.compacted = status.error_message().find("required revision has been compacted") != std::string::npos;
            result.error = result.compacted
                ? "Revision " + std::to_string(query.revision)
                      + " has been compacted: etcd no longer keeps the key space as it was then. Choose a newer "
                        "revision."
                : status.error_message().find("future revision") != std::string::npos
                ? "Revision " + std::to_string(query.revision) + " does not exist yet."
                : lastError_;
            return result;
        }
        result.kvs.reserve(std::size_t(response.kvs_size()));
        for (const mvccpb::KeyValue& kv : response.kvs())
            result.kvs.push_back({kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(),
                                  kv.lease()});
        result.more = response.more();
        result.count = response.count();
        result.revision = response.header().revision();
        return result;
    }

    ClusterStatus clusterStatus(std::chrono::milliseconds perMemberTimeout)
    {
        ClusterStatus result;
        etcdserverpb::MemberListResponse members;
        grpc::Status status = call([&](grpc::ClientContext* context) {
            return etcdserverpb::Cluster::NewStub(channel_)->MemberList(context, {}, &members);
        });
        if (!status.ok()) {
            result.error = lastError_;
            return result;
        }
        result.clusterId = members.header().cluster_id();
        connectedMember_ = members.header().member_id();
        std::map<std::uint64_t, int> leaderVotes;
        for (const etcdserverpb::Member& m : members.members()) {
            MemberStatus member;
            member.id = m.id();
            member.name = m.name();
            member.clientUrls.assign(m.clienturls().begin(), m.clienturls().end());
            member.peerUrls.assign(m.peerurls().begin(), m.peerurls().end());
            member.learner = m.islearner();
            askMember(member, perMemberTimeout);
            if (member.reachable && member.leader != 0)
                ++leaderVotes[member.leader];
            result.members.push_back(std::move(member));
        }
        for (const auto& [id, votes] : leaderVotes)
            if (result.leader == 0 || votes > leaderVotes[result.leader])
                result.leader = id;
        etcdserverpb::AlarmRequest alarmRequest;
        alarmRequest.set_action(etcdserverpb::AlarmRequest::GET);
        etcdserverpb::AlarmResponse alarms;
        status = call([&](grpc::ClientContext* context) {
            return etcdserverpb::Maintenance::NewStub(channel_)->Alarm(context, alarmRequest, &alarms);
        });
        if (status.ok()) {
            for (const etcdserverpb::AlarmMember& alarm : alarms.alarms()) {
                char id[24];
                std::snprintf(id, sizeof id, "%llx", static_cast<unsigned long long>(alarm.memberid()));
                result.alarms.push_back(etcdserverpb::AlarmType_Name(alarm.alarm()) + " on member " + id);
            }
        }
        return result;
    }

    WriteResult put(const std::string& key, const std::string& value, std::optional<std::int64_t> expectedModRevision)
    {
        WriteResult result;
        if (!expectedModRevision) {
            etcdserverpb::PutRequest request;
            request.set_key(key);
            request.set_value(value);
            etcdserverpb::PutResponse response;
            const grpc::Status status = call([&](grpc::ClientContext* context) {
                return kv_->Put(context, request, &response);
            });
            if (!status.ok())
                result.error = lastError_;
            result.revision = response.header().revision();
            return result;
        }
        // Put only if the key is still as it was read (mod revision 0: absent);
        // otherwise read what it is now, to say so.
        etcdserverpb::TxnRequest txn;
        etcdserverpb::Compare* compare = txn.add_compare();
        compare->set_key(key);
        compare->set_target(etcdserverpb::Compare::MOD);
        compare->set_result(etcdserverpb::Compare::EQUAL);
        compare->set_mod_revision(*expectedModRevision);
        etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
        put->set_key(key);
        put->set_value(value);
        etcdserverpb::RangeRequest* now = txn.add_failure()->mutable_request_range();
        now->set_key(key);
        now->set_keys_only(true);
        etcdserverpb::TxnResponse response;
        const grpc::Status status = call([&](grpc::ClientContext* context) { return kv_->Txn(context, txn, &response); });
        result.revision = response.header().revision();
        if (!status.ok()) {
            result.error = lastError_;
        } else if (!response.succeeded()) {
            const auto& kvs = response.responses_size() > 0 ? response.responses(0).response_range().kvs()
                                                            : google::protobuf::RepeatedPtrField<mvccpb::KeyValue>();
            if (kvs.empty())
                result.error = "The key was deleted after it was read; nothing was written.";
            else if (*expectedModRevision == 0)
                result.error = "The key already exists (modified at revision " + std::to_string(kvs[0].mod_revision())
                    + "); nothing was written. Select it to change it.";
            else
                result.error = "The key changed after it was read (now modified at revision "
                    + std::to_string(kvs[0].mod_revision()) + ", read at " + std::to_string(*expectedModRevision)
                    + "); nothing was written. Select it again to see the new value.";
        }
        return result;
    }

    WriteResult deleteRange(const std::string& key, const std::string& rangeEnd)
    {
        etcdserverpb::DeleteRangeRequest request;
        request.set_key(key);
        request.set_range_end(rangeEnd);
        etcdserverpb::DeleteRangeResponse response;
        WriteResult result;
        const grpc::Status status = call([&](grpc::ClientContext* context) {
            return kv_->DeleteRange(context, request, &response);
        });
        if (!status.ok())
            result.error = lastError_;
        result.revision = response.header().revision();
        result.deleted = response.deleted();
        return result;
    }

    WriteResult compact(std::int64_t revision)
    {
        etcdserverpb::CompactionRequest request;
        request.set_revision(revision);
        request.set_physical(true);
        etcdserverpb::CompactionResponse response;
        WriteResult result;
        const grpc::Status status = call([&](grpc::ClientContext* context) {
            return kv_->Compact(context, request, &response);
        });
        if (!status.ok())
            result.error = status.error_message().find("compacted") != std::string::npos
                ? "History up to revision " + std::to_string(revision) + " is already compacted."
                : status.error_message().find("future revision") != std::string::npos
                ? "Revision " + std::to_string(revision) + " does not exist yet."
                : lastError_;
        result.revision = response.header().revision();
        return result;
    }

    // Deactivates every raised alarm (what `etcdctl alarm disarm` does);
    // `deleted` counts them.
    WriteResult disarmAlarms()
    {
        WriteResult result;
        etcdserverpb::AlarmRequest list;
        list.set_action(etcdserverpb::AlarmRequest::GET);
        etcdserverpb::AlarmResponse raised;
        grpc::Status status = call([&](grpc::ClientContext* context) {
            return etcdserverpb::Maintenance::NewStub(channel_)->Alarm(context, list, &raised);
        });
        if (!status.ok()) {
            result.error = lastError_;
            return result;
        }
        for (const etcdserverpb::AlarmMember& alarm : raised.alarms()) {
            etcdserverpb::AlarmRequest disarm;
            disarm.set_action(etcdserverpb::AlarmRequest::DEACTIVATE);
            disarm.set_memberid(alarm.memberid());
            disarm.set_alarm(alarm.alarm());
            etcdserverpb::AlarmResponse response;
            status = call([&](grpc::ClientContext* context) {
                return etcdserverpb::Maintenance::NewStub(channel_)->Alarm(context, disarm, &response);
            });
            if (!status.ok()) {
                result.error = lastError_;
                return result;
            }
            ++result.deleted;
            result.revision = response.header().revision();
        }
        return result;
    }

    WriteResult defragment(std::uint64_t memberId, const std::vector<std::string>& clientUrls)
    {
        WriteResult result;
        MemberChannel member = memberChannel(memberId, clientUrls);
        if (!member.channel) {
            result.error = member.error;
            return result;
        }
        grpc::ClientContext context;
        // Defragmenting a large store takes long; etcd blocks the member meanwhile.
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
        if (!token_.empty())
            context.AddMetadata("token", token_);
        etcdserverpb::DefragmentResponse response;
        if (!track(&context))
            return result;
        const grpc::Status status =
            etcdserverpb::Maintenance::NewStub(member.channel)->Defragment(&context, {}, &response);
        track(nullptr);
        if (!status.ok())
            result.error = describeStatus(status, member.endpoint);
        result.revision = response.header().revision();
        return result;
    }

    template <typename Progress>
    WriteResult snapshot(const std::string& path, Progress&& progress)
    {
        WriteResult result;
        const std::string part = path + ".part";
        std::FILE* file = std::fopen(part.c_str(), "wb");
        if (!file) {
            result.error = "Cannot write " + part + ": " + std::strerror(errno) + ".";
            return result;
        }
        std::int64_t written = 0;
        bool failed = false;
        {
            std::lock_guard lock(activeMutex_);
            snapshotRunning_ = true;
        }
        const grpc::Status status = call([&](grpc::ClientContext* context) {
            // Another member after a failure starts the file over.
            std::rewind(file);
            if (::ftruncate(::fileno(file), 0) != 0)
                return grpc::Status(grpc::INTERNAL, std::string("cannot truncate ") + part);
            written = 0;
            context->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
            auto reader = etcdserverpb::Maintenance::NewStub(channel_)->Snapshot(context, {});
            etcdserverpb::SnapshotResponse chunk;
            while (!failed && reader->Read(&chunk)) {
                if (snapshotCancelled_) {
                    failed = true;
                    context->TryCancel();
                    break;
                }
                const std::string& blob = chunk.blob();
                if (std::fwrite(blob.data(), 1, blob.size(), file) != blob.size()) {
                    result.error = "Writing " + part + " failed: " + std::strerror(errno) + ".";
                    failed = true;
                    context->TryCancel();
                    break;
                }
                written += std::int64_t(blob.size());
                progress(written);
            }
            return reader->Finish();
        });
        {
            std::lock_guard lock(activeMutex_);
            snapshotRunning_ = false;
        }
        const bool closed = std::fclose(file) == 0;
        if (snapshotCancelled_)
            result.error = "The snapshot was cancelled; nothing of it was kept.";
        if (failed || !status.ok() || !closed || snapshotCancelled_) {
            if (result.error.empty())
                result.error = !closed ? "Writing " + part + " failed: " + std::strerror(errno) + "." : lastError_;
            std::remove(part.c_str());  // a partial snapshot is no snapshot
            return result;
        }
        if (std::rename(part.c_str(), path.c_str()) != 0) {
            result.error = "Cannot rename " + part + " to " + path + ": " + std::strerror(errno) + ".";
            std::remove(part.c_str());
            return result;
        }
        result.deleted = 0;
        result.revision = written;  // bytes written, for the sentence
        return result;
    }

    AuthInfo authInfo()
    {
        AuthInfo info;
        auto fail = [&](const grpc::Status& status) {
            info.error = status.error_code() == grpc::PERMISSION_DENIED
                ? "Only root may list users and roles while authentication is on."
                : lastError_;
            return info;
        };
        // AuthStatus answers from etcd 3.5 on; before, the way the user list
        // was read tells.
        etcdserverpb::AuthStatusResponse authStatus;
        grpc::Status status = call([&](grpc::ClientContext* c) { return auth_->AuthStatus(c, {}, &authStatus); });
        const bool statusKnown = status.ok();
        if (statusKnown)
            info.state = authStatus.enabled() ? AuthInfo::State::On : AuthInfo::State::Off;
        etcdserverpb::AuthUserListResponse users;
        status = call([&](grpc::ClientContext* c) { return auth_->UserList(c, {}, &users); });
        if (!status.ok())
            return fail(status);
        if (!statusKnown) {
            if (authOff_)
                info.state = AuthInfo::State::Off;
            else if (!token_.empty())
                info.state = AuthInfo::State::On;
            else if (options_.tls.certFile.empty())
                info.state = AuthInfo::State::Off;  // an admin request without any identity was answered
        }
        for (const std::string& name : users.users()) {
            etcdserverpb::AuthUserGetRequest request;
            request.set_name(name);
            etcdserverpb::AuthUserGetResponse user;
            status = call([&](grpc::ClientContext* c) { return auth_->UserGet(c, request, &user); });
            if (!status.ok())
                return fail(status);
            info.users.emplace_back(name, std::vector<std::string>(user.roles().begin(), user.roles().end()));
        }
        etcdserverpb::AuthRoleListResponse roles;
        status = call([&](grpc::ClientContext* c) { return auth_->RoleList(c, {}, &roles); });
        if (!status.ok())
            return fail(status);
        for (const std::string& name : roles.roles()) {
            etcdserverpb::AuthRoleGetRequest request;
            request.set_role(name);
            etcdserverpb::AuthRoleGetResponse role;
            status = call([&](grpc::ClientContext* c) { return auth_->RoleGet(c, request, &role); });
            if (!status.ok())
                return fail(status);
            std::vector<RolePermission> permissions;
            for (const authpb::Permission& p : role.perm())
                permissions.push_back({authpb::Permission::Type_Name(p.permtype()), p.key(), p.range_end()});
            info.roles.emplace_back(name, std::move(permissions));
        }
        return info;
    }

    LeaseList leases(int limit)
    {
        LeaseList result;
        etcdserverpb::LeaseLeasesResponse all;
        grpc::Status status = call([&](grpc::ClientContext* context) {
            return etcdserverpb::Lease::NewStub(channel_)->LeaseLeases(context, {}, &all);
        });
        if (!status.ok()) {
            result.error = lastError_;
            return result;
        }
        result.total = all.leases_size();
        std::vector<std::int64_t> ids;
        for (const etcdserverpb::LeaseStatus& lease : all.leases())
            ids.push_back(lease.id());
        std::sort(ids.begin(), ids.end());
        if (int(ids.size()) > limit)
            ids.resize(std::size_t(limit));
        for (const std::int64_t id : ids) {
            etcdserverpb::LeaseTimeToLiveRequest request;
            request.set_id(id);
            request.set_keys(true);
            etcdserverpb::LeaseTimeToLiveResponse response;
            status = call([&](grpc::ClientContext* context) {
                return etcdserverpb::Lease::NewStub(channel_)->LeaseTimeToLive(context, request, &response);
            });
            if (!status.ok()) {
                result.error = lastError_;
                return result;
            }
            LeaseInfo lease;
            lease.id = id;
            lease.ttl = response.ttl();
            lease.grantedTtl = response.grantedttl();
            lease.keys.assign(response.keys().begin(), response.keys().end());
            result.leases.push_back(std::move(lease));
        }
        return result;
    }

private:
    // Asks one member for its own status, on a channel of its own.
    void askMember(MemberStatus& member, std::chrono::milliseconds timeout)
    {
        if (member.clientUrls.empty()) {
            member.error = member.name.empty() ? "Not started yet (no client URL)." : "No client URL.";
            return;
        }
        MemberChannel direct = memberChannel(member.id, member.clientUrls);
        if (!direct.channel) {
            member.error = direct.error;
            return;
        }
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + timeout);
        if (!token_.empty())
            context.AddMetadata("token", token_);
        etcdserverpb::StatusResponse response;
        if (!track(&context))
            return;
        const grpc::Status status =
            etcdserverpb::Maintenance::NewStub(direct.channel)->Status(&context, {}, &response);
        track(nullptr);
        if (!status.ok()) {
            member.error = describeAttemptFailure(status, direct.endpoint, direct.options);
            return;
        }
        member.reachable = true;
        member.version = response.version();
        member.dbSize = response.dbsize();
        member.dbSizeInUse = response.dbsizeinuse();
        member.leader = response.leader();
        member.raftTerm = response.raftterm();
        member.raftIndex = response.raftindex();
        member.raftAppliedIndex = response.raftappliedindex();
        member.revision = response.header().revision();
        member.errors.assign(response.errors().begin(), response.errors().end());
    }

    struct MemberChannel {
        std::shared_ptr<grpc::Channel> channel;
        std::string endpoint;          // host:port it dials
        ConnectionOptions options;     // with the TLS it dials with
        std::string error;
    };

    // How to reach one member directly. The member this client is connected
    // to is asked on the same channel: its advertised URLs may not be the
    // one configured here (another listener, a name only resolvable inside
    // the cluster's network). Any other member is dialled at the client URL
    // whose scheme matches this connection's, else its first; the URL's
    // scheme decides TLS.
    MemberChannel memberChannel(std::uint64_t memberId, const std::vector<std::string>& clientUrls)
    {
        MemberChannel result;
        result.options = options_;
        if (memberId != 0 && memberId == connectedMember_ && channel_) {
            result.channel = channel_;
            result.endpoint = endpoint();
            return result;
        }
        if (clientUrls.empty()) {
            result.error = "No client URL.";
            return result;
        }
        const std::string preferred = options_.tls.enabled() ? "https://" : "http://";
        std::string url = clientUrls.front();
        for (const std::string& candidate : clientUrls)
            if (candidate.starts_with(preferred)) {
                url = candidate;
                break;
            }
        const ParsedEndpoints parsed = parseEndpointList(url);
        if (!parsed.error.empty() || parsed.endpoints.empty()) {
            result.error = parsed.error;
            return result;
        }
        result.endpoint = parsed.endpoints.front();
        result.options.endpoints = parsed.endpoints;
        if (parsed.tlsScheme)
            result.options.tls.required = true;
        else if (url.starts_with("http://"))
            result.options.tls = {};  // the member says it serves plain text there
        result.channel = makeEtcdChannel(result.endpoint, result.options, &result.error);
        return result;
    }

    // Runs `rpc` on an open channel, dialling the endpoints in turn and
    // authenticating as needed; one sentence in lastError_ when it fails.
    template <typename Rpc>
    grpc::Status call(Rpc&& rpc)
    {
        grpc::Status status;
        if (options_.endpoints.empty()) {
            lastError_ = "Not connected to etcd yet: give its endpoints first.";
            return grpc::Status(grpc::FAILED_PRECONDITION, lastError_);
        }
        const std::size_t tries = options_.endpoints.size();
        bool reauthenticated = false;
        for (std::size_t attempt = 0; attempt < tries; ++attempt) {
            if (!kv_ && !open()) {
                status = grpc::Status(grpc::UNAVAILABLE, lastError_);
                continue;  // open() moved on to the next endpoint
            }
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + options_.dialTimeout);
            if (!token_.empty())
                context.AddMetadata("token", token_);
            if (!track(&context))
                return grpc::Status(grpc::CANCELLED, "the client is closing");
            status = rpc(&context);
            track(nullptr);
            if (status.ok())
                return status;
            const std::string& message = status.error_message();
            qCWarning(lcKv).noquote() << "request to" << QString::fromStdString(endpoint()) << "failed -"
                                      << QString::fromStdString(statusForLog(status));
            if (!token_.empty() && !reauthenticated && message.find("auth token") != std::string::npos) {
                reauthenticated = true;  // expired or unknown after a restart: once more with a fresh one
                token_.clear();
                if (authenticate())
                    --attempt;
                continue;
            }
            lastError_ = describeAttemptFailure(status, endpoint(), options_);
            if (classifyStatus(status) == StreamError::Kind::Fatal || status.error_code() == grpc::OUT_OF_RANGE
                || status.error_code() == grpc::CANCELLED)
                return status;  // the request (or this client), not the member, is the problem
            dropChannel();
            endpointIndex_ = (endpointIndex_ + 1) % tries;
        }
        return status;
    }

    bool open()
    {
        std::string error;
        channel_ = makeEtcdChannel(endpoint(), options_, &error);
        if (!channel_) {
            lastError_ = error;
            endpointIndex_ = (endpointIndex_ + 1) % std::max<std::size_t>(1, options_.endpoints.size());
            return false;
        }
        kv_ = etcdserverpb::KV::NewStub(channel_);
        auth_ = etcdserverpb::Auth::NewStub(channel_);
        if (options_.user.empty())
            return true;
        if (authenticate())
            return true;
        dropChannel();
        endpointIndex_ = (endpointIndex_ + 1) % std::max<std::size_t>(1, options_.endpoints.size());
        return false;
    }

    bool authenticate()
    {
        etcdserverpb::AuthenticateRequest request;
        request.set_name(options_.user);
        request.set_password(options_.password);
        etcdserverpb::AuthenticateResponse response;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + options_.dialTimeout);
        if (!track(&context))
            return false;
        const grpc::Status status = auth_->Authenticate(&context, request, &response);
        track(nullptr);
        if (isAuthNotEnabled(status)) {
            qCInfo(lcKv).noquote() << "authentication is off at" << QString::fromStdString(endpoint())
                                   << "- reading without a token";
            authOff_ = true;
            return true;
        }
        if (!status.ok()) {
            lastError_ = describeAttemptFailure(status, endpoint(), options_);
            return false;
        }
        authOff_ = false;
        token_ = response.token();
        return true;
    }

    // Registers the call in progress for stop(); false when stopping.
    bool track(grpc::ClientContext* context)
    {
        std::lock_guard lock(activeMutex_);
        active_ = context;
        return !stopping_;
    }

    void dropChannel()
    {
        kv_.reset();
        auth_.reset();
        channel_.reset();
        token_.clear();
        connectedMember_ = 0;
    }

    std::string endpoint() const
    {
        return options_.endpoints.empty() ? std::string() : options_.endpoints[endpointIndex_ % options_.endpoints.size()];
    }

    ConnectionOptions options_ = [] {
        ConnectionOptions none;
        none.endpoints.clear();  // nothing is dialled before setConnection()
        return none;
    }();
    std::size_t endpointIndex_ = 0;
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
    std::string token_;
    std::uint64_t connectedMember_ = 0;  // the member whose answers come on channel_ (from MemberList)
    bool authOff_ = false;  // Authenticate said the cluster has authentication off
    std::string lastError_;
    std::mutex activeMutex_;  // guards the two below, shared with stop()
    grpc::ClientContext* active_ = nullptr;
    bool stopping_ = false;
    bool snapshotRunning_ = false;             // guarded too: active_ is a snapshot's
    std::atomic<bool> snapshotCancelled_{false};
};

KvClient::KvClient(QObject* parent)
    : QObject(parent)
    , thread_(new QThread(this))
    , worker_(new KvWorker)
    , workerMailbox_(new Mailbox(worker_))
    , clientMailbox_(new Mailbox(this))
{
    qRegisterMetaType<RangeResultPtr>();
    qRegisterMetaType<ClusterStatusPtr>();
    qRegisterMetaType<LeaseListPtr>();
    qRegisterMetaType<WriteResultPtr>();
    qRegisterMetaType<AuthInfoPtr>();
    thread_->setObjectName("etcdscope-kv");
    worker_->moveToThread(thread_);
    thread_->start();
}

KvClient::~KvClient()
{
    // A request in progress is cancelled, so closing never waits on the network.
    worker_->stop();
    // Quit from the worker's queue (requests still queued end at once: the
    // worker is stopping), releasing what it touched before its deletion here.
    workerMailbox_->post([w = worker_, thread = thread_] {
        handoffRelease(w);
        thread->quit();
    });
    thread_->wait();
    handoffAcquire(worker_);
    delete worker_;
}

void KvClient::setConnection(ConnectionOptions options)
{
    workerMailbox_->post([w = worker_, o = std::move(options)]() mutable { w->setConnection(std::move(o)); });
}

template <typename Result, typename Work>
quint64 KvClient::post(Work work, void (KvClient::*done)(quint64, const std::shared_ptr<const Result>&))
{
    const quint64 id = nextId_.fetch_add(1);
    workerMailbox_->post([this, w = worker_, id, work = std::move(work), done] {
        auto result = std::make_shared<const Result>(work(*w));
        clientMailbox_->post([this, id, result, done] { emit(this->*done)(id, result); });
    });
    return id;
}

quint64 KvClient::range(RangeQuery query)
{
    return post<RangeResult>([q = std::move(query)](KvWorker& w) { return w.range(q); }, &KvClient::rangeDone);
}

quint64 KvClient::clusterStatus(std::chrono::milliseconds perMemberTimeout)
{
    return post<ClusterStatus>([perMemberTimeout](KvWorker& w) { return w.clusterStatus(perMemberTimeout); },
                               &KvClient::clusterStatusDone);
}

quint64 KvClient::put(std::string key, std::string value, std::optional<std::int64_t> expectedModRevision)
{
    return post<WriteResult>([k = std::move(key), v = std::move(value), expectedModRevision](KvWorker& w) {
        return w.put(k, v, expectedModRevision);
    }, &KvClient::writeDone);
}

quint64 KvClient::deleteRange(std::string key, std::string rangeEnd)
{
    return post<WriteResult>([k = std::move(key), e = std::move(rangeEnd)](KvWorker& w) { return w.deleteRange(k, e); },
                             &KvClient::writeDone);
}

quint64 KvClient::disarmAlarms()
{
    return post<WriteResult>([](KvWorker& w) { return w.disarmAlarms(); }, &KvClient::writeDone);
}

quint64 KvClient::compact(std::int64_t revision)
{
    return post<WriteResult>([revision](KvWorker& w) { return w.compact(revision); }, &KvClient::writeDone);
}

quint64 KvClient::defragment(std::uint64_t memberId, std::vector<std::string> clientUrls)
{
    return post<WriteResult>([memberId, urls = std::move(clientUrls)](KvWorker& w) { return w.defragment(memberId, urls); },
                             &KvClient::writeDone);
}

quint64 KvClient::snapshot(std::string path)
{
    // The id post() is about to take (requests are made on one thread).
    const quint64 id = nextId_.load();
    worker_->armSnapshot();
    return post<WriteResult>(
        [this, id, p = std::move(path)](KvWorker& w) {
            qint64 reported = 0;
            return w.snapshot(p, [this, id, &reported](qint64 bytes) {
                if (bytes - reported < (4 << 20))
                    return;  // every 4 MiB
                reported = bytes;
                clientMailbox_->post([this, id, bytes] { emit snapshotProgress(id, bytes); });
            });
        },
        &KvClient::writeDone);
}

void KvClient::cancelSnapshot() { worker_->cancelSnapshot(); }

quint64 KvClient::authInfo()
{
    return post<AuthInfo>([](KvWorker& w) { return w.authInfo(); }, &KvClient::authInfoDone);
}

quint64 KvClient::leases(int limit)
{
    return post<LeaseList>([limit](KvWorker& w) { return w.leases(limit); }, &KvClient::leasesDone);
}

}  // namespace etcdscope
