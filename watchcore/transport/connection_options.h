// How to reach an etcd cluster. Plain data; secrets are passed in, never
// stored here beyond the life of a connection.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace etcdscope {

struct TlsFiles {
    std::string caFile;    // PEM bundle to verify the server; empty: system roots
    std::string certFile;  // client certificate (PEM), with keyFile
    std::string keyFile;   // client private key (PEM)
    bool required = false; // TLS even without files (an https:// endpoint)
    bool enabled() const { return required || !caFile.empty() || !certFile.empty(); }
};

struct ConnectionOptions {
    std::vector<std::string> endpoints{"127.0.0.1:2379"};  // host:port, tried in turn
    TlsFiles tls;
    std::string user;      // empty: no authentication
    std::string password;  // used to obtain a token; kept in memory only
    // A connection attempt (TCP, TLS, first answer) must finish within this.
    std::chrono::milliseconds dialTimeout{5000};
    // HTTP/2 keepalive: a ping after this much silence, and the connection is
    // dropped if the ping is not answered in keepaliveTimeout. etcd refuses
    // pings more often than every 5 s by default (--grpc-keepalive-min-time),
    // so the interval stays just above that; a hung member is left within
    // about keepaliveTime + keepaliveTimeout.
    std::chrono::milliseconds keepaliveTime{5500};
    std::chrono::milliseconds keepaliveTimeout{2500};
    // Ask the member to cancel the stream when it has no leader (Go's
    // WithRequireLeader), so that the session fails over (W9).
    bool requireLeader = true;
};

// Splits "a:1,b:2" into endpoints; strips an http:// or https:// scheme
// (https implies TLS) and surrounding spaces. Returns a readable error for
// garbage, else nullopt.
struct ParsedEndpoints {
    std::vector<std::string> endpoints;
    bool tlsScheme = false;
    std::string error;  // non-empty: the list cannot be used
};
ParsedEndpoints parseEndpointList(const std::string& list);

}  // namespace etcdscope
