// The monitor's application layer: everything the desktop monitor does that
// is not a widget. It owns the watch session (network, its worker thread),
// the recording (SQLite, its own thread) and the admin client, keeps the
// registry of watches, turns each session batch into records once, hands
// that one batch to the recording and to the views, and acknowledges the
// session only for what the recording has committed (W10: a consumer that
// lags stops the stream from being read; nothing is lost or skipped).
//
// Threading: lives on the GUI thread and never waits on the network or the
// disk; the session and the recording answer with queued signals. Views bind
// to its signals and call its slots; none of them acknowledges anything.
#pragma once

#include "app/catch_up_tracker.h"
#include "format/event_record.h"
#include "recording/store_worker.h"
#include "session/watch_session.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>

class QThread;

namespace etcdscope {
class AdminClient;
class Mailbox;
class MailboxRef;
}  // namespace etcdscope

namespace etcdscope::ui {

struct MonitorOptions {
    QString dataDirectory;       // where the event log lives; empty: the user's data directory
    bool demoWatches = false;    // add the demo's watches when none are remembered
    SessionOptions session;      // the engine's limits (W10 thresholds) and the flush interval
    // A batch larger than this (a catch-up) is converted and handed on in
    // slices of this many records, over several event-loop turns.
    std::size_t sliceRecords = 5000;
};

// The monitor's connection as the views show it, updated with each status.
struct MonitorCounters {
    qint64 serverRevision = 0;   // highest revision etcd reported
    qint64 eventsRecorded = 0;   // committed to the event log
    qint64 unrecorded = 0;       // delivered, not yet committed (the backlog)
    qint64 eventsPerSecond = 0;  // delivered in the last whole second
};

class MonitorController : public QObject {
    Q_OBJECT

public:
    explicit MonitorController(MonitorOptions options, QObject* parent = nullptr);
    ~MonitorController() override;

    // Opens the event log; `logOpened` follows, with the remembered watches
    // already added (resumed where the log ends).
    void start();

    AdminClient* admin() const { return admin_; }
    const ConnectionStatus& status() const { return status_; }
    const MonitorCounters& counters() const { return counters_; }
    bool recording() const { return storeReady_; }
    // The monitor's own event log (a SQLite file).
    const QString& logPath() const { return logPath_; }

    // Watches: added to the session and the log, resumed after a restart.
    WatchHandle addWatch(const WatchSpec& spec, bool notify = false);
    void cancelWatch(WatchHandle handle);
    void setNotify(WatchHandle handle, bool notify);
    std::optional<WatchDefinition> watch(WatchHandle handle) const;
    QString watchLabel(WatchHandle handle) const;
    QList<WatchHandle> watches() const { return watches_.keys(); }

    // Connection. `afresh`: the endpoints are another cluster, watched from
    // its current revision (its history is not the one seen so far).
    void connectWith(const ConnectionOptions& options, const QString& endpoints, bool afresh = false);
    void disconnectFromCluster();
    // A progress request; the answer comes as progressAnswered.
    void requestProgress();

    // Streams the log (all, or one watch's, or keys containing `keyContains`)
    // to `path`; exportProgress and exportFinished follow. Cancelled through
    // the flag.
    void exportEvents(const QString& path, ExportFormat format, std::optional<WatchHandle> watch,
                      const QString& keyContains, std::shared_ptr<std::atomic<bool>> cancelled);

signals:
    void logOpened(bool recording);
    void watchAdded(const etcdscope::WatchDefinition& definition);
    void watchRemoved(etcdscope::WatchHandle handle);
    // One per session batch, as it arrives (what the chart counts).
    void batchArrived(const etcdscope::UpdateBatchPtr& batch);
    // The batch's records (events and gaps, in delivery order, shared with
    // the recording): once for an ordinary batch, in slices of
    // MonitorOptions::sliceRecords for a very large one, always in order.
    void recordsArrived(const etcdscope::RecordBatch& records);
    void watchStateChanged(etcdscope::WatchHandle handle, etcdscope::WatchState state, const QString& reason);
    void watchInfoChanged(const etcdscope::WatchInfo& info);
    // Something to show in the timeline: a stream lost or back, a watch
    // cancelled by etcd, a fresh start on another cluster.
    void noteAdded(const QString& text);
    // The connection broke while it was open (a reconnect marker).
    void connectionLost();
    void statusChanged(const etcdscope::ConnectionStatus& status);
    void countersChanged(const etcdscope::ui::MonitorCounters& counters);
    // Watches replaying history: revisions replayed of those to replay (0 of 0: none).
    void catchUpChanged(qint64 done, qint64 total);
    // One sentence for the person (connection problems, recording failures).
    void errorOccurred(const QString& sentence);
    void progressAnswered(qint64 revision, bool ordered);
    void exportProgress(qint64 done, qint64 total);
    void exportFinished(bool ok, const QString& error, const QString& path);

private:
    void onLogOpened(bool ok, const QString& error, const std::vector<WatchDefinition>& watches);
    WatchHandle startWatch(WatchDefinition definition, bool persist);
    void onUpdates(const UpdateBatchPtr& batch);
    void convertPending();
    void finishBatch(const UpdateBatch& batch, qint64 receivedMs);
    void onStatus(const ConnectionStatus& status);
    void onAppended(qint64 eventCount);
    void onAppendFailed(const QString& error, qint64 eventCount);
    void noteWatchesLiveAfterAfresh(const UpdateBatch& batch);
    void tickRate();

    MonitorOptions options_;
    WatchSession* session_;
    AdminClient* admin_;
    QThread* storeThread_;
    StoreWorker* store_;
    QString logPath_;
    Mailbox* storeMailbox_;      // queued calls to the store's thread
    std::shared_ptr<MailboxRef> fromStore_;  // the store's answers, to this thread
    bool started_ = false;       // start() ran: the store thread was started
    bool storeReady_ = false;    // the log is open: events wait for it before they are acknowledged

    QHash<WatchHandle, WatchDefinition> watches_;  // the registry, by session handle
    QSet<WatchHandle> afreshPending_;  // watches not yet live on the cluster started afresh
    ConnectionStatus status_;
    bool wasOpen_ = false;       // the stream was open at the last status
    bool progressAsked_ = false; // the person asked; answer them (the session also probes by itself)
    MonitorCounters counters_;
    qint64 eventsThisSecond_ = 0;  // delivered since the last rate tick
    CatchUpTracker catchUp_;
    QTimer rateTimer_;

    // Batches waiting for (the rest of) their conversion, oldest first.
    struct PendingBatch {
        UpdateBatchPtr batch;
        qint64 receivedMs = 0;
        UpdateCursor cursor;
    };
    std::deque<PendingBatch> pending_;
};

}  // namespace etcdscope::ui

Q_DECLARE_METATYPE(etcdscope::ui::MonitorCounters)
