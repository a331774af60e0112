// gRPC channels to etcd members and the translation of gRPC outcomes into
// the engine's error kinds and into one readable sentence for a person.
#pragma once

#include "engine/engine_types.h"
#include "transport/connection_options.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace etcdscope {

// A fresh channel to one endpoint, with its own subchannel (so that gRPC's
// internal reconnect back-off never delays our own), unlimited receive size
// (W5: catch-up responses reach tens of MB) and keepalive (W12).
std::shared_ptr<grpc::Channel> makeEtcdChannel(const std::string& endpoint, const ConnectionOptions& options,
                                               std::string* error);

// Whether retrying can help after this status.
StreamError::Kind classifyStatus(const grpc::Status& status);

// One sentence for the person: what failed, where, and what to check.
std::string describeStatus(const grpc::Status& status, const std::string& endpoint);

// The same for a failed connection attempt (the first call on a fresh
// channel), which knows what the attempt asked for: gRPC reports a TLS
// mismatch or a rejected client certificate only as a closed or unreadable
// connection, and what that means depends on whether TLS and a client
// certificate were used.
std::string describeAttemptFailure(const grpc::Status& status, const std::string& endpoint,
                                   const ConnectionOptions& options);

// Whether Authenticate failed only because the cluster has authentication
// off: then, like Go's client, carry on without a token.
bool isAuthNotEnabled(const grpc::Status& status);

// Whether the member refused because it has no leader (W9: try another).
bool isNoLeader(const grpc::Status& status);

// The precise form for the log: code name, message and details.
std::string statusForLog(const grpc::Status& status);

}  // namespace etcdscope
