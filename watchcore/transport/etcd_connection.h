// One connection to an etcd cluster as every caller of etcd makes it: the
// member to dial (round-robin over the endpoints), its channel (TLS files
// read when dialled), the auth token, a context per call, and the meaning of
// a failed call decided once: whether it is worth another member, whether
// the token must be renewed, and one sentence for the person.
//
// Shared by the watch session (which asks Status, then Authenticate, then
// opens the Watch stream, with the engine deciding when to try again) and
// the admin client (which runs each request on the current member and fails
// over to the next). startUnary() is the one way both make a unary call.
//
// Threading: plain data, used on its owner's thread only. startUnary's
// `done` runs on one of gRPC's threads.
#pragma once

#include "engine/endpoint_rotation.h"
#include "engine/engine_types.h"
#include "transport/connection_options.h"
#include "transport/thread_handoff.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace etcdscope {

// What etcd refused, when it names it (its words are only in the message;
// they are read once, in EtcdConnection::failure).
enum class EtcdRefusal : std::uint8_t {
    None,              // no specific refusal: see the kind and the sentence
    RevisionCompacted, // "required revision has been compacted"
    FutureRevision,    // "required revision is a future revision"
    PermissionDenied,  // the user may not do this
};

// What a failed call means, decided once for every caller.
struct CallFailure {
    StreamError error;     // whether retrying can help (the kind) and one sentence for the person
    EtcdRefusal refusal = EtcdRefusal::None;
    std::string logLine;   // the precise form for the engineer: stage, member, gRPC code and message
    // The member is not at fault (the request was refused as such, or the
    // call was cancelled here): another member would answer the same.
    bool requestRefused = false;
    // etcd refused the token (it expired, or the member restarted and no
    // longer knows it): authenticate again before the next call.
    bool tokenRejected = false;
};

// Whether etcd refused a token it once gave. etcd says so only in the
// message ("etcdserver: invalid auth token"); this is the one place that
// reads it.
bool isTokenRejected(const grpc::Status& status);

class EtcdConnection {
public:
    // Without endpoints nothing is dialled until reset() gives some.
    EtcdConnection();

    // A new connection: the first member, no channel, no token.
    void reset(ConnectionOptions options);
    const ConnectionOptions& options() const { return options_; }
    const std::string& endpoint() const { return rotation_.current(); }
    std::size_t endpointCount() const { return rotation_.size(); }

    // The channel to endpoint(), dialled on first use; nullptr and one
    // sentence in `error` when it cannot be made (a TLS file is unreadable).
    std::shared_ptr<grpc::Channel> channel(std::string* error);
    // After a failure at endpoint(): the next member, with a new channel and
    // a new token when it is dialled.
    void failOver();
    // The same member, dialled afresh on the next call.
    void dropChannel();

    // Whether a call needs Authenticate first: a user is set, no token is
    // held, and the cluster has not said that authentication is off.
    bool needsToken() const { return !options_.user.empty() && token_.empty() && !authOff_; }
    bool hasToken() const { return !token_.empty(); }
    void clearToken() { token_.clear(); }

    // A context for one call on this connection: the token, and a deadline
    // (the dial timeout unless given).
    std::shared_ptr<grpc::ClientContext> newContext(std::optional<std::chrono::milliseconds> deadline = {}) const;
    // Adds the token (if any) to a context made elsewhere (a stream's, which has no deadline).
    void authorize(grpc::ClientContext& context) const;

    etcdserverpb::AuthenticateRequest authenticateRequest() const;
    // Takes Authenticate's answer: keeps the token, or carries on without
    // one when the cluster has authentication off (like Go's client).
    // Anything else is a failure.
    std::optional<CallFailure> acceptAuthentication(const grpc::Status& status,
                                                    const etcdserverpb::AuthenticateResponse& response);
    // True once Authenticate said the cluster has authentication off.
    bool authenticationOff() const { return authOff_; }

    // What a failed call at endpoint() means; `stage` names the call for the log.
    CallFailure failure(const grpc::Status& status, std::string_view stage) const;

private:
    ConnectionOptions options_;
    EndpointRotation rotation_;
    std::shared_ptr<grpc::Channel> channel_;  // to rotation_.current(); null until dialled
    std::string token_;                        // for channel_'s member; empty: none yet
    bool authOff_ = false;                     // the member said authentication is off
};

// One unary call with gRPC's callback API: `start` is handed the context,
// the request and the response (e.g. a lambda around a Stub::async()
// method), and `done` runs on a gRPC thread with the outcome and the context,
// which the caller may carry to its own thread to release the channel there.
// Request, response and context live until `done` has run.
template <typename Response, typename Request, typename Start>
void startUnary(std::shared_ptr<grpc::ClientContext> context, Request request, Start&& start,
                std::function<void(grpc::Status, Response, std::shared_ptr<grpc::ClientContext>)> done)
{
    struct Call {
        std::shared_ptr<grpc::ClientContext> context;
        Request request;
        Response response;
        std::function<void(grpc::Status, Response, std::shared_ptr<grpc::ClientContext>)> done;
    };
    auto call = std::make_shared<Call>(Call{std::move(context), std::move(request), {}, std::move(done)});
    grpc::ClientContext* rawContext = call->context.get();
    const Request* rawRequest = &call->request;
    Response* rawResponse = &call->response;
    handoffRelease(call.get());  // the callback runs on one of gRPC's threads
    start(rawContext, rawRequest, rawResponse, [call](grpc::Status status) mutable {
        handoffAcquire(call.get());
        auto finish = std::move(call->done);
        auto context = std::move(call->context);
        finish(std::move(status), std::move(call->response), std::move(context));
    });
}

// The same call, waited for: for a worker thread of its own (the admin
// client), which cancels it from another thread through the context.
template <typename Response, typename Request, typename Start>
grpc::Status callUnary(std::shared_ptr<grpc::ClientContext> context, Request request, Start&& start,
                       Response* response)
{
    std::mutex mutex;
    std::condition_variable finished;
    std::optional<grpc::Status> outcome;
    startUnary<Response>(std::move(context), std::move(request), std::forward<Start>(start),
                         [&](grpc::Status status, Response answer, std::shared_ptr<grpc::ClientContext>) {
                             std::lock_guard lock(mutex);
                             *response = std::move(answer);
                             outcome = std::move(status);
                             finished.notify_one();
                         });
    std::unique_lock lock(mutex);
    finished.wait(lock, [&] { return outcome.has_value(); });
    return *outcome;
}

}  // namespace etcdscope
