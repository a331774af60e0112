#include "insight/census.h"

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

#include <algorithm>

namespace etcdscope {

namespace {

// Pages aim at this many bytes. Large, because etcd 3.4 answers every page
// of a range by collecting the revisions of all the keys left in it (the
// limit is applied after): each page costs a pass over the rest of the range,
// so fewer pages are much faster. Memory stays bounded by the page.
constexpr std::int64_t kPageBytes = 32 << 20;
constexpr std::int64_t kFirstPageKeys = 1000;
constexpr std::int64_t kMinPageKeys = 100;
constexpr std::int64_t kMaxPageKeys = 250'000;

std::string failureSentence(const CallFailure& failure, std::int64_t revision, bool pinned)
{
    if (failure.refusal == EtcdRefusal::RevisionCompacted)
        return pinned ? "Revision " + std::to_string(revision)
                            + " was compacted while the census read it, so etcd no longer serves the rest; run it again "
                              "(at a newer revision)."
                      : "Revision " + std::to_string(revision)
                            + " has been compacted: etcd no longer keeps the key space as it was then. Choose a newer "
                              "revision.";
    if (failure.refusal == EtcdRefusal::FutureRevision)
        return "Revision " + std::to_string(revision) + " does not exist yet.";
    return failure.error.message;
}

}  // namespace

std::string_view censusGroupOf(std::string_view key, int depth)
{
    std::size_t at = 0;
    for (int slash = 0; slash < depth; ++slash) {
        const std::size_t found = key.find('/', at);
        if (found == std::string_view::npos)
            return key;
        at = found + 1;
    }
    return key.substr(0, at);
}

int censusDepthBelow(std::string_view key) { return int(std::count(key.begin(), key.end(), '/')) + 1; }

void CensusTally::add(std::string_view key, std::int64_t valueBytes)
{
    const std::string_view group = censusGroupOf(key, depth_);
    if (!last_ || last_->prefix != group) {
        auto found = groups_.find(group);
        if (found == groups_.end()) {
            CensusGroup fresh;
            fresh.prefix.assign(group);
            found = groups_.emplace(fresh.prefix, std::move(fresh)).first;
        }
        last_ = &found->second;
    }
    const std::int64_t bytes = std::int64_t(key.size()) + valueBytes;
    ++last_->keys;
    last_->bytes += bytes;
    if (bytes > last_->largestBytes) {
        last_->largestBytes = bytes;
        last_->largestKey.assign(key);
    }
    ++keys_;
    bytes_ += bytes;
}

std::vector<CensusGroup> CensusTally::groups() const
{
    std::vector<CensusGroup> out;
    out.reserve(groups_.size());
    for (const auto& [prefix, group] : groups_)
        out.push_back(group);
    std::stable_sort(out.begin(), out.end(),
                     [](const CensusGroup& a, const CensusGroup& b) { return a.bytes > b.bytes; });
    return out;
}

CensusResult takeCensus(AdminConnection& connection, const CensusQuery& query,
                        const std::function<bool(std::int64_t, std::int64_t)>& onPage)
{
    CensusResult result;
    CensusTally tally(query.depth);
    const auto finish = [&] {
        result.groups = tally.groups();
        result.keys = tally.keys();
        result.bytes = tally.bytes();
        return result;
    };
    const auto range = [&](etcdserverpb::RangeRequest& request, etcdserverpb::RangeResponse* response) {
        return connection.call("census", request, response, [](const auto& channel, auto... call) {
            etcdserverpb::KV::NewStub(channel)->async()->Range(call...);
        });
    };

    // How many keys there are (for the progress), which also pins the revision.
    etcdserverpb::RangeRequest request;
    // etcd takes no empty key: the whole key space starts at "\0".
    request.set_key(query.range.key.empty() ? std::string(1, '\0') : query.range.key);
    request.set_range_end(query.range.rangeEnd);
    request.set_revision(query.revision);
    request.set_count_only(true);
    {
        etcdserverpb::RangeResponse counted;
        if (auto failure = range(request, &counted)) {
            result.error = failureSentence(*failure, query.revision, false);
            result.revisionRefused = failure->refusal == EtcdRefusal::RevisionCompacted
                || failure->refusal == EtcdRefusal::FutureRevision;
            result.partial = true;
            return finish();
        }
        result.totalKeys = counted.count();
        result.revision = query.revision > 0 ? query.revision : counted.header().revision();
    }
    request.set_count_only(false);
    request.set_revision(result.revision);
    request.set_limit(query.range.rangeEnd.empty() ? 0 : kFirstPageKeys);
    etcdserverpb::RangeResponse page;
    for (;;) {
        page.Clear();
        if (auto failure = range(request, &page)) {
            result.error = failureSentence(*failure, result.revision, true);
            result.partial = true;
            return finish();
        }
        std::int64_t pageBytes = 0;
        for (const mvccpb::KeyValue& kv : page.kvs()) {
            tally.add(kv.key(), std::int64_t(kv.value().size()));
            pageBytes += std::int64_t(kv.key().size() + kv.value().size());
        }
        if (onPage && !onPage(tally.keys(), std::max(result.totalKeys, tally.keys()))) {
            result.partial = page.more();
            return finish();
        }
        if (!page.more() || page.kvs().empty())
            break;
        // The next page starts after the last key, and holds about kPageBytes.
        request.set_key(page.kvs(page.kvs_size() - 1).key() + '\0');
        const std::int64_t perKey = std::max<std::int64_t>(1, pageBytes / page.kvs_size());
        request.set_limit(std::clamp(kPageBytes / perKey, kMinPageKeys, kMaxPageKeys));
    }
    return finish();
}

}  // namespace etcdscope
