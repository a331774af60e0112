#include "admin/lease_requests.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <algorithm>

namespace etcdscope {

LeaseList readLeases(AdminConnection& connection, int limit)
{
    LeaseList result;
    etcdserverpb::LeaseLeasesResponse all;
    if (auto failure = connection.call("lease list", etcdserverpb::LeaseLeasesRequest(), &all,
                                       [](const auto& channel, auto... call) {
                                           etcdserverpb::Lease::NewStub(channel)->async()->LeaseLeases(call...);
                                       })) {
        result.error = failure->error.message;
        return result;
    }
    result.total = all.leases_size();
    std::vector<std::int64_t> ids;
    for (const etcdserverpb::LeaseStatus& lease : all.leases())
        ids.push_back(lease.id());
    std::sort(ids.begin(), ids.end());
    if (int(ids.size()) > limit)
        ids.resize(std::size_t(limit));
    for (const std::int64_t id : ids) {
        etcdserverpb::LeaseTimeToLiveRequest request;
        request.set_id(id);
        request.set_keys(true);
        etcdserverpb::LeaseTimeToLiveResponse response;
        if (auto failure = connection.call("lease time-to-live", request, &response,
                                           [](const auto& channel, auto... call) {
                                               etcdserverpb::Lease::NewStub(channel)->async()->LeaseTimeToLive(call...);
                                           })) {
            result.error = failure->error.message;
            return result;
        }
        LeaseInfo lease;
        lease.id = id;
        lease.ttl = response.ttl();
        lease.grantedTtl = response.grantedttl();
        lease.keys.assign(response.keys().begin(), response.keys().end());
        result.leases.push_back(std::move(lease));
    }
    return result;
}

}  // namespace etcdscope
