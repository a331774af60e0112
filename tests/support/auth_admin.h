// The tests' own etcd administrator for authentication scenarios: adds a
// root user and a read-only role on one prefix, turns authentication on, and
// writes as root (authenticating again for each write: tests use tokens that
// expire within seconds).
#pragma once

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

namespace etcdscope::testing {

inline constexpr const char* kRootPassword = "root-pw";
inline constexpr const char* kReaderPassword = "reader-pw";

class AuthAdmin {
public:
    // `endpoint`: a plain-text client URL of the etcd (host:port).
    explicit AuthAdmin(const std::string& endpoint);

    // Users root (role root) and reader (role app-reader: READ on `prefix`),
    // then authentication on. Empty on success, else what failed.
    std::string setUp(const std::string& prefix);

    // A put as root; the revision, or 0 when it failed.
    std::int64_t put(const std::string& key, const std::string& value);

private:
    std::shared_ptr<grpc::Channel> channel_;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
    std::unique_ptr<etcdserverpb::KV::Stub> kv_;
};

}  // namespace etcdscope::testing
