// The Insight tab's census against a real etcd: the groups shown (keys and
// bytes) equal what the test wrote, Kubernetes resources named; a double
// click counts inside a group and Up goes back; a cancelled census is marked
// partial; the CSV holds what is shown. Screenshots in light and dark.
#include "etcd_process.h"
#include "insight/census_model.h"
#include "insight/insight_view.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

using namespace etcdscope;
using namespace etcdscope::testing;
using namespace etcdscope::ui;

namespace {

constexpr int kWaitMs = 30'000;

// Runs a census in the view and waits for it: true when it completed.
bool count(InsightView& view, const QByteArray& prefix, int depth = 0)
{
    QSignalSpy finished(&view, &InsightView::censusFinished);
    view.runCensus(prefix, depth);
    if (finished.isEmpty() && !finished.wait(kWaitMs))
        return false;
    return finished.takeFirst().at(0).toBool();
}

// The rows shown, as "prefix keys bytes" lines in key order.
QByteArray shown(const CensusModel& model)
{
    std::map<std::string, std::pair<qint64, qint64>> rows;
    for (const CensusGroup& g : model.groups())
        rows[g.prefix] = {g.keys, g.bytes};
    QByteArray text;
    for (const auto& [prefix, counts] : rows)
        text += QByteArray::fromStdString(prefix) + " " + QByteArray::number(counts.first) + " "
            + QByteArray::number(counts.second) + "\n";
    return text;
}

}  // namespace

class TestInsightView : public QObject {
    Q_OBJECT

    EtcdProcess etcd_;
    // What the test wrote, grouped by resource and by namespace: keys and key + value bytes.
    std::map<std::string, std::pair<qint64, qint64>> byResource_;
    std::map<std::string, std::pair<qint64, qint64>> podsByNamespace_;

    void write(const std::string& key, std::size_t valueBytes, const std::string& resource, const std::string& ns)
    {
        etcd_.put(key, std::string(valueBytes, 'v'));
        auto& r = byResource_[resource];
        ++r.first;
        r.second += qint64(key.size() + valueBytes);
        if (resource == "/registry/pods/") {
            auto& n = podsByNamespace_["/registry/pods/" + ns + "/"];
            ++n.first;
            n.second += qint64(key.size() + valueBytes);
        }
    }

    void showOnTheCluster(InsightView& view)
    {
        view.resize(1280, 520);
        view.show();
        ConnectionOptions options;
        options.endpoints = {etcd_.endpoint()};
        view.setCluster(options, QString::fromStdString(etcd_.endpoint()));
    }

    static QByteArray expected(const std::map<std::string, std::pair<qint64, qint64>>& groups)
    {
        QByteArray text;
        for (const auto& [prefix, counts] : groups)
            text += QByteArray::fromStdString(prefix) + " " + QByteArray::number(counts.first) + " "
                + QByteArray::number(counts.second) + "\n";
        return text;
    }

private slots:
    void initTestCase()
    {
        const std::string error = etcd_.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 400; ++i) {
            const std::string ns = i % 4 == 0 ? "kube-system" : "shop";
            write("/registry/pods/" + ns + "/pod-" + std::to_string(i), 800 + std::size_t(i), "/registry/pods/", ns);
        }
        for (int i = 0; i < 150; ++i)
            write("/registry/events/shop/ev-" + std::to_string(i), 3000, "/registry/events/", "shop");
        for (int i = 0; i < 40; ++i)
            write("/registry/configmaps/shop/cm-" + std::to_string(i), 200, "/registry/configmaps/", "shop");
        write("/registry/ranges/serviceips", 50, "/registry/ranges/", "");
    }

    void shouldShowWhatFillsAPrefixAndDrillIntoIt()
    {
        // Given the tab on the cluster
        InsightView view;
        showOnTheCluster(view);

        // When /registry/ is counted
        QVERIFY(count(view, "/registry/"));
        // Then one row a resource, keys and bytes as written, the largest first and named as Kubernetes does
        QCOMPARE(shown(*view.model()), expected(byResource_));
        QCOMPARE(view.model()->group(0).prefix, std::string("/registry/events/"));
        const QString firstRow = view.model()->index(0, CensusModel::GroupColumn).data().toString();
        QVERIFY2(firstRow.contains("(events)"), qPrintable(firstRow));
        QVERIFY2(view.statusText().contains("591 keys"), qPrintable(view.statusText()));
        view.grab().save(QDir::temp().filePath("insight-census.png"));

        // When the person double-clicks pods
        int pods = -1;
        for (int row = 0; row < view.model()->rowCount(); ++row) {
            if (view.model()->group(row).prefix == "/registry/pods/")
                pods = row;
        }
        QVERIFY(pods >= 0);
        QSignalSpy finished(&view, &InsightView::censusFinished);
        view.drillInto(pods);
        QVERIFY(finished.wait(kWaitMs));
        // Then the namespaces of pods, named so
        QCOMPARE(shown(*view.model()), expected(podsByNamespace_));
        const QString nsRow = view.model()->index(0, CensusModel::GroupColumn).data().toString();
        QVERIFY2(nsRow.contains("pods in shop"), qPrintable(nsRow));
        view.grab().save(QDir::temp().filePath("insight-census-pods.png"));
        // ... and the CSV holds the rows shown
        QTemporaryDir dir;
        QString error;
        QVERIFY2(view.exportCsv(dir.filePath("census.csv"), &error), qPrintable(error));
        QFile csv(dir.filePath("census.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QByteArray("prefix,keys,bytes,largest_key,largest_bytes"));
        const auto shop = podsByNamespace_.at("/registry/pods/shop/");
        QVERIFY2(lines.contains("/registry/pods/shop/," + QByteArray::number(shop.first) + ","
                                + QByteArray::number(shop.second) + ",/registry/pods/shop/pod-399,"
                                + QByteArray::number(QByteArray("/registry/pods/shop/pod-399").size() + 800 + 399)),
                 lines.join('|').constData());

        // When the person goes up
        view.goUp();
        QVERIFY(finished.wait(kWaitMs));
        // Then the resources again
        QCOMPARE(view.prefix(), QByteArray("/registry/"));
        QCOMPARE(shown(*view.model()), expected(byResource_));
    }

    void shouldMarkACancelledCensusPartial()
    {
        // Given a census of 20,000 more keys under big/ (pages of 1,000 keys first)
        for (int t = 0; t < 200; ++t) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int k = 0; k < 100; ++k)
                puts.emplace_back("big/" + std::to_string(k % 10) + "/" + std::to_string(t * 100 + k), "x");
            etcd_.txnPuts(puts);
        }
        InsightView view;
        ConnectionOptions options;
        options.endpoints = {etcd_.endpoint()};
        view.setCluster(options, QString::fromStdString(etcd_.endpoint()));
        // When it is cancelled as soon as it starts
        QSignalSpy finished(&view, &InsightView::censusFinished);
        view.runCensus("big/");
        view.cancelCensus();
        QVERIFY(finished.wait(kWaitMs));
        // Then it says it is partial, with what it counted
        QCOMPARE(finished.takeFirst().at(0).toBool(), false);
        QVERIFY2(view.statusText().startsWith("Partial:") && view.statusText().contains("of 20,000 keys")
                     && view.statusText().contains("Cancelled"),
                 qPrintable(view.statusText()));
        QVERIFY(view.model()->rowCount() > 0);
    }

    void shouldLookRightInTheDark()
    {
        // Given the dark palette of a desktop in dark mode
        QApplication::setStyle(QStyleFactory::create("Fusion"));
        QPalette dark = QApplication::palette();
        dark.setColor(QPalette::Window, QColor(40, 42, 46));
        dark.setColor(QPalette::Base, QColor(28, 29, 32));
        dark.setColor(QPalette::AlternateBase, QColor(36, 38, 42));
        dark.setColor(QPalette::Button, QColor(40, 42, 46));
        for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            dark.setColor(role, QColor(228, 228, 228));
        dark.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
        QApplication::setPalette(dark);
        InsightView view;
        showOnTheCluster(view);
        // When /registry/ is counted
        QVERIFY(count(view, "/registry/"));
        // Then the same rows (the picture is looked at)
        QCOMPARE(shown(*view.model()), expected(byResource_));
        view.grab().save(QDir::temp().filePath("insight-census-dark.png"));
    }
};

QTEST_MAIN(TestInsightView)
#include "tst_insight_view.moc"
