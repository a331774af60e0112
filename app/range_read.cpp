#include "range_read.h"

#include "admin/kv_requests.h"

namespace etcdscope::cli {

namespace {

constexpr std::int64_t kPageKeys = 1000;

}  // namespace

WholeRange readWholeRange(AdminConnection& connection, const WatchSpec& range, std::int64_t revision)
{
    WholeRange whole;
    RangeQuery query;
    query.key = range.key;
    query.rangeEnd = range.rangeEnd;
    query.limit = range.rangeEnd.empty() ? 0 : kPageKeys;
    query.revision = revision;
    for (;;) {
        RangeResult page = readRange(connection, query);
        if (!page.error.empty()) {
            whole.keys.clear();
            whole.error = page.error;
            whole.compacted = page.compacted;
            return whole;
        }
        if (query.revision == 0)
            query.revision = page.revision;
        for (KeyValue& kv : page.kvs)
            whole.keys.emplace(kv.key, std::move(kv));
        if (!page.more || page.kvs.empty())
            break;
        query.key = whole.keys.rbegin()->first + '\0';  // the next key after the last one read
    }
    whole.revision = query.revision;
    return whole;
}

}  // namespace etcdscope::cli
