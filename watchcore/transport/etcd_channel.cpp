#include "transport/etcd_channel.h"

#include <QLoggingCategory>

#include <grpc/support/log.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
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

// The host part of "host:port" or "[v6]:port".
std::string hostOf(const std::string& endpoint)
{
    const auto colon = endpoint.rfind(':');
    std::string host = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return host;
}

// gRPC's own diagnostics (TLS alerts, handshake errors) would go to stderr
// and break the one-sentence rule; they go to a logging category instead,
// where the engineer finds them (QT_LOGGING_RULES="etcdscope.grpc*=true";
// GRPC_VERBOSITY=DEBUG for more than errors). The category is never
// destroyed: gRPC threads may log during exit.
QLoggingCategory& grpcCategory()
{
    static auto* category = new QLoggingCategory("etcdscope.grpc", QtInfoMsg);
    return *category;
}

void logGrpcLine(gpr_log_func_args* args)
{
    const char* file = std::strrchr(args->file, '/');
    file = file ? file + 1 : args->file;
    switch (args->severity) {
    case GPR_LOG_SEVERITY_ERROR:
        qCWarning(grpcCategory(), "%s:%d %s", file, args->line, args->message);
        break;
    case GPR_LOG_SEVERITY_INFO:
        qCInfo(grpcCategory(), "%s:%d %s", file, args->line, args->message);
        break;
    default:
        qCDebug(grpcCategory(), "%s:%d %s", file, args->line, args->message);
        break;
    }
}

void routeGrpcLogOnce()
{
    static std::once_flag routed;
    std::call_once(routed, [] { gpr_set_log_function(&logGrpcLine); });
}

// TLS failures that gRPC reports with OpenSSL's words in the status.
std::optional<std::string> describeTlsDetail(const std::string& m, const std::string& endpoint, const TlsFiles& tls)
{
    const std::string at = "etcd at " + endpoint;
    if (contains(m, "certificate verify failed"))
        return "The certificate of " + at + " failed verification: it is not signed by "
            + (tls.caFile.empty() ? std::string("a CA this system trusts") : "the CA in " + tls.caFile)
            + ", or it has expired; use the CA certificate that issued etcd's certificate.";
    if (contains(m, "Peer name") && contains(m, "not in peer certificate"))
        return "The certificate of " + at + " failed verification: it is not issued for the name \""
            + hostOf(endpoint) + "\"; connect by a host name or IP address that the "
            "certificate lists.";
    if (contains(m, "alert bad certificate") || contains(m, "alert certificate expired")
        || contains(m, "alert unknown ca") || contains(m, "certificate required"))
        return tls.certFile.empty()
            ? at + " requires a client certificate and refused the connection without one; give a client "
                   "certificate and key."
            : at + " rejected the client certificate " + tls.certFile
                + " during the TLS handshake: it is expired, not yet valid, or not signed by a CA that etcd trusts.";
    if (contains(m, "wrong version number") || contains(m, "packet length too long") || contains(m, "http request"))
        return at + " answered in plain text to this TLS connection (a TLS mismatch): connect without TLS (no "
               "CA or client certificate, http://) or check the port.";
    return std::nullopt;
}

}  // namespace

std::shared_ptr<grpc::Channel> makeEtcdChannel(const std::string& endpoint, const ConnectionOptions& options,
                                               std::string* error)
{
    routeGrpcLogOnce();
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
        return "Authentication failed: " + at + " rejected the credentials (" + m + ").";
    case grpc::PERMISSION_DENIED:
        return at + " denied permission (" + m + ").";
    case grpc::INVALID_ARGUMENT:
        if (contains(m, "authentication failed"))
            return "Authentication failed: " + at + " rejected the user name or password.";
        return at + " rejected the request (" + m + ").";
    default:
        break;
    }
    if (contains(m, "Connection refused"))
        return "Cannot connect to " + at + ": connection refused. Is etcd running and listening there?";
    if (contains(m, "DNS resolution failed") || contains(m, "name resolution") || contains(m, "Name or service"))
        return "The host name \"" + hostOf(endpoint) + "\" (of " + endpoint
            + ") does not resolve to an address; check its spelling and the DNS settings.";
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
    if (contains(m, "database space exceeded"))
        return at + " refused the write: its database is full (the quota set by --quota-backend-bytes is reached "
                    "and the NOSPACE alarm is raised). Compact and defragment to free space, then disarm the alarm "
                    "(Cluster tab).";
    return at + ": " + (m.empty() ? std::string(codeName(status.error_code())) : m) + ".";
}

std::string describeAttemptFailure(const grpc::Status& status, const std::string& endpoint,
                                   const ConnectionOptions& options)
{
    const std::string& m = status.error_message();
    const std::string at = "etcd at " + endpoint;
    const TlsFiles& tls = options.tls;
    if (tls.enabled()) {
        if (auto sentence = describeTlsDetail(m, endpoint, tls))
            return *sentence;
        // A plain-text etcd closes a connection that starts with a TLS hello
        // (a reset when the hello was still unread).
        if (contains(m, "Socket closed") || contains(m, "Connection reset by peer"))
            return at + " closed the connection at the start of the TLS handshake; most likely it does not use "
                   "TLS (plain http) while this connection does (a TLS mismatch): connect without TLS (no CA or "
                   "client certificate, http://) or check the port.";
        // With TLS 1.3 the server judges the client certificate after the
        // client has finished its handshake; a rejection arrives as an alert
        // that gRPC reports only as a failed read.
        if (contains(m, "Endpoint read failed"))
            return tls.certFile.empty()
                ? at + " closed the connection right after the TLS handshake: it most likely requires a "
                       "client certificate; give a client certificate and key."
                : at + " rejected the client certificate " + tls.certFile
                    + " (it closed the connection right after the TLS handshake): the certificate is most likely "
                      "expired, not yet valid, or not signed by a CA that etcd trusts.";
    } else if (contains(m, "Socket closed")) {
        // A TLS etcd closes a connection that does not start with a TLS hello.
        return at + " closed the connection without answering; most likely it expects TLS (https) while this "
               "connection is plain text (a TLS mismatch): connect with TLS (its CA certificate, an https:// "
               "endpoint), or, if it is not etcd, check that this is the right port.";
    }
    return describeStatus(status, endpoint);
}

std::string statusForLog(const grpc::Status& status)
{
    std::string line = std::string(codeName(status.error_code())) + ": " + status.error_message();
    if (!status.error_details().empty())
        line += " [" + std::to_string(status.error_details().size()) + " bytes of details]";
    return line;
}

bool isNoLeader(const grpc::Status& status)
{
    return status.error_code() == grpc::UNAVAILABLE && contains(status.error_message(), "no leader");
}

bool isAuthNotEnabled(const grpc::Status& status)
{
    return status.error_code() == grpc::FAILED_PRECONDITION
        && status.error_message().find("authentication is not enabled") != std::string::npos;
}

}  // namespace etcdscope
