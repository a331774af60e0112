// How restore and diff show keys and values, and a whole range read from
// etcd (restore/restore_plan.h).
#pragma once

#include "engine/watch_types.h"
#include "restore/restore_plan.h"

#include <string>

namespace etcdscope::cli {

// A key for a person's line (printable, \xNN for other bytes).
std::string shownKey(const std::string& key);
// A value in a few words: text cut short, a Kubernetes object named, binary as its size.
std::string shortValue(const KeyValue& kv);
// The key and value fields of watch's PUT line for `kv`, each name with
// `prefix` before it: ,"key":…,"value":…,"mod_revision":… (no braces).
std::string keyValueJsonFields(const KeyValue& kv, const std::string& prefix = {});

}  // namespace etcdscope::cli
