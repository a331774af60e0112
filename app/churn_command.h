// `etcdscope-cli churn`: who wrote how much, from an event log (the
// recorder's or the monitor's): events, deletes, bytes (key + value lengths)
// and revisions consumed per group of keys — a key up to its N-th '/' (as
// census groups), or its Kubernetes resource or namespace — over the whole
// recording or between --since and --until, most events first, each change
// counted once however many recorded watches hold it. Rates are per second
// of the time the log received the events in.
#pragma once

#include "cli_options.h"

namespace etcdscope::cli {

// Runs the command to the end; returns the exit code (see ExitCode).
int runChurn(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
