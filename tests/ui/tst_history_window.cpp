// The History window over a log the recorder wrote from a real etcd: every
// version of a prefix oldest first (those from before the recording known
// from its snapshot), the gap below it, the diff of a version against the
// one before, the keys deleted under the prefix, a search in values; and a
// log that cannot be read said in one sentence. Restoring from the window
// into the cluster: refused until Read-write is on, nothing written when the
// confirmation is cancelled, the deleted key back after it, changed keys left
// alone unless overwriting, and a key changed between the plan and its write
// left alone and named.
#include "etcd_process.h"
#include "insight/churn_view.h"
#include "monitor/history_window.h"
#include "shared/confirm_change.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QProcess>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextEdit>
#include <QtTest>

#include <csignal>

using namespace etcdscope;
using namespace etcdscope::testing;
using namespace etcdscope::ui;

namespace {

constexpr int kWaitMs = 30'000;
const QString kCli = QStringLiteral(ETCDSCOPE_CLI_PATH);

std::string widget(const std::string& name, int size, const std::string& colour)
{
    return "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"shop\"},\"spec\":{\"colour\":\"" + colour + "\",\"size\":" + std::to_string(size) + "}}";
}

// Runs the window's query and waits for its answer: the rows shown, -1 on an error.
int query(HistoryWindow& window, const QString& key, bool prefix, bool deleted, const QString& grep = {})
{
    QSignalSpy shown(&window, &HistoryWindow::resultsShown);
    window.setQuery(key, prefix, deleted, grep);
    window.runQuery();
    if (!shown.wait(kWaitMs))
        return -2;
    return shown.takeFirst().at(0).toInt();
}

// Asks the window to restore and waits for it to end: the changes made, -1 when none was tried.
int restore(HistoryWindow& window, qint64 revision, bool overwrite)
{
    QSignalSpy finished(&window, &HistoryWindow::restoreFinished);
    window.restoreAsOf(revision, overwrite);
    if (finished.isEmpty() && !finished.wait(kWaitMs))
        return -2;
    return finished.takeFirst().at(0).toInt();
}

// Starts the recorder of `prefix` into `db` and waits until it says it records.
bool startRecorder(QProcess& recorder, const EtcdProcess& etcd, const QString& db, const QString& prefix)
{
    recorder.start(kCli, {"record", "--endpoints", QString::fromStdString(etcd.endpoint()), "--db", db, "--prefix",
                          prefix});
    if (!recorder.waitForStarted())
        return false;
    QByteArray said;
    QDeadlineTimer deadline(kWaitMs);
    while (!(said += recorder.readAllStandardError()).contains("recording")) {
        if (deadline.hasExpired() || recorder.state() != QProcess::Running)
            return false;
        QTest::qWait(20);
    }
    return true;
}

}  // namespace

class TestHistoryWindow : public QObject {
    Q_OBJECT

private slots:
    void shouldShowEveryVersionDiffsAndDeletedKeysOfARecordedLog()
    {
        // Given custom resources written and compacted before the recorder ran, then changed while it records
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::string prefix = "/registry/example.com/widgets/shop/";
        etcd.put(prefix + "blue", widget("blue", 1, "blue"));
        etcd.put(prefix + "blue", widget("blue", 2, "blue"));
        etcd.put(prefix + "red", widget("red", 5, "red"));
        const std::int64_t compactedAt = etcd.put(prefix + "green", widget("green", 3, "green"));
        etcd.compact(compactedAt);
        QTemporaryDir dir;
        const QString db = dir.filePath("history.sqlite");
        QProcess recorder;
        recorder.start(kCli, {"record", "--endpoints", QString::fromStdString(etcd.endpoint()), "--db", db,
                              "--prefix", "/registry/"});
        QVERIFY(recorder.waitForStarted());
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += recorder.readAllStandardError()).contains("kept as they were"), kWaitMs);
        etcd.put(prefix + "blue", widget("blue", 3, "navy"));
        etcd.del(prefix + "red");
        const std::int64_t last = etcd.put(prefix + "green", widget("green", 4, "green"));
        // ... until the log holds the last change
        HistoryWindow window(db);
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(query(window, QString::fromStdString(prefix) + "green", false, false), 3, kWaitMs);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));

        // When the whole prefix is shown
        const int rows = query(window, QString::fromStdString(prefix), true, false);
        // Then: the gap below the compaction revision, blue and red as the snapshot kept them, green's put at
        // the compaction revision as etcd's watch still serves it, and the three changes after
        QCOMPARE(rows, 7);
        const QString status = window.findChild<QLabel*>("historyStatus")->text();
        QVERIFY2(status.startsWith("6 versions, oldest first.") && status.contains("2 of them are known from a snapshot")
                     && status.contains("One stretch of revisions was compacted"),
                 qPrintable(status));
        // ... and the newest version of blue shows what changed against the one before it
        window.selectRow(4);
        auto* diff = window.findChild<QTextEdit*>("detailDiff");
        QVERIFY(diff);
        QTRY_VERIFY2(diff->toPlainText().contains("navy"), qPrintable(diff->toPlainText()));
        QVERIFY2(diff->toPlainText().contains("size"), qPrintable(diff->toPlainText()));
        window.findChild<QTabWidget*>()->setCurrentWidget(diff);
        window.grab().save(QDir::temp().filePath("history-window.png"));

        // And the deleted keys are red only, with the value it had
        QCOMPARE(query(window, QString::fromStdString(prefix), true, true), 1);
        window.selectRow(0);
        window.grab().save(QDir::temp().filePath("history-window-deleted.png"));
        // ... and a search finds the versions whose value holds a text
        QCOMPARE(query(window, QString::fromStdString(prefix), true, false, "navy"), 1);
        Q_UNUSED(last);
    }

    void shouldCountWhoWroteWhatOverTheRecordingPerResourceAndNamespace()
    {
        // Given a recorder running while pods in two namespaces and a config map are written
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir dir;
        const QString db = dir.filePath("churn.sqlite");
        QProcess recorder;
        QVERIFY(startRecorder(recorder, etcd, db, "/registry/"));
        for (int i = 0; i < 6; ++i)
            etcd.put("/registry/pods/shop/web-" + std::to_string(i % 2), std::string(10 + i, 'x'));
        for (int i = 0; i < 3; ++i)
            etcd.put("/registry/pods/kube-system/dns-" + std::to_string(i), "y");
        etcd.del("/registry/pods/kube-system/dns-0");
        // ... and one transaction changing a pod and a config map at one revision
        etcd.txnPuts({{"/registry/pods/shop/web-0", "z"}, {"/registry/configmaps/shop/settings", "colour=blue"}});
        HistoryWindow window(db);
        window.resize(1100, 420);
        window.show();
        // ... until the log holds the last change
        QTRY_COMPARE_WITH_TIMEOUT(query(window, "/registry/configmaps/shop/settings", false, false), 1, kWaitMs);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));

        // When the churn of /registry/ is counted per Kubernetes resource
        const auto churn = [&](ChurnGrouping grouping) {
            QSignalSpy shown(&window, &HistoryWindow::resultsShown);
            window.setChurnQuery("/registry/", true, grouping, 2);
            window.runQuery();
            return shown.wait(kWaitMs) ? shown.takeFirst().at(0).toInt() : -2;
        };
        QCOMPARE(churn(ChurnGrouping::KubernetesResource), 2);
        // Then pods come first with every change the test made to them, the config map after
        const std::vector<ChurnGroup>& groups = window.churnModel()->groups();
        QCOMPARE(groups[0].prefix, std::string("/registry/pods/"));
        QCOMPARE(groups[0].counts.events, 6 + 3 + 1 + 1);
        QCOMPARE(groups[0].counts.deletes, 1);
        QCOMPARE(groups[0].counts.revisions, 6 + 3 + 1 + 1);
        QCOMPARE(groups[1].prefix, std::string("/registry/configmaps/"));
        QCOMPARE(groups[1].counts.events, 1);
        QCOMPARE(groups[1].counts.bytes, qint64(std::string("/registry/configmaps/shop/settings").size() + 11));
        const QString status = window.statusText();
        QVERIFY2(status.startsWith("12 changes in 2 groups"), qPrintable(status));

        // And per namespace: shop's pods (the transaction's revision counted once in each group it touched)
        QCOMPARE(churn(ChurnGrouping::KubernetesNamespace), 3);
        QCOMPARE(groups[0].prefix, std::string("/registry/pods/shop/"));
        QCOMPARE(groups[0].counts.events, 7);
        QCOMPARE(groups[1].prefix, std::string("/registry/pods/kube-system/"));
        QCOMPARE(groups[1].counts.events, 4);
        QCOMPARE(groups[1].counts.deletes, 1);
        QCOMPARE(groups[2].prefix, std::string("/registry/configmaps/shop/"));
        QCOMPARE(groups[2].counts.revisions, 1);
        QCOMPARE(groups[0].counts.revisions, 7);  // the transaction's revision counted in both groups
        window.grab().save(QDir::temp().filePath("history-window-churn.png"));

        // And double-clicking a group shows its every version
        auto* table = window.findChild<QTableView*>("historyChurnTable");
        QVERIFY(table);
        QSignalSpy shown(&window, &HistoryWindow::resultsShown);
        const QRect kubeSystem = table->visualRect(window.churnModel()->index(1, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, kubeSystem.center());  // the press a view wants first
        QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, kubeSystem.center());
        QVERIFY(shown.wait(kWaitMs));
        QCOMPARE(shown.takeFirst().at(0).toInt(), 4);
        QCOMPARE(window.findChild<QLineEdit*>("historyKey")->text(), QString("/registry/pods/kube-system/"));
    }

    void shouldRestoreIntoTheClusterOnlyWhenWritableAndConfirmedWithoutOverwritingLaterChanges()
    {
        // Given keys a, b, c recorded as they were at a revision
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        QTemporaryDir dir;
        const QString db = dir.filePath("restore.sqlite");
        QProcess recorder;
        QVERIFY(startRecorder(recorder, etcd, db, "app/"));
        etcd.put("app/a", "alpha");
        etcd.put("app/b", "bravo");
        const std::int64_t asOf = etcd.put("app/c", "charlie");
        // ... then a deleted, b changed and d created since
        etcd.del("app/a");
        etcd.put("app/b", "bravo-2");
        etcd.put("app/d", "delta");
        HistoryWindow window(db);
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(query(window, "app/d", false, false), 1, kWaitMs);
        ::kill(pid_t(recorder.processId()), SIGINT);
        QVERIFY(recorder.waitForFinished(kWaitMs));
        QCOMPARE(query(window, "app/", true, false), 6);
        QStringList asked;
        bool answer = false;
        window.setConfirm([&](const QString&, const QString& text) {
            asked << text;
            return answer;
        });
        auto* button = window.findChild<QPushButton*>("restoreButton");
        QVERIFY(button);

        // When there is no cluster, or it is not switched to read-write
        QVERIFY(!button->isEnabled());
        QCOMPARE(restore(window, asOf, false), -1);
        ConnectionOptions options;
        options.endpoints = {etcd.endpoint()};
        window.setCluster(options, QString::fromStdString(etcd.endpoint()));
        QVERIFY(!button->isEnabled());
        QCOMPARE(restore(window, asOf, false), -1);
        // Then nothing is asked or written, and the window says what is missing
        QVERIFY(asked.isEmpty());
        QVERIFY2(window.statusText().contains("Read-write"), qPrintable(window.statusText()));
        const std::int64_t untouched = etcd.currentRevision();

        // When it is writable, the person selects the delete of a (its revision to restore to is the one before),
        // but cancels the confirmation
        window.setWritable(true);
        QVERIFY(button->isEnabled());
        window.selectRow(3);
        auto* revisionField = window.findChild<QLineEdit*>("restoreRevision");
        QVERIFY(revisionField);
        QCOMPARE(revisionField->text().toLongLong(), asOf);
        QSignalSpy finished(&window, &HistoryWindow::restoreFinished);
        button->click();
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(finished.takeFirst().at(0).toInt(), -1);
        // Then the confirmation named exactly the one change, and nothing was written
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.last().contains("+ app/a = alpha") && asked.last().contains("1 change,")
                     && asked.last().contains("Left alone: 2 keys") && !asked.last().contains("+ app/b")
                     && !asked.last().contains("- app/d"),
                 qPrintable(asked.last()));
        QCOMPARE(etcd.currentRevision(), untouched);
        QVERIFY2(window.statusText().contains("cancelled"), qPrintable(window.statusText()));
        QMessageBox box(QMessageBox::Question, "Restore", confirmationHtml(asked.last()),
                        QMessageBox::Yes | QMessageBox::Cancel);
        box.setTextFormat(Qt::RichText);
        box.show();
        box.grab().save(QDir::temp().filePath("history-restore-confirm.png"));
        box.hide();

        // When the person confirms
        answer = true;
        QCOMPARE(restore(window, asOf, false), 1);
        // Then a is back with its value then, and b and d are as they were changed since
        QCOMPARE(etcd.get("app/a"), std::optional<std::string>("alpha"));
        QCOMPARE(etcd.get("app/b"), std::optional<std::string>("bravo-2"));
        QCOMPARE(etcd.get("app/d"), std::optional<std::string>("delta"));
        QVERIFY2(window.statusText().contains("1 of 1 change made"), qPrintable(window.statusText()));
        window.grab().save(QDir::temp().filePath("history-restore-done.png"));

        // When undoing later changes too, while b is changed again between the plan and its write
        window.setConfirm([&](const QString&, const QString& text) {
            asked << text;
            etcd.put("app/b", "bravo-3");
            return true;
        });
        QCOMPARE(restore(window, asOf, true), 1);
        // Then d, created since, is deleted; b is left alone and named
        QVERIFY2(asked.last().contains("+ app/b = bravo") && asked.last().contains("- app/d = delta"),
                 qPrintable(asked.last()));
        QVERIFY(!etcd.get("app/d"));
        QCOMPARE(etcd.get("app/b"), std::optional<std::string>("bravo-3"));
        QVERIFY2(window.statusText().contains("1 of 2 changes made")
                     && window.statusText().contains("changed after the plan was read: app/b"),
                 qPrintable(window.statusText()));
    }

    void shouldSayInOneSentenceWhenTheLogCannotBeRead()
    {
        // Given a file that is not a SQLite database
        QTemporaryDir dir;
        const QString path = dir.filePath("not-a-log.sqlite");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, 'x'));
        file.close();
        // When it is opened as a history and queried
        HistoryWindow window(path);
        const int rows = query(window, "k", false, false);
        // Then the status says so in one sentence, and nothing is shown
        QCOMPARE(rows, -1);
        const QString status = window.findChild<QLabel*>("historyStatus")->text();
        QVERIFY2(status.startsWith("Could not") && status.contains(path), qPrintable(status));
        QCOMPARE(window.rowCount(), 0);
    }
};

QTEST_MAIN(TestHistoryWindow)
#include "tst_history_window.moc"
