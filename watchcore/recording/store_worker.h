// The event store on its own thread: its owner (the monitor's controller,
// or a command-line recorder) hands it batches and is told when they are
// committed, so that the session is acknowledged only for what is on disk
// (W10: a slow disk slows the stream; nothing is lost). No widgets.
// It also keeps the mapping between this run's watch handles and the
// store's persistent watch ids, and each watch's last recorded revision.
#pragma once

#include "format/event_record.h"
#include "recording/event_store.h"
#include "transport/thread_handoff.h"

#include <QHash>
#include <QObject>

#include <atomic>
#include <memory>

namespace etcdscope {

class StoreWorker : public QObject {
    Q_OBJECT

public:
    explicit StoreWorker(QString path);
    ~StoreWorker() override;

    // The signals below are emitted on the owner's thread, by work posted to
    // `owner` (what they carry is handed over; Qt's queued signals copy
    // their arguments after any hand-over the worker could mark). Set
    // before the store's thread starts.
    void setOwner(std::shared_ptr<MailboxRef> owner) { owner_ = std::move(owner); }

    // All called on the store thread (queued).
    void open();
    void bindWatch(WatchHandle handle, qint64 storeId);
    void addWatch(WatchHandle handle, WatchDefinition definition);
    void removeWatch(WatchHandle handle);
    void append(RecordBatch batch, qint64 eventCount);
    // Where the watch resumes after a restart of the monitor, set outright
    // (after starting afresh on another cluster, whose revisions are lower).
    void setResumeRevision(WatchHandle handle, qint64 lastRevision);
    void exportTo(QString path, ExportFormat format, std::optional<WatchHandle> watch, QString keyContains,
                  std::shared_ptr<std::atomic<bool>> cancelled);

signals:
    void opened(bool ok, QString error, std::vector<etcdscope::WatchDefinition> watches);
    void appended(qint64 eventCount);
    void appendFailed(QString error, qint64 eventCount);
    void exportProgress(qint64 done, qint64 total);
    void exportFinished(bool ok, QString error, QString path);

private:
    // Emits `signal` with `args` on the owner's thread; dropped once the
    // owner has closed its mailbox.
    template <typename... Params, typename... Args>
    void tell(void (StoreWorker::*signal)(Params...), Args&&... args)
    {
        if (owner_)
            owner_->post([this, signal, ... values = std::forward<Args>(args)] { (this->*signal)(values...); });
    }

    std::shared_ptr<MailboxRef> owner_;
    QString path_;
    std::unique_ptr<EventStore> store_;
    QHash<WatchHandle, qint64> storeIds_;
};

}  // namespace etcdscope

Q_DECLARE_METATYPE(std::vector<etcdscope::WatchDefinition>)
