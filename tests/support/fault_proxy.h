// A fault-injecting TCP proxy on loopback, for tests: etcdscope (or an etcd
// peer) connects to the proxy, the proxy connects to the real server and
// forwards bytes both ways — unless told to delay them, to stall them as a
// lossy link would, to stop forwarding without closing anything (a silent
// connection), to refuse new connections, or to cut connections whose first
// bytes name a given peer (used to isolate an etcd member from its peers).
//
// Packet loss cannot be dropped at this level (TCP under the proxy recovers
// every loss), so it is modelled by its effect on the stream: a chunk that
// is "lost" is held back for a retransmission timeout, doubled for each
// further loss in a row, as the kernel's retransmission would. (This
// machine's kernel has no netem qdisc, so `tc netem` is not an option.)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace etcdscope::testing {

struct ProxyFaults {
    std::chrono::milliseconds delay{0};   // added to every chunk, each way
    std::chrono::milliseconds jitter{0};  // ± uniformly around `delay`
    double loss = 0;                      // probability that a chunk is "lost"
    std::chrono::milliseconds retransmitTimeout{200};  // Linux's minimum RTO
    bool silentToServer = false;  // bytes from the client are no longer forwarded
    bool silentToClient = false;  // bytes from the server are no longer forwarded
    bool refuseNew = false;       // new connections are accepted and closed at once
};

class FaultProxy {
public:
    explicit FaultProxy(int targetPort);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    int port() const { return port_; }
    std::string endpoint() const;  // "127.0.0.1:PORT"

    // Each call returns once the proxy's thread has applied it.
    void setFaults(const ProxyFaults& faults);
    void heal() { setFaults({}); }
    void cutAll();  // closes every current connection
    // Connections whose first bytes from the client contain `needle` are cut,
    // now and whenever one is opened, until unblockAll().
    void block(const std::string& needle);
    void unblockAll();

    int openConnections() const { return open_.load(); }
    std::int64_t acceptedConnections() const { return accepted_.load(); }

private:
    void run();
    void apply(const std::function<void()>& change);

    int port_ = 0;
    int targetPort_ = 0;
    int listenFd_ = -1;
    int wakeFd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<int> open_{0};
    std::atomic<std::int64_t> accepted_{0};

    // Shared with the proxy thread under mutex_.
    std::mutex mutex_;
    std::condition_variable applied_;
    ProxyFaults faults_;
    std::vector<std::string> blocked_;
    std::uint64_t cutRequests_ = 0;
    std::uint64_t requested_ = 0;  // changes asked for
    std::uint64_t seen_ = 0;       // changes the thread has taken in

    std::thread thread_;
};

}  // namespace etcdscope::testing
