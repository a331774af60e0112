// What an etcd version promises about watches. Pure functions of the version
// string a member reports in its Status answer; unknown versions get the
// cautious answer.
#pragma once

#include <string>

namespace etcdscope {

// W4: whether this etcd version answers a progress request only when every
// watcher is synced, in order with events (3.4.25+, 3.5.8+, 3.6+).
bool broadcastProgressIsOrdered(const std::string& version);

// W6: whether this etcd version keeps a DELETE made at the compaction
// revision for watches that start there (etcd issue 18089; fixed in 3.4.34,
// 3.5.16, 3.6). Unknown versions count as affected.
bool compactRevisionKeepsDeletes(const std::string& version);

}  // namespace etcdscope
