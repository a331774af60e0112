// `etcdscope-cli record`: keeps a change history of key ranges in the
// monitor's event log (SQLite), until SIGINT or SIGTERM. On the first start
// for a range it replays from the oldest revision etcd still keeps, with
// previous values; after a restart it resumes at the last recorded revision
// + 1 (no gap, no duplicate), and a compaction that outran it is recorded as
// a GAP. After every GAP (also the one below etcd's oldest revision on a
// first start) it reads the whole range at the gap's end into a snapshot, so
// that the recording knows every key's state again from there. The session
// is acknowledged only for what is committed (W10). While events keep coming
// it begins a commit every 250 ms at most, so a busy range is written in a
// few large transactions.
#pragma once

#include "admin/admin_connection.h"
#include "cli_options.h"
#include "recording/event_store.h"
#include "session/watch_session.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <map>
#include <memory>
#include <span>
#include <vector>

namespace etcdscope::cli {

class RecordCommand : public QObject {
    Q_OBJECT

public:
    explicit RecordCommand(WatchCommandOptions options, QObject* parent = nullptr);

    // false, with one sentence on stderr, when the log cannot be opened.
    bool start();
    // SIGINT, SIGTERM: writes what was delivered and is not yet in the log, then finishes (exit 0,
    // unless that write fails).
    void interrupt();

signals:
    void finished(int exitCode);

private:
    void onUpdates(const UpdateBatchPtr& batch);
    // Commits the batches delivered so far and acknowledges them to the session.
    void writeWaiting();
    // Commits `batches` (only the first may hold gaps), then acknowledges them.
    void write(std::span<const UpdateBatchPtr> batches);
    void finish(int exitCode);
    void reportProgress();
    // Reads the range of `watch` at `revision` (or, if that is compacted by
    // now, at the current revision) into a snapshot; a failure is said once
    // and recording goes on.
    void takeSnapshot(WatchHandle watch, qint64 revision);

    WatchCommandOptions options_;
    WatchSession session_;
    std::unique_ptr<EventStore> store_;
    std::map<WatchHandle, qint64> storeIds_;     // this run's handle -> the log's watch id
    std::map<WatchHandle, WatchSpec> specs_;
    std::map<WatchHandle, qint64> resumeRevision_;  // per watch: the log's last revision, committed
    AdminConnection admin_;                      // reads snapshots (blocking, between batches)
    qint64 recorded_ = 0;
    qint64 lastRevision_ = 0;
    qint64 serverRevision_ = 0;
    QTimer progress_;
    std::vector<UpdateBatchPtr> waiting_;        // delivered, not yet written
    QTimer writeTimer_;                          // the next commit
    QElapsedTimer sinceWrite_;                   // since the last commit began
    bool failed_ = false;
    bool finished_ = false;
};

}  // namespace etcdscope::cli
