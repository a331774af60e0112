// `etcdscope-cli prune`: retention for an event log. Events received before
// --older-than, or the oldest ones beyond --max-size, go; each watch's state
// at the new start is kept as a snapshot (so restore and history still know
// every key from there), the pruned revisions become a GAP, and the space is
// given back. Safe beside a running recorder: the log's writes wait for it.
#pragma once

#include "cli_options.h"

namespace etcdscope::cli {

// Runs to the end; returns the exit code.
int runPrune(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
