#include "admin/admin_connection.h"

#include "transport/etcd_channel.h"
#include "transport/logging.h"

Q_LOGGING_CATEGORY(lcAdmin, "etcdscope.admin", QtInfoMsg)

namespace etcdscope {

void AdminConnection::reset(ConnectionOptions options)
{
    link_.reset(std::move(options));
    connectedMember_ = 0;
}

std::optional<CallFailure> AdminConnection::run(const char* stage, const Body& body,
                                                std::optional<std::chrono::milliseconds> deadline)
{
    std::optional<CallFailure> failure;
    const std::size_t members = std::max<std::size_t>(1, link_.endpointCount());
    bool reauthenticated = false;
    for (std::size_t tried = 0; tried < members; ++tried) {
        std::string error;
        const std::shared_ptr<grpc::Channel> channel = link_.channel(&error);
        if (!channel || (link_.needsToken() && !authenticate(&error))) {
            failure = CallFailure{{StreamError::Kind::Transient, error}, EtcdRefusal::None,
                                  std::string(stage) + " not sent to " + link_.endpoint() + " - " + error};
            if (link_.endpointCount() == 0)
                return failure;
            link_.failOver();
            connectedMember_ = 0;
            continue;
        }
        auto context = link_.newContext(deadline);
        if (!track(context))
            return CallFailure{{StreamError::Kind::Fatal, "The request was cancelled: the client is closing."},
                               EtcdRefusal::None, std::string(stage) + " not sent: closing", true};
        const grpc::Status status = body(channel, *context);
        track(nullptr);
        if (status.ok())
            return std::nullopt;
        failure = link_.failure(status, stage);
        // A refused request (a newer method on an older etcd, a compacted
        // revision) is an answer, logged at debug level (the caller turns it
        // into a sentence); a member that fails is worth a warning.
        if (failure->requestRefused)
            qCDebug(lcAdmin).noquote() << QString::fromStdString(failure->logLine);
        else
            qCWarning(lcAdmin).noquote() << QString::fromStdString(failure->logLine);
        if (failure->tokenRejected && !reauthenticated) {
            // Expired, or unknown after a restart: once more with a fresh one.
            reauthenticated = true;
            link_.clearToken();
            --tried;
            continue;
        }
        if (failure->requestRefused)
            return failure;  // the request (or this client), not the member, is the problem
        link_.failOver();
        connectedMember_ = 0;
    }
    return failure;
}

bool AdminConnection::authenticate(std::string* error)
{
    etcdserverpb::AuthenticateResponse response;
    auto context = link_.newContext();
    if (!track(context)) {
        *error = "The request was cancelled: the client is closing.";
        return false;
    }
    std::string sentence;
    const std::shared_ptr<grpc::Channel> channel = link_.channel(&sentence);
    const grpc::Status status = callUnary<etcdserverpb::AuthenticateResponse>(
        context, link_.authenticateRequest(),
        [&](auto... args) { etcdserverpb::Auth::NewStub(channel)->async()->Authenticate(args...); }, &response);
    track(nullptr);
    if (auto failure = link_.acceptAuthentication(status, response)) {
        qCWarning(lcAdmin).noquote() << QString::fromStdString(failure->logLine);
        *error = failure->error.message;
        return false;
    }
    if (link_.authenticationOff())
        qCInfo(lcAdmin).noquote() << "authentication is off at" << QString::fromStdString(link_.endpoint())
                                  << "- reading without a token";
    return true;
}

AdminConnection::MemberChannel AdminConnection::memberChannel(std::uint64_t memberId,
                                                              const std::vector<std::string>& clientUrls)
{
    MemberChannel result;
    result.options = link_.options();
    if (memberId != 0 && memberId == connectedMember_) {
        std::string error;
        if ((result.channel = link_.channel(&error))) {
            result.endpoint = link_.endpoint();
            return result;
        }
    }
    if (clientUrls.empty()) {
        result.error = "No client URL.";
        return result;
    }
    const std::string preferred = link_.options().tls.enabled() ? "https://" : "http://";
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

std::string AdminConnection::describeMemberFailure(const grpc::Status& status, const MemberChannel& member) const
{
    return describeAttemptFailure(status, member.endpoint, member.options);
}

void AdminConnection::stop()
{
    std::lock_guard lock(activeMutex_);
    stopping_ = true;
    if (active_)
        active_->TryCancel();
}

void AdminConnection::cancelCurrent()
{
    std::lock_guard lock(activeMutex_);
    if (active_)
        active_->TryCancel();
}

bool AdminConnection::track(std::shared_ptr<grpc::ClientContext> context)
{
    std::lock_guard lock(activeMutex_);
    active_ = std::move(context);
    return !stopping_;
}

}  // namespace etcdscope
