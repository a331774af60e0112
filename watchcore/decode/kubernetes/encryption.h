// Kubernetes' encryption at rest: a value the API server encrypted before
// writing it to etcd starts "k8s:enc:<provider>:<version>:<key name>:".
// Such a value is named (provider and key), and with the keys of an
// EncryptionConfiguration that the person points to, aescbc, aesgcm and
// secretbox values are decrypted (OpenSSL, libsodium) so that the object
// inside can be decoded. Keys live in memory only; etcdscope never stores them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace etcdscope::kubernetes {

struct EncryptedValue {
    std::string provider;   // "aescbc", "aesgcm", "secretbox", "kms"
    std::string version;    // "v1", or "v2" for KMS v2
    std::string keyName;    // the key (or KMS plugin) named in the prefix
    std::string_view payload;  // what follows the prefix (a view into the value)

    // "encrypted by aesgcm (key key1)", for people.
    std::string describe() const;
};

// nullopt when `value` does not carry the prefix.
std::optional<EncryptedValue> parseEncrypted(std::string_view value);

struct EncryptionKey {
    std::string provider;  // "aescbc", "aesgcm" or "secretbox"
    std::string name;
    std::string secret;    // the key's bytes (decoded from base64)
};

struct EncryptionKeys {
    std::vector<EncryptionKey> keys;
    std::string source;  // the file they were read from
};

// Reads the aescbc, aesgcm and secretbox keys of an EncryptionConfiguration
// (YAML or JSON). On failure `error` holds one sentence naming the file and
// what is wrong with it.
std::optional<EncryptionKeys> loadEncryptionConfiguration(const std::string& path, std::string* error);
// The same from the file's text (the name is for sentences only).
std::optional<EncryptionKeys> parseEncryptionConfiguration(std::string_view text, const std::string& name,
                                                           std::string* error);

struct Decryption {
    std::optional<std::string> plaintext;
    std::string problem;  // one sentence when there is no plaintext
};

// Decrypts with the key the value names. `etcdKey` is the key the value is
// stored under: AES-GCM authenticates it, so a value copied to another key
// does not decrypt.
Decryption decrypt(const EncryptionKeys& keys, const EncryptedValue& value, std::string_view etcdKey);

// The keys the decoders use for this process (any thread); null: none loaded.
void useEncryptionKeys(std::shared_ptr<const EncryptionKeys> keys);
std::shared_ptr<const EncryptionKeys> encryptionKeysInUse();

}  // namespace etcdscope::kubernetes
