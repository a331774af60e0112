#include "decode/kubernetes/encryption.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <yaml.h>

#include <QByteArray>

#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace etcdscope::kubernetes {

namespace {

constexpr std::string_view kPrefix = "k8s:enc:";
constexpr std::size_t kAesBlock = 16;
constexpr std::size_t kGcmNonce = 12;
constexpr std::size_t kGcmTag = 16;

// --- the configuration file: YAML (JSON is YAML too) -----------------------------------

struct Document {
    yaml_document_t doc{};
    bool loaded = false;
    ~Document()
    {
        if (loaded)
            yaml_document_delete(&doc);
    }
};

std::string scalar(yaml_node_t* node)
{
    if (!node || node->type != YAML_SCALAR_NODE)
        return {};
    return std::string(reinterpret_cast<const char*>(node->data.scalar.value), node->data.scalar.length);
}

yaml_node_t* member(yaml_document_t& doc, yaml_node_t* mapping, std::string_view name)
{
    if (!mapping || mapping->type != YAML_MAPPING_NODE)
        return nullptr;
    for (yaml_node_pair_t* pair = mapping->data.mapping.pairs.start; pair < mapping->data.mapping.pairs.top; ++pair) {
        if (scalar(yaml_document_get_node(&doc, pair->key)) == name)
            return yaml_document_get_node(&doc, pair->value);
    }
    return nullptr;
}

std::vector<yaml_node_t*> items(yaml_document_t& doc, yaml_node_t* sequence)
{
    std::vector<yaml_node_t*> out;
    if (!sequence || sequence->type != YAML_SEQUENCE_NODE)
        return out;
    for (yaml_node_item_t* item = sequence->data.sequence.items.start; item < sequence->data.sequence.items.top; ++item)
        out.push_back(yaml_document_get_node(&doc, *item));
    return out;
}

// --- ciphers ---------------------------------------------------------------------------

struct CipherContext {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
};

const EVP_CIPHER* aesCbc(std::size_t keyBytes)
{
    switch (keyBytes) {
    case 16: return EVP_aes_128_cbc();
    case 24: return EVP_aes_192_cbc();
    case 32: return EVP_aes_256_cbc();
    default: return nullptr;
    }
}

const EVP_CIPHER* aesGcm(std::size_t keyBytes)
{
    switch (keyBytes) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
    }
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::optional<std::string> openCbc(const std::string& key, std::string_view data)
{
    const EVP_CIPHER* cipher = aesCbc(key.size());
    if (!cipher || data.size() < 2 * kAesBlock || data.size() % kAesBlock != 0)
        return std::nullopt;
    CipherContext c;
    std::string out(data.size(), '\0');
    int n = 0;
    int last = 0;
    const std::string_view body = data.substr(kAesBlock);
    if (!c.ctx || EVP_DecryptInit_ex(c.ctx, cipher, nullptr, bytes(key), bytes(data)) != 1 ||
        EVP_DecryptUpdate(c.ctx, reinterpret_cast<unsigned char*>(out.data()), &n, bytes(body), int(body.size())) != 1 ||
        EVP_DecryptFinal_ex(c.ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &last) != 1)
        return std::nullopt;  // a wrong key shows as bad padding
    out.resize(std::size_t(n + last));
    return out;
}

std::optional<std::string> openGcm(const std::string& key, std::string_view data, std::string_view aad)
{
    const EVP_CIPHER* cipher = aesGcm(key.size());
    if (!cipher || data.size() < kGcmNonce + kGcmTag)
        return std::nullopt;
    const std::string_view nonce = data.substr(0, kGcmNonce);
    const std::string_view body = data.substr(kGcmNonce, data.size() - kGcmNonce - kGcmTag);
    std::string tag(data.substr(data.size() - kGcmTag));
    CipherContext c;
    std::string out(body.size() + kAesBlock, '\0');
    int n = 0;
    int ignored = 0;
    int last = 0;
    if (!c.ctx || EVP_DecryptInit_ex(c.ctx, cipher, nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, int(kGcmNonce), nullptr) != 1 ||
        EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
        EVP_DecryptUpdate(c.ctx, nullptr, &ignored, bytes(aad), int(aad.size())) != 1 ||
        EVP_DecryptUpdate(c.ctx, reinterpret_cast<unsigned char*>(out.data()), &n, bytes(body), int(body.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, int(kGcmTag), tag.data()) != 1 ||
        EVP_DecryptFinal_ex(c.ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &last) != 1)
        return std::nullopt;  // the tag does not verify: wrong key, or another etcd key
    out.resize(std::size_t(n + last));
    return out;
}

std::optional<std::string> openSecretbox(const std::string& key, std::string_view data)
{
    if (sodium_init() < 0 || key.size() != crypto_secretbox_KEYBYTES ||
        data.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return std::nullopt;
    const std::string_view nonce = data.substr(0, crypto_secretbox_NONCEBYTES);
    const std::string_view box = data.substr(crypto_secretbox_NONCEBYTES);
    std::string out(box.size() - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), bytes(box), box.size(), bytes(nonce),
                                   bytes(key)) != 0)
        return std::nullopt;
    return out;
}

}  // namespace

std::string EncryptedValue::describe() const
{
    if (provider == "kms")
        return "encrypted by KMS " + version + " (plugin " + keyName + ")";
    return "encrypted by " + provider + " (key " + keyName + ")";
}

std::optional<EncryptedValue> parseEncrypted(std::string_view value)
{
    if (value.substr(0, kPrefix.size()) != kPrefix)
        return std::nullopt;
    // k8s:enc:<provider>:<version>:<key name>:<payload>
    std::string_view rest = value.substr(kPrefix.size());
    std::string_view parts[3];
    for (std::string_view& part : parts) {
        const std::size_t colon = rest.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return std::nullopt;
        part = rest.substr(0, colon);
        rest = rest.substr(colon + 1);
    }
    EncryptedValue out;
    out.provider = parts[0];
    out.version = parts[1];
    out.keyName = parts[2];
    out.payload = rest;
    return out;
}

std::optional<EncryptionKeys> parseEncryptionConfiguration(std::string_view text, const std::string& name,
                                                           std::string* error)
{
    auto fail = [&](const std::string& sentence) -> std::optional<EncryptionKeys> {
        if (error)
            *error = sentence;
        return std::nullopt;
    };
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, bytes(text), text.size());
    Document document;
    document.loaded = yaml_parser_load(&parser, &document.doc) == 1;
    const std::string problem = parser.problem ? parser.problem : "";
    const std::size_t line = parser.problem_mark.line + 1;
    yaml_parser_delete(&parser);
    if (!document.loaded)
        return fail(name + " is not YAML: " + problem + " at line " + std::to_string(line) + ".");
    yaml_document_t& doc = document.doc;
    yaml_node_t* root = yaml_document_get_root_node(&doc);
    if (scalar(member(doc, root, "kind")) != "EncryptionConfiguration")
        return fail(name + " is not an EncryptionConfiguration (its kind is not EncryptionConfiguration).");
    EncryptionKeys out;
    out.source = name;
    for (yaml_node_t* resource : items(doc, member(doc, root, "resources"))) {
        for (yaml_node_t* provider : items(doc, member(doc, resource, "providers"))) {
            for (const char* kind : {"aescbc", "aesgcm", "secretbox"}) {
                for (yaml_node_t* key : items(doc, member(doc, member(doc, provider, kind), "keys"))) {
                    EncryptionKey k;
                    k.provider = kind;
                    k.name = scalar(member(doc, key, "name"));
                    const QByteArray secret = QByteArray::fromBase64(
                        QByteArray::fromStdString(scalar(member(doc, key, "secret"))),
                        QByteArray::AbortOnBase64DecodingErrors);
                    if (k.name.empty() || secret.isEmpty())
                        return fail(name + ": a " + std::string(kind) + " key has no name or no base64 secret.");
                    k.secret = secret.toStdString();
                    out.keys.push_back(std::move(k));
                }
            }
        }
    }
    if (out.keys.empty())
        return fail(name + " holds no aescbc, aesgcm or secretbox key (KMS keys stay with their plugin).");
    return out;
}

std::optional<EncryptionKeys> loadEncryptionConfiguration(const std::string& path, std::string* error)
{
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        if (error)
            *error = "Cannot read " + path + ".";
        return std::nullopt;
    }
    std::ostringstream text;
    text << file.rdbuf();
    return parseEncryptionConfiguration(text.str(), path, error);
}

Decryption decrypt(const EncryptionKeys& keys, const EncryptedValue& value, std::string_view etcdKey)
{
    Decryption out;
    if (value.provider == "kms") {
        out.problem = "This value is " + value.describe() + "; only the KMS plugin can decrypt it.";
        return out;
    }
    if (value.provider != "aescbc" && value.provider != "aesgcm" && value.provider != "secretbox") {
        out.problem = "This value is encrypted by \"" + value.provider + "\", a provider etcdscope does not know.";
        return out;
    }
    const EncryptionKey* key = nullptr;
    for (const EncryptionKey& k : keys.keys) {
        if (k.provider == value.provider && k.name == value.keyName)
            key = &k;
    }
    if (!key) {
        out.problem = "This value is " + value.describe() + ", and " +
                      (keys.source.empty() ? std::string("no encryption configuration is loaded")
                                           : keys.source + " has no " + value.provider + " key of that name") + ".";
        return out;
    }
    if (value.provider == "aescbc")
        out.plaintext = openCbc(key->secret, value.payload);
    else if (value.provider == "aesgcm")
        out.plaintext = openGcm(key->secret, value.payload, etcdKey);
    else
        out.plaintext = openSecretbox(key->secret, value.payload);
    if (!out.plaintext)
        out.problem = "Key " + value.keyName + " of " + keys.source + " does not decrypt this value: it is another key "
                      "of the same name, or the value is damaged" +
                      (value.provider == "aesgcm" ? std::string(" or was stored under another etcd key") : std::string()) + ".";
    return out;
}

namespace {

std::mutex keysMutex;
std::shared_ptr<const EncryptionKeys> keysInUse;

}  // namespace

void useEncryptionKeys(std::shared_ptr<const EncryptionKeys> keys)
{
    std::lock_guard lock(keysMutex);
    keysInUse = std::move(keys);
}

std::shared_ptr<const EncryptionKeys> encryptionKeysInUse()
{
    std::lock_guard lock(keysMutex);
    return keysInUse;
}

}  // namespace etcdscope::kubernetes
