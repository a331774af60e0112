// Watch health: etcd's own account of its watches, read from each member's
// /metrics (on its client URL, with the connection's TLS files) every few
// seconds — watch streams, watchers, slow watchers and pending events per
// member as four small charts, the source named — and the quota it serves,
// passed on to the database growth, and the database size. A member whose
// /metrics cannot be read, or does not answer Prometheus text, is said in a
// sentence; a metric it does not serve is named, never drawn as zero. The
// reads are asynchronous (QNetworkAccessManager): the GUI thread never waits
// for them. Beside them, from a MemberProbe on each member: the progress-
// notify lag (how long a member takes to answer a progress request, and the
// revision it answers) and the opt-in canary (a write every few seconds and
// the time until each member's watch sees it) — the canary only while the
// connection is writable; switching writing off stops it.
#pragma once

#include "admin/admin_types.h"
#include "insight/watch_health.h"
#include "transport/connection_options.h"

#include <QSslConfiguration>
#include <QTimer>
#include <QWidget>

#include <array>
#include <map>
#include <optional>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QCheckBox;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QNetworkAccessManager;
class QNetworkReply;
class QValueAxis;
QT_END_NAMESPACE

namespace etcdscope::ui {

class MemberProbe;

class WatchHealthView : public QWidget {
    Q_OBJECT

public:
    static constexpr int kReadIntervalMs = 5000;
    static constexpr int kReadTimeoutMs = 4000;
    static constexpr qint64 kMaxBodyBytes = 16LL << 20;  // etcd's /metrics is some 200 KB

    explicit WatchHealthView(QWidget* parent = nullptr);
    ~WatchHealthView() override;

    // The connection (its TLS files for /metrics; the canary writes through it).
    void setConnection(std::optional<ConnectionOptions> options);
    // Whether the person allows writing on this connection; false stops the canary.
    void setWritable(bool writable);
    // Switches the canary on (when writable and the members are known) or off.
    void setCanary(bool on);
    MemberProbe* probe() const { return probe_; }
    // The members to read, from the cluster's status (each one's first client
    // URL); reads start with the first call and go on every kReadIntervalMs.
    void setMembers(const ClusterStatus& status);
    // Forgets every member and series (a new connection).
    void clear();
    // Reads every member's /metrics now; `read` follows once all have answered.
    void readNow();

    const WatchHealth& health() const { return health_; }
    QString statusText() const;
    // For tests: the charts' titles and, per chart, the charted line names.
    QStringList chartTitles() const;

signals:
    void read();
    // The quota a member serves (etcd_server_quota_backend_bytes).
    void quotaRead(qint64 bytes);

protected:
    void changeEvent(QEvent* event) override;  // a palette change re-themes the charts

private:
    struct Target {
        std::string name;
        std::string version;
        QString url;
    };
    struct Chart {
        enum class Source { Metric, Progress, Canary };
        Source source = Source::Metric;
        EtcdMetric::Id metric = EtcdMetric::Count;  // Source::Metric: which
        QChart* chart = nullptr;
        QDateTimeAxis* timeAxis = nullptr;
        QValueAxis* valueAxis = nullptr;
        std::vector<QLineSeries*> lines;  // per member, in member order
    };
    void finishRead(QNetworkReply* reply, std::uint64_t member);
    std::string memberName(std::uint64_t member) const;
    QStringList probeLines() const;
    void redraw();

    WatchHealth health_;
    std::map<std::uint64_t, Target> targets_;
    std::optional<ConnectionOptions> connection_;
    TlsFiles tls_;
    QSslConfiguration ssl_;  // built from tls_
    ClusterStatus members_;
    bool writable_ = false;
    MemberProbe* probe_ = nullptr;
    std::map<std::uint64_t, QString> probeErrors_;  // a member the probe cannot watch: why
    QCheckBox* canaryCheck_ = nullptr;
    QString canaryNote_;
    QNetworkAccessManager* network_ = nullptr;
    int pending_ = 0;
    QTimer timer_;
    QLabel* status_ = nullptr;
    std::vector<Chart> charts_;
};

}  // namespace etcdscope::ui
