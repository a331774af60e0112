// The event log store against a real SQLite database in a temporary folder:
// binary safety, paging, filters, watches across restarts, exports in the
// CLI's JSONL format and in CSV, cancelled exports, and a full disk.
// Expected values are written out by hand, or decoded with Qt's own JSON
// parser and base64 decoder, never produced by the store's code.
#include "record_fixtures.h"
#include "recording/event_store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include "report.h"

#include <QtTest>

#include <csignal>
#include <sys/resource.h>

#include <algorithm>
#include <memory>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr qint64 kAnyWatch = 0;   // filter columns: no watch filter
constexpr int kAnyKind = -1;      // filter columns: no kind filter
constexpr int kAllRecords = 1'000'000;

void compareStored(const EventRecord& actual, const EventRecord& expected)
{
    compareContent(actual, expected);
    QCOMPARE(actual.id, expected.id);
    QCOMPARE(actual.receivedMs, expected.receivedMs);
    QCOMPARE(actual.note, expected.note);
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

QJsonObject parseJsonLine(const QByteArray& line)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return {};
    return document.object();
}

QByteArray base64Field(const QJsonObject& object, const QString& name)
{
    return QByteArray::fromBase64(object.value(name).toString().toLatin1());
}

// A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and
// line breaks; records end with CRLF.
QList<QList<QByteArray>> parseCsv(const QByteArray& text)
{
    QList<QList<QByteArray>> rows;
    QList<QByteArray> row;
    QByteArray field;
    bool inQuotes = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (inQuotes) {
            if (c != '"')
                field += c;
            else if (i + 1 < text.size() && text.at(i + 1) == '"')
                field += text.at(++i);
            else
                inQuotes = false;
        } else if (c == '"') {
            inQuotes = true;
        } else if (c == ',') {
            row << field;
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text.at(i + 1) == '\n') {
            ++i;
            row << field;
            rows << row;
            row.clear();
            field.clear();
        } else {
            field += c;
        }
    }
    if (!field.isEmpty() || !row.isEmpty()) {
        row << field;
        rows << row;
    }
    return rows;
}

// Lowers this process's file-size limit (RLIMIT_FSIZE) and ignores SIGXFSZ,
// so that a write past the limit fails with EFBIG as on a full disk instead
// of killing the test. Restores both on restore() or when it goes out of
// scope, so a failing QVERIFY cannot leave the limit behind.
class FileSizeLimit {
public:
    explicit FileSizeLimit(qint64 limitBytes)
    {
        if (getrlimit(RLIMIT_FSIZE, &m_oldLimit) != 0)
            return;
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        if (sigaction(SIGXFSZ, &ignore, &m_oldAction) != 0)
            return;
        m_signalChanged = true;
        rlimit lowered = m_oldLimit;
        lowered.rlim_cur = rlim_t(limitBytes);
        m_limitChanged = setrlimit(RLIMIT_FSIZE, &lowered) == 0;
    }
    ~FileSizeLimit() { restore(); }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

    bool isActive() const { return m_limitChanged; }

    void restore()
    {
        if (m_limitChanged && setrlimit(RLIMIT_FSIZE, &m_oldLimit) == 0)
            m_limitChanged = false;
        if (m_signalChanged && sigaction(SIGXFSZ, &m_oldAction, nullptr) == 0)
            m_signalChanged = false;
    }

private:
    rlimit m_oldLimit {};
    struct sigaction m_oldAction {};
    bool m_limitChanged = false;
    bool m_signalChanged = false;
};

qint64 fileSize(const QString& path) { return QFileInfo(path).size(); }

// The largest of the database's files: a limit just above it lets SQLite go
// on writing where it already has room, and fail as soon as a file grows.
qint64 largestStoreFile(const QString& databasePath)
{
    return std::max({fileSize(databasePath), fileSize(databasePath + "-wal"), fileSize(databasePath + "-shm")});
}

}  // namespace

class TestEventStore : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_storePath;

    std::unique_ptr<EventStore> openStore()
    {
        QString error;
        std::unique_ptr<EventStore> store = EventStore::open(m_storePath, &error);
        if (!store)
            qWarning("cannot open the store: %s", qPrintable(error));
        return store;
    }

    // Records of two watches, every kind, keys sharing substrings; their
    // mod revisions (10…15) name them in the expected lists below.
    static std::vector<EventRecord> filterFixture()
    {
        return {
            makeRecord(1, RecordKind::Put, "app/a", "1", 10),
            makeRecord(1, RecordKind::Delete, "app/b", "", 11),
            makeRecord(2, RecordKind::Put, "db/a", "2", 12),
            makeGap(2, 5, 13),
            makeNote(1, "Connection lost.", 14),
            makeRecord(2, RecordKind::Put, "app/c", "3", 15),
        };
    }

    // A PUT with a previous value, a binary PUT, a DELETE, a gap (whose next
    // revision may lack its DELETEs) and a note.
    static std::vector<EventRecord> exportFixture()
    {
        EventRecord withPrev = makeRecord(3, RecordKind::Put, "app/a", "v1", 10);
        withPrev.hasPrevValue = true;
        withPrev.prevValue = "v0";
        withPrev.lease = 7;
        EventRecord binary = makeRecord(4, RecordKind::Put, QByteArray("\0\xff", 2), QByteArray("x\xc0\xaf", 3), 11);
        EventRecord deletion = makeRecord(3, RecordKind::Delete, "app/b", "", 12);
        EventRecord gap = makeGap(4, 13, 20);
        gap.gapMayLackDeletesAt = 21;
        return {withPrev, binary, deletion, gap, makeNote(3, "Connection lost.", 21)};
    }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_storePath = m_dir->filePath("logs/events.db");  // the folder does not exist yet
    }

    void cleanup() { m_dir.reset(); }

    void shouldRoundTripBinaryKeysAndValuesExactly_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<bool>("hasPrevValue");
        QTest::addColumn<QByteArray>("prevValue");
        QTest::newRow("NUL inside key and value")
            << int(RecordKind::Put) << QByteArray("a\0b", 3) << QByteArray("\0\0x\0", 4) << false << QByteArray();
        QTest::newRow("only NUL") << int(RecordKind::Put) << QByteArray("\0", 1) << QByteArray("\0", 1) << true
                                  << QByteArray("\0\0", 2);
        QTest::newRow("not UTF-8") << int(RecordKind::Put) << QByteArray("\xff\xfe\x80") << QByteArray("\xc0\xaf")
                                   << true << QByteArray("\xed\xa0\x80");
        QTest::newRow("empty value and empty previous value")
            << int(RecordKind::Put) << QByteArray("k") << QByteArray() << true << QByteArray();
        QTest::newRow("delete with binary previous value")
            << int(RecordKind::Delete) << QByteArray("gone") << QByteArray() << true << QByteArray("old\0val", 7);
        QTest::newRow("multi-byte UTF-8") << int(RecordKind::Put) << QByteArray("clé/日本") << QByteArray("😀")
                                          << false << QByteArray();
    }
    void shouldRoundTripBinaryKeysAndValuesExactly()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, value);
        QFETCH(bool, hasPrevValue);
        QFETCH(QByteArray, prevValue);
        // Given a record with these bytes
        EventRecord record = makeRecord(9, RecordKind(kind), key, value, 42);
        record.hasPrevValue = hasPrevValue;
        record.prevValue = prevValue;
        std::vector<EventRecord> records{record};
        {
            auto store = openStore();
            QVERIFY(store);
            QString error;
            // When it is appended and the store is closed and reopened
            QVERIFY2(store->append(records, &error), qPrintable(error));
            QVERIFY(records.front().id > 0);
        }
        auto store = openStore();
        QVERIFY(store);
        // Then it reads back byte for byte
        const std::vector<EventRecord> read = store->read({}, 0, kAllRecords);
        QCOMPARE(read.size(), std::size_t(1));
        record.id = records.front().id;
        compareStored(read.front(), record);
    }

    void shouldStoreTheSameRowsThroughSqliteItselfAsThroughQtStatements()
    {
        // Given the export fixture (every kind, binary bytes, a lease, a gap's extra
        // revision, a note) plus an empty key and an empty previous value
        std::vector<EventRecord> records = exportFixture();
        EventRecord empty = makeRecord(3, RecordKind::Put, QByteArray(), QByteArray(), 30);
        empty.hasPrevValue = true;
        records.push_back(empty);
        // When one log takes them through SQLite's own interface (the default)
        // and another through Qt's prepared statements
        QStringList dumps;
        for (const bool bulk : {true, false}) {
            const QString path = m_dir->filePath(bulk ? "bulk.db" : "statements.db");
            QString error;
            auto store = EventStore::open(path, &error);
            QVERIFY2(store, qPrintable(error));
            QVERIFY(store->bulkWrites());  // the driver's handle is the SQLite this was built with
            store->setBulkWrites(bulk);
            QCOMPARE(store->bulkWrites(), bulk);
            std::vector<EventRecord> batch = records;
            QVERIFY2(store->append(batch, &error), qPrintable(error));
            for (std::size_t i = 0; i < batch.size(); ++i)
                QCOMPARE(batch[i].id, qint64(i + 1));
            store.reset();
            // Then every column of every row, with SQLite's own type of each value, is the same
            const QString connection = bulk ? "dump-bulk" : "dump-statements";
            QString dump;
            {
                QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", connection);
                db.setDatabaseName(path);
                QVERIFY(db.open());
                QSqlQuery rows(db);
                QVERIFY(rows.exec("SELECT * FROM events ORDER BY id"));
                const int columns = rows.record().count();
                while (rows.next()) {
                    for (int c = 0; c < columns; ++c) {
                        QSqlQuery type(db);
                        QVERIFY(type.exec(QString("SELECT typeof(%1), hex(%1) FROM events WHERE id = %2")
                                              .arg(rows.record().fieldName(c))
                                              .arg(rows.value(0).toLongLong())));
                        QVERIFY(type.next());
                        dump += QString("%1=%2:%3 ").arg(rows.record().fieldName(c), type.value(0).toString(),
                                                         type.value(1).toString());
                    }
                    dump += '\n';
                }
            }
            QSqlDatabase::removeDatabase(connection);
            dumps << dump;
        }
        QCOMPARE(dumps.at(0).count('\n'), qsizetype(records.size()));
        QCOMPARE(dumps.at(0), dumps.at(1));
        // And the values are what was written (a NULL previous value only where there is none)
        QVERIFY2(dumps.at(0).contains("prev_value=null:"), qPrintable(dumps.at(0)));
        QVERIFY2(dumps.at(0).contains("key=blob: "), qPrintable(dumps.at(0)));  // the empty key: a blob, not NULL
        QVERIFY2(dumps.at(0).contains("key=blob:00FF "), qPrintable(dumps.at(0)));
    }

    void shouldAppendTenThousandRecordsInOneCallAndReadThemBackInPages()
    {
        constexpr int kRecordCount = 10'000;
        constexpr int kPageSize = 999;          // not a divisor: the last page is partial
        constexpr int kExpectedPages = 11;      // 10 × 999 + 1 × 10
        // Given ten thousand records in one batch
        std::vector<EventRecord> records;
        for (int i = 0; i < kRecordCount; ++i)
            records.push_back(makeRecord(1, RecordKind::Put, "key/" + QByteArray::number(i), QByteArray::number(i * 7), i + 1));
        auto store = openStore();
        QVERIFY(store);
        QString error;
        // When they are appended in one call
        QVERIFY2(store->append(records, &error), qPrintable(error));
        // Then each got an id, increasing in batch order
        for (std::size_t i = 1; i < records.size(); ++i)
            QVERIFY2(records[i].id > records[i - 1].id, qPrintable(QString("record %1").arg(i)));
        QCOMPARE(store->count({}), qint64(kRecordCount));
        // And they read back page by page, in order
        std::vector<EventRecord> all;
        int pages = 0;
        qint64 afterId = 0;
        for (;;) {
            const std::vector<EventRecord> page = store->read({}, afterId, kPageSize);
            if (page.empty())
                break;
            QVERIFY(page.size() <= std::size_t(kPageSize));
            ++pages;
            afterId = page.back().id;
            all.insert(all.end(), page.begin(), page.end());
        }
        QCOMPARE(pages, kExpectedPages);
        QCOMPARE(all.size(), std::size_t(kRecordCount));
        for (int i = 0; i < kRecordCount; ++i) {
            QCOMPARE(all[i].modRevision, qint64(i + 1));
            QCOMPARE(all[i].key, "key/" + QByteArray::number(i));
            QCOMPARE(all[i].value, QByteArray::number(i * 7));
            QCOMPARE(all[i].id, records[i].id);
        }
    }

    void shouldFilterByWatchKeySubstringAndKind_data()
    {
        QTest::addColumn<qint64>("watch");
        QTest::addColumn<QString>("keyContains");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QList<qint64>>("expectedRevisions");
        QTest::newRow("no filter") << kAnyWatch << QString() << kAnyKind << QList<qint64>{10, 11, 12, 13, 14, 15};
        QTest::newRow("watch 1") << qint64(1) << QString() << kAnyKind << QList<qint64>{10, 11, 14};
        QTest::newRow("watch 2") << qint64(2) << QString() << kAnyKind << QList<qint64>{12, 13, 15};
        QTest::newRow("unknown watch") << qint64(99) << QString() << kAnyKind << QList<qint64>{};
        QTest::newRow("key prefix text") << kAnyWatch << QString("app/") << kAnyKind << QList<qint64>{10, 11, 15};
        QTest::newRow("key inner text") << kAnyWatch << QString("/a") << kAnyKind << QList<qint64>{10, 12};
        QTest::newRow("key is case-sensitive") << kAnyWatch << QString("APP") << kAnyKind << QList<qint64>{};
        QTest::newRow("key wildcard is literal") << kAnyWatch << QString("%") << kAnyKind << QList<qint64>{};
        QTest::newRow("puts") << kAnyWatch << QString() << int(RecordKind::Put) << QList<qint64>{10, 12, 15};
        QTest::newRow("gaps") << kAnyWatch << QString() << int(RecordKind::Gap) << QList<qint64>{13};
        QTest::newRow("notes") << kAnyWatch << QString() << int(RecordKind::Note) << QList<qint64>{14};
        QTest::newRow("watch 2 and key") << qint64(2) << QString("app") << kAnyKind << QList<qint64>{15};
        QTest::newRow("watch 1 and deletes") << qint64(1) << QString() << int(RecordKind::Delete) << QList<qint64>{11};
        QTest::newRow("all three") << qint64(2) << QString("a") << int(RecordKind::Put) << QList<qint64>{12, 15};
    }
    void shouldFilterByWatchKeySubstringAndKind()
    {
        QFETCH(qint64, watch);
        QFETCH(QString, keyContains);
        QFETCH(int, kind);
        QFETCH(QList<qint64>, expectedRevisions);
        // Given records of two watches and every kind
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> records = filterFixture();
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        RecordFilter filter;
        if (watch != kAnyWatch)
            filter.watch = watch;
        filter.keyContains = keyContains;
        if (kind != kAnyKind)
            filter.kind = RecordKind(kind);
        // When they are counted and read through the filter
        const qint64 counted = store->count(filter);
        const std::vector<EventRecord> read = store->read(filter, 0, kAllRecords);
        // Then exactly the expected ones match, in order
        QList<qint64> revisions;
        for (const EventRecord& r : read)
            revisions << r.modRevision;
        QCOMPARE(revisions, expectedRevisions);
        QCOMPARE(counted, qint64(expectedRevisions.size()));
    }

    void shouldPersistWatchesAcrossReopenWithLastRevision()
    {
        // Given three watches, one removed after recording an event, and last revisions set
        WatchDefinition prefix;
        prefix.label = "prefix services/";
        prefix.spec.key = "services/";
        prefix.spec.rangeEnd = "services0";
        prefix.spec.prevKv = true;
        prefix.spec.progressNotify = true;
        prefix.notify = true;
        WatchDefinition binaryKey;
        binaryKey.label = "key \\x00bin";
        binaryKey.spec.key = std::string("\0bin", 4);
        binaryKey.spec.startRevision = 42;
        binaryKey.spec.noDelete = true;
        binaryKey.lastRevision = 50;
        WatchDefinition removed;
        removed.label = "from key m";
        removed.spec.key = "m";
        removed.spec.rangeEnd = std::string(1, '\0');
        removed.spec.noPut = true;
        qint64 prefixId = 0;
        qint64 binaryId = 0;
        qint64 removedId = 0;
        {
            auto store = openStore();
            QVERIFY(store);
            prefixId = store->addWatch(prefix);
            binaryId = store->addWatch(binaryKey);
            removedId = store->addWatch(removed);
            QVERIFY(prefixId > 0);
            QVERIFY(binaryId > 0);
            QVERIFY(removedId > 0);
            QCOMPARE(QSet<qint64>({prefixId, binaryId, removedId}).size(), 3);
            std::vector<EventRecord> records{makeRecord(removedId, RecordKind::Put, "m1", "v", 5)};
            QString error;
            QVERIFY2(store->append(records, &error), qPrintable(error));
            store->removeWatch(removedId);
            store->setLastRevision(prefixId, 1234);
            store->setLastRevision(binaryId, 77);
        }
        // When the store is reopened
        auto store = openStore();
        QVERIFY(store);
        const std::vector<WatchDefinition> watches = store->watches();
        // Then the two remaining watches come back in id order, as they were, with their last revisions
        QCOMPARE(watches.size(), std::size_t(2));
        const WatchDefinition& first = watches[0];
        const WatchDefinition& second = watches[1];
        QCOMPARE(first.storeId, prefixId);
        QCOMPARE(first.handle, WatchHandle(0));
        QCOMPARE(first.label, QString("prefix services/"));
        QCOMPARE(first.spec.key, std::string("services/"));
        QCOMPARE(first.spec.rangeEnd, std::string("services0"));
        QVERIFY(first.spec.prevKv);
        QVERIFY(first.spec.progressNotify);
        QVERIFY(!first.spec.noPut);
        QVERIFY(!first.spec.noDelete);
        QCOMPARE(first.spec.startRevision, std::int64_t(0));
        QVERIFY(first.notify);
        QCOMPARE(first.lastRevision, qint64(1234));
        QCOMPARE(second.storeId, binaryId);
        QCOMPARE(second.label, QString("key \\x00bin"));
        QCOMPARE(second.spec.key, std::string("\0bin", 4));
        QCOMPARE(second.spec.rangeEnd, std::string());
        QCOMPARE(second.spec.startRevision, std::int64_t(42));
        QVERIFY(second.spec.noDelete);
        QVERIFY(!second.spec.prevKv);
        QVERIFY(!second.notify);
        QCOMPARE(second.lastRevision, qint64(77));
        // And the removed watch's events stay in the log
        RecordFilter ofRemoved;
        ofRemoved.watch = removedId;
        QCOMPARE(store->count(ofRemoved), qint64(1));
    }

    void shouldExportJsonlInTheCliFormat()
    {
        // Given a PUT with a previous value, a binary PUT, a DELETE, a gap and a note
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> records = exportFixture();
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        const QString exportPath = m_dir->filePath("export.jsonl");
        QList<QPair<qint64, qint64>> reports;
        const auto progress = [&](qint64 done, qint64 total) {
            reports.append({done, total});
            return true;
        };
        // When they are exported as JSONL
        QVERIFY2(store->exportTo(exportPath, ExportFormat::Jsonl, {}, progress, &error), qPrintable(error));
        // Then progress ends at all five records
        QVERIFY(!reports.isEmpty());
        QCOMPARE(reports.last(), (QPair<qint64, qint64>(5, 5)));
        // And every line but the note's is one JSON object in the CLI's fields
        const QByteArray contents = readAll(exportPath);
        QVERIFY(contents.endsWith('\n'));
        const QList<QByteArray> lines = contents.chopped(1).split('\n');
        QCOMPARE(lines.size(), 4);
        const QJsonObject put = parseJsonLine(lines[0]);
        QCOMPARE(put.value("watch").toInteger(), 3);
        QCOMPARE(put.value("type").toString(), QString("PUT"));
        QCOMPARE(put.value("key").toString(), QString("app/a"));
        QCOMPARE(put.value("value").toString(), QString("v1"));
        QCOMPARE(put.value("prev_value").toString(), QString("v0"));
        QCOMPARE(put.value("mod_revision").toInteger(), 10);
        QCOMPARE(put.value("create_revision").toInteger(), 9);
        QCOMPARE(put.value("version").toInteger(), 2);
        QCOMPARE(put.value("lease").toInteger(), 7);
        const QJsonObject binary = parseJsonLine(lines[1]);
        QCOMPARE(binary.value("watch").toInteger(), 4);
        QVERIFY(!binary.contains("key"));
        QCOMPARE(base64Field(binary, "key_b64"), QByteArray("\0\xff", 2));
        QCOMPARE(base64Field(binary, "value_b64"), QByteArray("x\xc0\xaf", 3));
        QVERIFY(!binary.contains("prev_value"));
        const QJsonObject deletion = parseJsonLine(lines[2]);
        QCOMPARE(deletion.value("type").toString(), QString("DELETE"));
        QCOMPARE(deletion.value("key").toString(), QString("app/b"));
        QCOMPARE(deletion.value("mod_revision").toInteger(), 12);
        QVERIFY(!deletion.contains("prev_value"));
        const QJsonObject gap = parseJsonLine(lines[3]);
        QCOMPARE(gap.value("watch").toInteger(), 4);
        QCOMPARE(gap.value("type").toString(), QString("GAP"));
        QCOMPARE(gap.value("from_revision").toInteger(), 13);
        QCOMPARE(gap.value("to_revision").toInteger(), 20);
        QCOMPARE(gap.value("may_lack_deletes_at").toInteger(), 21);
    }

    void shouldReadItsOwnJsonlExportBack()
    {
        // Given an exported log
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> records = exportFixture();
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        const QString exportPath = m_dir->filePath("export.jsonl");
        QVERIFY2(store->exportTo(exportPath, ExportFormat::Jsonl, {}, {}, &error), qPrintable(error));
        // When it is read for offline viewing
        const std::vector<EventRecord> read = readJsonlFile(exportPath, &error);
        // Then every record but the note comes back
        QCOMPARE(read.size(), std::size_t(4));
        for (std::size_t i = 0; i < read.size() && !QTest::currentTestFailed(); ++i)
            compareContent(read[i], records[i]);
    }

    void shouldExportCsvPerRfc4180()
    {
        // Given records whose text needs quoting, bytes that are not UTF-8, a gap and a note
        EventRecord quoted = makeRecord(7, RecordKind::Put, "plain", "has,comma", 10);
        quoted.receivedMs = 1'700'000'000'123;  // 2023-11-14T22:13:20.123Z
        quoted.hasPrevValue = true;
        quoted.prevValue = "say \"hi\"";
        quoted.lease = 5;
        EventRecord binary = makeRecord(7, RecordKind::Put, "multi\nline", QByteArray("\xff\0bin", 5), 11);
        binary.receivedMs = 0;
        EventRecord lookalike = makeRecord(8, RecordKind::Delete, "base64:key", "", 12);
        lookalike.receivedMs = 86'400'000;  // one day after the epoch
        EventRecord gap = makeGap(8, 13, 20);
        gap.receivedMs = 1'000;
        gap.gapMayLackDeletesAt = 21;
        EventRecord note = makeNote(7, "Connection lost, retrying.", 21);
        note.receivedMs = 1'500;
        std::vector<EventRecord> records{quoted, binary, lookalike, gap, note};
        auto store = openStore();
        QVERIFY(store);
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        const QString exportPath = m_dir->filePath("export.csv");
        // When they are exported as CSV
        QVERIFY2(store->exportTo(exportPath, ExportFormat::Csv, {}, {}, &error), qPrintable(error));
        const QByteArray contents = readAll(exportPath);
        // Then records end with CRLF and read back field by field
        QVERIFY(contents.endsWith("\r\n"));
        const QList<QList<QByteArray>> rows = parseCsv(contents);
        QCOMPARE(rows.size(), 6);
        QCOMPARE(rows[0], (QList<QByteArray>{"id", "received", "watch", "type", "key", "value", "prev_value",
                                             "mod_revision", "create_revision", "version", "lease", "gap_from",
                                             "gap_to", "gap_may_lack_deletes_at"}));
        const auto id = [&](int i) { return QByteArray::number(records[i].id); };
        QCOMPARE(rows[1], (QList<QByteArray>{id(0), "2023-11-14T22:13:20.123Z", "7", "PUT", "plain", "has,comma",
                                             "say \"hi\"", "10", "9", "2", "5", "", "", ""}));
        QCOMPARE(rows[2], (QList<QByteArray>{id(1), "1970-01-01T00:00:00.000Z", "7", "PUT", "multi\nline",
                                             "base64:" + QByteArray("\xff\0bin", 5).toBase64(), "", "11", "10",
                                             "2", "0", "", "", ""}));
        // text that looks like the base64 marker is encoded too, so a reader can always decode it
        QCOMPARE(rows[3], (QList<QByteArray>{id(2), "1970-01-02T00:00:00.000Z", "8", "DELETE",
                                             "base64:" + QByteArray("base64:key").toBase64(), "", "", "12", "11",
                                             "2", "0", "", "", ""}));
        QCOMPARE(rows[4], (QList<QByteArray>{id(3), "1970-01-01T00:00:01.000Z", "8", "GAP", "", "", "", "20", "0",
                                             "0", "0", "13", "20", "21"}));
        QCOMPARE(rows[5], (QList<QByteArray>{id(4), "1970-01-01T00:00:01.500Z", "7", "NOTE", "",
                                             "Connection lost, retrying.", "", "21", "0", "0", "0", "", "", ""}));
    }

    void shouldExportOnlyWhatTheFilterMatches()
    {
        // Given records of two watches
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> records = filterFixture();
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        RecordFilter puts;
        puts.kind = RecordKind::Put;
        puts.watch = 2;
        const QString exportPath = m_dir->filePath("puts.jsonl");
        // When only watch 2's PUTs are exported
        QVERIFY2(store->exportTo(exportPath, ExportFormat::Jsonl, puts, {}, &error), qPrintable(error));
        // Then the file holds just those
        const QList<QByteArray> lines = readAll(exportPath).trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QCOMPARE(parseJsonLine(lines[0]).value("key").toString(), QString("db/a"));
        QCOMPARE(parseJsonLine(lines[1]).value("key").toString(), QString("app/c"));
    }

    void shouldLeaveNoFileWhenExportIsCancelled_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("jsonl") << int(ExportFormat::Jsonl);
        QTest::newRow("csv") << int(ExportFormat::Csv);
    }
    void shouldLeaveNoFileWhenExportIsCancelled()
    {
        QFETCH(int, format);
        constexpr int kRecordCount = 5'000;
        // Given a log large enough to export in several pages
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> records;
        for (int i = 0; i < kRecordCount; ++i)
            records.push_back(makeRecord(1, RecordKind::Put, "k" + QByteArray::number(i), "v", i + 1));
        QString error;
        QVERIFY2(store->append(records, &error), qPrintable(error));
        const QString exportDir = m_dir->filePath("exports");
        QVERIFY(QDir().mkpath(exportDir));
        const QString exportPath = exportDir + "/cancelled.out";
        qint64 doneAtCancel = 0;
        qint64 totalAtCancel = 0;
        const auto cancelAfterSomeWork = [&](qint64 done, qint64 total) {
            doneAtCancel = done;
            totalAtCancel = total;
            return done == 0;
        };
        // When the user cancels once part of it is written
        const bool exported = store->exportTo(exportPath, ExportFormat(format), {}, cancelAfterSomeWork, &error);
        // Then the export fails as cancelled, part way through
        QVERIFY(!exported);
        QCOMPARE(error, QString("export cancelled"));
        QCOMPARE(totalAtCancel, qint64(kRecordCount));
        QVERIFY2(doneAtCancel > 0 && doneAtCancel < totalAtCancel, "should have been cancelled part way");
        // And no file, partial or temporary, is left behind
        QVERIFY(!QFile::exists(exportPath));
        QCOMPARE(QDir(exportDir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    void shouldRollBackAndKeepEarlierRecordsWhenTheDiskIsFull()
    {
        constexpr int kEarlierRecords = 100;
        constexpr qint64 kHeadroomBytes = 64 * 1024;
        constexpr qint64 kLargeValueBytes = 64 * 1024;
        // Given a log holding some records
        auto store = openStore();
        QVERIFY(store);
        std::vector<EventRecord> earlier;
        for (int i = 0; i < kEarlierRecords; ++i)
            earlier.push_back(makeRecord(1, RecordKind::Put, "early/" + QByteArray::number(i), "v" + QByteArray::number(i), i + 1));
        QString error;
        QVERIFY2(store->append(earlier, &error), qPrintable(error));
        // And a batch twice as large as the files may grow
        const qint64 limitBytes = largestStoreFile(m_storePath) + kHeadroomBytes;
        const qint64 largeCount = 2 * limitBytes / kLargeValueBytes + 1;
        std::vector<EventRecord> large;
        for (qint64 i = 0; i < largeCount; ++i)
            large.push_back(makeRecord(1, RecordKind::Put, "late/" + QByteArray::number(i),
                                       QByteArray(kLargeValueBytes, 'x'), kEarlierRecords + i + 1));
        bool appended = true;
        {
            // When the disk fills up while the batch is appended
            FileSizeLimit fullDisk(limitBytes);
            QVERIFY2(fullDisk.isActive(), "could not lower RLIMIT_FSIZE");
            appended = store->append(large, &error);
            fullDisk.restore();
            QVERIFY(!fullDisk.isActive());
        }
        // Then the append fails with one readable sentence, and no record got an id
        QVERIFY(!appended);
        QVERIFY(!error.isEmpty());
        QVERIFY2(!error.contains('\n') && error.endsWith('.'), qPrintable(error));
        QVERIFY(std::all_of(large.begin(), large.end(), [](const EventRecord& r) { return r.id == 0; }));
        // And after reopening, every earlier record is intact and none of the batch is there
        store.reset();
        store = openStore();
        QVERIFY(store);
        QCOMPARE(store->count({}), qint64(kEarlierRecords));
        const std::vector<EventRecord> read = store->read({}, 0, kAllRecords);
        QCOMPARE(read.size(), std::size_t(kEarlierRecords));
        for (int i = 0; i < kEarlierRecords && !QTest::currentTestFailed(); ++i)
            compareStored(read[i], earlier[i]);
        if (QTest::currentTestFailed())
            return;
        // And the log takes new records again
        std::vector<EventRecord> more{makeRecord(1, RecordKind::Put, "after", "ok", 1000)};
        QString laterError;
        QVERIFY2(store->append(more, &laterError), qPrintable(laterError));
        QCOMPARE(store->count({}), qint64(kEarlierRecords + 1));
        etcdscope::testing::appendReportRow({{"section", "bad-input"},
                                             {"case", "the event log's disk is full (RLIMIT_FSIZE)"},
                                             {"sentence", error},
                                             {"exit", "n/a"},
                                             {"dataIntact", QString("held: %1 earlier records intact, the failed "
                                                                    "batch rolled back, new records taken after")
                                                                .arg(kEarlierRecords)},
                                             {"result", "held"}});
    }

    void shouldReportWhyALogCannotBeOpened_data()
    {
        QTest::addColumn<QString>("relativePath");
        QTest::addColumn<QByteArray>("blockerContents");
        QTest::addColumn<QString>("blockerPath");
        // a regular file where the log's folder should be
        QTest::newRow("parent is a file") << QString("blocker/events.db") << QByteArray("x") << QString("blocker");
        QTest::newRow("not a database") << QString("garbage.db") << QByteArray(4096, 'g') << QString("garbage.db");
    }
    void shouldReportWhyALogCannotBeOpened()
    {
        QFETCH(QString, relativePath);
        QFETCH(QByteArray, blockerContents);
        QFETCH(QString, blockerPath);
        // Given a path that cannot hold an event log
        QVERIFY(writeFile(m_dir->filePath(blockerPath), blockerContents));
        QString error;
        // When it is opened
        const std::unique_ptr<EventStore> store = EventStore::open(m_dir->filePath(relativePath), &error);
        // Then there is no store but a reason, and no connection left registered
        QVERIFY(!store);
        QVERIFY(!error.isEmpty());
        QCOMPARE(QSqlDatabase::connectionNames(), QStringList());
    }

    void shouldUseItsOwnWalConnectionAndRemoveItWhenClosed()
    {
        // Given two stores open at once on different files
        auto first = openStore();
        QVERIFY(first);
        QString error;
        auto second = EventStore::open(m_dir->filePath("other.db"), &error);
        QVERIFY2(second, qPrintable(error));
        // Then each has its own connection
        QCOMPARE(QSqlDatabase::connectionNames().size(), 2);
        QCOMPARE(second->path(), m_dir->filePath("other.db"));
        // And the log is in WAL mode, as another connection sees it
        {
            QSqlDatabase probe = QSqlDatabase::addDatabase("QSQLITE", "probe");
            probe.setDatabaseName(m_storePath);
            QVERIFY(probe.open());
            QSqlQuery mode(probe);
            QVERIFY(mode.exec("PRAGMA journal_mode"));
            QVERIFY(mode.next());
            QCOMPARE(mode.value(0).toString(), QString("wal"));
        }
        QSqlDatabase::removeDatabase("probe");
        // When both are closed
        first.reset();
        second.reset();
        // Then no connection is left
        QCOMPARE(QSqlDatabase::connectionNames(), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_event_store.moc"
