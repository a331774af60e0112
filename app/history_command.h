// `etcdscope-cli history`: every recorded version of a key or range from an
// event log (the recorder's or the monitor's), oldest first, in the watch's
// JSONL (or text) format, with GAP lines where the history is missing;
// --deleted lists the keys that exist no more, with their last value.
#pragma once

#include "cli_options.h"
#include "recording/event_store.h"
#include "recording/recorded_state.h"

#include <memory>
#include <string>

namespace etcdscope::cli {

// The event log at `location` (a file that must exist, or a PostgreSQL URL),
// or nullptr after one sentence on stderr.
std::unique_ptr<EventStore> openExistingLog(const std::string& location);

// The recorded history the options ask for, from the log --db names:
// --since and --until as revisions, times becoming the revisions the log
// received at them; empty when nothing was received by --until. nullopt
// after one sentence on stderr, with the exit code in `exitCode`.
std::optional<std::vector<EventRecord>> readRecordedHistory(const WatchCommandOptions& options, int* exitCode);

// Runs to the end; returns the exit code.
int runHistory(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
