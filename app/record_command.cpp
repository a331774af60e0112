#include "record_command.h"

#include "admin/kv_requests.h"
#include "decode/value_text.h"
#include "format/event_record.h"
#include "watch_command.h"

#include <QDateTime>

#include <algorithm>
#include <span>

#include <cstdio>
#include <limits>
#include <utility>

namespace etcdscope::cli {

namespace {

constexpr int kProgressIntervalMs = 1000;
// Keys read a request while taking a snapshot.
constexpr std::int64_t kSnapshotPageKeys = 1000;
// Events a transaction of the log holds, about (it ends at a whole revision).
constexpr std::size_t kEventsPerTransaction = 32768;
// The shortest time between the starts of two commits while events keep coming.
constexpr qint64 kCommitIntervalMs = 250;

bool sameRange(const WatchSpec& a, const WatchSpec& b) { return a.key == b.key && a.rangeEnd == b.rangeEnd; }

// The range of a watch in words, without its options ("prefix r/").
std::string describeRange(const WatchSpec& spec)
{
    WatchSpec range;
    range.key = spec.key;
    range.rangeEnd = spec.rangeEnd;
    return describeSpec(range).toStdString();
}

// Where the transaction that starts at `begin` ends: after about kEventsPerTransaction records, never
// between two records of one watch's revision (the log resumes after its last whole revision).
std::size_t transactionEnd(const std::vector<EventRecord>& records, std::size_t begin)
{
    std::size_t end = std::min(records.size(), begin + kEventsPerTransaction);
    const auto sameRevision = [](const EventRecord& a, const EventRecord& b) {
        return a.kind != RecordKind::Gap && b.kind != RecordKind::Gap && a.watch == b.watch &&
               a.modRevision == b.modRevision;
    };
    while (end < records.size() && sameRevision(records[end - 1], records[end]))
        ++end;
    return end;
}

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
    writeTimer_.setSingleShot(true);
    connect(&writeTimer_, &QTimer::timeout, this, &RecordCommand::writeWaiting);
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
        // No previous values from etcd: etcd 3.4 reads one per event and then
        // delivers about 3,000 events/s instead of tens of thousands; the log
        // has each key's previous version anyway (history derives it).
        spec.prevKv = false;
        spec.progressNotify = true;  // an idle range's recording still advances
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
                definition.label = QString::fromStdString(describeRange(spec));
                storeId = store_->addWatch(definition);
            }
        }
        if (storeId <= 0) {
            std::fprintf(stderr, "etcdscope-cli: the watch of %s cannot be stored in %s.\n",
                         describeRange(spec).c_str(), options_.database.c_str());
            return false;
        }
        const WatchHandle handle = session_.addWatch(spec);
        storeIds_[handle] = storeId;
        specs_[handle] = spec;
        resumeRevision_[handle] = first ? 0 : spec.startRevision - 1;
        if (first)
            std::fprintf(stderr, "etcdscope-cli: recording %s from the oldest revision etcd keeps.\n",
                         describeRange(spec).c_str());
        else
            std::fprintf(stderr, "etcdscope-cli: recording %s, resuming after revision %lld where the log ends.\n",
                         describeRange(spec).c_str(), (long long)(spec.startRevision - 1));
    }
    session_.connectToCluster(options_.connection);
    admin_.reset(options_.connection);
    progress_.start();
    return true;
}

void RecordCommand::onUpdates(const UpdateBatchPtr& batch)
{
    // One commit begun every kCommitIntervalMs at most (group commit): a quiet range's events are written at
    // once, a busy one's wait up to that long and go into one large transaction instead of one small
    // one per batch. Each commit rewrites the index pages it touches (SQLite copies each into its WAL
    // whole; with 1,000 keys written round robin, a commit touches most of the key index's leaves),
    // so its cost is shared by the more events the better.
    waiting_.push_back(batch);
    if (!writeTimer_.isActive()) {
        const qint64 since = sinceWrite_.isValid() ? sinceWrite_.elapsed() : kCommitIntervalMs;
        writeTimer_.start(int(std::max<qint64>(0, kCommitIntervalMs - since)));
    }
}

void RecordCommand::interrupt()
{
    writeTimer_.stop();
    writeWaiting();
    finish(kExitDone);
}

void RecordCommand::finish(int exitCode)
{
    if (finished_)
        return;
    finished_ = true;
    emit finished(exitCode);
}

void RecordCommand::writeWaiting()
{
    sinceWrite_.start();  // from the start: a commit that takes longer than the interval is followed at once
    const std::vector<UpdateBatchPtr> batches = std::exchange(waiting_, {});
    // A batch with a gap starts a new write: its snapshot is read after what came before is committed,
    // and before the gap itself, as if each batch were written on its own.
    const auto hasGap = [](const UpdateBatchPtr& batch) {
        return std::any_of(batch->updates.begin(), batch->updates.end(),
                           [](const WatchUpdate& u) { return u.kind == WatchUpdate::Kind::Gap; });
    };
    for (std::size_t begin = 0; begin < batches.size() && !failed_ && !finished_;) {
        std::size_t end = begin + 1;
        while (end < batches.size() && !hasGap(batches[end]))
            ++end;
        write(std::span<const UpdateBatchPtr>(batches.data() + begin, end - begin));
        begin = end;
    }
}

void RecordCommand::write(std::span<const UpdateBatchPtr> batches)
{
    std::int64_t eventCount = 0;
    for (const UpdateBatchPtr& batch : batches)
        eventCount += batch->eventCount;
    std::vector<EventRecord> records;
    records.reserve(std::size_t(eventCount));
    const qint64 receivedMs = QDateTime::currentMSecsSinceEpoch();
    for (const UpdateBatchPtr& batch : batches) {
        serverRevision_ = std::max<qint64>(serverRevision_, batch->serverRevision);
        std::vector<EventRecord> part = recordsFromUpdates(batch->updates, batch->eventCount, receivedMs);
        records.insert(records.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    for (const WatchUpdate& update : batches.front()->updates) {
        // Kept before the gap itself: should the recorder stop in between, the
        // next start meets the gap again and reads another snapshot.
        if (update.kind == WatchUpdate::Kind::Gap)
            takeSnapshot(update.watch, update.toRevision);
    }
    // Committed in transactions of about kEventsPerTransaction, each ending at a whole revision of a watch
    // (a transaction carries the revision the watch resumes after): a backfill of 100,000 events a message
    // holds no transaction for long, and a failure keeps everything before it.
    for (std::size_t begin = 0; begin < records.size();) {
        const std::size_t end = transactionEnd(records, begin);
        std::vector<EventRecord> part(std::make_move_iterator(records.begin() + std::ptrdiff_t(begin)),
                                      std::make_move_iterator(records.begin() + std::ptrdiff_t(end)));
        begin = end;
        QString error;
        if (!store_->append(part, [this](WatchHandle h) { return storeIds_[h]; }, &error)) {
            // Not acknowledged: nothing is lost, the next start resumes after the last commit.
            failed_ = true;
            qint64 resume = std::numeric_limits<qint64>::max();
            for (const auto& [handle, revision] : resumeRevision_)
                resume = std::min(resume, revision);
            std::fprintf(stderr, "etcdscope-cli: recording stopped: %s The next start resumes after revision %lld.\n",
                         qPrintable(error), (long long)resume);
            finish(kExitOutput);
            return;
        }
        for (const EventRecord& r : part) {
            const qint64 revision = r.kind == RecordKind::Gap ? r.gapTo : r.modRevision;
            lastRevision_ = std::max(lastRevision_, revision);
            qint64& resume = resumeRevision_[r.watch];
            resume = std::max(resume, revision);
        }
    }
    recorded_ += eventCount;
    session_.acknowledge(eventCount);
    for (const UpdateBatchPtr& batch : batches) {
        for (const WatchUpdate& update : batch->updates) {
            // Progress: every change up to it is committed above, so an idle range's recording reaches it too.
            if (update.kind == WatchUpdate::Kind::Progress && update.revision > resumeRevision_[update.watch]) {
                resumeRevision_[update.watch] = update.revision;
                store_->setLastRevision(storeIds_[update.watch], update.revision);
            }
            if (update.kind == WatchUpdate::Kind::State && update.state == WatchState::Cancelled && !update.byUser) {
                std::fprintf(stderr, "etcdscope-cli: watch %lld was cancelled by etcd: %s\n", (long long)update.watch,
                             update.reason.c_str());
                finish(kExitCancelled);
                return;
            }
        }
    }
}

void RecordCommand::reportProgress()
{
    if (serverRevision_ > 0 && lastRevision_ < serverRevision_)
        std::fprintf(stderr, "etcdscope-cli: %lld events recorded, at revision %lld of %lld.\n", (long long)recorded_,
                     (long long)lastRevision_, (long long)serverRevision_);
}

void RecordCommand::takeSnapshot(WatchHandle watch, qint64 revision)
{
    const WatchSpec& spec = specs_[watch];
    const std::string range = describeRange(spec);
    RangeQuery query;
    query.key = spec.key;
    query.rangeEnd = spec.rangeEnd;
    query.limit = spec.rangeEnd.empty() ? 0 : kSnapshotPageKeys;
    query.revision = revision;
    RangeResult first = readRange(admin_, query);
    if (first.compacted) {
        // A gap ends just below etcd's compaction revision, which etcd can no
        // longer read: read at the compaction revision itself. That read is
        // whole even where the watch may miss a DELETE there (etcd issue 18089).
        query.revision = revision + 1;
        first = readRange(admin_, query);
    }
    if (first.compacted) {
        // Compacted again meanwhile: the range as it is now, and the watch's events after it.
        query.revision = 0;
        first = readRange(admin_, query);
    }
    if (!first.error.empty()) {
        std::fprintf(stderr, "etcdscope-cli: %s could not be read whole after the gap (%s); recording goes on, "
                     "and the range's state before the next complete read stays unknown.\n",
                     range.c_str(), first.error.c_str());
        return;
    }
    if (query.revision == 0)
        query.revision = first.revision;
    std::fprintf(stderr, "etcdscope-cli: reading %s whole at revision %lld, so the recording knows every key.\n",
                 range.c_str(), (long long)query.revision);
    std::optional<RangeResult> pending = std::move(first);
    bool done = false;
    const auto nextPage = [&](QString* error) -> std::optional<std::vector<KeyValue>> {
        if (done)
            return std::vector<KeyValue>{};
        RangeResult page = pending ? std::move(*pending) : readRange(admin_, query);
        pending.reset();
        if (!page.error.empty()) {
            *error = QString::fromStdString(page.error);
            return std::nullopt;
        }
        done = !page.more || page.kvs.empty();
        if (!page.kvs.empty())
            query.key = page.kvs.back().key + '\0';  // the next key after the last one read
        return std::move(page.kvs);
    };
    QString error;
    qint64 keys = 0;
    if (!store_->addSnapshot(storeIds_[watch], query.revision, nextPage, &error, &keys)) {
        std::fprintf(stderr, "etcdscope-cli: %s; recording goes on, and the state of %s before the next complete "
                     "read stays unknown.\n", qPrintable(error.chopped(1)), range.c_str());
        return;
    }
    std::fprintf(stderr, "etcdscope-cli: %lld keys of %s kept as they were at revision %lld.\n", (long long)keys,
                 range.c_str(), (long long)query.revision);
}

}  // namespace etcdscope::cli
