#include "record_command.h"

#include "decode/value_text.h"
#include "format/event_record.h"
#include "watch_command.h"

#include <QDateTime>

#include <algorithm>

#include <cstdio>

namespace etcdscope::cli {

namespace {

constexpr int kProgressIntervalMs = 1000;

bool sameRange(const WatchSpec& a, const WatchSpec& b) { return a.key == b.key && a.rangeEnd == b.rangeEnd; }

}  // namespace

RecordCommand::RecordCommand(WatchCommandOptions options, QObject* parent)
    : QObject(parent)
    , options_(std::move(options))
    , session_(SessionOptions{})
{
    connect(&session_, &WatchSession::updatesReady, this, &RecordCommand::onUpdates);
    connect(&session_, &WatchSession::errorOccurred, this,
            [](const QString& sentence) { std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(sentence)); });
    progress_.setInterval(kProgressIntervalMs);
    connect(&progress_, &QTimer::timeout, this, &RecordCommand::reportProgress);
}

bool RecordCommand::start()
{
    QString error;
    store_ = EventStore::open(QString::fromStdString(options_.database), &error);
    if (!store_) {
        std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(error));
        return false;
    }
    const std::vector<WatchDefinition> stored = store_->watches();
    for (WatchSpec spec : options_.watches) {
        spec.prevKv = true;  // a history keeps what each change replaced
        const auto known = std::find_if(stored.begin(), stored.end(),
                                        [&](const WatchDefinition& d) { return sameRange(d.spec, spec); });
        qint64 storeId = 0;
        bool first = false;
        if (known != stored.end() && known->lastRevision > 0) {
            spec.startRevision = known->lastRevision + 1;
            storeId = known->storeId;
        } else {
            // From the oldest revision etcd keeps: asked from revision 1, etcd answers with its
            // compaction point and the engine goes on from there.
            spec.startRevision = 1;
            first = true;
            if (known != stored.end()) {
                storeId = known->storeId;
            } else {
                WatchDefinition definition;
                definition.spec = spec;
                definition.label = describeSpec(spec);
                storeId = store_->addWatch(definition);
            }
        }
        if (storeId <= 0) {
            std::fprintf(stderr, "etcdscope-cli: the watch of %s cannot be stored in %s.\n",
                         describeSpec(spec).toStdString().c_str(), options_.database.c_str());
            return false;
        }
        const WatchHandle handle = session_.addWatch(spec);
        storeIds_[handle] = storeId;
        if (first)
            firstStart_.insert(handle);
        WatchSpec range = spec;
        range.startRevision = 0;
        range.prevKv = false;
        if (first)
            std::fprintf(stderr, "etcdscope-cli: recording %s from the oldest revision etcd keeps.\n",
                         describeSpec(range).toStdString().c_str());
        else
            std::fprintf(stderr, "etcdscope-cli: recording %s, resuming after revision %lld where the log ends.\n",
                         describeSpec(range).toStdString().c_str(), (long long)(spec.startRevision - 1));
    }
    session_.connectToCluster(options_.connection);
    progress_.start();
    return true;
}

void RecordCommand::onUpdates(const UpdateBatchPtr& batch)
{
    if (failed_)
        return;
    serverRevision_ = std::max<qint64>(serverRevision_, batch->serverRevision);
    std::vector<EventRecord> records =
        recordsFromUpdates(batch->updates, batch->eventCount, QDateTime::currentMSecsSinceEpoch());
    // On a first start, history below etcd's oldest revision was never there to record: not a gap.
    std::erase_if(records, [&](const EventRecord& r) {
        return r.kind == RecordKind::Gap && r.gapFrom <= 1 && firstStart_.count(r.watch) > 0;
    });
    for (const WatchUpdate& update : batch->updates) {
        if (update.kind == WatchUpdate::Kind::Events || update.kind == WatchUpdate::Kind::Gap)
            firstStart_.erase(update.watch);
        if (update.kind == WatchUpdate::Kind::State && update.state == WatchState::Cancelled && !update.byUser) {
            std::fprintf(stderr, "etcdscope-cli: watch %lld was cancelled by etcd: %s\n", (long long)update.watch,
                         update.reason.c_str());
            emit finished(kExitCancelled);
            return;
        }
    }
    QString error;
    if (!records.empty() &&
        !store_->append(records, [this](WatchHandle h) { return storeIds_[h]; }, &error)) {
        // Not acknowledged: nothing is lost, the next start resumes after the last commit.
        failed_ = true;
        std::fprintf(stderr, "etcdscope-cli: recording stopped: %s The next start resumes after revision %lld.\n",
                     qPrintable(error), (long long)lastRevision_);
        emit finished(kExitOutput);
        return;
    }
    for (const EventRecord& r : records)
        lastRevision_ = std::max(lastRevision_, r.modRevision);
    recorded_ += batch->eventCount;
    session_.acknowledge(batch->eventCount);
}

void RecordCommand::reportProgress()
{
    if (serverRevision_ > 0 && lastRevision_ < serverRevision_)
        std::fprintf(stderr, "etcdscope-cli: %lld events recorded, at revision %lld of %lld.\n", (long long)recorded_,
                     (long long)lastRevision_, (long long)serverRevision_);
}

}  // namespace etcdscope::cli
