// A whole key range read from etcd at one revision, page by page (any
// number of keys, one consistent view): for restore and diff.
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

}  // namespace etcdscope::cli
