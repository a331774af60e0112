// The desktop monitor against one etcd with TLS *and* authentication, driven
// the way a person does it: the connection dialog (CA, client certificate
// and key, user and password), watches added through the dialog, the Keys
// and Cluster tabs. etcd demands a client certificate from CA1 and a user;
// its tokens expire after 2 s; the user may read app/ only.
#include "auth_admin.h"
#include "cluster/cluster_view.h"
#include "etcd_process.h"
#include "keys/key_browser.h"
#include "keys/key_tree_model.h"
#include "monitor/add_watch_dialog.h"
#include "monitor/event_timeline_model.h"
#include "monitor/watch_tree_model.h"
#include "monitor_test_helpers.h"
#include "test_pki.h"
#include "window/main_window.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeView>
#include <QTreeWidget>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::ui;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 30'000;
constexpr int kTokenTtlSeconds = 2;

QString watchState(const MainWindow& window, WatchHandle handle)
{
    return window.treeModel()->indexOfWatch(handle).siblingAtColumn(WatchTreeModel::ValueColumn).data().toString();
}

QStringList topLevelTexts(const QTreeWidget* tree)
{
    QStringList texts;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        texts << tree->topLevelItem(i)->text(0);
    return texts;
}

// The events in the timeline (not its notes), as "key@revision".
QStringList timelineEvents(const MainWindow& window)
{
    QStringList events;
    for (int row = 0; row < window.timelineModel()->rowCount(); ++row) {
        const EventRecord& r = window.timelineModel()->record(row);
        if (r.kind == RecordKind::Put || r.kind == RecordKind::Delete)
            events << QString("%1@%2").arg(QString::fromUtf8(r.key)).arg(r.modRevision);
    }
    return events;
}

void saveShot(QWidget& widget, const char* name)
{
    QApplication::processEvents();
    const QString path = QDir::temp().filePath(name);
    QVERIFY2(widget.grab().save(path), qPrintable(path));
    qInfo("screenshot: %s", qPrintable(path));
}

}  // namespace

class TestSecureMonitor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void shouldWatchBrowseAndInspectAClusterWithTlsAndAuthentication()
    {
        // Given an etcd that speaks TLS only to clients with a CA1 certificate,
        // with authentication on, 2 s tokens, and a user who may read app/ only
        TestPki pki;
        QVERIFY2(pki.create().isEmpty(), "openssl could not make the test certificates");
        const int tlsPort = freeLoopbackPort();
        const auto etcd = tlsEtcd(pki, "secure", tlsPort, {"--auth-token-ttl=" + QString::number(kTokenTtlSeconds)});
        QVERIFY2(etcd->start().empty(), "etcd did not start");
        AuthAdmin admin(etcd->endpoint());
        const std::string error = admin.setUp("app/");
        QVERIFY2(error.empty(), error.c_str());
        QVERIFY(admin.put("app/config", "{\"replicas\":3,\"image\":\"web:1.2\"}") > 0);
        QVERIFY(admin.put("secret/token", "s3cr3t") > 0);

        QTemporaryDir data;
        MainWindowOptions windowOptions;
        windowOptions.dataDirectory = data.path();
        windowOptions.endpoints = QString("https://127.0.0.1:%1").arg(tlsPort);
        windowOptions.connectAtStart = false;
        MainWindow window(windowOptions);
        window.resize(1280, 800);
        window.show();

        // When the person fills the connection dialog: CA, certificate and key, user and password
        QAction* connection = findAction(&window, "Connection…");
        QVERIFY(connection);
        QString dialogProblem;
        QTimer::singleShot(0, &window, [&] {
            QDialog* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            dialog->findChild<QCheckBox*>("tlsCheck")->setChecked(true);
            dialog->findChild<QLineEdit*>("caEdit")->setText(pki.path("ca1.crt"));
            dialog->findChild<QLineEdit*>("certEdit")->setText(pki.path("client.crt"));
            dialog->findChild<QLineEdit*>("keyEdit")->setText(pki.path("client.key"));
            dialog->findChild<QLineEdit*>("userEdit")->setText("reader");
            dialog->findChild<QLineEdit*>("passwordEdit")->setText(kReaderPassword);
            dialog->findChild<QCheckBox*>("rememberCheck")->setChecked(false);
            dialogProblem = dialog->findChild<QLabel*>("problemLabel")->text();
            QPushButton* ok = dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
            QVERIFY(ok->isEnabled());
            ok->click();
        });
        connection->trigger();
        QVERIFY2(dialogProblem.isEmpty(), qPrintable(dialogProblem));

        // And watches app/ and secret/
        addPrefixWatch(window, "app/");
        addPrefixWatch(window, "secret/");
        QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 2, kWaitMs);
        const WatchHandle app = window.treeModel()->watches().at(0);
        const WatchHandle secret = window.treeModel()->watches().at(1);

        // Then secret/ is cancelled with etcd's reason next to it, and app/ is live
        QTRY_VERIFY_WITH_TIMEOUT(watchState(window, secret).startsWith("cancelled"), kWaitMs);
        QVERIFY2(watchState(window, secret).contains("permission denied"), qPrintable(watchState(window, secret)));
        QTRY_COMPARE_WITH_TIMEOUT(watchState(window, app), QString("live"), kWaitMs);
        const std::int64_t replicas = admin.put("app/replicas", "3");
        QVERIFY(replicas > 0);
        QTRY_COMPARE_WITH_TIMEOUT(timelineEvents(window), QStringList{QString("app/replicas@%1").arg(replicas)},
                                  kWaitMs);

        // And after the token expired, events still arrive, once each, and a new watch is created
        QTest::qWait((kTokenTtlSeconds + 1) * 1000 + 500);  // letting etcd's token timer run out, not hoping
        addPrefixWatch(window, "app/late/");
        QTRY_COMPARE_WITH_TIMEOUT(window.treeModel()->rowCount(), 3, kWaitMs);
        const WatchHandle late = window.treeModel()->watches().at(2);
        QTRY_COMPARE_WITH_TIMEOUT(watchState(window, late), QString("live"), kWaitMs);
        const std::int64_t last = admin.put("app/late/x", "4");
        QVERIFY(last > 0);
        // (app/ and app/late/ both see it)
        const QStringList expected{QString("app/replicas@%1").arg(replicas), QString("app/late/x@%1").arg(last),
                                   QString("app/late/x@%1").arg(last)};
        QTRY_COMPARE_WITH_TIMEOUT(timelineEvents(window), expected, kWaitMs);
        QVERIFY(watchState(window, secret).startsWith("cancelled"));
        saveShot(window, "secure-watches.png");

        // And the Keys tab reads app/ over the same TLS connection as the same user
        window.showTab(1);
        KeyBrowser* keys = window.keyBrowser();
        keys->browse("app/", 0);
        QTRY_COMPARE_WITH_TIMEOUT(keys->model()->rowCount(), 3, kWaitMs);  // app/config, app/late/, app/replicas
        const QModelIndex config = keys->model()->index(0, 0);
        QCOMPARE(config.data(KeyTreeModel::KeyRole).toByteArray(), QByteArray("app/config"));
        keys->selectKey(config);
        auto* yaml = keys->findChild<QPlainTextEdit*>("detailYaml");
        QVERIFY(yaml);
        QTRY_COMPARE_WITH_TIMEOUT(yaml->toPlainText(), QString("replicas: 3\nimage: web:1.2\n"), kWaitMs);
        keys->findChild<QTabWidget*>("detailTabs")->setCurrentWidget(yaml);
        saveShot(window, "secure-keys.png");
        // And secret/ is refused with a sentence, showing nothing
        keys->browse("secret/", 0);
        auto* status = keys->findChild<QLabel*>("keyBrowserStatus");
        QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("ermission"), kWaitMs);
        QCOMPARE(keys->model()->rowCount(), 0);

        // And the Cluster tab shows the member, healthy, and says only root may list users
        window.showTab(2);
        ClusterView* cluster = window.clusterView();
        cluster->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(cluster->lastStatus() && cluster->lastStatus()->members.size() == 1, kWaitMs);
        auto health = [cluster] {
            QTableWidgetItem* cell = cluster->table()->rowCount() == 1
                ? cluster->table()->item(0, ClusterView::HealthColumn) : nullptr;
            return cell ? cell->text() + " " + cluster->table()->item(0, ClusterView::NotesColumn)->text() : QString();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(health().startsWith("healthy"), qPrintable(health()), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(topLevelTexts(cluster->authTree()).join(' ').contains("Only root"), kWaitMs);
        saveShot(window, "secure-cluster-reader.png");

        // When root connects through the dialog instead
        QTimer::singleShot(0, &window, [&] {
            QDialog* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            // The files and the user come back from the last connection
            QCOMPARE(dialog->findChild<QLineEdit*>("caEdit")->text(), pki.path("ca1.crt"));
            QCOMPARE(dialog->findChild<QLineEdit*>("userEdit")->text(), QString("reader"));
            dialog->findChild<QLineEdit*>("userEdit")->setText("root");
            dialog->findChild<QLineEdit*>("passwordEdit")->setText(kRootPassword);
            dialog->findChild<QCheckBox*>("rememberCheck")->setChecked(false);
            dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        });
        connection->trigger();
        // Then users and roles are listed, with authentication shown on
        QTRY_VERIFY_WITH_TIMEOUT(topLevelTexts(cluster->authTree()).contains("Authentication is on"), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(topLevelTexts(cluster->authTree()).contains("Users (2)"), kWaitMs);
        QVERIFY(topLevelTexts(cluster->authTree()).contains("Roles (1)"));
        saveShot(window, "secure-cluster-root.png");
        // And the watches go on as root: app/ still live and seeing events
        QTRY_COMPARE_WITH_TIMEOUT(watchState(window, app), QString("live"), kWaitMs);
        const std::int64_t afterRoot = admin.put("app/after-root", "5");
        QVERIFY(afterRoot > 0);
        QTRY_COMPARE_WITH_TIMEOUT(timelineEvents(window), expected + QStringList{QString("app/after-root@%1").arg(afterRoot)},
                                  kWaitMs);
    }
};

QTEST_MAIN(TestSecureMonitor)
#include "tst_secure_monitor.moc"
