// etcd's KV service for the admin client: ranges (the key browser), safe
// puts and deletes, compaction. Each runs on the admin client's worker thread
// and returns its outcome as a value.
#pragma once

#include "admin/admin_connection.h"
#include "admin/admin_types.h"

#include <optional>

namespace etcdscope {

RangeResult readRange(AdminConnection& connection, const RangeQuery& query);
// With `expectedModRevision`, only if the key's mod revision is still that
// (0: only if the key does not exist); else nothing is written and the error
// says what the key is now.
WriteResult putKey(AdminConnection& connection, const std::string& key, const std::string& value,
                   std::optional<std::int64_t> expectedModRevision);
// Deletes `key` only if its mod revision is still `expectedModRevision`; else
// nothing is deleted and the error says what the key is now.
WriteResult deleteKeyIfUnchanged(AdminConnection& connection, const std::string& key,
                                 std::int64_t expectedModRevision);
// `key`, or every key in [key, rangeEnd) when rangeEnd is set.
WriteResult deleteKeys(AdminConnection& connection, const std::string& key, const std::string& rangeEnd);
// Forgets the history before `revision` on the whole cluster (physical: etcd
// answers once the compaction is done).
WriteResult compactHistory(AdminConnection& connection, std::int64_t revision);

}  // namespace etcdscope
