// The recording as a history: snapshots kept whole or not at all, the
// schema migrated from version 1, and the state of a range at a past
// revision put together from a snapshot and the changes after it — or
// refused where the recording cannot know it. Every test runs on SQLite and
// again on a throwaway PostgreSQL server.
#include "recording/event_store.h"
#include "recording/recorded_state.h"
#include "postgres_process.h"
#include "record_fixtures.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <memory>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

WatchSpec prefix(const std::string& key)
{
    WatchSpec spec;
    spec.key = key;
    spec.rangeEnd = prefixRangeEnd(key);
    return spec;
}

KeyValue kv(std::string key, std::string value, std::int64_t modRevision)
{
    return {std::move(key), std::move(value), modRevision - 1, modRevision, 1, 0};
}

// Pages handed to addSnapshot one by one; `failAt` (if set) fails that page.
struct Pages {
    std::vector<std::vector<KeyValue>> pages;
    int failAt = -1;
    int next = 0;
    std::optional<std::vector<KeyValue>> operator()(QString* error)
    {
        if (next == failAt) {
            *error = "the member stopped answering";
            return std::nullopt;
        }
        if (next >= int(pages.size()))
            return std::vector<KeyValue>{};
        return pages[std::size_t(next++)];
    }
};

// Key -> value of a state, for readable comparisons.
std::map<std::string, std::string> values(const RecordedState& state)
{
    std::map<std::string, std::string> out;
    for (const auto& [key, kv] : state.keys)
        out[key] = kv.value;
    return out;
}

}  // namespace

class TestRecordedHistory : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    PostgresProcess* m_server = nullptr;  // null: SQLite

    // Where a new, empty log lives: a file, or a new database on the server.
    QString newLocation()
    {
        if (!m_server)
            return m_dir->filePath(QStringLiteral("log%1.sqlite").arg(++m_logs));
        std::string error;
        const QString url = m_server->createDatabase(&error);
        if (url.isEmpty())
            qWarning("cannot create a database: %s", error.c_str());
        return url;
    }
    int m_logs = 0;

    std::unique_ptr<EventStore> openStore()
    {
        QString error;
        auto store = EventStore::open(newLocation(), &error);
        if (!store)
            qWarning("cannot open the store: %s", qPrintable(error));
        return store;
    }

    // A connection of the log's own engine, to write or inspect it by hand.
    QSqlDatabase rawConnection(const QString& location, const QString& name)
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(m_server ? "QPSQL" : "QSQLITE", name);
        if (m_server) {
            const QUrl url(location);
            db.setHostName(url.host());
            db.setPort(url.port());
            db.setUserName(url.userName());
            db.setDatabaseName(url.path().mid(1));
        } else {
            db.setDatabaseName(location);
        }
        return db;
    }

    // A recorded watch of `spec` from revision `start`; its storeId.
    static qint64 addWatch(EventStore& store, const WatchSpec& spec, qint64 start)
    {
        WatchDefinition definition;
        definition.spec = spec;
        definition.spec.startRevision = start;
        definition.label = "test";
        return store.addWatch(definition);
    }

public:
    explicit TestRecordedHistory(PostgresProcess* server = nullptr)
        : m_server(server)
    {
    }

private slots:
    void initTestCase() { qInfo("engine: %s", m_server ? "PostgreSQL" : "SQLite"); }
    void init() { m_dir = std::make_unique<QTemporaryDir>(); }

    void shouldKeepASnapshotWholeOrNotAtAll()
    {
        // Given a recorded watch
        auto store = openStore();
        QVERIFY(store);
        const qint64 watch = addWatch(*store, prefix("s/"), 1);
        // When a snapshot fails on its second page, and then one succeeds over two pages
        Pages failing{{{kv("s/a", "1", 3)}, {kv("s/b", "2", 4)}}, 1};
        QString error;
        QVERIFY(!store->addSnapshot(watch, 9, std::ref(failing), &error));
        QVERIFY2(error.contains("the member stopped answering"), qPrintable(error));
        const auto none = store->snapshots(watch, &error);
        QVERIFY(none && none->empty());
        Pages good{{{kv("s/a", "1", 3), kv("s/b", "2", 4)}, {kv("s/c", "3", 5)}}};
        qint64 keys = 0;
        QVERIFY2(store->addSnapshot(watch, 9, std::ref(good), &error, &keys), qPrintable(error));
        // Then only the whole one is kept, with its keys in order, filtered by range
        QCOMPARE(keys, qint64(3));
        const auto kept = store->snapshots(watch, &error);
        QVERIFY(kept);
        QCOMPARE(kept->size(), std::size_t(1));
        QCOMPARE(kept->front().revision, qint64(9));
        QCOMPARE(kept->front().keys, qint64(3));
        WatchSpec two;
        two.key = "s/b";
        two.rangeEnd = "s/d";
        const auto inRange = store->snapshotKeys(kept->front().id, two, {}, 10, &error);
        QVERIFY(inRange);
        QCOMPARE(inRange->size(), std::size_t(2));
        QCOMPARE(inRange->at(0).key, std::string("s/b"));
        QCOMPARE(inRange->at(1).value, std::string("3"));
        const auto afterB = store->snapshotKeys(kept->front().id, two, "s/b", 10, &error);
        QVERIFY(afterB);
        QCOMPARE(afterB->size(), std::size_t(1));
    }

    void shouldMigrateASchemaOneLogAndKeepItsEvents()
    {
        // Given a log as schema 1 wrote it (tables as they were), with one event
        const QString path = newLocation();
        const QString id = m_server ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY";
        const QString integer = m_server ? "BIGINT" : "INTEGER";
        const QString bytes = m_server ? "BYTEA" : "BLOB";
        {
            QSqlDatabase db = rawConnection(path, "v1");
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QString("CREATE TABLE meta(key TEXT PRIMARY KEY, value %1)").arg(m_server ? "BIGINT" : "")));
            QVERIFY(q.exec("INSERT INTO meta VALUES('schema_version', 1)"));
            QVERIFY(q.exec(QString("CREATE TABLE events(id %1, received_ms %2 NOT NULL DEFAULT 0,"
                                   " watch %2 NOT NULL, kind %2 NOT NULL, key %3, value %3, prev_value %3 NULL,"
                                   " mod_revision %2 NOT NULL DEFAULT 0, create_revision %2 NOT NULL DEFAULT 0,"
                                   " version %2 NOT NULL DEFAULT 0, lease %2 NOT NULL DEFAULT 0,"
                                   " gap_from %2 NOT NULL DEFAULT 0, gap_to %2 NOT NULL DEFAULT 0, note TEXT)")
                               .arg(id, integer, bytes)));
            QVERIFY(q.exec(QString("INSERT INTO events(watch, kind, key, value, mod_revision) VALUES(1, 0, %1, %2, 7)")
                               .arg(m_server ? "'\\x6b'::bytea" : "x'6b'", m_server ? "'\\x76'::bytea" : "x'76'")));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase("v1");
        // When this build opens it
        QString error;
        {
            auto store = EventStore::open(path, &error);
            QVERIFY2(store, qPrintable(error));
            // Then the event is there, read through the new index, and snapshots can be kept
            WatchSpec key;
            key.key = "k";
            const auto found = store->changes(key, 0, 0, 0, {}, 10, &error);
            QVERIFY2(found, qPrintable(error));
            QCOMPARE(found->size(), std::size_t(1));
            QCOMPARE(found->front().value, QByteArray("v"));
            Pages one{{{kv("k", "v", 7)}}};
            QVERIFY2(store->addSnapshot(1, 7, std::ref(one), &error), qPrintable(error));
        }
        // ... and the file says schema 4, with the indexes by key and of gaps,
        // and gaps that can name a revision that may lack its DELETEs
        QSqlDatabase db = rawConnection(path, "check");
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec("SELECT value FROM meta WHERE key = 'schema_version'") && q.next());
            QCOMPARE(q.value(0).toInt(), 4);
            QVERIFY(q.exec(m_server ? "SELECT count(*) FROM pg_indexes WHERE indexname IN ('events_by_key', 'events_gaps')"
                                    : "SELECT count(*) FROM sqlite_master WHERE name IN ('events_by_key', 'events_gaps')")
                    && q.next());
            QCOMPARE(q.value(0).toInt(), 2);
            QVERIFY(q.exec("SELECT gap_may_lack_deletes_at FROM events"));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 0);  // the old event's, by the column's default
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase("check");
    }

    void shouldTellAPastStateFromASnapshotAndTheChangesAfterIt()
    {
        // Given a watch recorded from revision 1 of a compacted store: the gap below
        // the compaction point (10), the range as it was at 10, and the changes after
        auto store = openStore();
        QVERIFY(store);
        const qint64 watch = addWatch(*store, prefix("r/"), 1);
        std::vector<EventRecord> records{makeGap(watch, 1, 10)};
        QString error;
        QVERIFY(store->append(records, &error));
        Pages at10{{{kv("r/a", "a0", 4), kv("r/b", "b0", 8)}}};
        QVERIFY(store->addSnapshot(watch, 10, std::ref(at10), &error));
        records = {makeRecord(watch, RecordKind::Put, "r/c", "c1", 11),
                   makeRecord(watch, RecordKind::Delete, "r/a", "", 12),
                   makeRecord(watch, RecordKind::Put, "r/b", "b1", 13),
                   makeRecord(watch, RecordKind::Put, "r/bb", "x", 14)};
        QVERIFY(store->append(records, &error));

        // When the state is asked at revisions after the snapshot
        const RecordedState at11 = recordedStateAt(*store, prefix("r/"), 11);
        const RecordedState at13 = recordedStateAt(*store, prefix("r/"), 13);
        WatchSpec onlyB;
        onlyB.key = "r/b";
        const RecordedState bAt12 = recordedStateAt(*store, onlyB, 12);
        // Then each is the snapshot with the changes up to it applied
        QVERIFY2(at11.error.isEmpty(), qPrintable(at11.error));
        const std::map<std::string, std::string> expected11{{"r/a", "a0"}, {"r/b", "b0"}, {"r/c", "c1"}};
        QCOMPARE(values(at11), expected11);
        QCOMPARE(at11.snapshot, qint64(10));
        QCOMPARE(at11.keys.at("r/a").modRevision, std::int64_t(4));
        const std::map<std::string, std::string> expected13{{"r/b", "b1"}, {"r/c", "c1"}};
        QCOMPARE(values(at13), expected13);
        const std::map<std::string, std::string> expectedB{{"r/b", "b0"}};
        QCOMPARE(values(bAt12), expectedB);

        // And inside the gap, past the recording's end, or outside every watch it refuses
        const RecordedState inGap = recordedStateAt(*store, prefix("r/"), 9);
        QVERIFY(inGap.keys.empty());
        QVERIFY2(inGap.error.contains("1 to 10") && inGap.error.contains("compacted"), qPrintable(inGap.error));
        const RecordedState later = recordedStateAt(*store, prefix("r/"), 15);
        QVERIFY2(later.error.contains("ends at revision 14"), qPrintable(later.error));
        const RecordedState outside = recordedStateAt(*store, prefix("q/"), 12);
        QVERIFY2(outside.error.contains("No recorded watch covers"), qPrintable(outside.error));
    }

    void shouldRefuseAStateAcrossALaterGapUntilTheNextSnapshot()
    {
        // Given a watch from revision 1, a gap 6-9 while the recorder was down,
        // and the snapshot read after it at 9
        auto store = openStore();
        QVERIFY(store);
        const qint64 watch = addWatch(*store, prefix("g/"), 1);
        std::vector<EventRecord> records{makeRecord(watch, RecordKind::Put, "g/a", "1", 2),
                                         makeRecord(watch, RecordKind::Put, "g/b", "2", 3),
                                         makeGap(watch, 6, 9)};
        QString error;
        QVERIFY(store->append(records, &error));
        Pages at9{{{kv("g/b", "2b", 7)}}};  // g/a was deleted, g/b changed, while it was down
        QVERIFY(store->addSnapshot(watch, 9, std::ref(at9), &error));
        records = {makeRecord(watch, RecordKind::Put, "g/c", "3", 10)};
        QVERIFY(store->append(records, &error));
        // When states before, inside and after the gap are asked
        const RecordedState before = recordedStateAt(*store, prefix("g/"), 4);
        const RecordedState inside = recordedStateAt(*store, prefix("g/"), 7);
        const RecordedState after = recordedStateAt(*store, prefix("g/"), 10);
        // Then before it the events from revision 1 tell it, inside it nothing does,
        // after it the snapshot does (g/a gone, which no event said)
        const std::map<std::string, std::string> expectedBefore{{"g/a", "1"}, {"g/b", "2"}};
        QCOMPARE(values(before), expectedBefore);
        QCOMPARE(before.snapshot, qint64(0));
        QVERIFY2(inside.error.contains("6 to 9"), qPrintable(inside.error));
        const std::map<std::string, std::string> expectedAfter{{"g/b", "2b"}, {"g/c", "3"}};
        QCOMPARE(values(after), expectedAfter);
    }

    void shouldRefuseTheStateOfAWatchThatStartedFromNow()
    {
        // Given a monitor's watch (from now, no snapshot) with changes
        auto store = openStore();
        QVERIFY(store);
        const qint64 watch = addWatch(*store, prefix("m/"), 0);
        std::vector<EventRecord> records{makeRecord(watch, RecordKind::Put, "m/a", "1", 5)};
        QString error;
        QVERIFY(store->append(records, &error));
        // When its state is asked, then the recording says it holds only changes
        const RecordedState state = recordedStateAt(*store, prefix("m/"), 5);
        QVERIFY(state.keys.empty());
        QVERIFY2(state.error.contains("holds only the changes"), qPrintable(state.error));
    }

    void shouldKeepWhatIsLeftAnswerableWhenOldEventsArePruned()
    {
        // Given a watch from revision 1 with changes at revisions 2..9, and a monitor's watch without a known state
        auto store = openStore();
        QVERIFY(store);
        const qint64 watch = addWatch(*store, prefix("p/"), 1);
        const qint64 monitor = addWatch(*store, prefix("m/"), 0);
        std::vector<EventRecord> records{
            makeRecord(watch, RecordKind::Put, "p/a", "a1", 2), makeRecord(watch, RecordKind::Put, "p/b", "b1", 3),
            makeRecord(watch, RecordKind::Put, "p/a", "a2", 4), makeRecord(watch, RecordKind::Delete, "p/b", "", 5),
            makeRecord(monitor, RecordKind::Put, "m/x", "x1", 6), makeRecord(watch, RecordKind::Put, "p/c", "c1", 7),
            makeRecord(watch, RecordKind::Put, "p/a", "a3", 8), makeRecord(monitor, RecordKind::Put, "m/x", "x2", 9)};
        QString error;
        QVERIFY(store->append(records, &error));
        const std::map<std::string, std::string> atSeven = values(recordedStateAt(*store, prefix("p/"), 7));
        const std::map<std::string, std::string> atEight = values(recordedStateAt(*store, prefix("p/"), 8));

        // When everything up to revision 7 is pruned
        std::vector<PrunedWatch> report;
        QVERIFY2(pruneRecording(*store, 7, &report, &error), qPrintable(error));

        // Then the states from 7 on are what they were, older ones are refused, and the events after 7 remain
        QCOMPARE(values(recordedStateAt(*store, prefix("p/"), 7)), atSeven);
        QCOMPARE(values(recordedStateAt(*store, prefix("p/"), 8)), atEight);
        const RecordedState before = recordedStateAt(*store, prefix("p/"), 5);
        QVERIFY2(before.error.contains("1 to 7"), qPrintable(before.error));
        QCOMPARE(report.size(), std::size_t(2));
        QCOMPARE(report[0].keptKeys, std::optional<qint64>(2));  // p/a and p/c
        QVERIFY(!report[1].keptKeys);                            // the monitor's watch: its state was never known
        WatchSpec all = prefix("");
        all.rangeEnd = std::string(1, '\0');
        const auto left = store->changes(all, 0, 0, 0, {}, 100, &error);
        QVERIFY(left);
        std::vector<qint64> revisions;
        for (const EventRecord& r : *left)
            revisions.push_back(r.modRevision);
        QCOMPARE(revisions, (std::vector<qint64>{8, 9}));
        // ... the history shows the pruned revisions as a gap and the kept versions
        HistoryQuery query;
        query.range = prefix("p/");
        const auto history = recordedHistory(*store, query, &error);
        QVERIFY(history);
        QCOMPARE(history->front().kind, RecordKind::Gap);
        QCOMPARE(history->front().gapTo, qint64(7));
        QCOMPARE(history->size(), std::size_t(4));  // the gap, p/a@4 and p/c@7 kept, p/a@8
        // ... and the space is given back
        QVERIFY2(store->giveSpaceBack(&error), qPrintable(error));
    }

    void shouldTellRangesApart_data()
    {
        QTest::addColumn<QByteArray>("outerKey");
        QTest::addColumn<QByteArray>("outerEnd");
        QTest::addColumn<QByteArray>("innerKey");
        QTest::addColumn<QByteArray>("innerEnd");
        QTest::addColumn<bool>("contains");
        QTest::addColumn<bool>("overlaps");
        const QByteArray all("\0", 1);
        QTest::newRow("prefix holds a key") << QByteArray("a/") << QByteArray("a0") << QByteArray("a/x") << QByteArray() << true << true;
        QTest::newRow("key holds itself") << QByteArray("k") << QByteArray() << QByteArray("k") << QByteArray() << true << true;
        QTest::newRow("key does not hold a prefix") << QByteArray("k") << QByteArray() << QByteArray("k") << QByteArray("l") << false << true;
        QTest::newRow("from-key holds all after") << QByteArray("m") << all << QByteArray("z") << QByteArray("zz") << true << true;
        QTest::newRow("range does not hold from-key") << QByteArray("a") << QByteArray("z") << QByteArray("b") << all << false << true;
        QTest::newRow("disjoint") << QByteArray("a") << QByteArray("b") << QByteArray("b") << QByteArray("c") << false << false;
        QTest::newRow("overlapping") << QByteArray("a") << QByteArray("c") << QByteArray("b") << QByteArray("d") << false << true;
    }

    void shouldTellRangesApart()
    {
        QFETCH(QByteArray, outerKey);
        QFETCH(QByteArray, outerEnd);
        QFETCH(QByteArray, innerKey);
        QFETCH(QByteArray, innerEnd);
        QFETCH(bool, contains);
        QFETCH(bool, overlaps);
        WatchSpec outer{outerKey.toStdString(), outerEnd.toStdString()};
        WatchSpec inner{innerKey.toStdString(), innerEnd.toStdString()};
        QCOMPARE(rangeContains(outer, inner), contains);
        QCOMPARE(rangesOverlap(outer, inner), overlaps);
        QCOMPARE(rangesOverlap(inner, outer), overlaps);
    }
};

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    TestRecordedHistory onSqlite;
    int status = QTest::qExec(&onSqlite, argc, argv);
    PostgresProcess server;
    const std::string error = server.start();
    if (!error.empty()) {
        qCritical("cannot start a throwaway PostgreSQL: %s", error.c_str());
        return 1;
    }
    TestRecordedHistory onPostgres(&server);
    status |= QTest::qExec(&onPostgres, argc, argv);
    return status;
}
#include "tst_recorded_history.moc"
