#include "get_command.h"

#include "admin/admin_connection.h"
#include "admin/kv_requests.h"
#include "decode/kubernetes/encryption.h"
#include "decode/kubernetes/kubernetes_object.h"
#include "decode/kubernetes/kubernetes_schema.h"
#include "decode/kubernetes/registry_key.h"
#include "format/event_format.h"
#include "watch_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace etcdscope::cli {

namespace {

// Keys read a request: pages keep memory flat over any number of keys.
constexpr std::int64_t kPageKeys = 1000;

bool writeAll(const std::string& out)
{
    return out.empty() || std::fwrite(out.data(), 1, out.size(), stdout) == out.size();
}

}  // namespace

std::optional<nlohmann::ordered_json> decodedObject(std::string_view key, std::string_view value, Decode mode)
{
    if (mode == Decode::None || value.empty())
        return std::nullopt;
    if (const auto encrypted = kubernetes::parseEncrypted(value)) {
        const auto keys = kubernetes::encryptionKeysInUse();
        if (!keys)
            return std::nullopt;
        const kubernetes::Decryption decryption = kubernetes::decrypt(*keys, *encrypted, key);
        if (!decryption.plaintext) {
            std::fprintf(stderr, "etcdscope-cli: %s: %s\n", std::string(key).c_str(), decryption.problem.c_str());
            return std::nullopt;
        }
        return decodedObject(key, *decryption.plaintext, mode);
    }
    if (kubernetes::isKubernetesProtobuf(value)) {
        kubernetes::DecodedObject decoded = kubernetes::decodeObject(kubernetes::Schema::builtIn(), value);
        if (decoded.bySchema)
            return std::move(decoded.object);
        return std::nullopt;
    }
    // Custom resources (and everything in a cluster that stores JSON) are JSON documents.
    if (mode == Decode::Kubernetes || kubernetes::parseRegistryKey(key)) {
        nlohmann::ordered_json object = nlohmann::ordered_json::parse(value, nullptr, false);
        if (!object.is_discarded() && object.is_object())
            return object;
    }
    return std::nullopt;
}

void appendDecodedObject(std::string& out, std::string_view key, std::string_view value, Decode mode)
{
    const auto object = decodedObject(key, value, mode);
    if (!object || out.size() < 2)
        return;
    out.resize(out.size() - 2);  // "}\n"
    out += ",\"object\":";
    out += object->dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    out += "}\n";
}

bool loadEncryptionKeys(const std::string& path)
{
    std::string error;
    auto keys = kubernetes::loadEncryptionConfiguration(path, &error);
    if (!keys) {
        std::fprintf(stderr, "etcdscope-cli: %s\n", error.c_str());
        return false;
    }
    kubernetes::useEncryptionKeys(std::make_shared<const kubernetes::EncryptionKeys>(std::move(*keys)));
    return true;
}

int runGet(const WatchCommandOptions& options)
{
    const WatchSpec& spec = options.watches.front();
    AdminConnection connection;
    connection.reset(options.connection);
    RangeQuery query;
    query.key = spec.key;
    query.rangeEnd = spec.rangeEnd;
    query.limit = spec.rangeEnd.empty() ? 0 : kPageKeys;
    query.revision = spec.startRevision;
    query.keysOnly = options.keysOnly;
    std::string out;
    std::int64_t keys = 0;
    for (;;) {
        const RangeResult page = readRange(connection, query);
        if (!page.error.empty()) {
            std::fprintf(stderr, "etcdscope-cli: %s%s\n", page.error.c_str(),
                         keys > 0 ? (" (" + std::to_string(keys) + " keys were written before)").c_str() : "");
            return page.compacted ? kExitUsage : kExitConnection;
        }
        // Every page at the first page's revision: one consistent view.
        if (query.revision == 0)
            query.revision = page.revision;
        out.clear();
        for (const KeyValue& kv : page.kvs) {
            WatchEvent event;
            event.kv = kv;
            if (options.output == OutputFormat::Text) {
                appendEventText(out, 1, event);
                continue;
            }
            appendEventJson(out, 1, event);
            if (!options.keysOnly)
                appendDecodedObject(out, kv.key, kv.value, options.decode);
        }
        keys += std::int64_t(page.kvs.size());
        if (!writeAll(out)) {
            if (errno == EPIPE)
                return kExitDone;
            std::fprintf(stderr, "etcdscope-cli: cannot write the output: %s.\n", std::strerror(errno));
            return kExitOutput;
        }
        if (!page.more || page.kvs.empty())
            break;
        query.key = page.kvs.back().key + '\0';  // the next key after the last one read
    }
    if (std::fflush(stdout) != 0 && errno != EPIPE) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output: %s.\n", std::strerror(errno));
        return kExitOutput;
    }
    return kExitDone;
}

}  // namespace etcdscope::cli
