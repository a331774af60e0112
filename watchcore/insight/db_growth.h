// Database growth: each member's database size and size in use over time,
// as its Status answers say, with the compactions and defragmentations they
// show, and a plain estimate of when the quota is reached at the current rate.
//
// A compaction frees pages inside the file: the size in use drops while the
// file keeps its size. A defragmentation rewrites the file: its size drops.
// Both are inferred from two samples in a row, so they are dated to the
// sample that shows them. The quota applies to the file, which grows once
// the size in use reaches it: the estimate follows the size in use, fitted
// by least squares over the last kRateWindowMs since the last drop.
// No I/O, no clock of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace etcdscope {

struct DbSample {
    std::int64_t atMs = 0;
    std::int64_t size = 0;    // bytes of the database file
    std::int64_t inUse = 0;   // bytes of it in use
};

struct DbMarker {
    enum class Kind { Compaction, Defragmentation };
    Kind kind = Kind::Compaction;
    std::int64_t atMs = 0;
    std::uint64_t member = 0;
    std::int64_t freedBytes = 0;  // what the drop gave back (of the size in use, or of the file)
};

struct QuotaEstimate {
    std::uint64_t member = 0;       // the member the estimate is for (the one nearest the quota)
    std::int64_t inUse = 0;         // its size in use at the last sample
    std::int64_t size = 0;
    double bytesPerHour = 0;        // the fitted rate of the size in use
    double fittedOverMs = 0;        // the span the rate was fitted over
    bool known = false;             // enough samples for a rate (two, 30 s apart)
    bool overQuota = false;         // the file already holds the quota or more
    std::int64_t msToQuota = -1;    // at this rate; -1: not growing
};

class DbGrowth {
public:
    static constexpr std::int64_t kKeepMs = 6LL * 60 * 60 * 1000;    // samples kept per member
    static constexpr std::int64_t kRateWindowMs = 15LL * 60 * 1000;  // the rate's span at most
    static constexpr std::int64_t kMinRateSpanMs = 30 * 1000;        // and at least

    struct Member {
        std::string name;
        std::deque<DbSample> samples;
    };

    // One member's answer at atMs (dbSizeInUse 0: the member did not report it, etcd < 3.4).
    void add(std::uint64_t member, const std::string& name, std::int64_t atMs, std::int64_t size,
             std::int64_t inUse);
    void clear();

    const std::map<std::uint64_t, Member>& members() const { return members_; }
    const std::deque<DbMarker>& markers() const { return markers_; }

    // For the member whose size in use is nearest the quota (the largest).
    QuotaEstimate estimate(std::int64_t quotaBytes) const;

private:
    std::map<std::uint64_t, Member> members_;
    std::deque<DbMarker> markers_;
};

}  // namespace etcdscope
