// `etcdscope-cli get`: reads a key or a range in pages (all at one revision)
// and writes one line a key; with decoding, a line also carries "object".
#pragma once

#include "cli_options.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace etcdscope::cli {

// Runs the command to the end; returns the exit code (see ExitCode).
int runGet(const WatchCommandOptions& options);

// The value as an object, when `mode` asks for it and it is one: a
// Kubernetes protobuf object by its schema, or the JSON of a /registry key
// (custom resources). nullopt otherwise.
std::optional<nlohmann::ordered_json> decodedObject(std::string_view key, std::string_view value, Decode mode);

// When `value` decodes, adds "object" to the JSON line just appended to `out`.
void appendDecodedObject(std::string& out, std::string_view key, std::string_view value, Decode mode);

// Reads --encryption-config into the keys the decoders use; false (and one
// sentence on stderr) when the file is no EncryptionConfiguration.
bool loadEncryptionKeys(const std::string& path);

}  // namespace etcdscope::cli
