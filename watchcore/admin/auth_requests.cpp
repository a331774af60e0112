#include "admin/auth_requests.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

// Starts a call of etcd's Auth service named `Method` (see AdminConnection::call).
#define ETCDSCOPE_AUTH_CALL(Method) \
    [](const auto& channel, auto... call) { etcdserverpb::Auth::NewStub(channel)->async()->Method(call...); }

namespace etcdscope {

AuthInfo readAuthInfo(AdminConnection& connection)
{
    AuthInfo info;
    auto fail = [&](const CallFailure& failure) {
        info.error = failure.refusal == EtcdRefusal::PermissionDenied
            ? "Only root may list users and roles while authentication is on."
            : failure.error.message;
        return info;
    };
    // AuthStatus answers from etcd 3.5 on; before, the way the user list
    // was read tells.
    etcdserverpb::AuthStatusResponse authStatus;
    const bool statusKnown = !connection.call("auth status", etcdserverpb::AuthStatusRequest(), &authStatus,
                                              ETCDSCOPE_AUTH_CALL(AuthStatus));
    if (statusKnown)
        info.state = authStatus.enabled() ? AuthInfo::State::On : AuthInfo::State::Off;
    etcdserverpb::AuthUserListResponse users;
    if (auto failure = connection.call("user list", etcdserverpb::AuthUserListRequest(), &users,
                                       ETCDSCOPE_AUTH_CALL(UserList)))
        return fail(*failure);
    if (!statusKnown) {
        if (connection.authenticationOff())
            info.state = AuthInfo::State::Off;
        else if (connection.hasToken())
            info.state = AuthInfo::State::On;
        else if (connection.options().tls.certFile.empty())
            info.state = AuthInfo::State::Off;  // an admin request without any identity was answered
    }
    for (const std::string& name : users.users()) {
        etcdserverpb::AuthUserGetRequest request;
        request.set_name(name);
        etcdserverpb::AuthUserGetResponse user;
        if (auto failure = connection.call("user get", request, &user, ETCDSCOPE_AUTH_CALL(UserGet)))
            return fail(*failure);
        info.users.emplace_back(name, std::vector<std::string>(user.roles().begin(), user.roles().end()));
    }
    etcdserverpb::AuthRoleListResponse roles;
    if (auto failure = connection.call("role list", etcdserverpb::AuthRoleListRequest(), &roles,
                                       ETCDSCOPE_AUTH_CALL(RoleList)))
        return fail(*failure);
    for (const std::string& name : roles.roles()) {
        etcdserverpb::AuthRoleGetRequest request;
        request.set_role(name);
        etcdserverpb::AuthRoleGetResponse role;
        if (auto failure = connection.call("role get", request, &role, ETCDSCOPE_AUTH_CALL(RoleGet)))
            return fail(*failure);
        std::vector<RolePermission> permissions;
        for (const authpb::Permission& p : role.perm())
            permissions.push_back({authpb::Permission::Type_Name(p.permtype()), p.key(), p.range_end()});
        info.roles.emplace_back(name, std::move(permissions));
    }
    return info;
}

}  // namespace etcdscope

#undef ETCDSCOPE_AUTH_CALL
