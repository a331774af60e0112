// The revision chart: the store revision and each watch's events per second
// over a sliding window of wall-clock time, with compaction gaps, reconnects
// and leader changes marked.
//
// Fed from the GUI thread at event rate, it only accumulates into per-second
// buckets; the series are rebuilt from a throttled timer (like Qt Charts'
// dynamic spline example), so the cost of drawing does not grow with the
// event rate. Buckets older than the window are dropped as new ones arrive,
// so memory stays at most one bucket per second of window per series, shown
// or not.
#pragma once

#include <QColor>
#include <QList>
#include <QPointF>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QDateTimeAxis;
class QLineSeries;
class QScatterSeries;
class QValueAxis;
class QXYSeries;
QT_END_NAMESPACE

namespace etcdscope::ui {

class RevisionChart : public QWidget {
    Q_OBJECT

public:
    static constexpr int kRedrawIntervalMs = 250;
    static constexpr int kDefaultWindowSeconds = 5 * 60;
    static constexpr int kMinWindowSeconds = 10;
    static constexpr int kMaxWindowSeconds = 60 * 60;
    // A reconnect storm must not grow the chart without bound.
    static constexpr int kMaxMarkers = 200;

    enum class Marker { Gap, Reconnect, LeaderChange };

    // Where "now" comes from, in ms since the epoch. The window ends at
    // max(now, latest recorded time).
    using Clock = std::function<qint64()>;

    explicit RevisionChart(QWidget* parent = nullptr);
    ~RevisionChart() override;

    // A second addWatch() with the same id renames its series.
    void addWatch(qint64 watch, const QString& label);
    void removeWatch(qint64 watch);

    // Adds count events to the bucket of the second holding atMs. Unknown
    // watches and times already outside the window are ignored.
    void recordEvents(qint64 watch, qint64 count, qint64 atMs);
    // The store revision seen at atMs (from a response header); the highest
    // one of each second is drawn.
    void recordServerRevision(qint64 revision, qint64 atMs);
    void addMarker(Marker kind, qint64 atMs, const QString& text);

    // Clamped to [kMinWindowSeconds, kMaxWindowSeconds].
    void setWindowSeconds(int seconds);
    int windowSeconds() const { return m_windowSeconds; }
    // Defaults to the wall clock; tests and offline logs pass their own.
    // Trimming starts over from the latest recorded time.
    void setClock(Clock nowMs);

    // What the timer does; public for tests.
    void redrawNow();

    // For tests: what the series hold after the last redraw. An unknown
    // watch has no points.
    int pointCount(qint64 watch) const;
    QList<QPointF> eventRatePoints(qint64 watch) const;
    QList<QPointF> revisionPoints() const;
    int markerCount() const;

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct WatchRate {
        QLineSeries* series = nullptr;            // owned by the chart
        QColor colour;                            // fixed at addWatch, kept across themes
        std::map<qint64, qint64> eventsBySecond;  // second since the epoch -> events in it
    };
    struct MarkerEntry {
        Marker kind = Marker::Gap;
        qint64 atMs = 0;
        QString text;                            // shown in the tooltip
    };

    qint64 shownStartMs(qint64 startMs, qint64 endMs) const;
    void createAxes();
    void createMarkerFlags();
    void attach(QXYSeries* series, QValueAxis* valueAxis);
    void applyPaletteTheme();
    void styleSeries();

    qint64 windowEndMs() const;
    qint64 lastHiddenSecond(qint64 endMs) const;
    bool isBeforeWindow(qint64 atMs) const;
    void noteRecordedAt(qint64 atMs);
    void trimThrough(qint64 lastHidden);

    double redrawRates(qint64 lastShown);
    void redrawRevision(qint64 lastHidden, qint64 lastShown);
    void rescaleAxes(qint64 startMs, qint64 endMs, double maxRate);
    void redrawMarkers();
    void resizeMarkerLinePool(int size);

    QScatterSeries* flagSeries(Marker kind) const;
    const MarkerEntry* nearestShownMarker(qreal xMs, Marker kind) const;
    void showMarkerTooltip(const MarkerEntry* marker, bool hovered);

    QChart* m_chart = nullptr;                   // owned by m_view
    QChartView* m_view = nullptr;
    QDateTimeAxis* m_timeAxis = nullptr;
    QValueAxis* m_revisionAxis = nullptr;        // left
    QValueAxis* m_rateAxis = nullptr;            // right; marker lines use it too
    QLineSeries* m_revisionSeries = nullptr;
    QScatterSeries* m_gapFlags = nullptr;        // one flag per shown marker of each kind,
    QScatterSeries* m_reconnectFlags = nullptr;  // at the top; they carry the legend
    QScatterSeries* m_leaderFlags = nullptr;     // entry and the tooltip
    std::vector<QLineSeries*> m_markerLines;     // one vertical line per shown marker

    std::map<qint64, WatchRate> m_watches;       // by watch handle
    std::map<qint64, qint64> m_revisionBySecond; // second -> highest revision seen in it
    // The last revision that left the window: the line starts from it so a
    // quiet store still shows its revision across the whole window.
    std::optional<qint64> m_revisionBeforeWindow;
    std::vector<MarkerEntry> m_markers;          // in arrival order
    std::vector<MarkerEntry> m_shownMarkers;     // as drawn; index i is m_markerLines[i]

    qint64 m_latestMs = 0;                       // latest time recorded, ms since the epoch
    qint64 m_firstMs = 0;                        // earliest time recorded; 0 before any data
    static constexpr qint64 kMinVisibleSpanMs = 60 * 1000;  // narrowest time span shown
    // Buckets of this second and earlier are gone; nothing recorded for them is kept.
    qint64 m_lastTrimmedSecond = std::numeric_limits<qint64>::min();
    int m_watchesAdded = 0;                      // picks the next watch colour
    int m_windowSeconds = kDefaultWindowSeconds;
    Clock m_clock;
    QTimer m_redrawTimer;
};

}  // namespace etcdscope::ui
