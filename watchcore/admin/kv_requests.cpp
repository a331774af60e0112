#include "admin/kv_requests.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace etcdscope {

RangeResult readRange(AdminConnection& connection, const RangeQuery& query)
{
    etcdserverpb::RangeRequest request;
    request.set_key(query.key);
    request.set_range_end(query.rangeEnd);
    request.set_limit(query.limit);
    request.set_revision(query.revision);
    request.set_keys_only(query.keysOnly);
    request.set_count_only(query.countOnly);
    etcdserverpb::RangeResponse response;
    RangeResult result;
    if (auto failure = connection.call("range", request, &response, [](const auto& channel, auto... call) {
            etcdserverpb::KV::NewStub(channel)->async()->Range(call...);
        })) {
        result.compacted = failure->refusal == EtcdRefusal::RevisionCompacted;
        result.error = result.compacted
            ? "Revision " + std::to_string(query.revision)
                  + " has been compacted: etcd no longer keeps the key space as it was then. Choose a newer revision."
            : failure->refusal == EtcdRefusal::FutureRevision
            ? "Revision " + std::to_string(query.revision) + " does not exist yet."
            : failure->error.message;
        return result;
    }
    result.kvs.reserve(std::size_t(response.kvs_size()));
    for (const mvccpb::KeyValue& kv : response.kvs())
        result.kvs.push_back({kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()});
    result.more = response.more();
    result.count = response.count();
    result.revision = response.header().revision();
    return result;
}

namespace {

// One write (`fill` makes it) only if `key` is still as it was read (mod
// revision `expected`; 0: absent); otherwise nothing is written and the error
// says what the key is now.
template <typename Fill>
WriteResult writeIfUnchanged(AdminConnection& connection, const std::string& key, std::int64_t expected,
                             const char* what, Fill fill)
{
    WriteResult result;
    etcdserverpb::TxnRequest txn;
    etcdserverpb::Compare* compare = txn.add_compare();
    compare->set_key(key);
    compare->set_target(etcdserverpb::Compare::MOD);
    compare->set_result(etcdserverpb::Compare::EQUAL);
    compare->set_mod_revision(expected);
    fill(*txn.add_success());
    etcdserverpb::RangeRequest* now = txn.add_failure()->mutable_request_range();
    now->set_key(key);
    now->set_keys_only(true);
    etcdserverpb::TxnResponse response;
    if (auto failure = connection.call(what, txn, &response, [](const auto& channel, auto... call) {
            etcdserverpb::KV::NewStub(channel)->async()->Txn(call...);
        })) {
        result.error = failure->error.message;
        return result;
    }
    result.revision = response.header().revision();
    if (response.succeeded())
        return result;
    const auto& kvs = response.responses_size() > 0 ? response.responses(0).response_range().kvs()
                                                    : google::protobuf::RepeatedPtrField<mvccpb::KeyValue>();
    result.conflict = true;
    result.currentModRevision = kvs.empty() ? 0 : kvs[0].mod_revision();
    if (kvs.empty())
        result.error = "The key was deleted after it was read; nothing was written.";
    else if (expected == 0)
        result.error = "The key already exists (modified at revision " + std::to_string(kvs[0].mod_revision())
            + "); nothing was written. Select it to change it.";
    else
        result.error = "The key changed after it was read (now modified at revision "
            + std::to_string(kvs[0].mod_revision()) + ", read at " + std::to_string(expected)
            + "); nothing was written. Select it again to see the new value.";
    return result;
}

}  // namespace

WriteResult putKey(AdminConnection& connection, const std::string& key, const std::string& value,
                   std::optional<std::int64_t> expectedModRevision)
{
    WriteResult result;
    if (!expectedModRevision) {
        etcdserverpb::PutRequest request;
        request.set_key(key);
        request.set_value(value);
        etcdserverpb::PutResponse response;
        if (auto failure = connection.call("put", request, &response, [](const auto& channel, auto... call) {
                etcdserverpb::KV::NewStub(channel)->async()->Put(call...);
            }))
            result.error = failure->error.message;
        result.revision = response.header().revision();
        return result;
    }
    return writeIfUnchanged(connection, key, *expectedModRevision, "put if unchanged",
                            [&](etcdserverpb::RequestOp& op) {
                                etcdserverpb::PutRequest* put = op.mutable_request_put();
                                put->set_key(key);
                                put->set_value(value);
                            });
}

WriteResult deleteKeyIfUnchanged(AdminConnection& connection, const std::string& key,
                                 std::int64_t expectedModRevision)
{
    WriteResult result = writeIfUnchanged(connection, key, expectedModRevision, "delete if unchanged",
                                          [&](etcdserverpb::RequestOp& op) {
                                              op.mutable_request_delete_range()->set_key(key);
                                          });
    if (result.error.empty())
        result.keysDeleted = 1;
    return result;
}

WriteResult deleteKeys(AdminConnection& connection, const std::string& key, const std::string& rangeEnd)
{
    etcdserverpb::DeleteRangeRequest request;
    request.set_key(key);
    request.set_range_end(rangeEnd);
    etcdserverpb::DeleteRangeResponse response;
    WriteResult result;
    if (auto failure = connection.call("delete", request, &response, [](const auto& channel, auto... call) {
            etcdserverpb::KV::NewStub(channel)->async()->DeleteRange(call...);
        }))
        result.error = failure->error.message;
    result.revision = response.header().revision();
    result.keysDeleted = response.deleted();
    return result;
}

WriteResult compactHistory(AdminConnection& connection, std::int64_t revision)
{
    etcdserverpb::CompactionRequest request;
    request.set_revision(revision);
    request.set_physical(true);
    etcdserverpb::CompactionResponse response;
    WriteResult result;
    if (auto failure = connection.call("compact", request, &response, [](const auto& channel, auto... call) {
            etcdserverpb::KV::NewStub(channel)->async()->Compact(call...);
        }))
        result.error = failure->refusal == EtcdRefusal::RevisionCompacted
            ? "History up to revision " + std::to_string(revision) + " is already compacted."
            : failure->refusal == EtcdRefusal::FutureRevision
            ? "Revision " + std::to_string(revision) + " does not exist yet."
            : failure->error.message;
    result.revision = response.header().revision();
    return result;
}

}  // namespace etcdscope
