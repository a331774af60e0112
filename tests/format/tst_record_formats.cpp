// The log's JSONL reader (format/record_formats.h) on files written here by
// hand, as etcdscope-cli writes them: one record per line, and a malformed
// line named by its number. No store, no network.
#include "format/record_formats.h"
#include "record_fixtures.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

WatchEvent putEvent(const std::string& key, std::int64_t revision)
{
    WatchEvent e;
    e.type = EventType::Put;
    e.kv.key = key;
    e.kv.value = "v";
    e.kv.modRevision = revision;
    return e;
}

}  // namespace

class TestRecordFormats : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void shouldConvertABatchInSlicesThatAddUpToTheWhole_data()
    {
        QTest::addColumn<int>("slice");
        QTest::newRow("1") << 1;
        QTest::newRow("3") << 3;
        QTest::newRow("7 (one update and a bit)") << 7;
        QTest::newRow("larger than the batch") << 1000;
    }

    void shouldConvertABatchInSlicesThatAddUpToTheWhole()
    {
        QFETCH(int, slice);
        // Given a batch: 5 events of watch 1, a gap of watch 2, a state change, 4 events of watch 2
        std::vector<WatchUpdate> updates(4);
        updates[0].kind = WatchUpdate::Kind::Events;
        updates[0].watch = 1;
        for (int i = 0; i < 5; ++i)
            updates[0].events.push_back(putEvent("a/" + std::to_string(i), 10 + i));
        updates[1].kind = WatchUpdate::Kind::Gap;
        updates[1].watch = 2;
        updates[1].fromRevision = 2;
        updates[1].toRevision = 9;
        updates[2].kind = WatchUpdate::Kind::State;
        updates[2].watch = 2;
        updates[3].kind = WatchUpdate::Kind::Events;
        updates[3].watch = 2;
        for (int i = 0; i < 4; ++i)
            updates[3].events.push_back(putEvent("b/" + std::to_string(i), 20 + i));

        // When it is converted in slices of at most `slice` records
        UpdateCursor cursor;
        std::vector<EventRecord> all;
        std::int64_t events = 0;
        int calls = 0;
        while (cursor.update < updates.size()) {
            std::int64_t inSlice = 0;
            const std::vector<EventRecord> part = recordsFromUpdates(updates, cursor, std::size_t(slice), 7, inSlice);
            QVERIFY(part.size() <= std::size_t(slice));
            QCOMPARE(inSlice, qint64(std::count_if(part.begin(), part.end(),
                                                   [](const EventRecord& r) { return r.kind == RecordKind::Put; })));
            all.insert(all.end(), part.begin(), part.end());
            events += inSlice;
            QVERIFY2(++calls <= 20, "the cursor must advance");
        }

        // Then the slices together are the batch, in order: a/0..a/4, the gap, b/0..b/3
        QCOMPARE(events, qint64(9));
        QCOMPARE(all.size(), std::size_t(10));
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(all[std::size_t(i)].key, QByteArray("a/") + QByteArray::number(i));
            QCOMPARE(all[std::size_t(i)].watch, WatchHandle(1));
            QCOMPARE(all[std::size_t(i)].modRevision, qint64(10 + i));
        }
        QCOMPARE(all[5].kind, RecordKind::Gap);
        QCOMPARE(all[5].gapFrom, qint64(2));
        QCOMPARE(all[5].gapTo, qint64(9));
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(all[std::size_t(6 + i)].key, QByteArray("b/") + QByteArray::number(i));
            QCOMPARE(all[std::size_t(6 + i)].watch, WatchHandle(2));
        }
        QVERIFY(std::all_of(all.begin(), all.end(), [](const EventRecord& r) { return r.receivedMs == 7; }));
    }

    void shouldReadLinesWrittenByTheCli()
    {
        // Given lines as etcdscope-cli writes them, and a blank line at the end
        const QString path = m_dir->filePath("cli.jsonl");
        QVERIFY(writeFile(path,
            "{\"watch\":1,\"type\":\"PUT\",\"key\":\"a\\u0000b\",\"value\":\"x\",\"mod_revision\":5,"
            "\"create_revision\":4,\"version\":3,\"lease\":9}\n"
            "{\"watch\":2,\"type\":\"DELETE\",\"key_b64\":\"AP8=\",\"value\":\"\",\"mod_revision\":6,"
            "\"create_revision\":0,\"version\":0,\"lease\":0,\"prev_value\":\"old\"}\n"
            "{\"watch\":1,\"type\":\"GAP\",\"from_revision\":7,\"to_revision\":9}\n"
            "{\"watch\":1,\"type\":\"GAP\",\"from_revision\":10,\"to_revision\":11,\"may_lack_deletes_at\":12}\n"
            "\n"));
        QString error;
        // When the file is read
        const std::vector<EventRecord> read = readJsonlFile(path, &error);
        // Then it gives one record per line
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(read.size(), std::size_t(4));
        EventRecord put = makeRecord(1, RecordKind::Put, QByteArray("a\0b", 3), "x", 5);
        put.createRevision = 4;
        put.version = 3;
        put.lease = 9;
        compareContent(read[0], put);
        EventRecord deletion = makeRecord(2, RecordKind::Delete, QByteArray("\0\xff", 2), "", 6);
        deletion.createRevision = 0;
        deletion.version = 0;
        deletion.hasPrevValue = true;
        deletion.prevValue = "old";
        compareContent(read[1], deletion);
        compareContent(read[2], makeGap(1, 7, 9));
        EventRecord mayLackDeletes = makeGap(1, 10, 11);
        mayLackDeletes.gapMayLackDeletesAt = 12;
        compareContent(read[3], mayLackDeletes);
    }

    void shouldNameTheLineOfAMalformedJsonlLine_data()
    {
        const QByteArray good = "{\"watch\":1,\"type\":\"PUT\",\"key\":\"k\",\"value\":\"v\",\"mod_revision\":1}\n";
        QTest::addColumn<QByteArray>("contents");
        QTest::addColumn<int>("line");
        QTest::newRow("not JSON") << good + "{oops\n" << 2;
        QTest::newRow("not an object") << QByteArray("[1,2]\n") << 1;
        QTest::newRow("unknown type") << good + good + "{\"watch\":1,\"type\":\"MOVE\",\"key\":\"k\"}\n" << 3;
        QTest::newRow("bad base64") << QByteArray("{\"watch\":1,\"type\":\"PUT\",\"key_b64\":\"!!\",\"mod_revision\":1}")
                                    << 1;
        QTest::newRow("no watch") << good + "{\"type\":\"PUT\",\"key\":\"k\",\"mod_revision\":1}\n" << 2;
        QTest::newRow("no key") << QByteArray("{\"watch\":1,\"type\":\"PUT\",\"mod_revision\":1}\n") << 1;
        QTest::newRow("revision not a number")
            << QByteArray("{\"watch\":1,\"type\":\"GAP\",\"from_revision\":\"a\",\"to_revision\":2}\n") << 1;
        QTest::newRow("blank lines count") << good + "\n\n{oops\n" << 4;
    }
    void shouldNameTheLineOfAMalformedJsonlLine()
    {
        QFETCH(QByteArray, contents);
        QFETCH(int, line);
        // Given a file with one malformed line
        const QString path = m_dir->filePath("broken.jsonl");
        QVERIFY(writeFile(path, contents));
        QString error;
        // When it is read
        const std::vector<EventRecord> read = readJsonlFile(path, &error);
        // Then nothing is returned and the error names the line
        QVERIFY(read.empty());
        const QRegularExpression namesLine(QString("\\bline %1\\b").arg(line),
                                           QRegularExpression::CaseInsensitiveOption);
        QVERIFY2(namesLine.match(error).hasMatch(), qPrintable(error));
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
};

QTEST_GUILESS_MAIN(TestRecordFormats)
#include "tst_record_formats.moc"
