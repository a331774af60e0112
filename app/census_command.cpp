#include "census_command.h"

#include "decode/value_text.h"
#include "format/event_format.h"
#include "insight/census.h"
#include "range_read.h"
#include "watch_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace etcdscope::cli {

namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop.store(true); }

std::string groupJson(const CensusGroup& group, bool partial)
{
    std::string line = "{";
    appendBytesField(line, "prefix", group.prefix);
    line.erase(1, 1);  // the comma before the first field
    line += ",\"keys\":" + std::to_string(group.keys) + ",\"bytes\":" + std::to_string(group.bytes);
    appendBytesField(line, "largest_key", group.largestKey);
    line += ",\"largest_bytes\":" + std::to_string(group.largestBytes);
    if (partial)
        line += ",\"partial\":true";
    line += "}\n";
    return line;
}

std::string size(std::int64_t bytes)
{
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%lld B", (long long)bytes);
    else if (bytes < 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024.0);
    else if (bytes < 1024LL * 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / 1048576.0);
    else
        std::snprintf(text, sizeof text, "%.2f GiB", double(bytes) / 1073741824.0);
    return text;
}

std::string counted(std::int64_t n, const char* one, const char* many)
{
    return std::to_string(n) + ' ' + (n == 1 ? one : many);
}

std::string groupText(const CensusGroup& group, std::int64_t totalBytes)
{
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "%10s %5.1f%% %14s  ", size(group.bytes).c_str(),
                  totalBytes > 0 ? 100.0 * double(group.bytes) / double(totalBytes) : 0.0,
                  counted(group.keys, "key", "keys").c_str());
    std::string line = numbers + shownKey(group.prefix);
    if (group.keys > 1)
        line += "   (largest " + shownKey(group.largestKey) + ", " + size(group.largestBytes) + ")";
    return line + '\n';
}

}  // namespace

int runCensus(const WatchCommandOptions& options)
{
    CensusQuery query;
    query.range = options.watches.front();
    query.depth = options.depth ? int(*options.depth) : censusDepthBelow(query.range.key);
    query.revision = options.watches.front().startRevision;
    struct sigaction stop {};
    stop.sa_handler = onSignal;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGINT, &stop, nullptr);
    sigaction(SIGTERM, &stop, nullptr);

    AdminConnection connection;
    connection.reset(options.connection);
    const bool showProgress = ::isatty(STDERR_FILENO) == 1;
    auto lastShown = std::chrono::steady_clock::now();
    const auto started = lastShown;
    const CensusResult census = takeCensus(connection, query, [&](std::int64_t done, std::int64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (showProgress && now - lastShown > std::chrono::seconds(1)) {
            lastShown = now;
            std::fprintf(stderr, "\retcdscope-cli: census: %lld of %lld keys read…", (long long)done, (long long)total);
        }
        return !g_stop.load();
    });
    if (showProgress && lastShown != started)
        std::fprintf(stderr, "\r\033[K");

    const bool text = options.output == OutputFormat::Text;
    std::string out;
    for (const CensusGroup& group : census.groups)
        out += text ? groupText(group, census.bytes) : groupJson(group, census.partial);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    WatchSpec shown = query.range;
    shown.startRevision = 0;  // the revision is said on its own
    const std::string what = describeSpec(shown).toStdString();
    if (census.partial && census.keys == 0 && !census.error.empty()) {
        std::fprintf(stderr, "etcdscope-cli: %s Nothing was counted.\n", census.error.c_str());
        return census.revisionRefused ? kExitUsage : kExitConnection;
    }
    if (census.partial) {
        std::fprintf(stderr, "etcdscope-cli: %s The counts above are partial: %s of %lld (%s) of %s at revision %lld.\n",
                     census.error.empty() ? "Census stopped." : census.error.c_str(),
                     counted(census.keys, "key", "keys").c_str(), (long long)census.totalKeys,
                     size(census.bytes).c_str(), what.c_str(), (long long)census.revision);
        return census.error.empty() ? kExitCancelled : kExitConnection;
    }
    std::fprintf(stderr, "etcdscope-cli: %s at revision %lld: %s, %s in %s (depth %d), read in %.1f s.\n",
                 what.c_str(), (long long)census.revision, counted(census.keys, "key", "keys").c_str(),
                 size(census.bytes).c_str(), counted(std::int64_t(census.groups.size()), "group", "groups").c_str(),
                 query.depth, seconds);
    return kExitDone;
}

}  // namespace etcdscope::cli
