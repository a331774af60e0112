#include "insight/db_growth_view.h"

#include "insight/census_model.h"
#include "shared/status_colours.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace etcdscope::ui {

namespace {

constexpr qreal kLineWidthPx = 2;
constexpr qreal kMarkerSizePx = 11;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr qint64 kMinShownSpanMs = 60'000;

QString memberName(const DbGrowth::Member& m, std::uint64_t id)
{
    return m.name.empty() ? QString::number(id, 16) : QString::fromStdString(m.name);
}

}  // namespace

QString roughDuration(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < 60)
        return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min").arg(s / 60);
    if (s < 86400)
        return s % 3600 >= 60 ? QObject::tr("%1 h %2 min").arg(s / 3600).arg(s % 3600 / 60)
                              : QObject::tr("%1 h").arg(s / 3600);
    return s % 86400 >= 3600 ? QObject::tr("%1 d %2 h").arg(s / 86400).arg(s % 86400 / 3600)
                             : QObject::tr("%1 d").arg(s / 86400);
}

DbGrowthView::DbGrowthView(QWidget* parent)
    : QWidget(parent)
{
    quotaSpin_ = new QSpinBox;
    quotaSpin_->setObjectName("growthQuota");
    quotaSpin_->setRange(1, 1024 * 1024);
    quotaSpin_->setValue(kDefaultQuotaMiB);
    quotaSpin_->setSuffix(tr(" MiB"));
    quotaSpin_->setToolTip(tr("The members' --quota-backend-bytes (etcd's default: 2 GiB): read from their /metrics "
                              "where they serve it (etcd_server_quota_backend_bytes), else set it here"));
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(new QLabel(tr("Each member's database file and the part of it in use; quota")));
    bar->addWidget(quotaSpin_);
    bar->addStretch(1);

    status_ = new QLabel;
    status_->setObjectName("growthStatus");
    status_->setWordWrap(true);

    chart_ = new QChart;
    chart_->legend()->setAlignment(Qt::AlignBottom);
    chart_->setMargins(QMargins(4, 4, 4, 4));
    timeAxis_ = new QDateTimeAxis;
    timeAxis_->setFormat(QStringLiteral("hh:mm"));
    timeAxis_->setTickCount(5);
    chart_->addAxis(timeAxis_, Qt::AlignBottom);
    bytesAxis_ = new QValueAxis;
    bytesAxis_->setTitleText(tr("MiB"));
    bytesAxis_->setLabelFormat(QStringLiteral("%.0f"));
    chart_->addAxis(bytesAxis_, Qt::AlignLeft);
    const auto attach = [this](QXYSeries* series) {
        chart_->addSeries(series);
        series->attachAxis(timeAxis_);
        series->attachAxis(bytesAxis_);
    };
    quotaLine_ = new QLineSeries;
    quotaLine_->setName(tr("quota"));
    attach(quotaLine_);
    compactions_ = new QScatterSeries;
    compactions_->setName(tr("compaction"));
    compactions_->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
    attach(compactions_);
    defragmentations_ = new QScatterSeries;
    defragmentations_->setName(tr("defragmentation"));
    defragmentations_->setMarkerShape(QScatterSeries::MarkerShapeStar);
    attach(defragmentations_);
    auto* chartView = new QChartView(chart_);
    chartView->setObjectName("growthChart");
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(200);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(status_);
    layout->addWidget(chartView, 1);
    connect(quotaSpin_, &QSpinBox::valueChanged, this, &DbGrowthView::redraw);
    redraw();
}

void DbGrowthView::addStatus(const ClusterStatus& status, qint64 atMs)
{
    for (const MemberStatus& m : status.members)
        if (m.reachable)
            growth_.add(m.id, m.name, atMs, m.dbSize, m.dbSizeInUse);
    redraw();
}

void DbGrowthView::clear()
{
    growth_.clear();
    redraw();
}

void DbGrowthView::setQuotaBytes(qint64 bytes) { quotaSpin_->setValue(int(std::max<qint64>(1, bytes >> 20))); }

qint64 DbGrowthView::quotaBytes() const { return qint64(quotaSpin_->value()) << 20; }

void DbGrowthView::redraw()
{
    const qint64 quota = quotaBytes();
    const bool dark = isDarkPalette(palette());
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (chart_->theme() != theme)
        chart_->setTheme(theme);

    // Lines: two a member, in member order; made as members appear.
    const auto& members = growth_.members();
    while (lines_.size() < 2 * members.size()) {
        auto* line = new QLineSeries;
        chart_->addSeries(line);
        line->attachAxis(timeAxis_);
        line->attachAxis(bytesAxis_);
        lines_.push_back(line);
    }
    std::int64_t first = QDateTime::currentMSecsSinceEpoch(), last = 0;
    double highest = 1;
    std::size_t index = 0;
    for (const auto& [id, member] : members) {
        QList<QPointF> file, inUse;
        for (const DbSample& s : member.samples) {
            file.append(QPointF(qreal(s.atMs), s.size / kMiB));
            inUse.append(QPointF(qreal(s.atMs), s.inUse / kMiB));
            first = std::min(first, s.atMs);
            last = std::max(last, s.atMs);
            highest = std::max(highest, s.size / kMiB);
        }
        const QColor colour = seriesColour(index);
        QLineSeries* fileLine = lines_[2 * index];
        QLineSeries* inUseLine = lines_[2 * index + 1];
        fileLine->replace(file);
        fileLine->setName(tr("%1 file").arg(memberName(member, id)));
        fileLine->setPen(QPen(colour, kLineWidthPx));
        inUseLine->replace(inUse);
        inUseLine->setName(tr("%1 in use").arg(memberName(member, id)));
        inUseLine->setPen(QPen(colour, kLineWidthPx, Qt::DashLine));
        fileLine->setVisible(true);
        inUseLine->setVisible(true);
        ++index;
    }
    for (std::size_t i = 2 * members.size(); i < lines_.size(); ++i) {
        lines_[i]->clear();
        lines_[i]->setName(QString());
        lines_[i]->setVisible(false);
    }
    if (last == 0)
        last = first;
    if (last - first < kMinShownSpanMs)
        first = last - kMinShownSpanMs;
    // The quota is drawn when it is within reach of the chart (twice the largest file).
    const double quotaMiB = quota / kMiB;
    const bool quotaShown = quotaMiB <= 2 * highest;
    quotaLine_->replace(quotaShown ? QList<QPointF>{QPointF(qreal(first), quotaMiB), QPointF(qreal(last), quotaMiB)}
                                   : QList<QPointF>{});
    quotaLine_->setPen(QPen(statusColour(StatusTone::Bad, palette()), kLineWidthPx, Qt::DashDotLine));
    quotaLine_->setVisible(quotaShown);
    QList<QPointF> compacted, defragmented;
    for (const DbMarker& marker : growth_.markers()) {
        const auto m = members.find(marker.member);
        if (m == members.end())
            continue;
        const auto at = std::find_if(m->second.samples.begin(), m->second.samples.end(),
                                     [&](const DbSample& s) { return s.atMs == marker.atMs; });
        if (at == m->second.samples.end())
            continue;
        (marker.kind == DbMarker::Kind::Compaction ? compacted : defragmented)
            .append(QPointF(qreal(marker.atMs), at->inUse / kMiB));
    }
    compactions_->replace(compacted);
    defragmentations_->replace(defragmented);
    for (QScatterSeries* markers : {compactions_, defragmentations_}) {
        const QColor colour = statusColour(markers == compactions_ ? StatusTone::Warning : StatusTone::Good, palette());
        markers->setColor(colour);
        markers->setBorderColor(colour);
        markers->setMarkerSize(kMarkerSizePx);
        markers->setVisible(!markers->points().isEmpty());
    }
    timeAxis_->setRange(QDateTime::fromMSecsSinceEpoch(first), QDateTime::fromMSecsSinceEpoch(last));
    // Seconds while the span is short, or neighbouring ticks read the same minute.
    timeAxis_->setFormat(last - first < 20 * 60'000 ? QStringLiteral("hh:mm:ss") : QStringLiteral("hh:mm"));
    bytesAxis_->setRange(0, std::max(highest, quotaShown ? quotaMiB : 0.0) * 1.08);
    bytesAxis_->applyNiceNumbers();
    // Whole MiB unless the ticks fall between them (a small database).
    bytesAxis_->setLabelFormat(bytesAxis_->max() < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));

    // The sentence.
    const QuotaEstimate e = growth_.estimate(quota);
    if (members.empty()) {
        status_->setText(tr("Connect to follow each member's database size (read with the cluster's status, every few "
                            "seconds)."));
        return;
    }
    const QString who = memberName(members.at(e.member), e.member);
    const QString holds = tr("%1 has %2 in use of a %3 file").arg(who, byteSize(e.inUse), byteSize(e.size));
    if (e.overQuota)
        status_->setText(tr("%1: the file has reached the quota of %2 — etcd raises NOSPACE and refuses writes; "
                            "compact, then defragment, then disarm the alarm (Cluster tab).")
                             .arg(holds, byteSize(quota)));
    else if (!e.known)
        status_->setText(tr("%1; a rate needs samples at least %2 s apart since the last compaction.")
                             .arg(holds)
                             .arg(DbGrowth::kMinRateSpanMs / 1000));
    else if (e.msToQuota < 0)
        status_->setText(tr("%1; not growing (over the last %2): the quota of %3 is not in sight.")
                             .arg(holds, roughDuration(qint64(e.fittedOverMs)), byteSize(quota)));
    else
        status_->setText(tr("%1, growing %2 an hour (over the last %3): at this rate the quota of %4 is reached in "
                            "about %5 (around %6).")
                             .arg(holds, byteSize(qint64(e.bytesPerHour)), roughDuration(qint64(e.fittedOverMs)),
                                  byteSize(quota), roughDuration(e.msToQuota),
                                  QLocale().toString(QDateTime::fromMSecsSinceEpoch(last + e.msToQuota),
                                                     QLocale::ShortFormat)));
}

QString DbGrowthView::statusText() const { return status_->text(); }

QStringList DbGrowthView::chartedNames() const
{
    QStringList names;
    for (const QLineSeries* line : lines_)
        if (!line->name().isEmpty())
            names << line->name();
    return names;
}

void DbGrowthView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (chart_ && isPaletteChange(event))
        redraw();
}

}  // namespace etcdscope::ui
