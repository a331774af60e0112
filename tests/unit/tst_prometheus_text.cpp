// etcd's /metrics text without etcd: samples with and without labels,
// escapes in label values, Go's float forms, timestamps and comments; a page
// that is not Prometheus text refused with its line named; and the watch
// health kept per member, a metric a member does not serve named as such.
#include "insight/prometheus_text.h"
#include "insight/watch_health.h"

#include <QtTest>

#include <cmath>

using namespace etcdscope;

class TestPrometheusText : public QObject {
    Q_OBJECT

private slots:
    void samplesAreReadWithTheirLabelsAndValues()
    {
        const MetricsText text = parsePrometheusText(
            "# HELP etcd_server_quota_backend_bytes Current backend storage quota size in bytes.\n"
            "# TYPE etcd_server_quota_backend_bytes gauge\n"
            "etcd_server_quota_backend_bytes 2.147483648e+09\n"
            "\n"
            "grpc_server_started_total{grpc_method=\"Watch\",grpc_type=\"bidi_stream\"} 3\r\n"
            "grpc_server_started_total{grpc_method=\"Range\", grpc_type=\"unary\",} 4 1700000000000\n"
            "odd{path=\"a\\\\b \\\"c\\\"\\nd\"} -12.5\n"
            "bucket{le=\"+Inf\"} +Inf\n"
            "  indented NaN\n");
        QVERIFY2(text.error.empty(), text.error.c_str());
        QCOMPARE(text.samples.size(), std::size_t(6));
        QCOMPARE(text.samples[0].name, std::string("etcd_server_quota_backend_bytes"));
        QCOMPARE(text.samples[0].value, 2147483648.0);
        QCOMPARE(text.samples[1].labels.size(), std::size_t(2));
        QCOMPARE(text.samples[1].labels[0].first, std::string("grpc_method"));
        QCOMPARE(text.samples[1].labels[0].second, std::string("Watch"));
        QCOMPARE(text.samples[2].labels[1].second, std::string("unary"));
        QCOMPARE(text.samples[2].value, 4.0);
        QCOMPARE(text.samples[3].labels[0].second, std::string("a\\b \"c\"\nd"));
        QCOMPARE(text.samples[3].value, -12.5);
        QVERIFY(std::isinf(text.samples[4].value) && text.samples[4].value > 0);
        QVERIFY(std::isnan(text.samples[5].value));
        // A name's value sums its labelled samples; a name not there has none
        QCOMPARE(text.value("grpc_server_started_total").value_or(-1), 7.0);
        QVERIFY(!text.value("etcd_debugging_mvcc_watcher_total"));
    }

    void textThatIsNotPrometheusIsRefusedWithItsLineNamed_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("said");
        QTest::newRow("html") << QByteArray("<!DOCTYPE html>\n<html><body>404</body></html>\n")
                              << "line 1 reads \"<!DOCTYPE html>\"";
        QTest::newRow("no value") << QByteArray("# TYPE a gauge\na 1\nb\n") << "line 3 reads \"b\"";
        QTest::newRow("unterminated label") << QByteArray("a{x=\"1} 2\n") << "line 1";
        QTest::newRow("value not a number") << QByteArray("a 12abc\n") << "line 1";
        QTest::newRow("json") << QByteArray("{\"header\":{}}\n") << "line 1";
        QTest::newRow("binary") << QByteArray("\x01\x02\xff\n", 4) << "line 1 reads \"???\"";
        QTest::newRow("empty") << QByteArray("") << "holds no metrics";
        QTest::newRow("comments only") << QByteArray("# HELP a b\n# TYPE a gauge\n") << "holds no metrics";
    }

    void textThatIsNotPrometheusIsRefusedWithItsLineNamed()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, said);
        const MetricsText metrics = parsePrometheusText(std::string_view(text.constData(), std::size_t(text.size())));
        QVERIFY(metrics.samples.empty());
        QVERIFY2(QString::fromStdString(metrics.error).contains(said), metrics.error.c_str());
    }

    void watchHealthKeepsEachMembersSeriesAndNamesWhatIsNotServed()
    {
        WatchHealth health;
        // etcd 3.4 serves the database size under both names: the newer is read
        health.add(1, "m1", "http://a/metrics", 1000,
                   parsePrometheusText("etcd_debugging_mvcc_watcher_total 3\n"
                                       "etcd_debugging_mvcc_db_total_size_in_bytes 10\n"
                                       "etcd_mvcc_db_total_size_in_bytes 20\n"));
        health.add(1, "m1", "http://a/metrics", 2000, parsePrometheusText("etcd_debugging_mvcc_watcher_total 5\n"));
        health.add(2, "m2", "http://b/metrics", 2000, parsePrometheusText("<html>\n"));
        QCOMPARE(health.latest(1, EtcdMetric::Watchers).value_or(-1), 5.0);
        QCOMPARE(health.members().at(1).series[EtcdMetric::Watchers].size(), std::size_t(2));
        QCOMPARE(health.members().at(1).series[EtcdMetric::DbSize].front().value, 20.0);
        // ... a metric missing from the last read is not served (not zero)
        QVERIFY(!health.latest(1, EtcdMetric::DbSize));
        QVERIFY(!health.latest(1, EtcdMetric::SlowWatchers));
        const std::vector<std::string> missing = health.notServed(1);
        QVERIFY(std::find(missing.begin(), missing.end(), "Slow watchers (etcd_debugging_mvcc_slow_watcher_total)") !=
                missing.end());
        QVERIFY(std::find_if(missing.begin(), missing.end(), [](const std::string& m) {
                    return m.rfind("Watchers", 0) == 0;
                }) == missing.end());
        // ... and a member whose read failed says why, keeping nothing
        QVERIFY(health.members().at(2).error.find("not Prometheus text") != std::string::npos);
        QVERIFY(!health.latest(2, EtcdMetric::Watchers));
        // ... and points older than what is kept go (the one at 1000 is, the one at 2000 is not)
        health.add(1, "m1", "http://a/metrics", 1000 + WatchHealth::kKeepMs + 1,
                   parsePrometheusText("etcd_debugging_mvcc_watcher_total 1\n"));
        const std::deque<MetricPoint>& kept = health.members().at(1).series[EtcdMetric::Watchers];
        QCOMPARE(kept.size(), std::size_t(2));
        QCOMPARE(kept.front().atMs, std::int64_t(2000));
    }

    void progressAnswersAreKeptPerMemberAndComparedToTheNewest()
    {
        WatchHealth health;
        QVERIFY(!health.progressBehind(1));
        health.addProgress(1, "m1", 1000, 2.5, 120);
        health.addProgress(2, "m2", 1003, 40.0, 112);
        health.addProgress(3, "m3", 1001, 1.0, 120);
        QCOMPARE(health.members().at(2).progressMs.back().value, 40.0);
        QCOMPARE(health.progressBehind(1).value_or(-1), std::int64_t(0));
        QCOMPARE(health.progressBehind(2).value_or(-1), std::int64_t(8));
        // ... a member that never answered is not said to be behind
        health.addCanaryLatency(4, "m4", 1000, 5.0);
        QVERIFY(!health.progressBehind(4));
        // ... and its later answer moves it
        health.addProgress(2, "m2", 6000, 3.0, 121);
        QCOMPARE(health.progressBehind(1).value_or(-1), std::int64_t(1));
        QCOMPARE(health.progressBehind(2).value_or(-1), std::int64_t(0));
        QCOMPARE(health.members().at(2).progressMs.size(), std::size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestPrometheusText)
#include "tst_prometheus_text.moc"
