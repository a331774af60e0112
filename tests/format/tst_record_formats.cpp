// The log's JSONL reader (format/record_formats.h) on files written here by
// hand, as etcdscope-cli writes them: one record per line, and a malformed
// line named by its number. No store, no network.
#include "format/record_formats.h"
#include "record_fixtures.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace etcdscope;
using namespace etcdscope::testing;

class TestRecordFormats : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
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
            "\n"));
        QString error;
        // When the file is read
        const std::vector<EventRecord> read = readJsonlFile(path, &error);
        // Then it gives one record per line
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(read.size(), std::size_t(3));
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
