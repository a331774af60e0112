// `etcdscope-cli restore`: puts a key range back as a recording knew it at a
// past revision. Without --apply it only prints the plan. With --apply, keys
// that existed then and are absent now come back with their value then, each
// only if still absent when written (compare-and-swap); keys changed or
// created since are left alone unless --overwrite, and then each write is
// guarded by the key's mod revision as read for the plan.
#pragma once

#include "cli_options.h"

namespace etcdscope::cli {

// Runs to the end; returns the exit code (kExitConflict when etcd refused a
// guarded write because the key changed after the plan was read).
int runRestore(const WatchCommandOptions& options);

}  // namespace etcdscope::cli
