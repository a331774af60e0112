// The census benchmark (issue 16): `etcdscope-cli census` of N Kubernetes-like
// keys (default 1,000,000, in 100 namespaces) with values of 300 B and of
// 1 KiB, beside `etcdctl get --prefix --keys-only | wc -l` and `etcdctl get
// --prefix -w json | wc -c` on the same etcd in the same run. Whole
// processes, median of three: wall time, keys/s, and the peak resident size
// of the largest process of each pipeline. Then the same census in the
// desktop monitor's Insight tab (offscreen), with a 5 ms heartbeat on the GUI
// thread: its stalls while the census runs (p50, p99, max). Measures,
// asserts nothing about time.
//   census_bench [--keys N] [--smoke] [--gui-only]
#include "etcd_process.h"
#include "insight/insight_view.h"
#include "stall_meter.h"

#include <QApplication>
#include <QEventLoop>
#include <QStandardPaths>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <vector>

extern char** environ;

using namespace etcdscope;
using namespace etcdscope::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kRounds = 3;
constexpr int kPerTxn = 100;

struct Run {
    double seconds = 0;
    double peakMiB = 0;
    int exitCode = -1;
};

// `command` through bash -o pipefail -c (a pipeline fails when any of it fails).
Run runShell(const std::string& command)
{
    Run run;
    const auto start = Clock::now();
    pid_t pid = 0;
    const char* argv[] = {"bash", "-o", "pipefail", "-c", command.c_str(), nullptr};
    if (posix_spawn(&pid, "/bin/bash", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
        return run;
    int status = 0;
    rusage usage {};
    if (wait4(pid, &status, 0, &usage) != pid)
        return run;
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    run.peakMiB = double(usage.ru_maxrss) / 1024.0;  // the largest process waited for in the tree
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

Run median(const std::string& command)
{
    std::vector<Run> runs;
    for (int i = 0; i < kRounds; ++i)
        runs.push_back(runShell(command));
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.seconds < b.seconds; });
    Run m = runs[runs.size() / 2];
    for (const Run& r : runs)
        m.peakMiB = std::max(m.peakMiB, r.peakMiB);
    for (const Run& r : runs)
        m.exitCode = std::max(m.exitCode, r.exitCode);
    return m;
}

void row(const char* values, const char* tool, const Run& run, std::int64_t keys, double baseline)
{
    std::printf("| %s | %s | %.2f | %.0f | %.0f | %s |\n", values, tool, run.seconds,
                run.seconds > 0 ? double(keys) / run.seconds : 0.0, run.peakMiB,
                baseline > 0 && run.seconds > 0 ? (std::to_string(baseline / run.seconds).substr(0, 4) + "×").c_str()
                                                : "");
}

// The census of /registry/ at depth 4 in the Insight tab, timed, with the GUI
// thread's stalls meanwhile; false when it did not complete.
struct GuiRun {
    double seconds = 0;
    bench::StallMeter stalls;
    bool complete = false;
};

void guiCensus(EtcdProcess& etcd, GuiRun& run)
{
    ui::InsightView view;
    view.resize(1280, 860);
    view.show();
    ConnectionOptions options;
    options.endpoints = {etcd.endpoint()};
    view.setCluster(options, QString::fromStdString(etcd.endpoint()));
    QEventLoop loop;
    QObject::connect(&view, &ui::InsightView::censusFinished, &loop, [&](bool complete) {
        run.complete = complete;
        loop.quit();
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    deadline.start(600'000);
    const auto start = Clock::now();
    run.stalls.start();
    view.runCensus("/registry/", 4);
    loop.exec();
    run.stalls.stop();
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    std::int64_t keys = 1'000'000;
    bool guiOnly = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--keys" && i + 1 < argc) keys = std::atoll(argv[++i]);
        else if (arg == "--smoke") keys = 20'000;
        else if (arg == "--gui-only") guiOnly = true;
        else {
            std::fprintf(stderr, "usage: census_bench [--keys N] [--smoke] [--gui-only]\n");
            return 2;
        }
    }
    std::vector<std::string> guiRows;
    if (QStandardPaths::findExecutable("etcdctl").isEmpty()) {
        std::fprintf(stderr, "etcdctl is not installed (Debian package etcd-client).\n");
        return 2;
    }
    const std::string cli = (QCoreApplication::applicationDirPath() + "/../app/etcdscope-cli").toStdString();
    std::printf("census of %lld keys under /registry/pods/ (100 namespaces), whole processes, median of %d\n\n",
                (long long)keys, kRounds);
    std::printf("| values | tool | seconds | keys/s | peak RSS (MiB) | census is faster by |\n|---|---|---|---|---|---|\n");
    for (const int valueBytes : {300, 1024}) {
        EtcdProcess etcd({"--quota-backend-bytes=8589934592"});
        const std::string error = etcd.start();
        if (!error.empty()) {
            std::fprintf(stderr, "etcd did not start: %s\n", error.c_str());
            return 1;
        }
        const std::string value(std::size_t(valueBytes), 'v');
        for (std::int64_t i = 0; i < keys; i += kPerTxn) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (std::int64_t k = i; k < std::min(keys, i + kPerTxn); ++k) {
                char key[64];
                std::snprintf(key, sizeof key, "/registry/pods/ns-%03d/pod-%07lld", int(k % 100), (long long)k);
                puts.emplace_back(key, value);
            }
            etcd.txnPuts(puts);
        }
        const std::string size = valueBytes == 300 ? "300 B" : "1 KiB";
        GuiRun gui;
        guiCensus(etcd, gui);
        char guiRow[256];
        std::snprintf(guiRow, sizeof guiRow, "| %s | %.2f | %s | %zu | %.1f | %.1f | %.1f |\n", size.c_str(),
                      gui.seconds, gui.complete ? "complete" : "NOT COMPLETE", gui.stalls.stallsMs.size(),
                      bench::percentile(gui.stalls.stallsMs, 0.5), bench::percentile(gui.stalls.stallsMs, 0.99),
                      gui.stalls.max());
        guiRows.push_back(guiRow);
        if (!gui.complete) {
            std::fprintf(stderr, "the Insight tab's census did not complete\n");
            return 1;
        }
        if (guiOnly)
            continue;
        const std::string endpoints = " --endpoints " + etcd.endpoint() + " ";
        // etcdctl gives up after 5 s unless told otherwise
        const std::string etcdctl = "ETCDCTL_API=3 etcdctl --command-timeout=600s" + endpoints;
        const Run keysOnly = median(etcdctl + "get --prefix /registry/ --keys-only | wc -l > /dev/null");
        const Run json = median(etcdctl + "get --prefix /registry/ -w json | wc -c > /dev/null");
        const Run census = median(cli + " census" + endpoints + "--prefix /registry/ --depth 4 > /dev/null 2>&1");
        if (census.exitCode != 0 || json.exitCode != 0 || keysOnly.exitCode != 0) {
            std::fprintf(stderr, "a run failed (census exit %d, etcdctl exits %d and %d)\n", census.exitCode,
                         json.exitCode, keysOnly.exitCode);
            return 1;
        }
        row(size.c_str(), "etcdctl get --keys-only \\| wc -l", keysOnly, keys, 0);
        row(size.c_str(), "etcdctl get -w json \\| wc -c", json, keys, 0);
        row(size.c_str(), "etcdscope-cli census", census, keys, json.seconds);
        std::fflush(stdout);
    }
    std::printf("\nthe same census in the Insight tab (offscreen), %d ms heartbeat on the GUI thread\n\n"
                "| values | seconds | census | beats | stall p50 (ms) | stall p99 (ms) | stall max (ms) |\n"
                "|---|---|---|---|---|---|---|\n",
                bench::StallMeter::kHeartbeatMs);
    for (const std::string& r : guiRows)
        std::printf("%s", r.c_str());
    return 0;
}
