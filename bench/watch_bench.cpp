// The watch benchmarks of SPEC §6, etcdscope side by side with etcdctl (the
// Go client) on the same etcd in the same run. Starts its own etcd (own data
// directory, no auto-compaction, raised request and quota limits), runs the
// scenarios, prints a table and one JSON line per scenario. Asserts nothing
// about time: it measures.
//   watch_bench [--events N] [--live-puts N] [--watches N] [--slow-events N] [--runs N] [--smoke]
//               [--only replay,live,txn,watches,slow]
#include "etcd_process.h"
#include "load_generator.h"
#include "session/watch_session.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <malloc.h>
#include <iterator>
#include <map>
#include <sstream>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace etcdscope;
using Clock = std::chrono::steady_clock;

namespace {

struct Settings {
    std::int64_t replayEvents = 500'000;  // history for the replay (100 events per revision)
    std::int64_t livePuts = 200'000;
    int watches = 10'000;
    std::int64_t slowEvents = 1'000'000;  // backlog behind a consumer that does not read
    int runs = 3;  // each replay client runs this often; the median counts
    std::string only;  // scenarios to run, comma-separated (replay,live,txn,watches,slow); all when empty
};

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}

std::string cpuModel()
{
    std::ifstream cpu("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpu, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown";
}

// --- child processes -------------------------------------------------------------

struct Child {
    pid_t pid = -1;
    int out = -1;  // read end of its stdout, or -1 when it goes to /dev/null
};

Child spawn(const std::vector<std::string>& args, bool pipeOut)
{
    int fds[2] = {-1, -1};
    if (pipeOut && ::pipe2(fds, O_CLOEXEC) != 0)
        return {};
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(pipeOut ? fds[1] : null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        std::vector<char*> argv;
        for (const std::string& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    if (pipeOut)
        ::close(fds[1]);
    return {pid, pipeOut ? fds[0] : -1};
}

// What a whole client process cost: wall seconds to its goal (-1: not
// reached), CPU seconds (user + system) and peak resident size, from wait4(2).
struct ProcessCost {
    double seconds = -1;
    double cpuSeconds = 0;
    double peakMiB = 0;
};

void addUsage(ProcessCost& cost, const rusage& usage)
{
    auto toSeconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    cost.cpuSeconds = toSeconds(usage.ru_utime) + toSeconds(usage.ru_stime);
    cost.peakMiB = double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Kills the child and returns what it used up to then.
ProcessCost stopChild(Child& child)
{
    ProcessCost cost;
    if (child.pid > 0) {
        ::kill(child.pid, SIGKILL);
        rusage usage{};
        if (::wait4(child.pid, nullptr, 0, &usage) == child.pid)
            addUsage(cost, usage);
    }
    if (child.out >= 0)
        ::close(child.out);
    child = {};
    return cost;
}

// Reads a client's output and notes, for every revision that appears in a
// "mod_revision":N field, when it was first seen. Stops at `lastRevision`
// or at end of output. Runs on its own thread.
class OutputReader {
public:
    OutputReader(int fd, std::int64_t firstRevision, std::int64_t lastRevision)
        : fd_(fd), first_(firstRevision), last_(lastRevision),
          seenAt_(std::size_t(std::max<std::int64_t>(0, lastRevision - firstRevision + 1)))
    {
        thread_ = std::thread([this] { run(); });
    }
    ~OutputReader() { join(); }
    void join()
    {
        if (thread_.joinable())
            thread_.join();
    }
    bool reachedLast() const { return reached_; }
    Clock::time_point lastAt() const { return lastAt_; }
    const std::vector<Clock::time_point>& seenAt() const { return seenAt_; }

private:
    void run()
    {
        static const char kField[] = "\"mod_revision\":";
        std::string pending;  // bytes after the last complete line
        std::vector<char> buffer(1 << 20);
        while (!reached_) {
            const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n <= 0)
                break;
            const auto now = Clock::now();
            pending.append(buffer.data(), std::size_t(n));
            const std::size_t end = pending.rfind('\n');
            if (end == std::string::npos)
                continue;
            // Both clients write whole lines (an event, or a response), so
            // complete lines hold complete fields.
            std::size_t at = 0;
            while ((at = pending.find(kField, at)) != std::string::npos && at < end) {
                std::size_t p = at + sizeof kField - 1;
                if (pending[p] == '"')
                    ++p;  // JSON that quotes 64-bit numbers
                std::int64_t value = 0;
                while (p < end && pending[p] >= '0' && pending[p] <= '9')
                    value = value * 10 + (pending[p++] - '0');
                if (value >= first_ && value <= last_) {
                    auto& slot = seenAt_[std::size_t(value - first_)];
                    if (slot == Clock::time_point{})
                        slot = now;
                    if (value == last_) {
                        reached_ = true;
                        lastAt_ = now;
                    }
                }
                at = p;
            }
            pending.erase(0, end + 1);
        }
    }

    int fd_;
    std::int64_t first_;
    std::int64_t last_;
    std::vector<Clock::time_point> seenAt_;
    std::atomic<bool> reached_{false};
    Clock::time_point lastAt_{};
    std::thread thread_;
};

// The physical limit: a client that only receives and discards, on a plain
// gRPC watch of its own. Returns seconds to the last revision.
struct DiscardResult {
    double seconds = 0;
    std::int64_t events = 0;
};
DiscardResult discardClient(const std::string& endpoint, const std::string& prefix, std::int64_t fromRevision,
                            std::int64_t lastRevision, std::vector<Clock::time_point>* seenAt = nullptr,
                            std::atomic<bool>* ready = nullptr)
{
    const auto start = Clock::now();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto stub = etcdserverpb::Watch::NewStub(grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args));
    grpc::ClientContext context;
    auto stream = stub->Watch(&context);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(prefixRangeEnd(prefix));
    create->set_start_revision(fromRevision);
    stream->Write(request);
    etcdserverpb::WatchResponse response;
    DiscardResult result;
    bool done = false;
    while (!done && stream->Read(&response)) {
        if (response.created() && ready)
            *ready = true;
        const auto now = Clock::now();
        for (const auto& e : response.events()) {
            ++result.events;
            const std::int64_t rev = e.kv().mod_revision();
            if (seenAt && rev >= fromRevision && rev - fromRevision < std::int64_t(seenAt->size())
                && (*seenAt)[std::size_t(rev - fromRevision)] == Clock::time_point{})
                (*seenAt)[std::size_t(rev - fromRevision)] = now;
            done = done || rev >= lastRevision;
        }
    }
    result.seconds = secondsSince(start);
    context.TryCancel();
    return result;
}

// Runs `args` with output to /dev/null until it exits (seconds -1 unless it
// exits with 0).
ProcessCost runToExit(const std::vector<std::string>& args)
{
    const auto start = Clock::now();
    Child child = spawn(args, false);
    int status = 0;
    rusage usage{};
    ProcessCost cost;
    if (::wait4(child.pid, &status, 0, &usage) != child.pid)
        return cost;
    const double seconds = secondsSince(start);
    addUsage(cost, usage);
    cost.seconds = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? seconds : -1;
    return cost;
}

// Runs `args` with its output read by an OutputReader until `last` shows,
// then stops it (the cost is counted up to then).
ProcessCost runToRevision(const std::vector<std::string>& args, std::int64_t first, std::int64_t last)
{
    const auto start = Clock::now();
    Child child = spawn(args, true);
    OutputReader reader(child.out, first, last);
    reader.join();
    const double seconds = reader.reachedLast() ? std::chrono::duration<double>(reader.lastAt() - start).count() : -1;
    ProcessCost cost = stopChild(child);
    cost.seconds = seconds;
    return cost;
}

// --- reporting ---------------------------------------------------------------------

struct Row {
    std::string scenario;
    std::string measure;
    std::string unit;
    double etcdscope = 0;
    double etcdctl = 0;     // 0: not applicable; -1: no result within the deadline
    double reference = 0;   // the discard client or another reference, where one applies
    std::string note;
};

std::vector<Row> rows;

// A table cell: "-" where a column does not apply (0), "no result" where a
// client did not get there within its deadline (-1).
std::string cell(double value, bool zeroMeansNotApplicable = true)
{
    if (value == 0 && zeroMeansNotApplicable)
        return "-";
    if (value == -1)
        return "no result";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value);
    return text;
}

void report(Row row)
{
    std::printf("%-40s %-30s %12s %12s %12s  %s\n", row.scenario.c_str(), row.measure.c_str(),
                cell(row.etcdscope, false).c_str(), cell(row.etcdctl).c_str(), cell(row.reference).c_str(),
                row.note.c_str());
    std::fflush(stdout);
    rows.push_back(std::move(row));
}

void printJson(const std::string& etcdVersion)
{
    for (const Row& r : rows) {
        std::printf("{\"scenario\":\"%s\",\"measure\":\"%s\",\"unit\":\"%s\",\"etcdscope\":%.3f,\"etcdctl\":%.3f,"
                    "\"discard\":%.3f,\"ratio_vs_etcdctl\":%.3f,\"ratio_vs_discard\":%.3f,\"note\":\"%s\","
                    "\"machine\":{\"cores\":%u,\"cpu\":\"%s\",\"etcd\":\"%s\"}}\n",
                    r.scenario.c_str(), r.measure.c_str(), r.unit.c_str(), r.etcdscope, r.etcdctl, r.reference,
                    r.etcdctl > 0 ? r.etcdscope / r.etcdctl : 0.0, r.reference > 0 ? r.etcdscope / r.reference : 0.0,
                    r.note.c_str(), std::thread::hardware_concurrency(), cpuModel().c_str(), etcdVersion.c_str());
    }
}

// --- scenarios ------------------------------------------------------------------------

void replayScenario(testing::EtcdProcess& etcd, const Settings& s, const std::string& cli, const std::string& etcdctl,
                    const std::string& discardProgram)
{
    bench::LoadOptions load;
    load.endpoint = etcd.endpoint();
    load.prefix = "replay/";
    load.operations = s.replayEvents / 100;
    load.putsPerTransaction = 100;
    load.keyCount = 10'000;
    load.inFlight = 16;
    const bench::LoadResult written = bench::runLoad(load);
    const std::int64_t first = written.firstRevision;
    const std::int64_t last = written.lastRevision;
    const double events = double(written.events);
    std::printf("# replay history: %lld events in revisions %lld..%lld, written in %.2f s (%.0f events/s)\n",
                (long long)written.events, (long long)first, (long long)last, written.seconds,
                events / written.seconds);

    // Each client is a process of its own (the discard client too), so that
    // the whole cost shows: wall time, CPU seconds, peak resident size.
    struct Runs {
        std::vector<double> seconds, cpu, peak;
        void add(const ProcessCost& c) { seconds.push_back(c.seconds); cpu.push_back(c.cpuSeconds); peak.push_back(c.peakMiB); }
    };
    std::vector<double> inProcess;
    Runs discard, jsonl, count, jsonlPipe, ctlJson;
    const std::string rev = std::to_string(first);
    const std::string until = std::to_string(last);
    const std::vector<std::string> watch = {cli, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev};
    auto with = [](std::vector<std::string> args, std::initializer_list<std::string> more) {
        args.insert(args.end(), more);
        return args;
    };
    for (int run = 0; run < s.runs; ++run) {
        inProcess.push_back(discardClient(etcd.endpoint(), "replay/", first, last).seconds);
        discard.add(runToExit({discardProgram, "--endpoint", etcd.endpoint(), "--prefix", "replay/", "--rev", rev,
                               "--until-rev", until}));
        jsonl.add(runToExit(with(watch, {"--until-rev", until, "replay/"})));
        count.add(runToExit(with(watch, {"--until-rev", until, "--output", "count", "replay/"})));
        jsonlPipe.add(runToRevision(with(watch, {"replay/"}), first, last));
        ctlJson.add(runToRevision({etcdctl, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev, "-w",
                                   "json", "replay/"},
                                  first, last));
    }
    auto rateOf = [&](const Runs& r) { return events / median(r.seconds); };
    const double d = rateOf(discard);
    const std::string jsonlName = "replay catch-up (JSONL, /dev/null)";
    report({jsonlName, "events/s", "events/s", rateOf(jsonl), 0, d,
            "etcdscope-cli exits at --until-rev; reference: the discard client, a process of its own"});
    report({jsonlName, "CPU seconds", "s", median(jsonl.cpu), 0, median(discard.cpu), "user + system, whole process"});
    report({jsonlName, "peak resident MiB", "MiB", median(jsonl.peak), 0, median(discard.peak), "whole process"});
    const std::string countName = "replay catch-up (count)";
    report({countName, "events/s", "events/s", rateOf(count), 0, d, ""});
    report({countName, "CPU seconds", "s", median(count.cpu), 0, median(discard.cpu), "user + system, whole process"});
    report({countName, "peak resident MiB", "MiB", median(count.peak), 0, median(discard.peak), "whole process"});
    const std::string pipeName = "replay catch-up (JSON, read by pipe)";
    report({pipeName, "events/s", "events/s", rateOf(jsonlPipe), rateOf(ctlJson), d,
            "etcdctl -w json; both read by the same pipe reader"});
    report({pipeName, "CPU seconds", "s", median(jsonlPipe.cpu), median(ctlJson.cpu), median(discard.cpu),
            "until the last revision was read, whole process"});
    report({pipeName, "peak resident MiB", "MiB", median(jsonlPipe.peak), median(ctlJson.peak), median(discard.peak),
            "whole process"});
    report({"replay, discard client in this process", "events/s", "events/s", events / median(inProcess), 0, d,
            "the limit without a process start; reference: the discard process"});
}

void liveScenario(testing::EtcdProcess& etcd, const Settings& s, const std::string& cli, const std::string& etcdctl,
                  int putsPerTransaction)
{
    const std::string prefix = putsPerTransaction > 1 ? "livetx/" : "live/";
    const std::int64_t start = etcd.currentRevision() + 1;
    const std::int64_t operations = s.livePuts / putsPerTransaction;
    const std::int64_t last = start + operations - 1;  // one revision per request, nothing else writes
    const std::string rev = std::to_string(start);

    Child ours = spawn({cli, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev, prefix}, true);
    Child theirs = spawn({etcdctl, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev, "-w", "json",
                          prefix},
                         true);
    OutputReader ourReader(ours.out, start, last);
    OutputReader theirReader(theirs.out, start, last);
    std::vector<Clock::time_point> discardSeen(std::size_t(last - start + 1));
    std::atomic<bool> discardReady{false};
    std::thread discard([&] { discardClient(etcd.endpoint(), prefix, start, last, &discardSeen, &discardReady); });
    while (!discardReady)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // until its watch is created
    std::this_thread::sleep_for(std::chrono::milliseconds(500));    // the child processes connect

    bench::LoadOptions load;
    load.endpoint = etcd.endpoint();
    load.prefix = prefix;
    load.operations = operations;
    load.putsPerTransaction = putsPerTransaction;
    load.keyCount = 10'000;
    load.inFlight = 64;
    load.recordCommits = true;
    const bench::LoadResult written = bench::runLoad(load);
    discard.join();
    ourReader.join();
    theirReader.join();
    stopChild(ours);
    stopChild(theirs);

    std::vector<Clock::time_point> committedAt(std::size_t(last - start + 1));
    Clock::time_point firstCommit = Clock::time_point::max();
    for (const bench::Commit& c : written.commits)
        if (c.revision >= start && c.revision <= last) {
            committedAt[std::size_t(c.revision - start)] = c.at;
            firstCommit = std::min(firstCommit, c.at);
        }
    auto lags = [&](const std::vector<Clock::time_point>& seen, Clock::time_point* lastSeen) {
        std::vector<double> ms;
        *lastSeen = {};
        for (std::size_t i = 0; i < seen.size(); ++i)
            if (seen[i] != Clock::time_point{} && committedAt[i] != Clock::time_point{}) {
                ms.push_back(std::chrono::duration<double, std::milli>(seen[i] - committedAt[i]).count());
                *lastSeen = std::max(*lastSeen, seen[i]);
            }
        return ms;
    };
    Clock::time_point ourLast, theirLast, discardLast;
    const auto ourLag = lags(ourReader.seenAt(), &ourLast);
    const auto theirLag = lags(theirReader.seenAt(), &theirLast);
    const auto discardLag = lags(discardSeen, &discardLast);
    const double events = double(written.events);
    auto rate = [&](Clock::time_point lastSeen) {
        return events / std::chrono::duration<double>(lastSeen - firstCommit).count();
    };
    const std::string name = putsPerTransaction > 1 ? "live ingest (100-put transactions)" : "live ingest (puts)";
    std::printf("# %s: etcd committed %.0f events/s\n", name.c_str(), events / written.seconds);
    report({name, "delivered events/s", "events/s", rate(ourLast), rate(theirLast), rate(discardLast),
            "from the first commit to the last event seen"});
    report({name, "lag p50 (ms)", "ms", percentile(ourLag, 0.5), percentile(theirLag, 0.5),
            percentile(discardLag, 0.5), "commit acknowledged → revision seen in the output"});
    report({name, "lag p99 (ms)", "ms", percentile(ourLag, 0.99), percentile(theirLag, 0.99),
            percentile(discardLag, 0.99), ""});
}

// Both clients watch while nobody reads their output (a stuck pipeline):
// the backlog waits somewhere. etcdscope stops reading the stream at its
// high-water mark (W10) and etcd keeps the rest; the Go client buffers every
// event it receives. Then the output is read to the end, to show that
// nothing was lost on the way.
void slowConsumerScenario(testing::EtcdProcess& etcd, const Settings& s, const std::string& cli,
                          const std::string& etcdctl)
{
    const std::string prefix = "slow/";
    const std::int64_t start = etcd.currentRevision() + 1;
    const std::int64_t operations = std::max<std::int64_t>(1, s.slowEvents / 100);
    const std::int64_t last = start + operations - 1;
    const std::string rev = std::to_string(start);
    Child ours = spawn({cli, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev, prefix}, true);
    Child theirs = spawn({etcdctl, "watch", "--endpoints", etcd.endpoint(), "--prefix", "--rev", rev, "-w", "json",
                          prefix},
                         true);
    // Measure once both run their watch (a forked child counts its parent's
    // pages until it has started the client).
    const auto launched = Clock::now();
    while (etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(0) < 2 && secondsSince(launched) < 60)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling etcd's gauge
    const double ourBefore = testing::residentMiB(ours.pid), theirBefore = testing::residentMiB(theirs.pid);
    std::atomic<bool> writing{true};
    double ourPeak = 0, theirPeak = 0;
    std::thread sampler([&] {
        while (writing) {
            ourPeak = std::max(ourPeak, testing::residentMiB(ours.pid));
            theirPeak = std::max(theirPeak, testing::residentMiB(theirs.pid));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));  // sampling interval
        }
    });
    bench::LoadOptions load;
    load.endpoint = etcd.endpoint();
    load.prefix = prefix;
    load.operations = operations;
    load.putsPerTransaction = 100;
    load.keyCount = 10'000;
    load.inFlight = 16;
    const bench::LoadResult written = bench::runLoad(load);
    // Let both take in what they will before the last sample.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    writing = false;
    sampler.join();
    ourPeak = std::max(ourPeak, testing::residentMiB(ours.pid));
    theirPeak = std::max(theirPeak, testing::residentMiB(theirs.pid));
    // Now read everything: each must reach the last revision.
    const auto drainStart = Clock::now();
    OutputReader ourReader(ours.out, start, last);
    OutputReader theirReader(theirs.out, start, last);
    ourReader.join();
    theirReader.join();
    auto seen = [](const OutputReader& r) {
        return double(std::count_if(r.seenAt().begin(), r.seenAt().end(),
                                    [](Clock::time_point t) { return t != Clock::time_point{}; }));
    };
    auto drained = [&](const OutputReader& r) {
        return r.reachedLast() ? std::chrono::duration<double>(r.lastAt() - drainStart).count() : -1;
    };
    stopChild(ours);
    stopChild(theirs);
    const std::string name = "slow consumer, " + std::to_string(written.events / 1000) + "k events unread";
    report({name, "resident MiB before", "MiB", ourBefore, theirBefore, 0, "while watching, before the writes"});
    report({name, "peak resident MiB", "MiB", ourPeak, theirPeak, 0,
            "while nobody reads the output (sampled every 50 ms)"});
    report({name, "revisions delivered after", "revisions", seen(ourReader), seen(theirReader), double(operations),
            "once the output is read; reference column: revisions written"});
    report({name, "seconds to drain", "s", drained(ourReader), drained(theirReader), 0,
            "from the first read to the last revision"});
}

// CPU time (user + system) a process has used, in seconds; 0 = this one.
double cpuSeconds(pid_t pid = 0)
{
    std::ifstream stat(pid > 0 ? "/proc/" + std::to_string(pid) + "/stat" : std::string("/proc/self/stat"));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)  // utime is field 14, stime 15
        if (i >= 14)
            ticks += std::atof(field.c_str());
    return ticks / double(::sysconf(_SC_CLK_TCK));
}

// etcd removes the watchers of a closed stream asynchronously; a scenario
// that counts watchers through etcd's gauge starts when the earlier clients'
// are gone.
bool waitForNoWatchers(testing::EtcdProcess& etcd)
{
    const auto start = Clock::now();
    while (etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(-1) != 0) {
        if (secondsSince(start) > 60)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling etcd's gauge
    }
    return true;
}

struct CreationRun {
    double seconds = -1;   // until every watch was created; -1: not within 120 s
    double etcdCpu = 0;    // etcd's CPU seconds meanwhile
    double clientCpu = 0;  // the client's CPU seconds meanwhile
    double kibPerWatch = 0;
};

CreationRun createWithSession(testing::EtcdProcess& etcd, int watches, bool pipelined)
{
    SessionOptions options;
    options.engine.pipelineCreates = pipelined;
    auto session = std::make_unique<WatchSession>(options);
    int live = 0;
    QEventLoop loop;  // sleeps until the session's batches arrive
    QObject::connect(session.get(), &WatchSession::updatesReady, &loop, [&](const UpdateBatchPtr& batch) {
        for (const WatchUpdate& u : batch->updates)
            if (u.kind == WatchUpdate::Kind::State && u.state == WatchState::Live)
                ++live;
        if (live >= watches)
            loop.quit();
    });
    ::malloc_trim(0);
    const double before = testing::residentMiB();
    for (int i = 0; i < watches; ++i) {
        WatchSpec spec;
        spec.key = "many/" + std::to_string(i);
        session->addWatch(spec);
    }
    ConnectionOptions connection;
    connection.endpoints = {etcd.endpoint()};
    CreationRun run;
    const double etcdCpu = cpuSeconds(etcd.pid()), ownCpu = cpuSeconds();
    const auto start = Clock::now();
    session->connectToCluster(connection);
    QTimer::singleShot(120'000, &loop, &QEventLoop::quit);
    loop.exec();
    if (live >= watches)
        run.seconds = secondsSince(start);
    run.etcdCpu = cpuSeconds(etcd.pid()) - etcdCpu;
    run.clientCpu = cpuSeconds() - ownCpu;
    // What the watches hold, not what their creation passed through: the
    // freed request and response buffers go back to the system first.
    ::malloc_trim(0);
    run.kibPerWatch = (testing::residentMiB() - before) * 1024 / watches;
    session.reset();
    waitForNoWatchers(etcd);
    return run;
}

// etcdctl's interactive mode creates every watch on one client (the Go
// client's one-at-a-time queue); etcd's own gauge tells when all exist.
CreationRun createWithEtcdctl(testing::EtcdProcess& etcd, int watches, const std::string& etcdctl)
{
    int fds[2];
    (void)::pipe2(fds, O_CLOEXEC);
    CreationRun run;
    const double etcdCpu = cpuSeconds(etcd.pid());
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(fds[0], STDIN_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        const std::string endpoint = etcd.endpoint();
        ::execlp(etcdctl.c_str(), etcdctl.c_str(), "watch", "-i", "--endpoints", endpoint.c_str(), nullptr);
        ::_exit(127);
    }
    ::close(fds[0]);
    std::string commands;
    for (int i = 0; i < watches; ++i)
        commands += "watch many/" + std::to_string(i) + "\n";
    std::thread feeder([&] {
        std::size_t done = 0;
        while (done < commands.size()) {
            const ssize_t n = ::write(fds[1], commands.data() + done, commands.size() - done);
            if (n <= 0)
                break;
            done += std::size_t(n);
        }
    });
    while (secondsSince(start) < 120) {
        if (etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(0) >= watches) {
            run.seconds = secondsSince(start);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling etcd's gauge
    }
    run.etcdCpu = cpuSeconds(etcd.pid()) - etcdCpu;
    run.clientCpu = cpuSeconds(pid);
    run.kibPerWatch = testing::residentMiB(pid) * 1024 / watches;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    feeder.join();
    ::close(fds[1]);
    waitForNoWatchers(etcd);
    return run;
}

void manyWatchesScenario(testing::EtcdProcess& etcd, const Settings& s, const std::string& etcdctl,
                         const std::string& when)
{
    if (!waitForNoWatchers(etcd))
        std::printf("# etcd still counts watchers of earlier clients after 60 s\n");
    const CreationRun pipelined = createWithSession(etcd, s.watches, true);
    const CreationRun serial = createWithSession(etcd, s.watches, false);
    const CreationRun theirs = createWithEtcdctl(etcd, s.watches, etcdctl);
    const std::string name = std::to_string(s.watches) + " watches, " + when;
    report({name, "seconds until all created", "s", pipelined.seconds, theirs.seconds, serial.seconds,
            "etcdscope pipelined; reference column: etcdscope serial queue (the Go algorithm)"});
    report({name, "etcd CPU seconds meanwhile", "s", pipelined.etcdCpu, theirs.etcdCpu, serial.etcdCpu,
            "etcd's own user+system time while the client created the watches"});
    report({name, "client CPU seconds meanwhile", "s", pipelined.clientCpu, theirs.clientCpu, serial.clientCpu,
            "etcdscope: the whole benchmark process; etcdctl: the process"});
    report({name, "client memory per watch (KiB)", "KiB", pipelined.kibPerWatch, theirs.kibPerWatch,
            serial.kibPerWatch,
            "etcdscope: resident growth held by the live watches (after malloc_trim); etcdctl: its whole "
            "resident size"});
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    Settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> long long { return i + 1 < argc ? std::atoll(argv[++i]) : 0; };
        if (arg == "--events") s.replayEvents = next();
        else if (arg == "--live-puts") s.livePuts = next();
        else if (arg == "--watches") s.watches = int(next());
        else if (arg == "--slow-events") s.slowEvents = next();
        else if (arg == "--runs") s.runs = int(next());
        else if (arg == "--smoke") s = Settings{20'000, 5'000, 500, 20'000, 1, s.only};
        else if (arg == "--only" && i + 1 < argc) s.only = argv[++i];
        else {
            std::fprintf(stderr, "usage: watch_bench [--events N] [--live-puts N] [--watches N] [--slow-events N] [--runs N] [--smoke] [--only replay,live,txn,watches,slow]\n");
            return 2;
        }
    }
    const QString cli = QCoreApplication::applicationDirPath() + "/../app/etcdscope-cli";
    const QString discardProgram = QCoreApplication::applicationDirPath() + "/etcdscope-discard";
    const QString etcdctl = QStandardPaths::findExecutable("etcdctl");
    if (etcdctl.isEmpty()) {
        std::fprintf(stderr, "etcdctl is not installed (Debian package etcd-client).\n");
        return 1;
    }
    testing::EtcdProcess etcd({"--quota-backend-bytes=8589934592", "--max-request-bytes=33554432",
                               "--max-txn-ops=1000", "--auto-compaction-retention=0"});
    if (const std::string error = etcd.start(); !error.empty()) {
        std::fprintf(stderr, "cannot start etcd: %s\n", error.c_str());
        return 1;
    }
    const auto status = etcd.status();
    const std::string version = status ? status->version() : "unknown";
    std::printf("# watch_bench: etcd %s on 127.0.0.1, %u cores (%s); median of %d runs for the replay\n",
                version.c_str(), std::thread::hardware_concurrency(), cpuModel().c_str(), s.runs);
    std::printf("%-40s %-30s %12s %12s %12s  %s\n", "scenario", "measure", "etcdscope", "etcdctl", "discard/ref",
                "note");
    auto wanted = [&](const std::string& name) {
        return s.only.empty() || ("," + s.only + ",").find("," + name + ",") != std::string::npos;
    };
    if (wanted("watches"))
        manyWatchesScenario(etcd, s, etcdctl.toStdString(), "fresh etcd");
    if (wanted("replay"))
        replayScenario(etcd, s, cli.toStdString(), etcdctl.toStdString(), discardProgram.toStdString());
    if (wanted("live"))
        liveScenario(etcd, s, cli.toStdString(), etcdctl.toStdString(), 1);
    if (wanted("txn"))
        liveScenario(etcd, s, cli.toStdString(), etcdctl.toStdString(), 100);
    if (wanted("slow"))
        slowConsumerScenario(etcd, s, cli.toStdString(), etcdctl.toStdString());
    if (wanted("watches") && (wanted("replay") || wanted("live") || wanted("txn")))
        manyWatchesScenario(etcd, s, etcdctl.toStdString(), "after the history above");
    printJson(version);
    return 0;
}
