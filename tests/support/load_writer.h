// Concurrent writes for fault scenarios: a thread that puts, deletes and
// commits multi-key transactions over a fixed key set, straight to the etcd
// members (never through a test's fault proxy), moving to the next member
// when one fails. A write whose outcome is unknown is fine: the oracle reads
// back what etcd really committed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace etcdscope::testing {

struct LoadMix {
    std::vector<std::string> keys;  // written in random order
    int putPercent = 60;
    int deletePercent = 15;         // the rest are transactions
    int transactionSize = 3;        // puts per transaction (distinct keys)
    int opsPerSecond = 200;         // 0: as fast as etcd answers
    std::uint64_t seed = 1;
};

// Keys "f/a/00".."f/a/NN", "f/b/..", "f/c/..": the scenarios' key space.
std::vector<std::string> scenarioKeys(int perPrefix = 20);

class LoadWriter {
public:
    LoadWriter(std::vector<std::string> endpoints, LoadMix mix);
    ~LoadWriter();
    void start();
    void stop();  // returns once the thread has ended

    std::int64_t committed() const { return committed_.load(); }  // acknowledged writes
    std::int64_t failed() const { return failed_.load(); }
    // The highest revision etcd acknowledged to this writer.
    std::int64_t lastRevision() const { return lastRevision_.load(); }

private:
    void run();

    std::vector<std::string> endpoints_;
    LoadMix mix_;
    std::atomic<bool> stop_{false};
    std::atomic<std::int64_t> committed_{0};
    std::atomic<std::int64_t> failed_{0};
    std::atomic<std::int64_t> lastRevision_{0};
    std::thread thread_;
};

}  // namespace etcdscope::testing
