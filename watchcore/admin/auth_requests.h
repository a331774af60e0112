// etcd's Auth service for the cluster view: whether authentication is on,
// the users with their roles, the roles with their permissions. Read only.
#pragma once

#include "admin/admin_connection.h"
#include "admin/admin_types.h"

namespace etcdscope {

// etcd allows it to root, or to anyone while authentication is off.
AuthInfo readAuthInfo(AdminConnection& connection);

}  // namespace etcdscope
