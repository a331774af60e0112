// The JSON-lines and text formats, checked with Qt's own JSON parser and
// base64 decoder rather than against strings derived from our code.
#include "format/event_format.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QtTest>

using namespace etcdscope;

namespace {

WatchEvent makeEvent(std::string key, std::string value, std::int64_t rev)
{
    WatchEvent e;
    e.kv.key = std::move(key);
    e.kv.value = std::move(value);
    e.kv.modRevision = rev;
    e.kv.createRevision = rev - 1;
    e.kv.version = 3;
    e.kv.lease = 7;
    return e;
}

QJsonObject parse(const std::string& line)
{
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("invalid JSON: %s", line.c_str());
    return doc.object();
}

}  // namespace

class TestEventFormat : public QObject {
    Q_OBJECT

private slots:
    void shouldWriteTextFieldsAsJsonStrings_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("value");
        QTest::newRow("plain") << QByteArray("a/b") << QByteArray("v");
        QTest::newRow("quotes and backslash") << QByteArray("k\"\\") << QByteArray("{\"x\":\"\\n\"}");
        QTest::newRow("controls") << QByteArray("tab\there") << QByteArray("line\nbreak\r\x01\x1f");
        QTest::newRow("multi-byte utf-8") << QByteArray("clé/日本") << QByteArray("😀");
        QTest::newRow("empty") << QByteArray("k") << QByteArray();
    }
    void shouldWriteTextFieldsAsJsonStrings()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, value);
        std::string out;
        appendEventJson(out, 2, makeEvent(key.toStdString(), value.toStdString(), 42));
        QVERIFY(out.back() == '\n');
        const QJsonObject o = parse(out);
        QCOMPARE(o.value("watch").toInt(), 2);
        QCOMPARE(o.value("type").toString(), QString("PUT"));
        QCOMPARE(o.value("key").toString().toUtf8(), key);
        QCOMPARE(o.value("value").toString().toUtf8(), value);
        QCOMPARE(o.value("mod_revision").toInteger(), 42);
        QCOMPARE(o.value("create_revision").toInteger(), 41);
        QCOMPARE(o.value("version").toInteger(), 3);
        QCOMPARE(o.value("lease").toInteger(), 7);
        QVERIFY(!o.contains("prev_value"));
        QVERIFY(!o.contains("key_b64"));
    }

    void shouldNameTheLeaseInSixteenHexDigitsAsEtcdctlDoes_data()
    {
        QTest::addColumn<qint64>("lease");
        QTest::newRow("top nibble zero") << qint64(0x01b0a24a4fcb1f17);
        QTest::newRow("all 63 bits") << qint64(0x694d77aa9e38260f);
        QTest::newRow("small") << qint64(7);
    }
    void shouldNameTheLeaseInSixteenHexDigitsAsEtcdctlDoes()
    {
        QFETCH(qint64, lease);
        WatchEvent e = makeEvent("k", "v", 5);
        e.kv.lease = lease;
        std::string out;
        appendEventJson(out, 1, e);
        const QJsonObject o = parse(out);
        // etcdctl lease grant prints the ID with printf's %016x
        QCOMPARE(o.value("lease_hex").toString(), QString("%1").arg(quint64(lease), 16, 16, QChar('0')));
        bool ok = false;
        QCOMPARE(o.value("lease_hex").toString().toULongLong(&ok, 16), quint64(lease));
        QVERIFY(ok);
    }

    void shouldWriteBytesThatAreNotUtf8AsBase64_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("lone continuation") << QByteArray("\x80");
        QTest::newRow("invalid lead") << QByteArray("a\xff" "b");
        QTest::newRow("truncated sequence") << QByteArray("\xe6\x97");
        QTest::newRow("overlong slash") << QByteArray("\xc0\xaf");
        QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80");
        QTest::newRow("nul and binary") << QByteArray("\0\xfe\0", 3);
    }
    void shouldWriteBytesThatAreNotUtf8AsBase64()
    {
        QFETCH(QByteArray, bytes);
        std::string out;
        WatchEvent e = makeEvent(bytes.toStdString(), bytes.toStdString(), 5);
        e.hasPrevKv = true;
        e.prevKv.value = bytes.toStdString();
        appendEventJson(out, 1, e);
        const QJsonObject o = parse(out);
        const bool utf8 = isValidUtf8(bytes.toStdString());
        if (utf8) {
            // NUL is valid UTF-8; it must survive as a \u0000 escape
            QCOMPARE(o.value("key").toString().toUtf8(), bytes);
        } else {
            QVERIFY(!o.contains("key"));
            QCOMPARE(QByteArray::fromBase64(o.value("key_b64").toString().toLatin1()), bytes);
            QCOMPARE(QByteArray::fromBase64(o.value("value_b64").toString().toLatin1()), bytes);
            QCOMPARE(QByteArray::fromBase64(o.value("prev_value_b64").toString().toLatin1()), bytes);
        }
    }

    void shouldEscapeOrEncodeAnyBytesSoTheyComeBackWhole()
    {
        // Given strings of every length up to 70 made of pieces that need a
        // look (quotes, backslashes, controls, multi-byte UTF-8, bytes that
        // are not UTF-8) among plain ASCII, at every position of the 8-byte steps
        const std::vector<QByteArray> pieces = {"a", "bcdefgh", "\"", "\\", "\n", QByteArray("\0", 1), "\x1f",
                                                "\x7f", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xff",
                                                "\xc3", "\xed\xa0\x80"};
        QRandomGenerator random(17);
        int utf8 = 0;
        int binary = 0;
        for (int round = 0; round < 4000; ++round) {
            QByteArray bytes;
            const int length = int(random.bounded(71));
            while (bytes.size() < length)
                bytes += pieces[random.bounded(int(pieces.size()))];
            std::string out;
            appendEventJson(out, 1, makeEvent(bytes.toStdString(), "v", 5));
            // Then Qt's parser gives them back: as text when Qt's decoder
            // takes them as UTF-8, in base64 otherwise
            const QJsonObject o = parse(out);
            QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
            const QString decoded = decoder.decode(bytes);
            if (!decoder.hasError() && decoded.toUtf8() == bytes) {
                ++utf8;
                QVERIFY2(o.contains("key") && !o.contains("key_b64"), out.c_str());
                QCOMPARE(o.value("key").toString().toUtf8(), bytes);
            } else {
                ++binary;
                QVERIFY2(o.contains("key_b64") && !o.contains("key"), out.c_str());
                QCOMPARE(QByteArray::fromBase64(o.value("key_b64").toString().toLatin1()), bytes);
            }
            QCOMPARE(o.value("value").toString(), QString("v"));
        }
        QVERIFY(utf8 > 100 && binary > 100);
    }

    void shouldAgreeWithQtOnUtf8Validity_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("ascii") << QByteArray("hello world, long enough for the fast path");
        QTest::newRow("4-byte") << QByteArray("\xf0\x9f\x98\x80");
        QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80");
        QTest::newRow("mixed tail") << QByteArray("abcdefgh\xc3\xa9z");
        QTest::newRow("bad tail") << QByteArray("abcdefgh\xc3");
    }
    void shouldAgreeWithQtOnUtf8Validity()
    {
        QFETCH(QByteArray, bytes);
        QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString decoded = decoder.decode(bytes);
        const bool qtValid = !decoder.hasError() && decoded.toUtf8() == bytes;
        QCOMPARE(isValidUtf8(bytes.toStdString()), qtValid);
    }

    void shouldWriteGapLine()
    {
        std::string out;
        appendGapJson(out, 3, 5, 19, 0);
        const QJsonObject o = parse(out);
        QCOMPARE(o.value("type").toString(), QString("GAP"));
        QCOMPARE(o.value("watch").toInt(), 3);
        QCOMPARE(o.value("from_revision").toInteger(), 5);
        QCOMPARE(o.value("to_revision").toInteger(), 19);
        QVERIFY(!o.contains("may_lack_deletes_at"));
    }

    void shouldNameTheRevisionThatMayLackDeletes()
    {
        std::string json;
        appendGapJson(json, 3, 5, 19, 20);
        QCOMPARE(parse(json).value("may_lack_deletes_at").toInteger(), 20);
        std::string text;
        appendGapText(text, 3, 5, 19, 20);
        QVERIFY2(QByteArray::fromStdString(text).startsWith("[3] GAP 5-19 ("), text.c_str());
        QVERIFY2(text.find("revision 20 follows as etcd serves it") != std::string::npos, text.c_str());
        std::string whole;
        appendGapText(whole, 3, 5, 19, 0);
        QVERIFY2(whole.find("revision 20") == std::string::npos, whole.c_str());
    }

    void shouldWriteDeleteWithPrevValue()
    {
        WatchEvent e = makeEvent("k", "", 9);
        e.type = EventType::Delete;
        e.hasPrevKv = true;
        e.prevKv.value = "old";
        std::string out;
        appendEventJson(out, 1, e);
        const QJsonObject o = parse(out);
        QCOMPARE(o.value("type").toString(), QString("DELETE"));
        QCOMPARE(o.value("prev_value").toString(), QString("old"));
    }

    void shouldEscapeUnprintableBytesInText()
    {
        WatchEvent e = makeEvent(std::string("a\0b", 3), "x\ny\\", 4);
        std::string out;
        appendEventText(out, 1, e);
        QCOMPARE(QByteArray::fromStdString(out).count('\n'), 1);  // one line per event
        QCOMPARE(QByteArray::fromStdString(out), QByteArray("[1] PUT 4 \"a\\x00b\" \"x\\ny\\\\\"\n"));
    }
};

QTEST_GUILESS_MAIN(TestEventFormat)
#include "tst_event_format.moc"
