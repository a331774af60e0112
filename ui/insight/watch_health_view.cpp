#include "insight/watch_health_view.h"

#include "insight/member_probe.h"
#include "shared/status_colours.h"

#include <QCheckBox>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QFile>
#include <QGridLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace etcdscope::ui {

namespace {

constexpr qreal kLineWidthPx = 2;
constexpr qint64 kMinShownSpanMs = 60'000;
constexpr std::array<EtcdMetric::Id, 4> kCharted{EtcdMetric::WatchStreams, EtcdMetric::Watchers,
                                                 EtcdMetric::SlowWatchers, EtcdMetric::PendingEvents};

// The top of a value axis with three ticks (0, half, top) whose labels are
// whole numbers: twice 1, 2 or 5 times a power of ten, at least `value`.
// Small charts elide labels that do not fit, so three are all they get.
double roundTop(double value)
{
    double power = 1;
    while (power * 10 <= value / 2)
        power *= 10;
    for (;;) {
        for (const double step : {1.0, 2.0, 5.0})
            if (2 * step * power >= value)
                return 2 * step * power;
        power *= 10;
    }
}

QString titleOf(EtcdMetric::Id id) { return QString::fromLatin1(etcdMetrics()[id].title); }

// The private key of a client certificate, whatever its algorithm.
QSslKey readKey(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray pem = file.readAll();
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm);
        if (!key.isNull())
            return key;
    }
    return {};
}

}  // namespace

WatchHealthView::WatchHealthView(QWidget* parent)
    : QWidget(parent)
    , network_(new QNetworkAccessManager(this))
{
    auto* intro = new QLabel(tr("etcd's own account of its watches, from each member's /metrics"));
    status_ = new QLabel;
    status_->setObjectName("healthStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // Four columns: etcd's four watch metrics, then the database size, the
    // progress lag and the canary (two columns wide).
    auto* grid = new QGridLayout;
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    struct Placed {
        Chart::Source source;
        EtcdMetric::Id metric;
        int row, column, span;
        QString tip;
    };
    const QString asMetric = tr("%1, as %2");
    std::vector<Placed> placed;
    for (std::size_t i = 0; i < kCharted.size(); ++i)
        placed.push_back({Chart::Source::Metric, kCharted[i], 0, int(i), 1,
                          asMetric.arg(titleOf(kCharted[i]), QString::fromLatin1(etcdMetrics()[kCharted[i]].names.front()))});
    placed.push_back({Chart::Source::Metric, EtcdMetric::DbSize, 1, 0, 1,
                      asMetric.arg(titleOf(EtcdMetric::DbSize),
                                   QString::fromLatin1(etcdMetrics()[EtcdMetric::DbSize].names.front()))});
    placed.push_back({Chart::Source::Progress, EtcdMetric::Count, 1, 1, 1,
                      tr("How long each member takes to answer a progress request on a watch stream of its own, "
                         "asked every %1 s").arg(MemberProbe::kDefaultProgressIntervalMs / 1000)});
    placed.push_back({Chart::Source::Canary, EtcdMetric::Count, 1, 2, 2,
                      tr("How long after the canary's write each member's watch delivered it")});
    for (const Placed& p : placed) {
        Chart c;
        c.source = p.source;
        c.metric = p.metric;
        c.chart = new QChart;
        c.chart->setMargins(QMargins(2, 2, 2, 2));
        c.chart->legend()->setAlignment(Qt::AlignBottom);
        c.timeAxis = new QDateTimeAxis;
        c.timeAxis->setTickCount(3);
        c.chart->addAxis(c.timeAxis, Qt::AlignBottom);
        c.valueAxis = new QValueAxis;
        c.valueAxis->setLabelFormat(QStringLiteral("%.0f"));
        c.valueAxis->setTickCount(3);
        c.chart->addAxis(c.valueAxis, Qt::AlignLeft);
        auto* view = new QChartView(c.chart);
        view->setObjectName(p.source == Chart::Source::Metric ? QStringLiteral("healthChart%1").arg(int(p.metric))
                            : p.source == Chart::Source::Progress ? QStringLiteral("healthProgressChart")
                                                                  : QStringLiteral("healthCanaryChart"));
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(200, 140);
        view->setToolTip(p.tip);
        grid->addWidget(view, p.row, p.column, 1, p.span);
        charts_.push_back(c);
    }
    canaryCheck_ = new QCheckBox(tr("Canary: write %1 every %2 s and time its event on each member")
                                     .arg(QString::fromStdString(MemberProbe::canaryKey()))
                                     .arg(MemberProbe::kDefaultCanaryIntervalMs / 1000));
    canaryCheck_->setObjectName("canaryCheck");
    canaryCheck_->setToolTip(tr("Writes one key of etcdscope's own (deleted when switched off); only on a connection "
                                "made writable in the Keys tab"));
    probe_ = new MemberProbe(this);
    connect(canaryCheck_, &QCheckBox::toggled, this, &WatchHealthView::setCanary);
    connect(probe_, &MemberProbe::latency, this, [this](std::uint64_t member, qint64 atMs, double ms) {
        health_.addCanaryLatency(member, memberName(member), atMs, ms);
        redraw();
    });
    connect(probe_, &MemberProbe::progress, this, [this](std::uint64_t member, qint64 atMs, double ms, qint64 revision) {
        probeErrors_.erase(member);
        health_.addProgress(member, memberName(member), atMs, ms, revision);
        redraw();
    });
    connect(probe_, &MemberProbe::memberFailed, this, [this](std::uint64_t member, const QString& sentence) {
        qWarning("probe of member %llx: %s", static_cast<unsigned long long>(member), qPrintable(sentence));
        probeErrors_[member] = sentence;
        redraw();
    });
    connect(probe_, &MemberProbe::canaryFailed, this, [this](const QString& sentence) {
        canaryNote_ = sentence;
        const QSignalBlocker quiet(canaryCheck_);
        canaryCheck_->setChecked(false);
        redraw();
    });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(intro);
    layout->addWidget(status_);
    layout->addLayout(grid, 1);
    layout->addWidget(canaryCheck_);
    setWritable(false);

    timer_.setInterval(kReadIntervalMs);
    connect(&timer_, &QTimer::timeout, this, &WatchHealthView::readNow);
    redraw();
}

WatchHealthView::~WatchHealthView() = default;

void WatchHealthView::setConnection(std::optional<ConnectionOptions> options)
{
    connection_ = std::move(options);
    tls_ = connection_ ? connection_->tls : TlsFiles{};
    // Read once per connection, not at every read of the metrics.
    ssl_ = QSslConfiguration::defaultConfiguration();
    if (!tls_.caFile.empty())
        ssl_.setCaCertificates(QSslCertificate::fromPath(QString::fromStdString(tls_.caFile)));
    if (!tls_.certFile.empty()) {
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(QString::fromStdString(tls_.certFile));
        if (!certificates.isEmpty())
            ssl_.setLocalCertificate(certificates.front());
        ssl_.setPrivateKey(readKey(QString::fromStdString(tls_.keyFile)));
    }
}

void WatchHealthView::setWritable(bool writable)
{
    writable_ = writable;
    canaryCheck_->setEnabled(writable);
    if (!writable && probe_->canaryRunning()) {
        probe_->stopCanary(false);
        canaryNote_ = tr("The canary stopped: the connection is read-only now (its key %1 stays until it runs again "
                         "or you delete it).")
                          .arg(QString::fromStdString(MemberProbe::canaryKey()));
    }
    if (!writable) {
        const QSignalBlocker quiet(canaryCheck_);
        canaryCheck_->setChecked(false);
    }
    redraw();
}

void WatchHealthView::setCanary(bool on)
{
    if (on && writable_ && probe_->watching()) {
        canaryNote_.clear();
        probe_->startCanary();
    } else if (!on && probe_->canaryRunning()) {
        probe_->stopCanary(writable_);
        canaryNote_ = tr("The canary is off; its key is deleted.");
    } else if (on) {
        canaryNote_ = writable_ ? tr("The canary starts once the members are known.")
                                : tr("The canary writes: allow writing in the Keys tab first.");
    }
    {
        const QSignalBlocker quiet(canaryCheck_);
        canaryCheck_->setChecked(probe_->canaryRunning() || (on && writable_));
    }
    redraw();
}

void WatchHealthView::setMembers(const ClusterStatus& status)
{
    const bool first = targets_.empty();
    std::map<std::uint64_t, Target> targets;
    for (const MemberStatus& m : status.members) {
        if (m.clientUrls.empty())
            continue;
        QString url = QString::fromStdString(m.clientUrls.front());
        if (tls_.enabled() && url.startsWith(QLatin1String("http://")))
            url.replace(0, 4, QStringLiteral("https"));
        targets[m.id] = {m.name, m.version, url + QStringLiteral("/metrics")};
    }
    // The probe's sessions are dialled again only when the members or their URLs change.
    const auto urlsOf = [](const ClusterStatus& s) {
        std::map<std::uint64_t, std::vector<std::string>> urls;
        for (const MemberStatus& m : s.members)
            urls[m.id] = m.clientUrls;
        return urls;
    };
    const bool sameMembers = urlsOf(status) == urlsOf(members_);
    targets_ = std::move(targets);
    members_ = status;
    if (connection_ && (!sameMembers || !probe_->watching())) {
        const bool canary = probe_->canaryRunning();
        probeErrors_.clear();
        probe_->watch(*connection_, members_);
        if (canary)
            probe_->startCanary();
    }
    if (canaryCheck_->isChecked() && !probe_->canaryRunning())
        setCanary(true);
    if (targets_.empty()) {
        timer_.stop();
        return;
    }
    if (!timer_.isActive())
        timer_.start();
    if (first)
        readNow();
}

void WatchHealthView::clear()
{
    timer_.stop();
    probe_->stopWatching();
    probeErrors_.clear();
    members_ = {};
    targets_.clear();
    health_.clear();
    redraw();
}

void WatchHealthView::readNow()
{
    if (pending_ > 0)
        return;  // the last read is still under way: no pile-up behind a slow member
    for (const auto& [id, target] : targets_) {
        QNetworkRequest request{QUrl(target.url)};
        request.setTransferTimeout(kReadTimeoutMs);
        if (request.url().scheme() == QLatin1String("https"))
            request.setSslConfiguration(ssl_);
        QNetworkReply* reply = network_->get(request);
        ++pending_;
        connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
            if (received > kMaxBodyBytes) {
                reply->setProperty("tooLarge", true);
                reply->abort();
            }
        });
        const std::uint64_t member = id;
        connect(reply, &QNetworkReply::finished, this, [this, reply, member] { finishRead(reply, member); });
    }
}

void WatchHealthView::finishRead(QNetworkReply* reply, std::uint64_t member)
{
    reply->deleteLater();
    --pending_;
    const auto target = targets_.find(member);
    if (target != targets_.end()) {
        const QString url = target->second.url;
        const int http = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        MetricsText metrics;
        if (reply->property("tooLarge").toBool()) {
            metrics.error = tr("It answered more than %1 MiB: not etcd's metrics.").arg(kMaxBodyBytes >> 20).toStdString();
        } else if (reply->error() == QNetworkReply::OperationCanceledError) {
            metrics.error = tr("It did not answer within %1 s.").arg(kReadTimeoutMs / 1000).toStdString();
        } else if (reply->error() != QNetworkReply::NoError && http == 0) {
            metrics.error = tr("It could not be read: %1.").arg(reply->errorString()).toStdString();
        } else if (http != 200) {
            metrics.error = tr("It answered HTTP %1 %2.")
                                .arg(http)
                                .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())
                                .toStdString();
        } else {
            const QByteArray body = reply->readAll();
            metrics = parsePrometheusText(std::string_view(body.constData(), std::size_t(body.size())));
        }
        if (!metrics.error.empty())
            qWarning("metrics of member %llx at %s not read: %s", static_cast<unsigned long long>(member),
                     qPrintable(url), metrics.error.c_str());
        health_.add(member, target->second.name, url.toStdString(), QDateTime::currentMSecsSinceEpoch(), metrics);
        if (const std::optional<double> quota = metrics.value(etcdMetrics()[EtcdMetric::Quota].names.front());
            quota && std::isfinite(*quota) && *quota > 0)
            emit quotaRead(qint64(*quota));
    }
    if (pending_ == 0) {
        redraw();
        emit read();
    }
}

void WatchHealthView::redraw()
{
    const bool dark = isDarkPalette(palette());
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    const auto& members = health_.members();
    qint64 last = QDateTime::currentMSecsSinceEpoch();
    qint64 first = last;
    for (const auto& [id, member] : members)
        for (const auto& series : member.series)
            if (!series.empty())
                first = std::min<qint64>(first, series.front().atMs);
    if (last - first < kMinShownSpanMs)
        first = last - kMinShownSpanMs;

    for (Chart& c : charts_) {
        if (c.chart->theme() != theme) {
            c.chart->setTheme(theme);
            c.chart->setMargins(QMargins(2, 2, 2, 2));
        }
        while (c.lines.size() < members.size()) {
            auto* line = new QLineSeries;
            c.chart->addSeries(line);
            line->attachAxis(c.timeAxis);
            line->attachAxis(c.valueAxis);
            c.lines.push_back(line);
        }
        // The database size in KiB while it is under a MiB, else in MiB.
        bool kibibytes = false;
        if (c.metric == EtcdMetric::DbSize) {
            double largest = 0;
            for (const auto& [id, member] : members)
                for (const MetricPoint& p : member.series[EtcdMetric::DbSize])
                    largest = std::max(largest, p.value);
            kibibytes = largest < (1 << 20);
            c.valueAxis->setLabelFormat(kibibytes ? QStringLiteral("%.0f KiB") : QStringLiteral("%.1f MiB"));
        }
        double highest = 0;
        bool served = false;
        QStringList latest;
        std::size_t index = 0;
        for (const auto& [id, member] : members) {
            QList<QPointF> points;
            const double scale = c.metric != EtcdMetric::DbSize ? 1.0 : kibibytes ? 1.0 / 1024 : 1.0 / (1 << 20);
            const std::deque<MetricPoint>& series = c.source == Chart::Source::Canary     ? member.canaryMs
                                                    : c.source == Chart::Source::Progress ? member.progressMs
                                                                                          : member.series[c.metric];
            for (const MetricPoint& p : series) {
                points.append(QPointF(qreal(p.atMs), p.value * scale));
                highest = std::max(highest, p.value * scale);
            }
            QLineSeries* line = c.lines[index];
            line->replace(points);
            line->setName(QString::fromStdString(member.name));
            line->setPen(QPen(seriesColour(index), kLineWidthPx));
            line->setVisible(!points.isEmpty());
            if (c.source != Chart::Source::Metric) {
                if (!series.empty())
                    latest << tr("%1 ms").arg(series.back().value, 0, 'f', 0);
            } else if (const std::optional<double> value = health_.latest(id, c.metric)) {
                served = true;
                latest << (c.metric == EtcdMetric::DbSize ? QLocale().formattedDataSize(qint64(*value))
                                                          : QString::number(*value, 'f', 0));
            }
            ++index;
        }
        for (std::size_t i = members.size(); i < c.lines.size(); ++i) {
            c.lines[i]->clear();
            c.lines[i]->setVisible(false);
        }
        const bool anyRead = std::any_of(members.begin(), members.end(),
                                         [](const auto& m) { return m.second.lastReadMs > 0; });
        if (c.source == Chart::Source::Progress)
            c.chart->setTitle(tr("Progress answer: %1")
                                  .arg(latest.isEmpty() ? (probe_->watching() ? tr("waiting") : tr("not asked"))
                                                        : latest.join(QStringLiteral(" · "))));
        else if (c.source == Chart::Source::Canary)
            c.chart->setTitle(probe_->canaryRunning()
                                  ? tr("Canary, write to event: %1")
                                        .arg(latest.isEmpty() ? tr("waiting") : latest.join(QStringLiteral(" · ")))
                                  : tr("Canary, write to event: off"));
        else
            c.chart->setTitle(!anyRead   ? titleOf(c.metric)
                          : served   ? tr("%1: %2").arg(titleOf(c.metric), latest.join(QStringLiteral(" · ")))
                                     : tr("%1: not served").arg(titleOf(c.metric)));
        c.chart->legend()->setVisible(members.size() > 1);
        c.timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(first), QDateTime::fromMSecsSinceEpoch(last));
        c.timeAxis->setFormat(last - first < 20 * 60'000 ? QStringLiteral("hh:mm:ss") : QStringLiteral("hh:mm"));
        const double floor = c.source != Chart::Source::Metric ? 10.0 : c.metric == EtcdMetric::DbSize ? 1.0 : 4.0;
        c.valueAxis->setRange(0, roundTop(std::max(floor, highest * 1.1)));
    }

    // The sentences: where from, what is wrong, what is not served.
    if (members.empty()) {
        QString text = targets_.empty() ? tr("Connect to read the members' metrics.") : tr("Reading the members' metrics…");
        if (!canaryNote_.isEmpty())
            text += QLatin1Char('\n') + canaryNote_;
        status_->setText(text);
        return;
    }
    QStringList read, failed, answers;
    bool slowServed = true;
    for (const auto& [id, member] : members) {
        const auto target = targets_.find(id);
        const QString version = target != targets_.end() && !target->second.version.empty()
            ? tr(", etcd %1").arg(QString::fromStdString(target->second.version))
            : QString();
        const QString name = QString::fromStdString(member.name);
        if (!member.error.empty()) {
            failed << tr("%1's metrics at %2: %3").arg(name, QString::fromStdString(member.url),
                                                        QString::fromStdString(member.error));
            continue;
        }
        read << tr("%1 (%2%3)").arg(name, QString::fromStdString(member.url), version);
        slowServed = slowServed && health_.latest(id, EtcdMetric::SlowWatchers).has_value();
        const double slow = health_.latest(id, EtcdMetric::SlowWatchers).value_or(0);
        const double pending = health_.latest(id, EtcdMetric::PendingEvents).value_or(0);
        if (slow > 0)
            answers << tr("%1 has %2 slow watcher(s): events wait for watchers that do not read them as fast as "
                          "they come (%3 pending).")
                           .arg(name)
                           .arg(slow, 0, 'f', 0)
                           .arg(pending, 0, 'f', 0);
    }
    QStringList lines;
    if (!read.isEmpty())
        lines << tr("Read every %1 s from %2, last at %3.")
                     .arg(kReadIntervalMs / 1000)
                     .arg(read.join(QStringLiteral("; ")))
                     .arg(QLocale().toString(QTime::currentTime(), QStringLiteral("hh:mm:ss")));
    if (answers.isEmpty() && !read.isEmpty() && slowServed)
        lines << tr("No slow watchers: every watcher keeps up.");
    lines << answers << failed << probeLines();
    if (!canaryNote_.isEmpty())
        lines << canaryNote_;
    // What a member does not serve (etcd versions differ), named per member.
    for (const auto& [id, member] : members) {
        QStringList missing;
        for (const std::string& m : health_.notServed(id))
            missing << QString::fromStdString(m);
        if (!missing.isEmpty())
            lines << tr("%1 does not serve: %2.").arg(QString::fromStdString(member.name), missing.join(QStringLiteral(", ")));
    }
    status_->setText(lines.join(QLatin1Char('\n')));
}

std::string WatchHealthView::memberName(std::uint64_t member) const
{
    for (const MemberStatus& m : members_.members)
        if (m.id == member)
            return m.name;
    return {};
}

// What the progress requests found: the revision each member answered and
// how far behind the newest answer it stood; a member that does not answer,
// or cannot be watched, in a sentence.
QStringList WatchHealthView::probeLines() const
{
    QStringList answered, lines;
    for (const MemberStatus& m : members_.members) {
        const QString name = QString::fromStdString(m.name);
        if (const auto error = probeErrors_.find(m.id); error != probeErrors_.end()) {
            lines << tr("Progress of %1 not measured: %2").arg(name, error->second);
            continue;
        }
        const ConnectionStatus status = probe_->memberStatus(m.id);
        if (status.state != StreamState::Open && status.everConnected && !status.lastError.empty()) {
            lines << tr("%1 cannot be watched directly now: %2").arg(name, QString::fromStdString(status.lastError));
            continue;
        }
        if (const std::optional<qint64> waiting = probe_->progressWaitingMs(m.id);
            waiting && *waiting > 2 * probe_->progressIntervalMs())
            lines << tr("%1 has not answered a progress request for %2 s: its watch streams are stuck or it is "
                        "overloaded.")
                         .arg(name)
                         .arg(double(*waiting) / 1000, 0, 'f', 1);
        const auto member = health_.members().find(m.id);
        if (member == health_.members().end() || member->second.progressMs.empty())
            continue;
        const qint64 behind = health_.progressBehind(m.id).value_or(0);
        answered << (behind > 0 ? tr("%1 at %2 (%3 behind)").arg(name).arg(member->second.progressRevision).arg(behind)
                                : tr("%1 at %2").arg(name).arg(member->second.progressRevision));
    }
    if (!answered.isEmpty())
        lines.prepend(tr("Progress answers: %1.").arg(answered.join(QStringLiteral(", "))));
    return lines;
}

QString WatchHealthView::statusText() const { return status_->text(); }

QStringList WatchHealthView::chartTitles() const
{
    QStringList titles;
    for (const Chart& c : charts_)
        titles << c.chart->title();
    return titles;
}

void WatchHealthView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (!charts_.empty() && isPaletteChange(event))
        redraw();
}

}  // namespace etcdscope::ui
