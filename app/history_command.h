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

// The recorded history the options ask for: --since and --until as
// revisions, times becoming the revisions the log received at them.
// `nothing` when nothing was received by --until; nullopt (and `error`) when
// the log cannot be read.
std::optional<HistoryQuery> recordedQuery(const EventStore& store, const WatchCommandOptions& options, bool* nothing,
                                          QString* error);
// "the event log cannot be read: …" on stderr; the exit code for it.
int unreadable(const QString& error);

// Runs to the end; returns the exit code.
int runHistory(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
