// What a watcher of each member waits, measured on that member directly: a
// session per member, dialled on its client URL, watching one key of
// etcdscope's own (etcdscope/canary/<host>).
//
// - Progress-notify lag, always while the probe watches: every few seconds a
//   progress request on each member's stream, and the time until its answer
//   (the revision the member's watch stream stands at). Read-only: it needs
//   only the right to watch that key.
// - The canary, opt-in and only on a connection the person has made
//   writable: the key written every few seconds through the cluster, and the
//   time from each write to its event on each member. One key per host,
//   overwritten, deleted when the canary is switched off while writing is
//   still allowed.
//
// Runs on the GUI thread without waiting: writes go through an AdminClient
// (its own thread), watches through WatchSessions.
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
#include <optional>
#include <string>

namespace etcdscope::ui {

class MemberProbe : public QObject {
    Q_OBJECT

public:
    static constexpr int kDefaultCanaryIntervalMs = 3000;
    static constexpr int kDefaultProgressIntervalMs = 5000;

    explicit MemberProbe(QObject* parent = nullptr);
    ~MemberProbe() override;

    static std::string canaryKey();

    // Watches on each member of `status` (through `cluster`'s credentials)
    // and asks each for progress on an interval; the canary keeps its state.
    void watch(const ConnectionOptions& cluster, const ClusterStatus& status);
    // Stops everything (the canary too, leaving its key).
    void stopWatching();
    bool watching() const { return !sessions_.empty(); }

    // Starts writing the canary (needs watch() first).
    void startCanary();
    // Stops writing; with `deleteKey` (writing still allowed) the key is deleted.
    void stopCanary(bool deleteKey);
    bool canaryRunning() const { return canaryTimer_.isActive(); }
    qint64 canaryWrites() const { return sequence_; }

    void setCanaryIntervalMs(int ms) { canaryTimer_.setInterval(ms); }
    void setProgressIntervalMs(int ms) { progressTimer_.setInterval(ms); }
    int progressIntervalMs() const { return progressTimer_.interval(); }
    // How long `member`'s pending progress request has waited, if one does.
    std::optional<qint64> progressWaitingMs(std::uint64_t member) const;
    // The state of the probe's stream to `member` (Idle when not watched).
    ConnectionStatus memberStatus(std::uint64_t member) const;

signals:
    // A canary write seen as an event on `member`, `latencyMs` after it was sent.
    void latency(std::uint64_t member, qint64 atMs, double latencyMs);
    // `member` answered a progress request `lagMs` after it was asked: its
    // watch stream stood at `revision`.
    void progress(std::uint64_t member, qint64 atMs, double lagMs, qint64 revision);
    // The canary stopped by itself: why, one sentence.
    void canaryFailed(const QString& sentence);
    // A member cannot be probed (its watch was refused): why, one sentence.
    void memberFailed(std::uint64_t member, const QString& sentence);

private:
    void writeCanary();
    void askProgress();
    void onBatch(std::uint64_t member, const UpdateBatchPtr& batch);

    AdminClient admin_;
    std::map<std::uint64_t, std::unique_ptr<WatchSession>> sessions_;
    std::map<std::uint64_t, ConnectionStatus> statuses_;
    std::map<std::uint64_t, qint64> progressAskedAt_;  // member -> when its pending request was sent (elapsed ms)
    std::map<qint64, qint64> sentAt_;                  // canary sequence -> when it was sent (elapsed ms)
    QElapsedTimer clock_;
    QTimer canaryTimer_;
    QTimer progressTimer_;
    qint64 sequence_ = 0;
};

}  // namespace etcdscope::ui
