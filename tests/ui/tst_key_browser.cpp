// The key browser's tree model against a real etcd: paging through 100,000
// keys under one prefix, folders that span pages, the key space as of an
// older revision, a compacted revision, binary keys.
#include "etcd_process.h"
#include "key_tree_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::testing;
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
        QVERIFY2(etcd_.start().empty(), "etcd did not start");
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

private:
    ConnectionOptions options() const
    {
        ConnectionOptions o;
        o.endpoints = {etcd_.endpoint()};
        return o;
    }

    EtcdProcess etcd_{QStringList{"--max-txn-ops=1000"}};
    KvClient client_;
};

QTEST_MAIN(TestKeyBrowser)
#include "tst_key_browser.moc"
