#include "insight/canary_probe.h"

#include <QDateTime>
#include <QHostInfo>

namespace etcdscope::ui {

namespace {

constexpr std::size_t kSentKept = 64;  // writes whose events may still come

}  // namespace

CanaryProbe::CanaryProbe(QObject* parent)
    : QObject(parent)
{
    timer_.setInterval(kDefaultIntervalMs);
    connect(&timer_, &QTimer::timeout, this, &CanaryProbe::write);
    connect(&admin_, &AdminClient::writeDone, this, [this](quint64, const WriteResultPtr& result) {
        if (running() && result && !result->error.empty()) {
            stop(false);
            emit failed(tr("The canary stopped: its write failed: %1").arg(QString::fromStdString(result->error)));
        }
    });
    clock_.start();
}

CanaryProbe::~CanaryProbe() = default;

std::string CanaryProbe::canaryKey()
{
    return "etcdscope/canary/" + QHostInfo::localHostName().toStdString();
}

void CanaryProbe::start(const ConnectionOptions& cluster, const ClusterStatus& status)
{
    stop(false);
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
        connect(s, &WatchSession::updatesReady, this,
                [this, member, s](const UpdateBatchPtr& batch) {
                    onBatch(member, batch);
                    s->acknowledge(batch->eventCount);
                });
        s->connectToCluster(direct);
        WatchSpec spec;
        spec.key = canaryKey();
        s->addWatch(spec);
        sessions_[member] = std::move(session);
    }
    timer_.start();
}

void CanaryProbe::stop(bool deleteKey)
{
    const bool was = running();
    timer_.stop();
    sessions_.clear();
    sentAt_.clear();
    if (was && deleteKey)
        admin_.deleteRange(canaryKey());
}

void CanaryProbe::write()
{
    ++sequence_;
    sentAt_[sequence_] = clock_.elapsed();
    while (sentAt_.size() > kSentKept)
        sentAt_.erase(sentAt_.begin());
    admin_.put(canaryKey(), std::to_string(sequence_));
}

void CanaryProbe::onBatch(std::uint64_t member, const UpdateBatchPtr& batch)
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
