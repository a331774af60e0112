// A whole key range read from etcd at one revision, page by page (any
// number of keys, one consistent view), and how restore and diff show keys.
#pragma once

#include "admin/admin_connection.h"
#include "engine/watch_types.h"

#include <cstdint>
#include <map>
#include <string>

namespace etcdscope::cli {

struct WholeRange {
    std::map<std::string, KeyValue> keys;
    std::int64_t revision = 0;  // the revision every page was read at
    std::string error;          // one sentence; empty on success
    bool compacted = false;     // the revision asked for is compacted
};

// `revision` 0: the newest.
WholeRange readWholeRange(AdminConnection& connection, const WatchSpec& range, std::int64_t revision);

// A key for a person's line (printable, \xNN for other bytes).
std::string shownKey(const std::string& key);
// A value in a few words: text cut short, a Kubernetes object named, binary as its size.
std::string shortValue(const KeyValue& kv);
// The key and value fields of watch's PUT line for `kv`, each name with
// `prefix` before it: ,"key":…,"value":…,"mod_revision":… (no braces).
std::string keyValueJsonFields(const KeyValue& kv, const std::string& prefix = {});

}  // namespace etcdscope::cli
