// The revision chart: per-second bucketing, the sliding window, one series
// per watch, markers, redrawing only from its timer, and the palette. Times
// are given on a fixed clock so every expected point can be written down.
#include "monitor/revision_chart.h"

#include <QAbstractSeries>
#include <QChart>
#include <QChartView>
#include <QImage>
#include <QPalette>
#include <QPixmap>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QXYSeries>
#include <QtTest>

#include <cmath>

using namespace etcdscope::ui;

namespace {

constexpr qint64 kT0Ms = 1'700'000'000'000;  // a whole second, 2023-11-14
constexpr qint64 kMsPerSecond = 1000;
const QString kPngPath = QStringLiteral("/tmp/revision-chart.png");

// A time kT0Ms + seconds (+ ms).
qint64 at(double seconds)
{
    return kT0Ms + qint64(std::llround(seconds * kMsPerSecond));
}

// Points with x as seconds after kT0Ms: readable expectations and failures.
QList<QPointF> inSecondsSinceT0(const QList<QPointF>& points)
{
    QList<QPointF> seconds;
    for (const QPointF& p : points)
        seconds.append(QPointF((p.x() - double(kT0Ms)) / kMsPerSecond, p.y()));
    return seconds;
}

QChart* chartOf(RevisionChart& chart)
{
    return chart.findChild<QChartView*>()->chart();
}

QXYSeries* seriesNamed(RevisionChart& chart, const QString& name)
{
    for (QAbstractSeries* series : chartOf(chart)->series()) {
        if (series->name() == name)
            return qobject_cast<QXYSeries*>(series);
    }
    return nullptr;
}

// Whether some pixel is within tolerance of colour in every channel.
bool containsColour(const QImage& image, const QColor& colour, int tolerance)
{
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QColor pixel = image.pixelColor(x, y);
            if (std::abs(pixel.red() - colour.red()) <= tolerance
                && std::abs(pixel.green() - colour.green()) <= tolerance
                && std::abs(pixel.blue() - colour.blue()) <= tolerance)
                return true;
        }
    }
    return false;
}

}  // namespace

class TestRevisionChart : public QObject {
    Q_OBJECT

private slots:
    void shouldBucketEventsOfOneSecondIntoOnePoint_data()
    {
        QTest::addColumn<int>("calls");
        QTest::addColumn<int>("eventsPerCall");
        QTest::newRow("one call per event") << 10'000 << 1;
        QTest::newRow("batches of a hundred") << 100 << 100;
    }
    void shouldBucketEventsOfOneSecondIntoOnePoint()
    {
        QFETCH(int, calls);
        QFETCH(int, eventsPerCall);
        // Given a watch, at the last millisecond of second 0
        RevisionChart chart;
        chart.setClock([] { return at(0.999); });
        chart.addWatch(1, "prefix a/");

        // When 10,000 events arrive spread over that second
        for (int i = 0; i < calls; ++i)
            chart.recordEvents(1, eventsPerCall, at(0) + i % kMsPerSecond);
        chart.redrawNow();

        // Then one point, at the start of the second, carries all of them
        QCOMPARE(chart.pointCount(1), 1);
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(1)), QList<QPointF>({{0, 10'000}}));
    }

    void shouldLeaveSeriesAloneUntilRedraw()
    {
        // Given a watch whose one point has been drawn
        qint64 nowMs = at(0.999);
        RevisionChart chart;
        chart.setClock([&nowMs] { return nowMs; });
        chart.addWatch(1, "prefix a/");
        chart.recordEvents(1, 1, at(0.5));
        chart.redrawNow();
        QXYSeries* series = seriesNamed(chart, "prefix a/");
        QVERIFY(series);
        QSignalSpy replaced(series, &QXYSeries::pointsReplaced);
        QSignalSpy added(series, &QXYSeries::pointAdded);
        QSignalSpy removed(series, &QXYSeries::pointRemoved);
        QSignalSpy pointReplaced(series, &QXYSeries::pointReplaced);
        const QList<QPointF> revisionsBefore = chart.revisionPoints();

        // When events, revisions and a marker arrive over the next two seconds
        for (int ms = 0; ms < 2 * kMsPerSecond; ++ms) {
            chart.recordEvents(1, 1, at(1) + ms);
            chart.recordServerRevision(100 + ms, at(1) + ms);
        }
        chart.addMarker(RevisionChart::Marker::Reconnect, at(2.5), "restored");
        nowMs = at(2.999);

        // Then nothing drawn has changed
        QCOMPARE(replaced.count() + added.count() + removed.count() + pointReplaced.count(), 0);
        QCOMPARE(chart.pointCount(1), 1);
        QCOMPARE(chart.revisionPoints(), revisionsBefore);
        QCOMPARE(chart.markerCount(), 0);

        // When the chart redraws
        chart.redrawNow();

        // Then the series are replaced once, with one point per second
        QCOMPARE(replaced.count(), 1);
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(1)),
                 QList<QPointF>({{0, 1}, {1, 1000}, {2, 1000}}));
        QCOMPARE(chart.markerCount(), 1);
    }

    void shouldTrimPointsOlderThanWindow_data()
    {
        QTest::addColumn<int>("windowSeconds");
        QTest::addColumn<int>("lastSecond");
        QTest::addColumn<int>("expectedPoints");
        QTest::addColumn<int>("expectedFirstSecond");
        // Fed every second from 0 to lastSecond, with the clock at lastSecond:
        // the window holds the seconds (lastSecond - window, lastSecond].
        QTest::newRow("one minute") << 60 << 120 << 60 << 61;
        QTest::newRow("five minutes") << 300 << 360 << 300 << 61;
        QTest::newRow("too short is ten seconds") << 5 << 65 << 10 << 56;
    }
    void shouldTrimPointsOlderThanWindow()
    {
        QFETCH(int, windowSeconds);
        QFETCH(int, lastSecond);
        QFETCH(int, expectedPoints);
        QFETCH(int, expectedFirstSecond);
        // Given a window and a watch
        RevisionChart chart;
        chart.setClock([lastSecond] { return at(lastSecond); });
        chart.setWindowSeconds(windowSeconds);
        chart.addWatch(1, "prefix a/");

        // When events and revisions arrive every second for window + 60 s
        for (int second = 0; second <= lastSecond; ++second) {
            chart.recordEvents(1, 1, at(second + 0.5));
            chart.recordServerRevision(1000 + second, at(second + 0.5));
        }
        chart.redrawNow();

        // Then only the window's seconds remain, the first one inside it
        QCOMPARE(chart.pointCount(1), expectedPoints);
        const QList<QPointF> rates = inSecondsSinceT0(chart.eventRatePoints(1));
        QCOMPARE(rates.first(), QPointF(expectedFirstSecond, 1));
        QCOMPARE(rates.last(), QPointF(lastSecond, 1));
        const QList<QPointF> revisions = inSecondsSinceT0(chart.revisionPoints());
        QCOMPARE(revisions.size(), expectedPoints);
        QCOMPARE(revisions.first(), QPointF(expectedFirstSecond, 1000 + expectedFirstSecond));
    }

    void shouldSlideWindowWithClockWhenNothingArrives()
    {
        // Given points drawn at seconds 0 and 1 of a one-minute window
        qint64 nowMs = at(1);
        RevisionChart chart;
        chart.setClock([&nowMs] { return nowMs; });
        chart.setWindowSeconds(60);
        chart.addWatch(1, "prefix a/");
        chart.recordEvents(1, 3, at(0));
        chart.recordEvents(1, 4, at(1));
        chart.redrawNow();
        QCOMPARE(chart.pointCount(1), 2);

        // When a quiet minute passes, to half a second after second 60
        nowMs = at(60.5);
        chart.redrawNow();

        // Then the window holds seconds 1 to 60: second 0 has left it, and the
        // line drops to zero after second 1 and stays there until now
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(1)),
                 QList<QPointF>({{1, 4}, {2, 0}, {60, 0}}));
    }

    void shouldDropRateToZeroAcrossQuietSeconds_data()
    {
        QTest::addColumn<QList<QPoint>>("eventsBySecond");  // (second, events)
        QTest::addColumn<int>("nowSecond");
        QTest::addColumn<QList<QPointF>>("expected");      // (second, events/s)
        QTest::newRow("busy every second")
            << QList<QPoint>{{0, 1}, {1, 2}, {2, 3}} << 2 << QList<QPointF>{{0, 1}, {1, 2}, {2, 3}};
        QTest::newRow("one quiet second")
            << QList<QPoint>{{0, 5}, {2, 7}} << 2 << QList<QPointF>{{0, 5}, {1, 0}, {2, 7}};
        QTest::newRow("long quiet stretch")
            << QList<QPoint>{{0, 5}, {10, 7}} << 12
            << QList<QPointF>{{0, 5}, {1, 0}, {9, 0}, {10, 7}, {11, 0}, {12, 0}};
        QTest::newRow("quiet since the burst")
            << QList<QPoint>{{0, 5}} << 3 << QList<QPointF>{{0, 5}, {1, 0}, {3, 0}};
    }
    void shouldDropRateToZeroAcrossQuietSeconds()
    {
        QFETCH(QList<QPoint>, eventsBySecond);
        QFETCH(int, nowSecond);
        QFETCH(QList<QPointF>, expected);
        // Given a watch
        RevisionChart chart;
        chart.setClock([nowSecond] { return at(nowSecond); });
        chart.addWatch(1, "prefix a/");

        // When events arrive in some seconds only
        for (const QPoint& bucket : eventsBySecond)
            chart.recordEvents(1, bucket.y(), at(bucket.x()));
        chart.redrawNow();

        // Then the line is at zero in the quiet seconds, not sloping across them
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(1)), expected);
    }

    void shouldKeepEachWatchInItsOwnSeries()
    {
        // Given two watches
        RevisionChart chart;
        chart.setClock([] { return at(0.999); });
        chart.addWatch(1, "prefix a/");
        chart.addWatch(2, "key b");

        // When both, and a watch the chart does not know, see events
        chart.recordEvents(1, 3, at(0.1));
        chart.recordEvents(2, 4, at(0.2));
        chart.recordEvents(99, 5, at(0.3));
        chart.redrawNow();

        // Then each series counts only its own watch, named by its label
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(1)), QList<QPointF>({{0, 3}}));
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(2)), QList<QPointF>({{0, 4}}));
        QCOMPARE(chart.pointCount(99), 0);
        QCOMPARE(seriesNamed(chart, "prefix a/")->count(), 1);
        QCOMPARE(seriesNamed(chart, "key b")->points(), chart.eventRatePoints(2));
    }

    void shouldRemoveSeriesOfRemovedWatch()
    {
        // Given two drawn watches
        RevisionChart chart;
        chart.setClock([] { return at(0.999); });
        chart.addWatch(1, "prefix a/");
        chart.addWatch(2, "key b");
        chart.recordEvents(1, 3, at(0.1));
        chart.recordEvents(2, 4, at(0.2));
        chart.redrawNow();

        // When the first is removed and still gets events
        chart.removeWatch(1);
        chart.recordEvents(1, 3, at(0.5));
        chart.redrawNow();

        // Then its series and legend entry are gone, the other's intact
        QVERIFY(!seriesNamed(chart, "prefix a/"));
        QCOMPARE(chart.pointCount(1), 0);
        QVERIFY(seriesNamed(chart, "key b"));
        QCOMPARE(inSecondsSinceT0(chart.eventRatePoints(2)), QList<QPointF>({{0, 4}}));
    }

    void shouldCountMarkersInsideWindow()
    {
        // Given a one-minute window ending at second 100
        RevisionChart chart;
        chart.setClock([] { return at(100); });
        chart.setWindowSeconds(60);

        // When a gap before the window, then one marker of each kind inside it arrive
        chart.addMarker(RevisionChart::Marker::Gap, at(30), "revisions 10-20 compacted");
        chart.addMarker(RevisionChart::Marker::Reconnect, at(70), "restored");
        chart.addMarker(RevisionChart::Marker::LeaderChange, at(90), "leader is now m2");
        chart.addMarker(RevisionChart::Marker::Gap, at(95.5), "revisions 30-40 compacted");
        QCOMPARE(chart.markerCount(), 0);  // not before the redraw
        chart.redrawNow();

        // Then the three inside are drawn, each kind under its own legend entry
        QCOMPARE(chart.markerCount(), 3);
        const QList<QPointF> gapFlags = seriesNamed(chart, "compaction gap")->points();
        QCOMPARE(gapFlags.size(), 1);
        QCOMPARE(inSecondsSinceT0(gapFlags).first().x(), 95.5);
        QCOMPARE(seriesNamed(chart, "reconnect")->count(), 1);
        QCOMPARE(seriesNamed(chart, "leader change")->count(), 1);
    }

    void shouldDrawHighestRevisionOfEachSecondAndHoldIt_data()
    {
        QTest::addColumn<QList<QPointF>>("revisions");  // (seconds, revision)
        QTest::addColumn<int>("windowSeconds");
        QTest::addColumn<int>("nowSecond");
        QTest::addColumn<QList<QPointF>>("expected");   // (second, revision)
        QTest::newRow("highest of a second")
            << QList<QPointF>{{0, 100}, {0.5, 103}, {0.9, 101}, {2, 110}} << 300 << 5
            << QList<QPointF>{{0, 103}, {2, 110}, {5, 110}};
        QTest::newRow("carried into the window")
            << QList<QPointF>{{0, 500}} << 60 << 100 << QList<QPointF>{{41, 500}, {100, 500}};
        QTest::newRow("carried until a newer one")
            << QList<QPointF>{{0, 500}, {50, 520}} << 60 << 100
            << QList<QPointF>{{41, 500}, {50, 520}, {100, 520}};
        QTest::newRow("none seen yet") << QList<QPointF>{} << 300 << 5 << QList<QPointF>{};
    }
    void shouldDrawHighestRevisionOfEachSecondAndHoldIt()
    {
        QFETCH(QList<QPointF>, revisions);
        QFETCH(int, windowSeconds);
        QFETCH(int, nowSecond);
        QFETCH(QList<QPointF>, expected);
        // Given a window
        RevisionChart chart;
        chart.setClock([nowSecond] { return at(nowSecond); });
        chart.setWindowSeconds(windowSeconds);

        // When store revisions are seen
        for (const QPointF& seen : revisions)
            chart.recordServerRevision(qint64(seen.y()), at(seen.x()));
        chart.redrawNow();

        // Then the line holds each second's highest, up to now
        QCOMPARE(inSecondsSinceT0(chart.revisionPoints()), expected);
    }

    void shouldRedrawFromTimerOnceShown()
    {
        // Given a shown chart
        RevisionChart chart;
        chart.setClock([] { return at(0.999); });
        chart.addWatch(1, "prefix a/");
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));

        // When an event arrives
        chart.recordEvents(1, 1, at(0.5));

        // Then it is not drawn at once, but by the timer soon after
        QCOMPARE(chart.pointCount(1), 0);
        QTRY_COMPARE(chart.pointCount(1), 1);
    }

    void shouldFollowPaletteLightness_data()
    {
        QTest::addColumn<QColor>("fromWindow");
        QTest::addColumn<QColor>("toWindow");
        QTest::addColumn<int>("expectedTheme");
        QTest::newRow("to dark") << QColor("#f0f0f0") << QColor("#202020") << int(QChart::ChartThemeDark);
        QTest::newRow("to light") << QColor("#202020") << QColor("#f0f0f0") << int(QChart::ChartThemeLight);
    }
    void shouldFollowPaletteLightness()
    {
        QFETCH(QColor, fromWindow);
        QFETCH(QColor, toWindow);
        QFETCH(int, expectedTheme);
        // Given a chart under one palette
        RevisionChart chart;
        QPalette palette;
        palette.setColor(QPalette::Window, fromWindow);
        chart.setPalette(palette);

        // When the palette changes lightness
        palette.setColor(QPalette::Window, toWindow);
        chart.setPalette(palette);

        // Then the chart theme follows
        QCOMPARE(int(chartOf(chart)->theme()), expectedTheme);
    }

    // For a person to look at: three watches over a minute, with a compaction
    // gap at 20 s, a connection lost at 38 s and restored at 41 s.
    void shouldRenderRealisticMinute()
    {
        constexpr quint32 kSeed = 42;
        constexpr int kLastSecond = 60;
        constexpr int kLostSecond = 38;
        constexpr int kRestoredSecond = 41;
        constexpr int kRolloutFirstSecond = 20;
        constexpr int kRolloutLastSecond = 25;
        // Given a one-minute window and three watches of different pace
        RevisionChart chart;
        chart.setClock([] { return at(kLastSecond); });
        chart.setWindowSeconds(kLastSecond);
        chart.addWatch(1, "prefix services/");
        chart.addWatch(2, "key config/leader");
        chart.addWatch(3, "range [jobs/a, jobs/z)");

        // When a minute of traffic arrives, one event at a time
        QRandomGenerator random(kSeed);
        qint64 revision = 4'812'000;
        for (int second = 1; second <= kLastSecond; ++second) {
            if (second >= kLostSecond && second < kRestoredSecond)
                continue;  // disconnected: nothing arrives
            const bool rollout = second >= kRolloutFirstSecond && second <= kRolloutLastSecond;
            const int counts[] = {
                30 + int(random.bounded(20)) + (rollout ? 60 : 0),
                random.bounded(3) == 0 ? 1 : 0,
                150 + int(100 * std::sin(second / 6.0)) + int(random.bounded(40)),
            };
            for (int watch = 1; watch <= 3; ++watch) {
                const int count = counts[watch - 1];
                for (int i = 0; i < count; ++i)
                    chart.recordEvents(watch, 1, at(second) + i * kMsPerSecond / count);
                revision += count;
            }
            revision += random.bounded(20);  // writes no watch sees
            chart.recordServerRevision(revision, at(second + 0.999));
        }
        chart.addMarker(RevisionChart::Marker::Gap, at(20.3), "revisions 4812410-4812530 compacted");
        chart.addMarker(RevisionChart::Marker::Reconnect, at(41.2), "connection restored after 3 s");

        // When it is shown at 900x300 and grabbed
        chart.resize(900, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.redrawNow();
        QCoreApplication::sendPostedEvents();  // let the chart lay out its plot area
        QTRY_VERIFY(chartOf(chart)->plotArea().width() > 0);
        const QImage image = chart.grab().toImage();
        QVERIFY(image.save(kPngPath));
        qInfo("saved %s", qPrintable(kPngPath));

        // Then the picture has the full size, both markers and the gap's red
        QCOMPARE(image.size(), QSize(900, 300));
        QCOMPARE(chart.markerCount(), 2);
        // Seconds 1-37 busy, zeros at 38 and 40 (lost), seconds 41-60 busy.
        QCOMPARE(chart.pointCount(1), 37 + 2 + 20);
        constexpr int kColourTolerance = 24;
        QVERIFY(containsColour(image, QColor(0xe1, 0x57, 0x59), kColourTolerance));
    }
};

QTEST_MAIN(TestRevisionChart)
#include "tst_revision_chart.moc"
