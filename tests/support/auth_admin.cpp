#include "auth_admin.h"

#include "engine/watch_types.h"

#include <chrono>

namespace etcdscope::testing {

namespace {

template <typename Rpc>
std::string call(Rpc&& rpc, const char* what)
{
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status status = rpc(&context);
    return status.ok() ? std::string() : std::string(what) + ": " + status.error_message();
}

}  // namespace

AuthAdmin::AuthAdmin(const std::string& endpoint)
    : channel_(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()))
    , auth_(etcdserverpb::Auth::NewStub(channel_))
    , kv_(etcdserverpb::KV::NewStub(channel_))
{
}

std::string AuthAdmin::setUp(const std::string& prefix)
{
    std::string error;
    auto run = [&](auto&& rpc, const char* what) {
        if (error.empty())
            error = call(rpc, what);
    };
    etcdserverpb::AuthUserAddRequest root;
    root.set_name("root");
    root.set_password(kRootPassword);
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthUserAddResponse r; return auth_->UserAdd(c, root, &r); },
        "add root");
    etcdserverpb::AuthUserGrantRoleRequest rootRole;
    rootRole.set_user("root");
    rootRole.set_role("root");
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthUserGrantRoleResponse r; return auth_->UserGrantRole(c, rootRole, &r); },
        "grant root");
    etcdserverpb::AuthRoleAddRequest role;
    role.set_name("app-reader");
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthRoleAddResponse r; return auth_->RoleAdd(c, role, &r); },
        "add role");
    etcdserverpb::AuthRoleGrantPermissionRequest permission;
    permission.set_name("app-reader");
    permission.mutable_perm()->set_permtype(authpb::Permission::READ);
    permission.mutable_perm()->set_key(prefix);
    permission.mutable_perm()->set_range_end(prefixRangeEnd(prefix));
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthRoleGrantPermissionResponse r; return auth_->RoleGrantPermission(c, permission, &r); },
        "grant read");
    etcdserverpb::AuthUserAddRequest reader;
    reader.set_name("reader");
    reader.set_password(kReaderPassword);
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthUserAddResponse r; return auth_->UserAdd(c, reader, &r); },
        "add reader");
    etcdserverpb::AuthUserGrantRoleRequest readerRole;
    readerRole.set_user("reader");
    readerRole.set_role("app-reader");
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthUserGrantRoleResponse r; return auth_->UserGrantRole(c, readerRole, &r); },
        "grant reader");
    run([&](grpc::ClientContext* c) { etcdserverpb::AuthEnableResponse r; return auth_->AuthEnable(c, {}, &r); },
        "enable auth");
    return error;
}

std::int64_t AuthAdmin::put(const std::string& key, const std::string& value)
{
    etcdserverpb::AuthenticateRequest login;
    login.set_name("root");
    login.set_password(kRootPassword);
    etcdserverpb::AuthenticateResponse token;
    grpc::ClientContext loginContext;
    loginContext.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!auth_->Authenticate(&loginContext, login, &token).ok())
        return 0;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("token", token.token());
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    etcdserverpb::PutResponse response;
    return kv_->Put(&context, request, &response).ok() ? response.header().revision() : 0;
}

}  // namespace etcdscope::testing
