// etcd's Lease service for the leases view: every lease with the time it
// has left and the keys attached.
#pragma once

#include "admin/admin_connection.h"
#include "admin/admin_types.h"

namespace etcdscope {

// At most `limit` leases, the lowest IDs first (one request each).
LeaseList readLeases(AdminConnection& connection, int limit);

}  // namespace etcdscope
