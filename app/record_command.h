// `etcdscope-cli record`: keeps a change history of key ranges in the
// monitor's event log (SQLite), until SIGINT or SIGTERM. On the first start
// for a range it replays from the oldest revision etcd still keeps, with
// previous values; after a restart it resumes at the last recorded revision
// + 1 (no gap, no duplicate), and a compaction that outran it is recorded as
// a GAP. The session is acknowledged only for what is committed (W10).
#pragma once

#include "cli_options.h"
#include "recording/event_store.h"
#include "session/watch_session.h"

#include <QObject>
#include <QTimer>

#include <map>
#include <memory>
#include <set>

namespace etcdscope::cli {

class RecordCommand : public QObject {
    Q_OBJECT

public:
    explicit RecordCommand(WatchCommandOptions options, QObject* parent = nullptr);

    // false, with one sentence on stderr, when the log cannot be opened.
    bool start();

signals:
    void finished(int exitCode);

private:
    void onUpdates(const UpdateBatchPtr& batch);
    void reportProgress();

    WatchCommandOptions options_;
    WatchSession session_;
    std::unique_ptr<EventStore> store_;
    std::map<WatchHandle, qint64> storeIds_;     // this run's handle -> the log's watch id
    std::set<WatchHandle> firstStart_;           // watches new to the log: history before etcd's oldest is no gap
    qint64 recorded_ = 0;
    qint64 lastRevision_ = 0;
    qint64 serverRevision_ = 0;
    QTimer progress_;
    bool failed_ = false;
};

}  // namespace etcdscope::cli
