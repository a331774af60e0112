#include "insight/member_probe.h"

#include <QDateTime>
#include <QHostInfo>

namespace etcdscope::ui {

namespace {

constexpr std::size_t kSentKept = 64;  // canary writes whose events may still come

}  // namespace

MemberProbe::MemberProbe(QObject* parent)
    : QObject(parent)
{
    canaryTimer_.setInterval(kDefaultCanaryIntervalMs);
    progressTimer_.setInterval(kDefaultProgressIntervalMs);
    connect(&canaryTimer_, &QTimer::timeout, this, &MemberProbe::writeCanary);
    connect(&progressTimer_, &QTimer::timeout, this, &MemberProbe::askProgress);
    connect(&admin_, &AdminClient::writeDone, this, [this](quint64, const WriteResultPtr& result) {
        if (canaryRunning() && result && !result->error.empty()) {
            stopCanary(false);
            emit canaryFailed(
                tr("The canary stopped: its write failed: %1").arg(QString::fromStdString(result->error)));
        }
    });
    clock_.start();
}

MemberProbe::~MemberProbe() = default;

std::string MemberProbe::canaryKey()
{
    return "etcdscope/canary/" + QHostInfo::localHostName().toStdString();
}

void MemberProbe::watch(const ConnectionOptions& cluster, const ClusterStatus& status)
{
    sessions_.clear();
    statuses_.clear();
    progressAskedAt_.clear();
    admin_.setConnection(cluster);
    for (const MemberStatus& m : status.members) {
        if (m.clientUrls.empty())
            continue;
        ConnectionOptions direct = cluster;
        const ParsedEndpoints parsed = parseEndpointList(m.clientUrls.front());
        if (!parsed.error.empty() || parsed.endpoints.empty())
            continue;
        direct.endpoints = parsed.endpoints;
        auto session = std::make_unique<WatchSession>();
        const std::uint64_t member = m.id;
        WatchSession* s = session.get();
        connect(s, &WatchSession::updatesReady, this, [this, member, s](const UpdateBatchPtr& batch) {
            onBatch(member, batch);
            s->acknowledge(batch->eventCount);
        });
        connect(s, &WatchSession::serverProgress, this, [this, member](qint64 revision, bool) {
            const auto asked = progressAskedAt_.find(member);
            if (asked == progressAskedAt_.end())
                return;  // the session's own liveness probe, not a request of ours
            const double lagMs = double(clock_.elapsed() - asked->second);
            progressAskedAt_.erase(asked);
            emit progress(member, QDateTime::currentMSecsSinceEpoch(), lagMs, revision);
        });
        connect(s, &WatchSession::statusChanged, this, [this, member](const ConnectionStatus& status) {
            statuses_[member] = status;
            if (status.state != StreamState::Open)
                progressAskedAt_.erase(member);  // a request on a lost stream is never answered
        });
        connect(s, &WatchSession::watchRejected, this, [this, member](WatchHandle, const QString& reason) {
            emit memberFailed(member, tr("its watch on %1 was refused: %2")
                                          .arg(QString::fromStdString(canaryKey()), reason));
        });
        s->connectToCluster(direct);
        WatchSpec spec;
        spec.key = canaryKey();
        s->addWatch(spec);
        sessions_[member] = std::move(session);
    }
    if (sessions_.empty())
        progressTimer_.stop();
    else if (!progressTimer_.isActive())
        progressTimer_.start();
}

void MemberProbe::stopWatching()
{
    stopCanary(false);
    progressTimer_.stop();
    sessions_.clear();
    statuses_.clear();
    progressAskedAt_.clear();
}

void MemberProbe::startCanary()
{
    if (sessions_.empty())
        return;
    sentAt_.clear();
    canaryTimer_.start();
}

void MemberProbe::stopCanary(bool deleteKey)
{
    const bool was = canaryRunning();
    canaryTimer_.stop();
    sentAt_.clear();
    if (was && deleteKey)
        admin_.deleteRange(canaryKey());
}

std::optional<qint64> MemberProbe::progressWaitingMs(std::uint64_t member) const
{
    const auto asked = progressAskedAt_.find(member);
    if (asked == progressAskedAt_.end())
        return std::nullopt;
    return clock_.elapsed() - asked->second;
}

ConnectionStatus MemberProbe::memberStatus(std::uint64_t member) const
{
    const auto found = statuses_.find(member);
    return found == statuses_.end() ? ConnectionStatus{} : found->second;
}

void MemberProbe::askProgress()
{
    const qint64 now = clock_.elapsed();
    for (const auto& [member, session] : sessions_) {
        // One request at a time per member: an unanswered one keeps its
        // time, so a member that stopped answering shows a growing wait.
        if (progressAskedAt_.count(member) || memberStatus(member).state != StreamState::Open)
            continue;
        progressAskedAt_[member] = now;
        session->requestProgress();
    }
}

void MemberProbe::writeCanary()
{
    ++sequence_;
    sentAt_[sequence_] = clock_.elapsed();
    while (sentAt_.size() > kSentKept)
        sentAt_.erase(sentAt_.begin());
    admin_.put(canaryKey(), std::to_string(sequence_));
}

void MemberProbe::onBatch(std::uint64_t member, const UpdateBatchPtr& batch)
{
    const qint64 now = clock_.elapsed();
    for (const WatchUpdate& u : batch->updates) {
        if (u.kind != WatchUpdate::Kind::Events)
            continue;
        for (const WatchEvent& e : u.events) {
            if (e.type != EventType::Put)
                continue;
            const auto sent = sentAt_.find(QByteArray::fromStdString(e.kv.value).toLongLong());
            if (sent != sentAt_.end())
                emit latency(member, QDateTime::currentMSecsSinceEpoch(), double(now - sent->second));
        }
    }
}

}  // namespace etcdscope::ui
