// The session: engine and transport on a worker thread, behind a
// thread-safe facade for the GUI and the CLI.
//
// WatchSession lives in its owner's thread (the GUI's); every call on it is
// queued to a SessionWorker on a private QThread, which alone touches the
// engine and gRPC. Results come back as batched, coalesced signals — one
// batch per flush interval, never one signal per event.
#pragma once

#include "engine/engine_types.h"
#include "engine/watch_types.h"
#include "transport/connection_options.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

class QThread;

namespace etcdscope {

class SessionWorker;
class Mailbox;
class MailboxRef;

// Updates delivered together. Shared, so crossing threads copies no events.
struct UpdateBatch {
    std::vector<WatchUpdate> updates;   // in delivery order; per watch in revision order
    std::int64_t eventCount = 0;        // events in `updates`; acknowledge this many
    std::int64_t serverRevision = 0;    // highest header revision seen so far
    // The engine's view of every watch that appears in `updates` and is still
    // active: IDs and revisions, for diagnostics.
    std::vector<WatchInfo> watchInfos;
};
using UpdateBatchPtr = std::shared_ptr<UpdateBatch>;

struct ConnectionStatus {
    StreamState state = StreamState::Idle;
    std::string endpoint;        // the member of the current or last attempt
    std::string serverVersion;   // etcd version reported by that member
    bool everConnected = false;  // some stream was opened in this session
    int failedAttempts = 0;      // consecutive failed attempts (0 once open)
    std::string lastError;       // one sentence, for the person
    bool pipelining = true;      // W2 mode in use
    bool readsPaused = false;    // W10: the consumer lags; the stream is not read

    friend bool operator==(const ConnectionStatus&, const ConnectionStatus&) = default;
};

struct SessionOptions {
    EngineOptions engine;
    // Updates are gathered for this long before one batch is emitted; 0
    // flushes at the end of each event-loop turn (the CLI's choice).
    int flushIntervalMs = 16;
};

class WatchSession : public QObject {
    Q_OBJECT

public:
    explicit WatchSession(SessionOptions options = {}, QObject* parent = nullptr);
    ~WatchSession() override;

    // All thread-safe; none waits on the network.
    void connectToCluster(ConnectionOptions options);
    // Connects to another cluster than before: its history is not the one
    // seen so far, so the watches start from its current revision instead of
    // refusing to mix the two (which connectToCluster does).
    void connectAfresh(ConnectionOptions options);
    void disconnectFromCluster();
    WatchHandle addWatch(WatchSpec spec);
    void cancelWatch(WatchHandle handle);
    void requestProgress();
    // W10: the consumer is done with this many events of delivered batches.
    void acknowledge(std::int64_t events);

signals:
    void updatesReady(etcdscope::UpdateBatchPtr batch);
    void statusChanged(etcdscope::ConnectionStatus status);
    // A connection problem, as one sentence for the person.
    void errorOccurred(QString sentence);
    void watchRejected(etcdscope::WatchHandle handle, QString reason);
    // A broadcast progress answer: the server was at `revision` (W4).
    void serverProgress(qint64 revision, bool ordered);

private:
    QThread* thread_;
    SessionWorker* worker_;
    Mailbox* workerMailbox_;  // queued calls to the worker's thread
    std::shared_ptr<MailboxRef> owner_;  // the worker's results, to this thread
    std::atomic<WatchHandle> nextHandle_{1};
};

}  // namespace etcdscope

Q_DECLARE_METATYPE(etcdscope::UpdateBatchPtr)
Q_DECLARE_METATYPE(etcdscope::ConnectionStatus)
Q_DECLARE_METATYPE(etcdscope::WatchHandle)
