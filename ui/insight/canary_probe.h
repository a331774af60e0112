// The watch canary: a key of etcdscope's own (etcdscope/canary/<host>)
// written every few seconds through the cluster, and watched on each member
// directly (a session per member, dialled on its client URL), so that the
// time from a write to its event is measured per member — what a watcher of
// that member waits. Opt-in, and only on a connection the person has made
// writable; the key is one key per host, overwritten, and deleted when the
// canary is switched off while writing is still allowed. Runs on the GUI
// thread without waiting: the writes go through an AdminClient (its own
// thread), the watches through WatchSessions.
#pragma once

#include "admin/admin_client.h"
#include "admin/admin_types.h"
#include "session/watch_session.h"
#include "transport/connection_options.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <map>
#include <memory>
#include <string>

namespace etcdscope::ui {

class CanaryProbe : public QObject {
    Q_OBJECT

public:
    static constexpr int kDefaultIntervalMs = 3000;

    explicit CanaryProbe(QObject* parent = nullptr);
    ~CanaryProbe() override;

    static std::string canaryKey();

    // Starts writing on `cluster` and watching on each member of `status`.
    void start(const ConnectionOptions& cluster, const ClusterStatus& status);
    // Stops; with `deleteKey` (writing still allowed) the canary key is deleted.
    void stop(bool deleteKey);
    bool running() const { return timer_.isActive(); }
    void setIntervalMs(int ms) { timer_.setInterval(ms); }
    qint64 writes() const { return sequence_; }

signals:
    // A write seen as an event on `member`, `latencyMs` after it was sent.
    void latency(std::uint64_t member, qint64 atMs, double latencyMs);
    // The canary stopped by itself: why, one sentence.
    void failed(const QString& sentence);

private:
    void write();
    void onBatch(std::uint64_t member, const UpdateBatchPtr& batch);

    AdminClient admin_;
    std::map<std::uint64_t, std::unique_ptr<WatchSession>> sessions_;
    std::map<qint64, qint64> sentAt_;  // sequence -> when it was sent (elapsed ms)
    QElapsedTimer clock_;
    QTimer timer_;
    qint64 sequence_ = 0;
};

}  // namespace etcdscope::ui
