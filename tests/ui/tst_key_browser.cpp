// The key browser's tree model against a real etcd: paging through 100,000
// keys under one prefix, folders that span pages, the key space as of an
// older revision, a compacted revision, binary keys.
#include "etcd_process.h"
#include "keys/key_browser.h"
#include "keys/key_tree_model.h"
#include "protobuf_writer.h"
#include "shared/detail_pane.h"
#include "test_pki.h"

#include <QAbstractItemModelTester>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTreeView>
#include <QTextEdit>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::testing;
using etcdscope::ui::KeyBrowser;
using etcdscope::ui::KeyTreeModel;

namespace {

constexpr int kWaitMs = 30'000;

// Loads every page of `parent` (some may have been asked for already, by
// the model tester or a view); returns how many pages of it arrived.
int loadAll(KeyTreeModel& model, const QModelIndex& parent)
{
    QSignalSpy loaded(&model, &KeyTreeModel::pageLoaded);
    const QPersistentModelIndex folder(parent);
    auto pagesOfFolder = [&] {
        return int(std::count_if(loaded.begin(), loaded.end(),
                                 [&](const QList<QVariant>& args) { return args.at(0).toModelIndex() == folder; }));
    };
    while (model.isLoading(folder) || model.canFetchMore(folder)) {
        if (!model.isLoading(folder))
            model.fetchMore(folder);
        const int before = pagesOfFolder();
        if (!QTest::qWaitFor([&] { return pagesOfFolder() > before; }, kWaitMs))
            return -1;
    }
    return pagesOfFolder();
}

QList<QByteArray> keysOf(const KeyTreeModel& model, const QModelIndex& parent)
{
    QList<QByteArray> keys;
    for (int row = 0; row < model.rowCount(parent); ++row)
        keys << model.index(row, 0, parent).data(KeyTreeModel::KeyRole).toByteArray();
    return keys;
}

QModelIndex childWithKey(const KeyTreeModel& model, const QModelIndex& parent, const QByteArray& key)
{
    for (int row = 0; row < model.rowCount(parent); ++row)
        if (model.index(row, 0, parent).data(KeyTreeModel::KeyRole).toByteArray() == key)
            return model.index(row, 0, parent);
    return {};
}

std::string key6(const char* prefix, int n)
{
    char text[32];
    std::snprintf(text, sizeof text, "%s%06d", prefix, n);
    return text;
}

}  // namespace

class TestKeyBrowser : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        const std::string etcdError = etcd_.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        client_.setConnection(options());
    }

    void shouldPageThroughAHundredThousandKeysUnderOnePrefix()
    {
        // Given 100,000 keys under big/ (and a few elsewhere)
        constexpr int kKeys = 100'000;
        for (int first = 0; first < kKeys; first += 1000) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int i = first; i < first + 1000; ++i)
                puts.emplace_back(key6("big/k", i), "v");
            QVERIFY(etcd_.txnPuts(puts) > 0);
        }
        etcd_.put("a/b/c", "1");
        etcd_.put("a/d", "2");
        etcd_.put("top", "3");
        KeyTreeModel model(&client_);
        QSignalSpy pages(&model, &KeyTreeModel::pageLoaded);
        auto pagesOf = [&](const QModelIndex& folder) {
            return std::count_if(pages.begin(), pages.end(),
                                 [&](const QList<QVariant>& args) { return args.at(0).toModelIndex() == folder; });
        };
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);

        // When the root is loaded
        model.setRoot({});
        QVERIFY(loadAll(model, {}) >= 0);
        // (two pages: the first ends inside big/, the second starts after it)
        QCOMPARE(pagesOf({}), 2);
        // Then it holds the two folders and the key, in key order
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"a/", "big/", "top"}));
        const QModelIndex big = childWithKey(model, {}, "big/");
        QVERIFY(model.hasChildren(big));
        QVERIFY(model.data(big, KeyTreeModel::IsFolderRole).toBool());

        // And opening big/ loads 1,000 keys a page, in order, until all are in
        QVERIFY(loadAll(model, big) >= 0);
        QCOMPARE(pagesOf(big), kKeys / KeyTreeModel::kDefaultPageSize);
        QCOMPARE(model.rowCount(big), kKeys);
        QVERIFY(!model.canFetchMore(big));
        const QList<QByteArray> keys = keysOf(model, big);
        for (int i = 0; i < kKeys; ++i)
            QCOMPARE(keys[i], QByteArray::fromStdString(key6("big/k", i)));
        // Keys carry their metadata from the keys-only read
        const QModelIndex last = model.index(kKeys - 1, KeyTreeModel::VersionColumn, big);
        QCOMPARE(last.data().toLongLong(), 1);
        QVERIFY(model.index(kKeys - 1, KeyTreeModel::ModRevisionColumn, big).data().toLongLong() > 1);
    }

    void shouldListAFolderOnceWhenItsKeysSpanPages()
    {
        // Given keys where folders hold more keys than a page
        etcd_.put("span/a/1", "v");
        etcd_.put("span/a/2", "v");
        etcd_.put("span/a/3", "v");
        etcd_.put("span/b", "v");
        etcd_.put("span/c/x/1", "v");
        etcd_.put("span/c/x/2", "v");
        etcd_.put("span/d", "v");
        KeyTreeModel model(&client_);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(2);
        // When the tree is rooted at span/
        model.setRoot("span/");
        QVERIFY(loadAll(model, {}) >= 1);
        // Then each folder appears once, between the keys, in order
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"span/a/", "span/b", "span/c/", "span/d"}));
        const QModelIndex c = childWithKey(model, {}, "span/c/");
        QVERIFY(loadAll(model, c) >= 0);
        QCOMPARE(keysOf(model, c), (QList<QByteArray>{"span/c/x/"}));
        const QModelIndex x = childWithKey(model, c, "span/c/x/");
        QVERIFY(loadAll(model, x) >= 1);
        QCOMPARE(keysOf(model, x), (QList<QByteArray>{"span/c/x/1", "span/c/x/2"}));
        QCOMPARE(model.data(model.index(0, 0, x)).toString(), QString("1"));
    }

    void shouldShowTheKeySpaceAsOfAnOlderRevision()
    {
        // Given a key that existed at revision r1 and was deleted later
        const std::int64_t r1 = etcd_.put("tt/old", "1");
        etcd_.put("tt/new", "2");
        etcd_.del("tt/old");
        KeyTreeModel model(&client_);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // When the tree is read as of r1, and as of now
        model.setRoot("tt/", r1);
        QCOMPARE(loadAll(model, {}), 1);
        // Then it shows that revision's keys
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"tt/old"}));
        QCOMPARE(model.readRevision(), etcd_.currentRevision());
        model.setRoot("tt/");
        QCOMPARE(loadAll(model, {}), 1);
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"tt/new"}));
    }

    void shouldBinaryKeysKeepTheirBytes()
    {
        const QByteArray binary("bin/\xff\x00\x01k", 8);
        etcd_.put(binary.toStdString(), "v");
        KeyTreeModel model(&client_);
        model.setRoot("bin/");
        QCOMPARE(loadAll(model, {}), 1);
        QCOMPARE(keysOf(model, {}), QList<QByteArray>{binary});
        const QString shown = model.data(model.index(0, 0)).toString();
        QCOMPARE(shown, QString("\\xff\\x00\\x01k"));
    }

    void shouldSayWhenTheRevisionWasCompacted()
    {
        // Given history compacted at the newest revision
        const std::int64_t before = etcd_.put("cmp/k", "1");
        const std::int64_t head = etcd_.put("cmp/k", "2");
        etcd_.compact(head);
        KeyTreeModel model(&client_);
        QSignalSpy failed(&model, &KeyTreeModel::loadFailed);
        // When the tree is asked for an older revision
        model.setRoot("cmp/", before);
        model.fetchMore({});
        // Then it says so in a sentence, and shows nothing of it
        QVERIFY(failed.wait(kWaitMs));
        const QString sentence = failed.at(0).at(0).toString();
        QVERIFY2(sentence.contains("compacted") && sentence.contains(QString::number(before)), qPrintable(sentence));
        QCOMPARE(model.rowCount(), 0);
    }

    void shouldShowAKeysValueAndStepBackThroughItsVersions()
    {
        // Given keys as Kubernetes and a service registry lay them out, one
        // of them changed twice
        const std::string pod = "/registry/pods/default/web-7d4b9c6f5-x2kq9";
        // (JSON built with Qt: moc cannot read raw string literals)
        const auto json = [](const QVariantMap& map) {
            return QJsonDocument(QJsonObject::fromVariantMap(map)).toJson(QJsonDocument::Compact).toStdString();
        };
        const auto podJson = [&](const char* phase, int restarts) {
            return json({{"kind", "Pod"},
                         {"apiVersion", "v1"},
                         {"metadata", QVariantMap{{"name", "web-7d4b9c6f5-x2kq9"}, {"namespace", "default"},
                                                  {"labels", QVariantMap{{"app", "web"}}}}},
                         {"status", QVariantMap{{"phase", phase},
                                                {"containerStatuses",
                                                 QVariantList{QVariantMap{{"name", "web"}, {"ready", true},
                                                                          {"restartCount", restarts}}}}}}});
        };
        for (const char* name : {"api-5f6c8d7b9-ab12c", "db-0", "cache-6b8f9d5c4-zx9pl"})
            etcd_.put(std::string("/registry/pods/default/") + name, podJson("Running", 0));
        etcd_.put("/registry/configmaps/default/app-config",
                  json({{"kind", "ConfigMap"}, {"data", QVariantMap{{"LOG_LEVEL", "info"}}}}));
        etcd_.put("/registry/services/specs/default/web",
                  json({{"kind", "Service"}, {"spec", QVariantMap{{"ports", QVariantList{QVariantMap{{"port", 80}}}}}}}));
        etcd_.put("/registry/namespaces/default", json({{"kind", "Namespace"}}));
        etcd_.put("/registry/namespaces/kube-system", json({{"kind", "Namespace"}}));
        const std::int64_t first = etcd_.put(pod, podJson("Pending", 0));
        etcd_.put(pod, podJson("Running", 0));
        const std::int64_t third = etcd_.put(pod, podJson("Running", 1));

        KeyBrowser browser(&client_);
        browser.resize(1100, 760);
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        KeyTreeModel& model = *browser.model();
        // When the person browses /registry/ and opens the pod's folders
        browser.browse("/registry/", 0);
        QVERIFY(loadAll(model, {}) >= 0);
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"/registry/configmaps/", "/registry/namespaces/",
                                                        "/registry/pods/", "/registry/services/"}));
        QModelIndex folder = childWithKey(model, {}, "/registry/pods/");
        browser.view()->expand(folder);
        QVERIFY(loadAll(model, folder) >= 0);
        folder = childWithKey(model, folder, "/registry/pods/default/");
        browser.view()->expand(folder);
        QVERIFY(loadAll(model, folder) >= 0);
        const QModelIndex key = childWithKey(model, folder, QByteArray::fromStdString(pod));
        QVERIFY(key.isValid());
        browser.view()->expand(childWithKey(model, {}, "/registry/namespaces/"));
        QVERIFY(loadAll(model, childWithKey(model, {}, "/registry/namespaces/")) >= 0);

        // And selects the pod
        auto* jsonView = browser.findChild<QPlainTextEdit*>("detailJson");
        auto* header = browser.findChild<QLabel*>("detailHeader");
        QVERIFY(jsonView && header);
        browser.selectKey(key);
        // Then its newest value is shown, pretty-printed, with its metadata
        QTRY_VERIFY_WITH_TIMEOUT(jsonView->toPlainText().contains("\"restartCount\": 1"), kWaitMs);
        QVERIFY(header->text().contains(QString("modified at revision %1").arg(third)));
        QVERIFY(header->text().contains("version 3"));
        browser.findChild<QTabWidget*>("detailTabs")->setCurrentWidget(jsonView);
        saveShot(browser, "key-browser.png");
        // ... and its Diff tab compares it with the version before (the restart count went from 0 to 1)
        auto* diffView = browser.findChild<QTextEdit*>("detailDiff");
        QVERIFY(diffView);
        const auto changedLine = [&](const char* sign, const char* text) {
            const QStringList lines = diffView->toPlainText().split('\n');
            return std::any_of(lines.begin(), lines.end(), [&](const QString& line) {
                return line.startsWith(sign) && line.contains(text);
            });
        };
        QTRY_VERIFY_WITH_TIMEOUT(changedLine("+ ", "\"restartCount\": 1"), kWaitMs);
        QVERIFY2(changedLine("- ", "\"restartCount\": 0"), qPrintable(diffView->toPlainText()));

        // And "previous version" steps back to the value before each change
        auto* older = browser.findChild<QPushButton*>("olderVersionButton");
        auto* newer = browser.findChild<QPushButton*>("newerVersionButton");
        QTRY_VERIFY_WITH_TIMEOUT(older->isEnabled(), kWaitMs);
        older->click();
        QTRY_VERIFY_WITH_TIMEOUT(header->text().contains("version 2"), kWaitMs);
        QVERIFY(jsonView->toPlainText().contains("\"restartCount\": 0"));
        QTRY_VERIFY_WITH_TIMEOUT(older->isEnabled(), kWaitMs);
        older->click();
        QTRY_VERIFY_WITH_TIMEOUT(header->text().contains("version 1"), kWaitMs);
        QVERIFY(jsonView->toPlainText().contains("Pending"));
        QVERIFY(header->text().contains(QString("as of revision %1").arg(third - 2)));
        QVERIFY(!older->isEnabled());  // the first version has nothing before it
        // And "next version" goes forward again
        QVERIFY(newer->isEnabled());
        newer->click();
        QTRY_VERIFY_WITH_TIMEOUT(header->text().contains("version 2"), kWaitMs);

        // And the whole key space as of the first version shows that value
        browser.browse("/registry/pods/default/", first);
        QVERIFY(loadAll(model, {}) >= 0);
        const QModelIndex then = childWithKey(model, {}, QByteArray::fromStdString(pod));
        QVERIFY(then.isValid());
        QCOMPARE(model.index(then.row(), KeyTreeModel::ModRevisionColumn).data().toLongLong(), first);
        browser.selectKey(then);
        QTRY_VERIFY_WITH_TIMEOUT(jsonView->toPlainText().contains("Pending"), kWaitMs);
        QVERIFY(header->text().contains(QString("as of revision %1").arg(first)));
        saveShot(browser, "key-browser-time-travel.png");
    }

    void shouldRefuseEditsWhenReadOnlyAndConfirmThemWhenWritable()
    {
        // Given three keys under edit/ and a browser on them
        etcd_.put("edit/a", "1");
        etcd_.put("edit/b", "1");
        etcd_.put("edit/sub/c", "1");
        KeyBrowser browser(&client_);
        QStringList confirmations;
        bool answer = false;
        browser.setConfirm([&](const QString&, const QString& text) {
            confirmations << text;
            return answer;
        });
        QSignalSpy written(&browser, &KeyBrowser::written);
        auto valueOf = [&](const std::string& key) {
            QSignalSpy done(&client_, &AdminClient::rangeDone);
            RangeQuery query;
            query.key = key;
            const quint64 id = client_.range(query);
            // Other reads (the browser's own) may answer first
            RangeResultPtr result;
            (void)QTest::qWaitFor([&] {  // checked below
                for (const QList<QVariant>& args : done)
                    if (args.at(0).toULongLong() == id)
                        result = args.at(1).value<RangeResultPtr>();
                return result != nullptr;
            }, kWaitMs);
            if (!result)
                return std::string("(no answer)");
            return result->kvs.empty() ? std::string("(none)") : result->kvs.front().value;
        };

        // When it is read-only (as after every connection)
        QVERIFY(!browser.writable());
        // Then a put and a delete are refused in a sentence, nothing asked, nothing changed
        QVERIFY(browser.putValue("edit/a", "2").contains("read-only"));
        QVERIFY(browser.deleteKeys("edit/", true).contains("read-only"));
        QVERIFY(confirmations.isEmpty());
        QCOMPARE(valueOf("edit/a"), std::string("1"));
        QVERIFY(!browser.findChild<QPushButton*>("deleteButton")->isEnabled());

        // When it is read-write but the person cancels the confirmation
        browser.setWritable(true);
        QVERIFY(browser.putValue("edit/a", "2").isEmpty());
        QCOMPARE(written.count(), 1);
        QCOMPARE(written.at(0).at(0).toString(), QString("Nothing was changed."));
        QVERIFY2(confirmations.last().contains("edit/a") && confirmations.last().contains("After: 1 bytes")
                     && confirmations.last().contains("New value: 2"),
                 qPrintable(confirmations.last()));
        QCOMPARE(valueOf("edit/a"), std::string("1"));

        // When the person confirms
        answer = true;
        QVERIFY(browser.putValue("edit/a", "2").isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 2, kWaitMs);
        QVERIFY2(written.at(1).at(0).toString().contains("done at revision"), qPrintable(written.at(1).at(0).toString()));
        QCOMPARE(valueOf("edit/a"), std::string("2"));

        // And a prefix delete says how many keys go and names them first
        QVERIFY(browser.deleteKeys("edit/", true).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 3, kWaitMs);
        const QString asked = confirmations.last();
        QVERIFY2(asked.contains("3 key(s)") && asked.contains("edit/a") && asked.contains("edit/sub/c"),
                 qPrintable(asked));
        QVERIFY2(written.at(2).at(0).toString().contains("3 key(s) deleted"), qPrintable(written.at(2).at(0).toString()));
        QCOMPARE(valueOf("edit/a"), std::string("(none)"));
        QCOMPARE(valueOf("edit/sub/c"), std::string("(none)"));
    }

    void shouldConfirmAnEditWithItsChangedLinesAndRefuseItWhenTheKeyChangedMeanwhile()
    {
        // Given a JSON value, selected in a read-write browser
        const QByteArray before = "{\"replicas\":3,\"image\":\"web:1.2\",\"env\":{\"LOG_LEVEL\":\"info\"}}";
        const QByteArray after = "{\"replicas\":5,\"image\":\"web:1.3\",\"env\":{\"LOG_LEVEL\":\"info\"}}";
        const std::int64_t read = etcd_.put("guarded/app", before.toStdString());
        KeyBrowser browser(&client_);
        browser.resize(900, 600);
        browser.show();
        browser.setWritable(true);
        QSignalSpy written(&browser, &KeyBrowser::written);
        auto select = [&](std::int64_t modRevision) {
            browser.browse("guarded/", 0);
            QVERIFY(loadAll(*browser.model(), {}) >= 0);
            browser.selectKey(childWithKey(*browser.model(), {}, "guarded/app"));
            QTRY_VERIFY_WITH_TIMEOUT(browser.findChild<QLabel*>("detailHeader")
                                         ->text()
                                         .contains(QString("modified at revision %1 ").arg(modRevision)),
                                     kWaitMs);
        };
        select(read);

        // When the person edits it, with the default confirmation box
        QString asked;
        QTimer::singleShot(0, &browser, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            QVERIFY(box);
            asked = box->text();  // rich text: lines of the change in a fixed font
            saveShot(*box, "key-browser-edit-confirm.png");
            box->button(QMessageBox::Yes)->click();
        });
        QVERIFY(browser.putValue("guarded/app", after).isEmpty());
        // Then the box showed exactly the lines that change, and the revision it was read at
        QVERIFY2(asked.contains("Changed lines (JSON, formatted):"), qPrintable(asked));
        QVERIFY2(asked.contains("-     &quot;replicas&quot;: 3") && asked.contains("+     &quot;replicas&quot;: 5"),
                 qPrintable(asked));
        QVERIFY2(asked.contains("-     &quot;image&quot;: &quot;web:1.2&quot;")
                     && asked.contains("+     &quot;image&quot;: &quot;web:1.3&quot;"),
                 qPrintable(asked));
        QVERIFY2(!asked.contains("LOG_LEVEL"), qPrintable(asked));  // unchanged lines are not listed
        QVERIFY2(asked.contains(QString("modified at revision %1").arg(read)), qPrintable(asked));
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 1, kWaitMs);
        QVERIFY2(written.at(0).at(0).toString().contains("done at revision"), qPrintable(written.at(0).at(0).toString()));

        // When it is selected again, and someone else changes it before the next edit is confirmed
        select(etcd_.currentRevision());
        const std::int64_t other = etcd_.put("guarded/app", "{\"replicas\":9}");
        browser.setConfirm([](const QString&, const QString&) { return true; });
        QVERIFY(browser.putValue("guarded/app", before).isEmpty());
        // Then nothing is written, and the sentence says why
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 2, kWaitMs);
        const QString refused = written.at(1).at(0).toString();
        QVERIFY2(refused.contains("changed after it was read") && refused.contains(QString::number(other)),
                 qPrintable(refused));
        // (etcd still holds the other writer's value)
        RangeQuery query;
        query.key = "guarded/app";
        QSignalSpy done(&client_, &AdminClient::rangeDone);
        const quint64 id = client_.range(query);
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(done.begin(), done.end(), [&](const QList<QVariant>& a) {
            return a.at(0).toULongLong() == id;
        }), kWaitMs);
        for (const QList<QVariant>& a : done)
            if (a.at(0).toULongLong() == id)
                QCOMPARE(a.at(1).value<RangeResultPtr>()->kvs.at(0).value, std::string("{\"replicas\":9}"));

        // And a new key is not created over an existing one
        QVERIFY(browser.putValue("guarded/app", "x", KeyBrowser::PutMode::Create).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(written.count(), 3, kWaitMs);
        QVERIFY2(written.at(2).at(0).toString().contains("already exists"), qPrintable(written.at(2).at(0).toString()));
    }

    void shouldCountTheObjectsOfEachResourceAndNamespace()
    {
        // Given Kubernetes' keys under an API server's --etcd-prefix of its own (other tests share this
        // etcd's /registry/): three Pods in two namespaces and one Deployment
        for (const char* key : {"/counted/pods/default/a", "/counted/pods/default/b", "/counted/pods/kube-system/c",
                                "/counted/deployments/default/web"})
            etcd_.put(key, "x");
        // When the prefix is browsed, and the pods folder opened
        KeyTreeModel model(&client_);
        model.setRoot("/counted/");
        QVERIFY(loadAll(model, {}) >= 0);
        const QModelIndex pods = childWithKey(model, {}, "/counted/pods/");
        const QModelIndex deployments = childWithKey(model, {}, "/counted/deployments/");
        QVERIFY(pods.isValid() && deployments.isValid());
        // Then each resource shows how many objects it holds, as etcd counts them
        QTRY_COMPARE_WITH_TIMEOUT(pods.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong(), qint64(3), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(deployments.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong(), qint64(1),
                                  kWaitMs);
        // ... and each namespace under it
        QVERIFY(loadAll(model, pods) >= 0);
        const QModelIndex defaults = childWithKey(model, pods, "/counted/pods/default/");
        const QModelIndex system = childWithKey(model, pods, "/counted/pods/kube-system/");
        QTRY_COMPARE_WITH_TIMEOUT(defaults.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong(), qint64(2), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(system.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong(), qint64(1), kWaitMs);
        // ... while a key has no count
        QVERIFY(loadAll(model, defaults) >= 0);
        const QModelIndex pod = childWithKey(model, defaults, "/counted/pods/default/a");
        QVERIFY(pod.isValid());
        QVERIFY(!pod.siblingAtColumn(KeyTreeModel::KeysColumn).data().isValid());

        // And the browser shows it so (screenshot looked at)
        KeyBrowser browser(&client_);
        browser.resize(1100, 500);
        browser.show();
        browser.browse("/counted/", 0);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        const QModelIndex shownPods = childWithKey(*browser.model(), {}, "/counted/pods/");
        QVERIFY(loadAll(*browser.model(), shownPods) >= 0);
        browser.view()->expand(shownPods);
        QTRY_COMPARE_WITH_TIMEOUT(shownPods.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong(), qint64(3),
                                  kWaitMs);
        saveShot(browser, "key-browser-counts.png");

        // And the same under this etcd's own /registry/ (whatever the other tests stored there)
        for (const char* key : {"/registry/pods/default/a", "/registry/pods/kube-system/c",
                                "/registry/deployments/default/web"})
            etcd_.put(key, "x");
        browser.browse("/registry/", 0);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        const QModelIndex registryPods = childWithKey(*browser.model(), {}, "/registry/pods/");
        QVERIFY(registryPods.isValid());
        QVERIFY(loadAll(*browser.model(), registryPods) >= 0);
        browser.view()->expand(registryPods);
        QTRY_VERIFY_WITH_TIMEOUT(registryPods.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong() >= 2, kWaitMs);
        const QModelIndex registryDefault = childWithKey(*browser.model(), registryPods, "/registry/pods/default/");
        QTRY_VERIFY_WITH_TIMEOUT(registryDefault.siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong() >= 1,
                                 kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(childWithKey(*browser.model(), registryPods, "/registry/pods/kube-system/")
                                         .siblingAtColumn(KeyTreeModel::KeysColumn).data().toLongLong() >= 1,
                                 kWaitMs);
        saveShot(browser, "key-browser-registry-counts.png");
    }

    void shouldShowAKubernetesProtobufValueReadably()
    {
        // Given a Pod stored the way Kubernetes stores it (protobuf in the
        // "k8s\0" envelope; fields numbered as in k8s.io/api/core/v1)
        using namespace etcdscope::testing::protobuf;
        const QByteArray label = bytesField(1, "k8s-app") + bytesField(2, "kube-dns");
        const QByteArray metadata = bytesField(1, "coredns-5d78c9869d-8xk2p") + bytesField(2, "coredns-5d78c9869d-")
            + bytesField(3, "kube-system") + bytesField(5, "4f1c2a9e-33b1-4c52-9d0e-7a1b2c3d4e5f")
            + bytesField(6, "48213") + bytesField(8, numberField(1, 1764115200)) + bytesField(11, label);
        const QByteArray port = bytesField(1, "dns") + numberField(3, 53) + bytesField(4, "UDP");
        const QByteArray container = bytesField(1, "coredns") + bytesField(2, "registry.k8s.io/coredns/coredns:v1.10.1")
            + bytesField(4, "-conf") + bytesField(4, "/etc/coredns/Corefile") + bytesField(6, port);
        const QByteArray spec = bytesField(2, container) + bytesField(3, "Always") + bytesField(10, "node-a");
        const QByteArray status = bytesField(1, "Running") + bytesField(5, "10.0.0.11") + bytesField(6, "10.244.0.3");
        const QByteArray pod = kubernetesEnvelope("v1", "Pod", bytesField(1, metadata) + bytesField(2, spec)
                                                                    + bytesField(3, status));
        const std::string key = "/registry/pods/kube-system/coredns-5d78c9869d-8xk2p";
        etcd_.put(key, pod.toStdString());

        // When it is selected in the browser
        KeyBrowser browser(&client_);
        browser.resize(1100, 760);
        browser.show();
        browser.browse("/registry/pods/kube-system/", 0);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        const QModelIndex index = childWithKey(*browser.model(), {}, QByteArray::fromStdString(key));
        QVERIFY(index.isValid());
        browser.view()->setCurrentIndex(index);
        browser.selectKey(index);
        // Then it is the object Kubernetes writes, decoded by its schema, not mangled bytes
        auto* text = browser.findChild<QPlainTextEdit*>("detailText");
        QTRY_VERIFY_WITH_TIMEOUT(text->toPlainText().startsWith("v1 Pod (Kubernetes protobuf"), kWaitMs);
        const QString shown = text->toPlainText();
        QVERIFY2(shown.contains("decoded by its schema"), qPrintable(shown.left(200)));
        for (const char* expected : {"\"name\": \"coredns-5d78c9869d-8xk2p\"", "\"namespace\": \"kube-system\"",
                                     "\"creationTimestamp\": \"2025-11-26T00:00:00Z\"",
                                     "\"image\": \"registry.k8s.io/coredns/coredns:v1.10.1\"", "\"containerPort\": 53",
                                     "\"phase\": \"Running\"", "\"podIP\": \"10.244.0.3\"", "\"nodeName\": \"node-a\""})
            QVERIFY2(shown.contains(expected), qPrintable(shown));
        // And the exact bytes are still there, in the hex tab
        const QString hex = browser.findChild<QPlainTextEdit*>("detailHex")->toPlainText();
        QVERIFY2(hex.startsWith("00000000  6b 38 73 00"), qPrintable(hex.left(80)));  // "k8s\0"
        browser.findChild<QTabWidget*>("detailTabs")->setCurrentWidget(text);
        saveShot(browser, "key-browser-kubernetes.png");
    }

    void shouldSayWhenTheStoreHasMovedOnSinceTheTreeWasRead()
    {
        // Given a tree read at the newest revision
        etcd_.put("moving/a", "1");
        KeyBrowser browser(&client_);
        browser.browse("moving/", 0);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        auto* status = browser.findChild<QLabel*>("keyBrowserStatus");
        const qint64 read = browser.model()->readRevision();
        QVERIFY(read > 0);
        QVERIFY2(!status->text().contains("moved on"), qPrintable(status->text()));
        // When the watches report a newer revision of the store
        browser.setStoreRevision(read + 3);
        // Then the status says so, and how to reload
        QVERIFY2(status->text().contains(QString("moved on to revision %1: Browse reloads").arg(read + 3)),
                 qPrintable(status->text()));
        // And after Browse it is current again
        etcd_.put("moving/b", "2");
        etcd_.put("moving/c", "3");
        etcd_.put("moving/d", "4");
        browser.browse("moving/", 0);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        QCOMPARE(browser.model()->rowCount(), 4);
        QVERIFY2(!status->text().contains("moved on"), qPrintable(status->text()));

        // And when the tab is opened again after the store moved on, it reads the newest keys by itself
        const std::int64_t newer = etcd_.put("moving/e", "5");
        browser.setStoreRevision(newer);
        QVERIFY(status->text().contains("moved on"));
        browser.show();  // (it was never shown: this is the tab coming into view)
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->readRevision(), qint64(newer), kWaitMs);
        QVERIFY(loadAll(*browser.model(), {}) >= 0);
        QCOMPARE(browser.model()->rowCount(), 5);
        QVERIFY2(!status->text().contains("moved on"), qPrintable(status->text()));
    }

    void shouldBrowseOverTlsWithAClientCertificate()
    {
        // Given an etcd that speaks TLS only to clients with a certificate from CA1
        testing::TestPki pki;
        QVERIFY2(pki.create().isEmpty(), "openssl could not make the test certificates");
        const int tlsPort = freeLoopbackPort();
        const auto tls = testing::tlsEtcd(pki, "key-browser", tlsPort);
        EtcdProcess& etcd = *tls;
        const std::string etcdError = etcd.start();
        QVERIFY2(etcdError.empty(), etcdError.c_str());
        etcd.put("tls/a", "1");
        etcd.put("tls/b/c", "2");
        ConnectionOptions options;
        options.endpoints = {"127.0.0.1:" + std::to_string(tlsPort)};
        options.tls.caFile = pki.path("ca1.crt").toStdString();
        options.tls.certFile = pki.path("client.crt").toStdString();
        options.tls.keyFile = pki.path("client.key").toStdString();
        AdminClient client;
        client.setConnection(options);
        KeyTreeModel model(&client);
        // When the tree is read over TLS
        model.setRoot("tls/");
        QVERIFY(loadAll(model, {}) >= 0);
        // Then it shows the keys
        QCOMPARE(keysOf(model, {}), (QList<QByteArray>{"tls/a", "tls/b/"}));

        // And with a CA that did not sign etcd's certificate, it says so and shows nothing
        options.tls.caFile = pki.path("ca2.crt").toStdString();
        client.setConnection(options);
        QSignalSpy failed(&model, &KeyTreeModel::loadFailed);
        model.setRoot("tls/");
        model.fetchMore({});
        QVERIFY(failed.wait(kWaitMs));
        const QString sentence = failed.at(0).at(0).toString();
        QVERIFY2(sentence.contains("certificate") && sentence.contains("ca2.crt"), qPrintable(sentence));
        QCOMPARE(model.rowCount(), 0);
    }

private:
    static void saveShot(QWidget& widget, const char* name)
    {
        QApplication::processEvents();
        const QString path = QDir::temp().filePath(name);
        QVERIFY2(widget.grab().save(path), qPrintable(path));
        qInfo("screenshot: %s", qPrintable(path));
    }

    ConnectionOptions options() const
    {
        ConnectionOptions o;
        o.endpoints = {etcd_.endpoint()};
        return o;
    }

    EtcdProcess etcd_{QStringList{"--max-txn-ops=1000"}};
    AdminClient client_;
};

QTEST_MAIN(TestKeyBrowser)
#include "tst_key_browser.moc"
