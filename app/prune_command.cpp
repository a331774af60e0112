#include "prune_command.h"

#include "decode/value_text.h"
#include "history_command.h"
#include "recording/recorded_state.h"
#include "watch_command.h"

#include <QDateTime>

#include <cstdio>

namespace etcdscope::cli {

namespace {

std::string mib(qint64 bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / 1048576.0);
    return text;
}

}  // namespace

int runPrune(const WatchCommandOptions& options)
{
    const auto store = openExistingLog(options.database);
    if (!store)
        return kExitUsage;
    QString error;
    const auto before = store->sizeOnDisk(&error);
    std::optional<qint64> revision;
    if (options.pruneOlderThan)
        revision = store->lastRevisionReceivedBefore(
            QDateTime::currentMSecsSinceEpoch() - qint64(options.pruneOlderThan->count()), &error);
    else
        revision = store->revisionToFit(*options.pruneMaxBytes, &error);
    if (!before || !revision) {
        std::fprintf(stderr, "etcdscope-cli: the event log cannot be read: %s.\n", qPrintable(error));
        return kExitUsage;
    }
    if (*revision == 0) {
        std::fprintf(stderr, "etcdscope-cli: nothing to prune: %s.\n",
                     options.pruneOlderThan ? "no event is that old" : "the log is within the size");
        return kExitDone;
    }
    std::vector<PrunedWatch> pruned;
    const bool done = pruneRecording(*store, *revision, &pruned, &error);
    for (const PrunedWatch& p : pruned)
        std::fprintf(stderr, "etcdscope-cli: %s: revisions up to %lld pruned%s.\n", qPrintable(p.label),
                     (long long)p.upTo,
                     p.keptKeys ? (", its " + std::to_string(*p.keptKeys) + " keys kept as they were then").c_str()
                                : " (its state there was not known: nothing kept in their place)");
    if (!done) {
        std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(error));
        return kExitOutput;
    }
    if (!store->giveSpaceBack(&error)) {
        std::fprintf(stderr, "etcdscope-cli: %s The pruned events are gone; the space is free inside the log.\n",
                     qPrintable(error));
        return kExitOutput;
    }
    const auto after = store->sizeOnDisk(&error);
    std::fprintf(stderr, "etcdscope-cli: the log went from %s to %s%s.\n", mib(*before).c_str(),
                 mib(after.value_or(0)).c_str(),
                 EventStore::isDatabaseUrl(QString::fromStdString(options.database))
                     ? " (PostgreSQL reuses the freed space; its files keep their size)"
                     : "");
    return kExitDone;
}

}  // namespace etcdscope::cli
