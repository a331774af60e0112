#include "etcd_channel.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace etcdscope {

namespace {

bool readFile(const std::string& path, std::string& into, std::string* error, const char* what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (error)
            *error = std::string("cannot read the ") + what + " file " + path;
        return false;
    }
    std::ostringstream content;
    content << in.rdbuf();
    into = content.str();
    return true;
}

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

const char* codeName(grpc::StatusCode code)
{
    switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::UNKNOWN: return "UNKNOWN";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::ABORTED: return "ABORTED";
    case grpc::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::INTERNAL: return "INTERNAL";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::DATA_LOSS: return "DATA_LOSS";
    default: return "UNRECOGNISED";
    }
}

}  // namespace

std::shared_ptr<grpc::Channel> makeEtcdChannel(const std::string& endpoint, const ConnectionOptions& options,
                                               std::string* error)
{
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (options.tls.enabled()) {
        grpc::SslCredentialsOptions ssl;
        if (!options.tls.caFile.empty() && !readFile(options.tls.caFile, ssl.pem_root_certs, error, "CA certificate"))
            return nullptr;
        if (!options.tls.certFile.empty()) {
            if (!readFile(options.tls.certFile, ssl.pem_cert_chain, error, "client certificate")
                || !readFile(options.tls.keyFile, ssl.pem_private_key, error, "client key"))
                return nullptr;
        }
        credentials = grpc::SslCredentials(ssl);
    } else {
        credentials = grpc::InsecureChannelCredentials();
    }

    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, int(options.keepaliveTime.count()));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, int(options.keepaliveTimeout.count()));
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
    // No reconnect tuning here: every attempt gets a fresh channel, and the
    // session's Status probe bounds it by the dial timeout. (gRPC's minimum
    // reconnect back-off doubles as its connect deadline; lowering it would
    // fail slow TLS handshakes.)
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    return grpc::CreateCustomChannel(endpoint, credentials, args);
}

StreamError::Kind classifyStatus(const grpc::Status& status)
{
    switch (status.error_code()) {
    case grpc::UNAUTHENTICATED:
    case grpc::PERMISSION_DENIED:
        return StreamError::Kind::AuthFailure;
    case grpc::UNIMPLEMENTED:
    case grpc::INVALID_ARGUMENT:
        return StreamError::Kind::Fatal;
    default:
        // etcd reports a wrong password as INVALID_ARGUMENT, and an invalid
        // token as UNAUTHENTICATED; both are covered above.
        if (contains(status.error_message(), "authentication failed"))
            return StreamError::Kind::AuthFailure;
        return StreamError::Kind::Transient;
    }
}

std::string describeStatus(const grpc::Status& status, const std::string& endpoint)
{
    const std::string& m = status.error_message();
    const std::string at = "etcd at " + endpoint;
    switch (status.error_code()) {
    case grpc::DEADLINE_EXCEEDED:
        return at + " did not answer in time; check the address and port, and that the member is up and not hung.";
    case grpc::UNIMPLEMENTED:
        return endpoint + " answered, but it is not an etcd v3 server (it does not offer etcd's gRPC API).";
    case grpc::UNAUTHENTICATED:
        return at + " rejected the credentials (" + m + ").";
    case grpc::PERMISSION_DENIED:
        return at + " denied permission (" + m + ").";
    case grpc::INVALID_ARGUMENT:
        if (contains(m, "authentication failed"))
            return at + " rejected the user name or password.";
        return at + " rejected the request (" + m + ").";
    default:
        break;
    }
    if (contains(m, "Connection refused"))
        return "Cannot connect to " + at + ": connection refused. Is etcd running and listening there?";
    if (contains(m, "DNS resolution failed") || contains(m, "name resolution") || contains(m, "Name or service"))
        return "Cannot resolve the host name of " + endpoint + ".";
    if (contains(m, "Handshake") || contains(m, "SSL") || contains(m, "TLS") || contains(m, "certificate"))
        return "The TLS handshake with " + at + " failed; check the CA, the client certificate and whether the "
               "server uses TLS.";
    if (contains(m, "SETTINGS frame") || contains(m, "handshaker shutdown"))
        return "Something accepts connections at " + endpoint
               + " but did not answer as an etcd server in time. Is this the right port?";
    if (contains(m, "HTTP/2") || contains(m, "http1") || contains(m, "Socket closed") || contains(m, "Connection reset")
        || contains(m, "GOAWAY") || contains(m, "parse") || status.error_code() == grpc::INTERNAL)
        return "Something answered at " + endpoint + ", but not with etcd's gRPC protocol. Is this the right port?";
    if (contains(m, "no leader"))
        return at + " has no leader; trying another member.";
    return at + ": " + (m.empty() ? std::string(codeName(status.error_code())) : m) + ".";
}

std::string statusForLog(const grpc::Status& status)
{
    std::string line = std::string(codeName(status.error_code())) + ": " + status.error_message();
    if (!status.error_details().empty())
        line += " [" + std::to_string(status.error_details().size()) + " bytes of details]";
    return line;
}

bool broadcastProgressIsOrdered(const std::string& version)
{
    int major = 0, minor = 0, patch = 0;
    if (std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch) < 2)
        return false;
    if (major != 3)
        return major > 3;
    if (minor == 4)
        return patch >= 25;
    if (minor == 5)
        return patch >= 8;
    return minor > 5;
}

}  // namespace etcdscope
