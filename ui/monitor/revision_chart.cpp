#include "monitor/revision_chart.h"

#include "shared/status_colours.h"

#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLoggingCategory>
#include <QPalette>
#include <QPen>
#include <QScatterSeries>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

namespace etcdscope::ui {

namespace {

Q_LOGGING_CATEGORY(lcRevisionChart, "etcdscope.ui.chart", QtInfoMsg)

constexpr qint64 kMsPerSecond = 1000;
constexpr int kTimeTickCount = 6;               // a label a minute over the default window
constexpr int kValueTickIntervals = 4;          // about this many steps between value labels
constexpr double kValueHeadroomFraction = 0.05; // space around the data, of its span
constexpr double kMinRevisionPadding = 1;       // a flat revision line is not drawn on the edge
constexpr double kMinRateAxisMax = 1;           // an idle chart still has a readable axis
// Flags sit just below the top so their symbols are not cut by the plot edge.
constexpr double kFlagHeightFraction = 0.95;
constexpr qreal kFlagSizePx = 11;
constexpr qreal kMarkerLineWidthPx = 1.5;
constexpr qreal kSeriesLineWidthPx = 2;
const QString kTimeFormat = QStringLiteral("hh:mm:ss");
const QString kIntegerLabelFormat = QStringLiteral("%.0f");


// Times are ms since the epoch, never negative, so division floors.
qint64 secondOf(qint64 ms) { return ms / kMsPerSecond; }
qreal xOfSecond(qint64 second) { return qreal(second * kMsPerSecond); }

QString markerKindName(RevisionChart::Marker kind)
{
    switch (kind) {
    case RevisionChart::Marker::Gap: return RevisionChart::tr("compaction gap");
    case RevisionChart::Marker::Reconnect: return RevisionChart::tr("reconnect");
    case RevisionChart::Marker::LeaderChange: return RevisionChart::tr("leader change");
    }
    return {};
}

QColor markerColour(RevisionChart::Marker kind)
{
    switch (kind) {
    case RevisionChart::Marker::Gap: return QColor(0xe1, 0x57, 0x59);           // red
    case RevisionChart::Marker::Reconnect: return QColor(0xf2, 0x8e, 0x2b);     // orange
    case RevisionChart::Marker::LeaderChange: return QColor(0xb0, 0x7a, 0xa1);  // purple
    }
    return {};
}

QScatterSeries::MarkerShape markerShape(RevisionChart::Marker kind)
{
    switch (kind) {
    case RevisionChart::Marker::Gap: return QScatterSeries::MarkerShapeTriangle;
    case RevisionChart::Marker::Reconnect: return QScatterSeries::MarkerShapeCircle;
    case RevisionChart::Marker::LeaderChange: return QScatterSeries::MarkerShapeStar;
    }
    return QScatterSeries::MarkerShapeCircle;
}

QPen markerLinePen(RevisionChart::Marker kind)
{
    return QPen(markerColour(kind), kMarkerLineWidthPx, Qt::DashLine);
}

// Points of an events/s line: one per second with events, and a zero where a
// quiet stretch starts and where it ends, so the line drops to zero instead of
// sloping across the silence. Every point is a distinct shown second, so a
// line never has more points than the window has seconds.
QList<QPointF> ratePoints(const std::map<qint64, qint64>& eventsBySecond, qint64 lastShown)
{
    QList<QPointF> points;
    for (auto it = eventsBySecond.begin(); it != eventsBySecond.end(); ++it) {
        const auto [second, count] = *it;
        points.append(QPointF(xOfSecond(second), qreal(count)));
        const auto next = std::next(it);
        const qint64 firstQuiet = second + 1;
        const qint64 lastQuiet = (next == eventsBySecond.end() ? lastShown + 1 : next->first) - 1;
        if (firstQuiet <= lastQuiet)
            points.append(QPointF(xOfSecond(firstQuiet), 0));
        if (firstQuiet < lastQuiet)
            points.append(QPointF(xOfSecond(lastQuiet), 0));
    }
    return points;
}

// The store revision holds until a newer one is seen: the line starts from the
// revision carried into the window and runs on to the window's last second.
QList<QPointF> revisionLinePoints(const std::map<qint64, qint64>& revisionBySecond,
                                  std::optional<qint64> carriedIn, qint64 lastHidden,
                                  qint64 lastShown)
{
    QList<QPointF> points;
    const qint64 firstShown = lastHidden + 1;
    const bool firstSecondEmpty =
        revisionBySecond.empty() || revisionBySecond.begin()->first > firstShown;
    if (carriedIn && firstSecondEmpty)
        points.append(QPointF(xOfSecond(firstShown), qreal(*carriedIn)));
    for (const auto& [second, revision] : revisionBySecond)
        points.append(QPointF(xOfSecond(second), qreal(revision)));
    if (!points.isEmpty() && points.last().x() < xOfSecond(lastShown))
        points.append(QPointF(xOfSecond(lastShown), points.last().y()));
    return points;
}

// 1, 2 or 5 times a power of ten, and never below 1: the labels are integers.
double niceIntegerStep(double rawStep)
{
    if (rawStep <= 1)
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rawStep)));
    const double residual = rawStep / magnitude;
    const double factor = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
    return factor * magnitude;
}

// Ticks on round integers, so "%.0f" labels never repeat.
void setIntegerRange(QValueAxis* axis, double low, double high)
{
    const double step = niceIntegerStep((high - low) / kValueTickIntervals);
    axis->setTickInterval(step);
    axis->setRange(std::floor(low / step) * step, std::ceil(high / step) * step);
}

QValueAxis* makeValueAxis(const QString& title)
{
    auto* axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setLabelFormat(kIntegerLabelFormat);
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    return axis;
}

}  // namespace

RevisionChart::RevisionChart(QWidget* parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart, this))
{
    m_clock = [] { return QDateTime::currentMSecsSinceEpoch(); };
    m_view->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    m_chart->legend()->setAlignment(Qt::AlignBottom);
    createAxes();
    m_revisionSeries = new QLineSeries;
    m_revisionSeries->setName(tr("store revision"));
    m_chart->addSeries(m_revisionSeries);
    attach(m_revisionSeries, m_revisionAxis);
    createMarkerFlags();
    applyPaletteTheme();

    m_redrawTimer.setInterval(kRedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, &RevisionChart::redrawNow);
    redrawNow();  // the axes show the current window before the first tick
}

RevisionChart::~RevisionChart() = default;

void RevisionChart::createAxes()
{
    m_timeAxis = new QDateTimeAxis;
    m_timeAxis->setFormat(kTimeFormat);
    m_timeAxis->setTickCount(kTimeTickCount);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_revisionAxis = makeValueAxis(tr("revision"));
    m_chart->addAxis(m_revisionAxis, Qt::AlignLeft);
    m_rateAxis = makeValueAxis(tr("events/s"));
    m_chart->addAxis(m_rateAxis, Qt::AlignRight);
}

void RevisionChart::createMarkerFlags()
{
    for (const Marker kind : {Marker::Gap, Marker::Reconnect, Marker::LeaderChange}) {
        auto* flags = new QScatterSeries;
        flags->setName(markerKindName(kind));
        flags->setMarkerShape(markerShape(kind));
        m_chart->addSeries(flags);
        attach(flags, m_rateAxis);
        flags->setVisible(false);  // hides its legend entry too, until a marker of its kind comes
        connect(flags, &QScatterSeries::hovered, this, [this, kind](const QPointF& point, bool state) {
            showMarkerTooltip(nearestShownMarker(point.x(), kind), state);
        });
        (kind == Marker::Gap ? m_gapFlags : kind == Marker::Reconnect ? m_reconnectFlags : m_leaderFlags) =
            flags;
    }
}

void RevisionChart::attach(QXYSeries* series, QValueAxis* valueAxis)
{
    series->attachAxis(m_timeAxis);
    series->attachAxis(valueAxis);
}

void RevisionChart::applyPaletteTheme()
{
    if (!m_revisionSeries)
        return;  // a palette change during construction; the constructor applies it
    const bool dark = isDarkPalette(palette());
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (m_chart->theme() != theme)
        m_chart->setTheme(theme);
    styleSeries();  // a theme overwrites every series' colours
}

void RevisionChart::styleSeries()
{
    m_revisionSeries->setPen(QPen(palette().color(QPalette::WindowText), kSeriesLineWidthPx));
    for (auto& [watch, rate] : m_watches)
        rate.series->setPen(QPen(rate.colour, kSeriesLineWidthPx));
    for (const Marker kind : {Marker::Gap, Marker::Reconnect, Marker::LeaderChange}) {
        QScatterSeries* flags = flagSeries(kind);
        flags->setColor(markerColour(kind));
        flags->setBorderColor(markerColour(kind));
        flags->setMarkerSize(kFlagSizePx);
    }
    for (std::size_t i = 0; i < m_markerLines.size() && i < m_shownMarkers.size(); ++i)
        m_markerLines[i]->setPen(markerLinePen(m_shownMarkers[i].kind));
}

void RevisionChart::addWatch(qint64 watch, const QString& label)
{
    if (const auto it = m_watches.find(watch); it != m_watches.end()) {
        it->second.series->setName(label);
        return;
    }
    WatchRate rate;
    rate.colour = seriesColour(std::size_t(m_watchesAdded++));
    rate.series = new QLineSeries;
    rate.series->setName(label);
    m_chart->addSeries(rate.series);
    attach(rate.series, m_rateAxis);
    rate.series->setPen(QPen(rate.colour, kSeriesLineWidthPx));
    m_watches.emplace(watch, std::move(rate));
}

void RevisionChart::removeWatch(qint64 watch)
{
    const auto it = m_watches.find(watch);
    if (it == m_watches.end())
        return;
    m_chart->removeSeries(it->second.series);
    delete it->second.series;  // removeSeries hands ownership back
    m_watches.erase(it);
}

void RevisionChart::recordEvents(qint64 watch, qint64 count, qint64 atMs)
{
    const auto it = m_watches.find(watch);
    if (it == m_watches.end() || count <= 0) {
        qCDebug(lcRevisionChart) << "ignoring" << count << "events of watch" << watch;
        return;
    }
    noteRecordedAt(atMs);
    if (!isBeforeWindow(atMs))
        it->second.eventsBySecond[secondOf(atMs)] += count;
}

void RevisionChart::recordServerRevision(qint64 revision, qint64 atMs)
{
    noteRecordedAt(atMs);
    if (isBeforeWindow(atMs))
        return;
    qint64& highest = m_revisionBySecond.try_emplace(secondOf(atMs), revision).first->second;
    highest = std::max(highest, revision);
}

void RevisionChart::addMarker(Marker kind, qint64 atMs, const QString& text)
{
    noteRecordedAt(atMs);
    if (isBeforeWindow(atMs))
        return;
    m_markers.push_back({kind, atMs, text});
    if (m_markers.size() > std::size_t(kMaxMarkers))
        m_markers.erase(m_markers.begin());
}

void RevisionChart::setWindowSeconds(int seconds)
{
    m_windowSeconds = std::clamp(seconds, kMinWindowSeconds, kMaxWindowSeconds);
    // A wider window may take seconds the narrower one had already given up.
    m_lastTrimmedSecond = std::numeric_limits<qint64>::min();
    trimThrough(lastHiddenSecond(m_latestMs));
}

void RevisionChart::setClock(Clock nowMs)
{
    m_clock = std::move(nowMs);
    // The window followed the old clock; a clock in the past (an offline log,
    // a test) must not find its seconds already given up.
    m_lastTrimmedSecond = std::numeric_limits<qint64>::min();
    trimThrough(lastHiddenSecond(m_latestMs));
}

qint64 RevisionChart::windowEndMs() const
{
    return std::max(m_clock(), m_latestMs);
}

qint64 RevisionChart::lastHiddenSecond(qint64 endMs) const
{
    return secondOf(endMs - qint64(m_windowSeconds) * kMsPerSecond);
}

bool RevisionChart::isBeforeWindow(qint64 atMs) const
{
    return secondOf(atMs) <= m_lastTrimmedSecond;
}

// Trimming as data arrives, not only on redraw, keeps memory bounded while
// the chart is hidden and its timer stopped.
void RevisionChart::noteRecordedAt(qint64 atMs)
{
    if (m_firstMs == 0 || atMs < m_firstMs)
        m_firstMs = atMs;
    if (atMs <= m_latestMs)
        return;
    m_latestMs = atMs;
    trimThrough(lastHiddenSecond(m_latestMs));
}

void RevisionChart::trimThrough(qint64 lastHidden)
{
    if (lastHidden <= m_lastTrimmedSecond)
        return;
    m_lastTrimmedSecond = lastHidden;
    for (auto& [watch, rate] : m_watches)
        rate.eventsBySecond.erase(rate.eventsBySecond.begin(), rate.eventsBySecond.upper_bound(lastHidden));
    const auto firstShown = m_revisionBySecond.upper_bound(lastHidden);
    if (firstShown != m_revisionBySecond.begin()) {
        m_revisionBeforeWindow = std::prev(firstShown)->second;
        m_revisionBySecond.erase(m_revisionBySecond.begin(), firstShown);
    }
    std::erase_if(m_markers, [lastHidden](const MarkerEntry& marker) {
        return secondOf(marker.atMs) <= lastHidden;
    });
}

void RevisionChart::redrawNow()
{
    const qint64 endMs = windowEndMs();
    const qint64 startMs = endMs - qint64(m_windowSeconds) * kMsPerSecond;
    const qint64 lastHidden = secondOf(startMs);
    const qint64 lastShown = secondOf(endMs);
    trimThrough(lastHidden);
    const double maxRate = redrawRates(lastShown);
    redrawRevision(lastHidden, lastShown);
    rescaleAxes(shownStartMs(startMs, endMs), endMs, maxRate);
    redrawMarkers();  // after the rate axis: marker lines span its full height
}

qint64 RevisionChart::shownStartMs(qint64 startMs, qint64 endMs) const
{
    // A young chart shows its data across the width instead of squeezed
    // against the right edge of a mostly empty window.
    if (m_firstMs == 0)
        return startMs;
    return std::max(startMs, std::min(m_firstMs, endMs - kMinVisibleSpanMs));
}

double RevisionChart::redrawRates(qint64 lastShown)
{
    double maxRate = 0;
    for (auto& [watch, rate] : m_watches) {
        for (const auto& [second, count] : rate.eventsBySecond)
            maxRate = std::max(maxRate, double(count));
        rate.series->replace(ratePoints(rate.eventsBySecond, lastShown));
    }
    return maxRate;
}

void RevisionChart::redrawRevision(qint64 lastHidden, qint64 lastShown)
{
    m_revisionSeries->replace(
        revisionLinePoints(m_revisionBySecond, m_revisionBeforeWindow, lastHidden, lastShown));
}

void RevisionChart::rescaleAxes(qint64 startMs, qint64 endMs, double maxRate)
{
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(startMs), QDateTime::fromMSecsSinceEpoch(endMs));
    setIntegerRange(m_rateAxis, 0, std::max(kMinRateAxisMax, maxRate * (1 + kValueHeadroomFraction)));

    const QList<QPointF> revisions = m_revisionSeries->points();
    if (revisions.isEmpty()) {
        setIntegerRange(m_revisionAxis, 0, kMinRevisionPadding);
        return;
    }
    const auto [lowest, highest] = std::minmax_element(
        revisions.begin(), revisions.end(), [](const QPointF& a, const QPointF& b) { return a.y() < b.y(); });
    const double padding = std::max(kMinRevisionPadding, (highest->y() - lowest->y()) * kValueHeadroomFraction);
    // Revisions start at 1: never show negative ones below the line.
    setIntegerRange(m_revisionAxis, std::max(0.0, lowest->y() - padding), highest->y() + padding);
}

void RevisionChart::redrawMarkers()
{
    m_shownMarkers = m_markers;
    resizeMarkerLinePool(int(m_shownMarkers.size()));
    const qreal top = m_rateAxis->max();
    std::map<Marker, QList<QPointF>> flagsByKind;
    for (std::size_t i = 0; i < m_shownMarkers.size(); ++i) {
        const MarkerEntry& marker = m_shownMarkers[i];
        const qreal x = qreal(marker.atMs);
        m_markerLines[i]->replace({QPointF(x, 0), QPointF(x, top)});
        m_markerLines[i]->setPen(markerLinePen(marker.kind));
        flagsByKind[marker.kind].append(QPointF(x, top * kFlagHeightFraction));
    }
    for (const Marker kind : {Marker::Gap, Marker::Reconnect, Marker::LeaderChange}) {
        const QList<QPointF>& flags = flagsByKind[kind];
        flagSeries(kind)->replace(flags);
        flagSeries(kind)->setVisible(!flags.isEmpty());
    }
}

// Marker lines are few (kMaxMarkers at most) and change rarely, so they are
// kept as a pool of series that grows and shrinks with the shown markers.
void RevisionChart::resizeMarkerLinePool(int size)
{
    while (int(m_markerLines.size()) < size) {
        auto* line = new QLineSeries;
        m_chart->addSeries(line);
        attach(line, m_rateAxis);
        for (QLegendMarker* legendMarker : m_chart->legend()->markers(line))
            legendMarker->setVisible(false);  // the flags carry the legend entry
        const std::size_t index = m_markerLines.size();
        connect(line, &QLineSeries::hovered, this, [this, index](const QPointF&, bool state) {
            showMarkerTooltip(index < m_shownMarkers.size() ? &m_shownMarkers[index] : nullptr, state);
        });
        m_markerLines.push_back(line);
    }
    while (int(m_markerLines.size()) > size) {
        m_chart->removeSeries(m_markerLines.back());
        delete m_markerLines.back();
        m_markerLines.pop_back();
    }
}

QScatterSeries* RevisionChart::flagSeries(Marker kind) const
{
    switch (kind) {
    case Marker::Gap: return m_gapFlags;
    case Marker::Reconnect: return m_reconnectFlags;
    case Marker::LeaderChange: return m_leaderFlags;
    }
    return m_gapFlags;
}

const RevisionChart::MarkerEntry* RevisionChart::nearestShownMarker(qreal xMs, Marker kind) const
{
    const MarkerEntry* nearest = nullptr;
    for (const MarkerEntry& marker : m_shownMarkers) {
        if (marker.kind != kind)
            continue;
        if (!nearest || std::abs(qreal(marker.atMs) - xMs) < std::abs(qreal(nearest->atMs) - xMs))
            nearest = &marker;
    }
    return nearest;
}

void RevisionChart::showMarkerTooltip(const MarkerEntry* marker, bool hovered)
{
    if (!hovered || !marker) {
        QToolTip::hideText();
        return;
    }
    const QString when = QDateTime::fromMSecsSinceEpoch(marker->atMs).toString(kTimeFormat);
    QToolTip::showText(QCursor::pos(),
                       tr("%1 at %2\n%3").arg(markerKindName(marker->kind), when, marker->text), m_view);
}

int RevisionChart::pointCount(qint64 watch) const
{
    const auto it = m_watches.find(watch);
    return it == m_watches.end() ? 0 : it->second.series->count();
}

QList<QPointF> RevisionChart::eventRatePoints(qint64 watch) const
{
    const auto it = m_watches.find(watch);
    return it == m_watches.end() ? QList<QPointF>() : it->second.series->points();
}

QList<QPointF> RevisionChart::revisionPoints() const
{
    return m_revisionSeries->points();
}

int RevisionChart::markerCount() const
{
    return int(m_shownMarkers.size());
}

void RevisionChart::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    redrawNow();
    m_redrawTimer.start();
}

void RevisionChart::hideEvent(QHideEvent* event)
{
    QWidget::hideEvent(event);
    m_redrawTimer.stop();  // nothing to look at; trimming on arrival keeps memory bounded
}

void RevisionChart::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (isPaletteChange(event))
        applyPaletteTheme();
}

}  // namespace etcdscope::ui
