// The keyspace census: how many keys and how many bytes (key + value
// lengths) each group of keys holds, and its largest key — a group being a
// key up to and including its N-th '/' (the whole key when it has fewer).
// Read from etcd in pages at one revision, so memory grows with the number
// of groups, never with the number of keys; the caller sees each page go by
// and may stop the census there (partial results are marked partial).
#pragma once

#include "admin/admin_connection.h"
#include "engine/watch_types.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace etcdscope {

struct CensusGroup {
    std::string prefix;             // the group's key prefix (bytes)
    std::int64_t keys = 0;
    std::int64_t bytes = 0;         // key + value lengths of its keys
    std::string largestKey;         // the key with the most bytes (the first one when tied)
    std::int64_t largestBytes = 0;
};

// The group of `key`: up to and including its `depth`-th '/', or the whole key.
std::string_view censusGroupOf(std::string_view key, int depth);
// The depth one level below `key`: its '/' count + 1 (so that a census of
// "/registry/" groups by resource).
int censusDepthBelow(std::string_view key);

// Groups keys as they come; no I/O.
class CensusTally {
public:
    explicit CensusTally(int depth) : depth_(depth) {}
    void add(std::string_view key, std::int64_t valueBytes);
    // Largest total first; equal totals in key order.
    std::vector<CensusGroup> groups() const;
    std::int64_t keys() const { return keys_; }
    std::int64_t bytes() const { return bytes_; }

private:
    int depth_;
    std::map<std::string, CensusGroup, std::less<>> groups_;
    CensusGroup* last_ = nullptr;  // etcd answers in key order: a group's keys come together
    std::int64_t keys_ = 0;
    std::int64_t bytes_ = 0;
};

struct CensusQuery {
    WatchSpec range;            // key and range end, as a watch's
    int depth = 1;
    std::int64_t revision = 0;  // 0: the newest (pinned by the first page)
};

struct CensusResult {
    std::vector<CensusGroup> groups;
    std::int64_t keys = 0;
    std::int64_t bytes = 0;
    std::int64_t totalKeys = 0;  // the range's keys at the revision, as etcd counted them first
    std::int64_t revision = 0;   // the revision every page was read at
    bool partial = false;        // stopped early (error or stop); groups hold what was read
    std::string error;           // one sentence; empty when complete or stopped on request
    bool revisionRefused = false; // the error: the revision asked for is compacted or in the future
};

// Takes the census of `query` through `connection`. `onPage(keysDone,
// totalKeys)` after each page; returning false stops the census (partial).
CensusResult takeCensus(AdminConnection& connection, const CensusQuery& query,
                        const std::function<bool(std::int64_t, std::int64_t)>& onPage = {});

}  // namespace etcdscope
