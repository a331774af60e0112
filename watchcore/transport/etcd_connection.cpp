#include "transport/etcd_connection.h"

#include "transport/etcd_channel.h"

namespace etcdscope {

bool isTokenRejected(const grpc::Status& status)
{
    return !status.ok() && status.error_message().find("auth token") != std::string::npos;
}

EtcdConnection::EtcdConnection() { options_.endpoints.clear(); }

void EtcdConnection::reset(ConnectionOptions options)
{
    options_ = std::move(options);
    rotation_ = EndpointRotation(options_.endpoints);
    dropChannel();
}

std::shared_ptr<grpc::Channel> EtcdConnection::channel(std::string* error)
{
    if (channel_)
        return channel_;
    if (rotation_.empty()) {
        if (error)
            *error = "Not connected to etcd yet: give its endpoints first.";
        return nullptr;
    }
    channel_ = makeEtcdChannel(endpoint(), options_, error);
    return channel_;
}

void EtcdConnection::failOver()
{
    rotation_.advance();
    dropChannel();
}

void EtcdConnection::dropChannel()
{
    channel_.reset();
    token_.clear();
    authOff_ = false;
}

std::shared_ptr<grpc::ClientContext> EtcdConnection::newContext(std::optional<std::chrono::milliseconds> deadline) const
{
    auto context = std::make_shared<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + deadline.value_or(options_.dialTimeout));
    context->set_wait_for_ready(false);
    authorize(*context);
    return context;
}

void EtcdConnection::authorize(grpc::ClientContext& context) const
{
    if (!token_.empty())
        context.AddMetadata("token", token_);
}

etcdserverpb::AuthenticateRequest EtcdConnection::authenticateRequest() const
{
    etcdserverpb::AuthenticateRequest request;
    request.set_name(options_.user);
    request.set_password(options_.password);
    return request;
}

std::optional<CallFailure> EtcdConnection::acceptAuthentication(const grpc::Status& status,
                                                                const etcdserverpb::AuthenticateResponse& response)
{
    if (isAuthNotEnabled(status)) {
        authOff_ = true;
        token_.clear();
        return std::nullopt;
    }
    if (!status.ok())
        return failure(status, "authentication");
    token_ = response.token();
    return std::nullopt;
}

CallFailure EtcdConnection::failure(const grpc::Status& status, std::string_view stage) const
{
    CallFailure failure;
    failure.error = {classifyStatus(status), describeAttemptFailure(status, endpoint(), options_)};
    failure.logLine = std::string(stage) + " failed at " + endpoint() + " - " + statusForLog(status);
    failure.tokenRejected = !token_.empty() && isTokenRejected(status);
    const std::string& message = status.error_message();
    if (message.find("required revision has been compacted") != std::string::npos)
        failure.refusal = EtcdRefusal::RevisionCompacted;
    else if (message.find("future revision") != std::string::npos)
        failure.refusal = EtcdRefusal::FutureRevision;
    else if (status.error_code() == grpc::PERMISSION_DENIED)
        failure.refusal = EtcdRefusal::PermissionDenied;
    failure.requestRefused = failure.error.kind == StreamError::Kind::Fatal
        || status.error_code() == grpc::OUT_OF_RANGE || status.error_code() == grpc::CANCELLED;
    return failure;
}

}  // namespace etcdscope
