// Answers from a large recording (issue 15): a log of N events (default 10
// million: 100,000 Kubernetes-like keys under 100 namespaces, 100-byte
// values, one event in 20 a delete) is written through the event store, then
// the questions people ask are timed, median of five: one key's every
// version, the keys deleted under a namespace, a namespace's state at a past
// revision. Prints numbers; asserts nothing about time.
//   history_bench [--events N] [--smoke] [--db PATH]
#include "recording/event_store.h"
#include "recording/recorded_state.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace etcdscope;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kNamespaces = 100;
constexpr int kPodsPerNamespace = 1000;
constexpr int kBatch = 10'000;
constexpr int kRuns = 5;

std::string keyOf(std::int64_t i)
{
    const std::int64_t key = i % (kNamespaces * kPodsPerNamespace);
    char text[64];
    std::snprintf(text, sizeof text, "/registry/pods/ns-%03d/pod-%05d", int(key / kPodsPerNamespace),
                  int(key % kPodsPerNamespace));
    return text;
}

WatchSpec prefix(const std::string& key)
{
    WatchSpec spec;
    spec.key = key;
    spec.rangeEnd = prefixRangeEnd(key);
    return spec;
}

double medianMs(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <typename F>
double timeMs(F f)
{
    std::vector<double> runs;
    for (int i = 0; i < kRuns; ++i) {
        const auto start = Clock::now();
        f();
        runs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    return medianMs(runs);
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::int64_t events = 10'000'000;
    QString path;
    QTemporaryDir dir;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--events" && i + 1 < argc) events = std::atoll(argv[++i]);
        else if (arg == "--smoke") events = 200'000;
        else if (arg == "--db" && i + 1 < argc) path = argv[++i];
        else {
            std::fprintf(stderr, "usage: history_bench [--events N] [--smoke] [--db PATH]\n");
            return 2;
        }
    }
    if (path.isEmpty())
        path = dir.filePath("history.sqlite");
    QString error;
    auto store = EventStore::open(path, &error);
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    WatchDefinition watch;
    watch.spec = prefix("/registry/");
    watch.spec.startRevision = 1;
    watch.label = "bench";
    const std::vector<WatchDefinition> known = store->watches();
    const qint64 storeId = known.empty() ? store->addWatch(watch) : known.front().storeId;
    std::int64_t written = known.empty() ? 0 : known.front().lastRevision - 1;
    const auto writeStart = Clock::now();
    const std::string value(100, 'v');
    while (written < events) {
        std::vector<EventRecord> batch;
        batch.reserve(kBatch);
        for (int i = 0; i < kBatch && written < events; ++i, ++written) {
            EventRecord r;
            r.watch = storeId;
            r.kind = written % 20 == 19 ? RecordKind::Delete : RecordKind::Put;
            r.key = QByteArray::fromStdString(keyOf(written));
            if (r.kind == RecordKind::Put)
                r.value = QByteArray::fromStdString(value);
            r.modRevision = written + 2;
            r.createRevision = 2;
            r.version = 1;
            r.receivedMs = 1'790'000'000'000 + written;
            batch.push_back(std::move(r));
        }
        if (!store->append(batch, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 1;
        }
    }
    const double writeSeconds = std::chrono::duration<double>(Clock::now() - writeStart).count();
    const qint64 bytes = QFileInfo(path).size() + QFileInfo(path + "-wal").size();
    std::printf("# history_bench: %lld events in the log (%.1f MiB, %.0f bytes/event; written now at %.0f events/s)\n",
                (long long)events, double(bytes) / 1048576.0, double(bytes) / double(events),
                writeSeconds > 0.01 ? double(events) / writeSeconds : 0.0);

    std::size_t rows = 0;
    HistoryQuery oneKey;
    oneKey.range.key = keyOf(4242);
    const double keyMs = timeMs([&] { rows = recordedHistory(*store, oneKey, &error)->size(); });
    std::printf("%-52s %10.1f ms  (%zu versions)\n", "one key's every version", keyMs, rows);

    HistoryQuery deleted;
    deleted.range = prefix("/registry/pods/ns-042/");
    deleted.deletedOnly = true;
    const double deletedMs = timeMs([&] { rows = recordedHistory(*store, deleted, &error)->size(); });
    std::printf("%-52s %10.1f ms  (%zu keys)\n", "keys deleted under a namespace (1,000 keys)", deletedMs, rows);

    HistoryQuery grep;
    grep.range = oneKey.range;
    grep.grep = "vvvv";
    const double grepMs = timeMs([&] { rows = recordedHistory(*store, grep, &error)->size(); });
    std::printf("%-52s %10.1f ms  (%zu versions)\n", "one key's versions whose value holds a text", grepMs, rows);

    RecordedState state;
    const double stateMs = timeMs([&] { state = recordedStateAt(*store, deleted.range, events / 2); });
    std::printf("%-52s %10.1f ms  (%zu keys%s)\n", "a namespace's state at a past revision (restore plan)", stateMs,
                state.keys.size(), state.error.isEmpty() ? "" : ", refused");
    std::printf("{\"bench\":\"history\",\"events\":%lld,\"key_ms\":%.1f,\"deleted_ms\":%.1f,\"grep_ms\":%.1f,"
                "\"state_ms\":%.1f}\n",
                (long long)events, keyMs, deletedMs, grepMs, stateMs);
    return 0;
}
