#include "admin/cluster_requests.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <cstdio>
#include <map>

namespace etcdscope {

namespace {

void askMember(AdminConnection& connection, MemberStatus& member, std::chrono::milliseconds timeout)
{
    if (member.clientUrls.empty()) {
        member.error = member.name.empty() ? "Not started yet (no client URL)." : "No client URL.";
        return;
    }
    const AdminConnection::MemberChannel direct = connection.memberChannel(member.id, member.clientUrls);
    if (!direct.channel) {
        member.error = direct.error;
        return;
    }
    etcdserverpb::StatusResponse response;
    if (auto error = connection.callMember(direct, etcdserverpb::StatusRequest(), &response,
                                           [](const auto& channel, auto... call) {
                                               etcdserverpb::Maintenance::NewStub(channel)->async()->Status(call...);
                                           },
                                           timeout)) {
        member.error = *error;
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

}  // namespace

ClusterStatus readClusterStatus(AdminConnection& connection, std::chrono::milliseconds perMemberTimeout)
{
    ClusterStatus result;
    etcdserverpb::MemberListResponse members;
    if (auto failure = connection.call("member list", etcdserverpb::MemberListRequest(), &members,
                                       [](const auto& channel, auto... call) {
                                           etcdserverpb::Cluster::NewStub(channel)->async()->MemberList(call...);
                                       })) {
        result.error = failure->error.message;
        return result;
    }
    result.clusterId = members.header().cluster_id();
    connection.setConnectedMember(members.header().member_id());
    std::map<std::uint64_t, int> leaderVotes;
    for (const etcdserverpb::Member& m : members.members()) {
        MemberStatus member;
        member.id = m.id();
        member.name = m.name();
        member.clientUrls.assign(m.clienturls().begin(), m.clienturls().end());
        member.peerUrls.assign(m.peerurls().begin(), m.peerurls().end());
        member.learner = m.islearner();
        askMember(connection, member, perMemberTimeout);
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
    if (!connection.call("alarm list", alarmRequest, &alarms, [](const auto& channel, auto... call) {
            etcdserverpb::Maintenance::NewStub(channel)->async()->Alarm(call...);
        })) {
        for (const etcdserverpb::AlarmMember& alarm : alarms.alarms()) {
            char id[24];
            std::snprintf(id, sizeof id, "%llx", static_cast<unsigned long long>(alarm.memberid()));
            result.alarms.push_back(etcdserverpb::AlarmType_Name(alarm.alarm()) + " on member " + id);
        }
    }
    return result;
}

}  // namespace etcdscope
