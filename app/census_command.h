// `etcdscope-cli census`: keys and bytes per group of keys (a key up to its
// N-th '/'), with each group's largest key, over a key, a range or the whole
// key space at one revision; largest groups first.
#pragma once

#include "cli_options.h"

namespace etcdscope::cli {

// Runs the command to the end; returns the exit code (see ExitCode).
int runCensus(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
