// A write load for benchmarks and demos: puts or multi-key transactions sent
// asynchronously over one gRPC channel with many requests in flight, so that
// etcd, not the generator, is the limit. Each commit's revision and time are
// kept, so that a benchmark can measure how long after the commit a watcher
// delivered it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace etcdscope::bench {

struct LoadOptions {
    std::string endpoint = "127.0.0.1:2379";
    std::int64_t operations = 10'000;  // requests to commit
    int inFlight = 64;                 // requests outstanding at once
    int putsPerTransaction = 1;        // 1: plain puts; more: one Txn of that many puts
    int keyCount = 1000;               // keys written round-robin: prefix + number
    int valueSize = 64;                // bytes per value
    std::string prefix = "load/";
    double operationsPerSecond = 0;    // 0: as fast as etcd answers
    bool recordCommits = false;        // keep (revision, time) of every commit
};

struct Commit {
    std::int64_t revision = 0;
    std::chrono::steady_clock::time_point at;
};

struct LoadResult {
    std::int64_t committed = 0;        // requests acknowledged
    std::int64_t failed = 0;
    std::int64_t events = 0;           // keys written (committed × puts per request)
    std::int64_t firstRevision = 0;
    std::int64_t lastRevision = 0;
    double seconds = 0;
    std::string firstError;
    std::vector<Commit> commits;       // with recordCommits, in completion order
};

// Runs the load to completion; stops early when the first inFlight requests
// all failed (nothing gets through: etcd down, refused).
LoadResult runLoad(const LoadOptions& options);

}  // namespace etcdscope::bench
