// Command line of etcdscope-cli, parsed from raw argv bytes so that keys are
// binary-safe (no locale decoding).
#pragma once

#include "engine/watch_types.h"
#include "insight/churn.h"
#include "transport/connection_options.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

namespace etcdscope::cli {

enum class OutputFormat { Jsonl, Text, Count };
enum class Command { Watch, Get, Record, History, Restore, Diff, Prune, Census, Churn };
// What to decode values as: what is recognisably Kubernetes (auto), nothing, or Kubernetes.
enum class Decode { Auto, None, Kubernetes };

struct WatchCommandOptions {
    Command command = Command::Watch;
    ConnectionOptions connection;
    std::vector<WatchSpec> watches;  // one per KEY, in order; watch N is KEY N
    OutputFormat output = OutputFormat::Jsonl;
    std::optional<std::int64_t> untilRevision;
    std::optional<std::int64_t> maxEvents;
    // watch: once connected, exit 3 when etcd stays unreachable this long.
    std::optional<std::chrono::milliseconds> giveUpAfter;
    bool promptForPassword = false;  // --user given and no password in the environment
    // get: without values; how values are decoded.
    bool keysOnly = false;
    Decode decode = Decode::Auto;
    std::string encryptionConfig;  // an EncryptionConfiguration to decrypt values with
    std::string database;          // record, history, restore: the event log (SQLite file)
    // history: the revisions to show, deletes only, values containing a text.
    std::optional<std::int64_t> sinceRevision;
    std::optional<std::int64_t> sinceTimeMs;   // history: a time instead (when the log received the events)
    std::optional<std::int64_t> untilTimeMs;
    bool deletedOnly = false;
    std::string grep;
    // restore: the revision to go back to, change keys changed or created
    // since too, and write (without it only the plan is printed).
    std::optional<std::int64_t> asOfRevision;
    bool overwrite = false;
    bool apply = false;
    // diff: the two revisions to compare, or a second cluster to compare with now.
    std::pair<std::int64_t, std::int64_t> diffRevisions{0, 0};
    std::optional<ConnectionOptions> against;
    // prune: events received longer ago than this, or the oldest beyond a size.
    std::optional<std::chrono::milliseconds> pruneOlderThan;
    std::optional<std::int64_t> pruneMaxBytes;
    // census: keys are grouped up to their N-th '/' (default: one level below KEY).
    std::optional<std::int64_t> depth;
    // churn: groups by depth, or by Kubernetes resource or namespace (--by).
    ChurnGrouping churnGrouping = ChurnGrouping::Depth;
};

struct ParseOutcome {
    std::optional<WatchCommandOptions> options;
    bool showHelp = false;
    bool showVersion = false;
    std::string error;  // usage error: one sentence; exit code 2
};

// `args` excludes the program name. `passwordFromEnvironment` is the value of
// ETCDSCOPE_PASSWORD if set.
ParseOutcome parseCommandLine(const std::vector<std::string>& args,
                              const std::optional<std::string>& passwordFromEnvironment);

std::string usageText();

// The environment variable that carries the password for --user.
inline constexpr const char* kPasswordVariable = "ETCDSCOPE_PASSWORD";

}  // namespace etcdscope::cli
