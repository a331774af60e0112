#include "fault_proxy.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <stdexcept>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace etcdscope::testing {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kQueueLimit = 4 * 1024 * 1024;  // per direction, then stop reading
constexpr std::size_t kHeadBytes = 4096;               // kept for block() matching
constexpr auto kMaxRetransmitWait = std::chrono::seconds(3);

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

sockaddr_in loopback(int port)
{
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(std::uint16_t(port));
    return address;
}

struct Chunk {
    Clock::time_point release;
    std::string bytes;
    std::size_t sent = 0;
};

// One direction of one connection.
struct Pipe {
    std::deque<Chunk> queue;
    std::size_t queued = 0;
    Clock::time_point lastRelease{};
    bool sourceEnded = false;  // EOF read from the source
    bool shutDown = false;     // EOF passed on to the destination
};

struct Connection {
    int client = -1;
    int server = -1;
    Pipe toServer;
    Pipe toClient;
    std::string head;  // first bytes from the client
    bool dead = false;

    ~Connection()
    {
        if (client >= 0)
            ::close(client);
        if (server >= 0)
            ::close(server);
    }
};

bool matchesAny(const std::string& head, const std::vector<std::string>& needles)
{
    for (const std::string& n : needles)
        if (head.find(n) != std::string::npos)
            return true;
    return false;
}

}  // namespace

FaultProxy::FaultProxy(int targetPort)
    : targetPort_(targetPort)
{
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || ::listen(listenFd_, 128) != 0
        || ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw std::runtime_error(std::string("fault proxy cannot listen: ") + std::strerror(errno));
    port_ = ntohs(address.sin_port);
    setNonBlocking(listenFd_);
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy()
{
    stop_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wakeFd_, &one, sizeof one);
    thread_.join();
    ::close(listenFd_);
    ::close(wakeFd_);
}

std::string FaultProxy::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

void FaultProxy::apply(const std::function<void()>& change)
{
    std::unique_lock lock(mutex_);
    change();
    const std::uint64_t ticket = ++requested_;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wakeFd_, &one, sizeof one);
    applied_.wait(lock, [&] { return seen_ >= ticket; });
}

void FaultProxy::setFaults(const ProxyFaults& faults)
{
    apply([&] { faults_ = faults; });
}

void FaultProxy::cutAll()
{
    apply([&] { ++cutRequests_; });
}

void FaultProxy::block(const std::string& needle)
{
    apply([&] { blocked_.push_back(needle); });
}

void FaultProxy::unblockAll()
{
    apply([&] { blocked_.clear(); });
}

void FaultProxy::run()
{
    std::vector<std::unique_ptr<Connection>> connections;
    std::mt19937_64 random(std::uint64_t(port_) * 7919u);
    ProxyFaults faults;
    std::vector<std::string> blocked;
    std::uint64_t cutsDone = 0;

    auto releaseTime = [&](Pipe& pipe) {
        auto at = Clock::now() + faults.delay;
        if (faults.jitter.count() > 0) {
            std::uniform_int_distribution<long> spread(-faults.jitter.count(), faults.jitter.count());
            at += std::chrono::milliseconds(spread(random));
        }
        std::chrono::milliseconds wait = faults.retransmitTimeout;
        std::bernoulli_distribution lost(faults.loss);
        while (faults.loss > 0 && lost(random) && wait <= kMaxRetransmitWait) {
            at += wait;
            wait *= 2;
        }
        at = std::max(at, pipe.lastRelease);  // TCP keeps order
        pipe.lastRelease = at;
        return at;
    };

    // Reads what `from` has into `pipe`; false when the connection must go.
    auto readInto = [&](Connection& c, int from, Pipe& pipe, bool fromClient) {
        char buffer[kReadChunk];
        const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
        if (n == 0) {
            pipe.sourceEnded = true;
            return true;
        }
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        if (fromClient && c.head.size() < kHeadBytes) {
            c.head.append(buffer, std::min<std::size_t>(std::size_t(n), kHeadBytes - c.head.size()));
            if (matchesAny(c.head, blocked))
                return false;
        }
        pipe.queue.push_back({releaseTime(pipe), std::string(buffer, std::size_t(n)), 0});
        pipe.queued += std::size_t(n);
        return true;
    };

    // Writes released bytes of `pipe` to `to`; false when the connection must go.
    auto writeFrom = [&](Pipe& pipe, int to) {
        const auto now = Clock::now();
        while (!pipe.queue.empty() && pipe.queue.front().release <= now) {
            Chunk& chunk = pipe.queue.front();
            const ssize_t n = ::send(to, chunk.bytes.data() + chunk.sent, chunk.bytes.size() - chunk.sent,
                                     MSG_NOSIGNAL);
            if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
            chunk.sent += std::size_t(n);
            pipe.queued -= std::size_t(n);
            if (chunk.sent < chunk.bytes.size())
                return true;
            pipe.queue.pop_front();
        }
        if (pipe.queue.empty() && pipe.sourceEnded && !pipe.shutDown) {
            ::shutdown(to, SHUT_WR);
            pipe.shutDown = true;
        }
        return true;
    };

    while (!stop_) {
        {
            std::lock_guard lock(mutex_);
            faults = faults_;
            blocked = blocked_;
            if (cutRequests_ != cutsDone) {
                cutsDone = cutRequests_;
                connections.clear();
            }
            if (!blocked.empty())
                for (auto& c : connections)
                    if (matchesAny(c->head, blocked))
                        c->dead = true;
            if (seen_ != requested_) {
                seen_ = requested_;
                applied_.notify_all();
            }
        }
        std::erase_if(connections, [](const auto& c) {
            return c->dead || (c->toServer.shutDown && c->toClient.shutDown);
        });
        open_ = int(connections.size());

        // Poll set: wake, listener, then two sockets per connection.
        std::vector<pollfd> fds;
        fds.push_back({wakeFd_, POLLIN, 0});
        fds.push_back({listenFd_, POLLIN, 0});
        auto next = Clock::time_point::max();
        for (auto& c : connections) {
            short clientEvents = 0;
            short serverEvents = 0;
            if (!faults.silentToServer && !c->toServer.sourceEnded && c->toServer.queued < kQueueLimit)
                clientEvents |= POLLIN;
            if (!faults.silentToClient && !c->toClient.sourceEnded && c->toClient.queued < kQueueLimit)
                serverEvents |= POLLIN;
            auto wantWrite = [&](Pipe& pipe, bool silent, short& events) {
                if (silent)
                    return;
                if (!pipe.queue.empty()) {
                    if (pipe.queue.front().release <= Clock::now())
                        events |= POLLOUT;
                    else
                        next = std::min(next, pipe.queue.front().release);
                } else if (pipe.sourceEnded && !pipe.shutDown) {
                    events |= POLLOUT;
                }
            };
            wantWrite(c->toServer, faults.silentToServer, serverEvents);
            wantWrite(c->toClient, faults.silentToClient, clientEvents);
            fds.push_back({c->client, clientEvents, 0});
            fds.push_back({c->server, serverEvents, 0});
        }
        int timeout = -1;
        if (next != Clock::time_point::max())
            timeout = int(std::max<long>(
                1, std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count() + 1));
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR)
            break;

        if (fds[0].revents & POLLIN) {
            std::uint64_t value = 0;
            [[maybe_unused]] auto r = ::read(wakeFd_, &value, sizeof value);
        }
        if (fds[1].revents & POLLIN) {
            for (;;) {
                const int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (client < 0)
                    break;
                ++accepted_;
                if (faults.refuseNew) {
                    ::close(client);
                    continue;
                }
                auto c = std::make_unique<Connection>();
                c->client = client;
                c->server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                const sockaddr_in target = loopback(targetPort_);
                // Loopback connects complete (or fail) at once, even to a
                // stopped process: the kernel answers for its backlog.
                if (::connect(c->server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0)
                    continue;  // refused: dropping `c` closes the client side
                setNonBlocking(c->server);
                const int one = 1;
                ::setsockopt(c->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                ::setsockopt(c->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                connections.push_back(std::move(c));
            }
        }
        for (std::size_t i = 0; i < connections.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
            Connection& c = *connections[i];
            const pollfd& client = fds[2 + 2 * i];
            const pollfd& server = fds[2 + 2 * i + 1];
            bool ok = true;
            if (client.revents & POLLIN)
                ok = ok && readInto(c, c.client, c.toServer, true);
            if (server.revents & POLLIN)
                ok = ok && readInto(c, c.server, c.toClient, false);
            if ((client.revents | server.revents) & (POLLERR | POLLNVAL))
                ok = false;
            if ((client.revents & POLLHUP) && !(client.revents & POLLIN))
                c.toServer.sourceEnded = true;
            if ((server.revents & POLLHUP) && !(server.revents & POLLIN))
                c.toClient.sourceEnded = true;
            if (ok && !faults.silentToServer)
                ok = writeFrom(c.toServer, c.server);
            if (ok && !faults.silentToClient)
                ok = writeFrom(c.toClient, c.client);
            c.dead = !ok;
        }
    }
    connections.clear();
}

}  // namespace etcdscope::testing
