// `etcdscope-cli diff`: what changed in a key range between two revisions of
// one cluster (read from etcd where it keeps them, from a recording — --db —
// where etcd compacted them), or between two clusters now (--against): keys
// added, removed and changed, with a line diff of each changed value
// (Kubernetes objects and JSON pretty-printed first).
#pragma once

#include "cli_options.h"

namespace etcdscope::cli {

// Runs to the end; returns the exit code.
int runDiff(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
