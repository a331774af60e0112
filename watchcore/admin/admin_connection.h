// The admin client's way to etcd, on its worker thread. Each request runs
// on the current member through the shared EtcdConnection (dial, TLS, token,
// one sentence per failure) and transport's one unary-call helper; when the
// member is at fault the request goes to the next one, each member once; a
// token that etcd no longer accepts is renewed once. Errors come back as
// values (a CallFailure), never parked in the object.
//
// Threading: everything on the worker thread, except stop() and
// cancelCurrent(), which any thread may call to end the call in progress.
#pragma once

#include "transport/connection_options.h"
#include "transport/etcd_connection.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace etcdscope {

class AdminConnection {
public:
    // How to reach one member directly (see memberChannel).
    struct MemberChannel {
        std::shared_ptr<grpc::Channel> channel;
        std::string endpoint;       // host:port it dials
        ConnectionOptions options;  // with the TLS it dials with
        std::string error;          // why there is no channel, one sentence
    };

    // Used by the requests made after it; the open channel is dropped.
    void reset(ConnectionOptions options);
    const ConnectionOptions& options() const { return link_.options(); }
    bool authenticationOff() const { return link_.authenticationOff(); }
    bool hasToken() const { return link_.hasToken(); }

    // Runs `body` on the current member with a fresh context (token and
    // `deadline`, the dial timeout unless given), failing over as described
    // above. `body` may run more than once; it returns the call's status.
    using Body = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext&)>;
    std::optional<CallFailure> run(const char* stage, const Body& body,
                                   std::optional<std::chrono::milliseconds> deadline = {});

    // One unary call through run(): `start(channel, context, request,
    // response, done)` begins it with gRPC's callback API, typically
    // `Service::NewStub(channel)->async()->Method(context, request, response, done)`.
    template <typename Response, typename Request, typename Start>
    std::optional<CallFailure> call(const char* stage, const Request& request, Response* response, Start start,
                                    std::optional<std::chrono::milliseconds> deadline = {})
    {
        return run(stage, [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context) {
            auto borrowed = std::shared_ptr<grpc::ClientContext>(std::shared_ptr<void>(), &context);
            return callUnary<Response>(std::move(borrowed), request, [&](auto... args) { start(channel, args...); },
                                       response);
        }, deadline);
    }

    // Asks one member on a channel of its own (MemberList's member IDs and
    // client URLs), within `timeout`; the failure as a sentence.
    template <typename Response, typename Request, typename Start>
    std::optional<std::string> callMember(const MemberChannel& member, const Request& request, Response* response,
                                          Start start, std::chrono::milliseconds timeout)
    {
        auto context = std::make_shared<grpc::ClientContext>();
        context->set_deadline(std::chrono::system_clock::now() + timeout);
        link_.authorize(*context);
        if (!track(context))
            return "The request was cancelled.";
        const grpc::Status status = callUnary<Response>(
            context, request, [&](auto... args) { start(member.channel, args...); }, response);
        track(nullptr);
        if (status.ok())
            return std::nullopt;
        return describeMemberFailure(status, member);
    }

    // How to reach one member directly. The member this client is connected
    // to is asked on the same channel: its advertised URLs may not be the
    // one configured here (another listener, a name only resolvable inside
    // the cluster's network). Any other member is dialled at the client URL
    // whose scheme matches this connection's, else its first; the URL's
    // scheme decides TLS.
    MemberChannel memberChannel(std::uint64_t memberId, const std::vector<std::string>& clientUrls);
    // The member whose answers come on the current channel (from MemberList's header).
    void setConnectedMember(std::uint64_t memberId) { connectedMember_ = memberId; }

    // From any thread: the call in progress ends now, and no other starts
    // (the client is going away).
    void stop();
    // From any thread: the call in progress ends now; later ones run.
    void cancelCurrent();

private:
    // Registers the call in progress for stop(); false when stopping.
    bool track(std::shared_ptr<grpc::ClientContext> context);
    std::string describeMemberFailure(const grpc::Status& status, const MemberChannel& member) const;
    bool authenticate(std::string* error);

    EtcdConnection link_;                   // members, channel, token
    std::uint64_t connectedMember_ = 0;     // the member behind link_'s channel; 0: unknown
    std::mutex activeMutex_;                // guards the two below, shared with stop()
    std::shared_ptr<grpc::ClientContext> active_;
    bool stopping_ = false;
};

}  // namespace etcdscope
