// etcd's Cluster service, and each member's own Status, for the cluster
// view: members with their role, health and raft state, the leader, alarms.
#pragma once

#include "admin/admin_connection.h"
#include "admin/admin_types.h"

#include <chrono>

namespace etcdscope {

// Each member is asked on its own client URL within `perMemberTimeout`, so
// one dead member delays the answer by at most that.
ClusterStatus readClusterStatus(AdminConnection& connection, std::chrono::milliseconds perMemberTimeout);

}  // namespace etcdscope
