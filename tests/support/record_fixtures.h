// Records for the tests of the log's formats and of the event store: made
// by hand, and compared field by field.
#pragma once

#include "format/event_record.h"

#include <QFile>
#include <QtTest>

namespace etcdscope::testing {

inline EventRecord makeRecord(qint64 watch, RecordKind kind, QByteArray key, QByteArray value, qint64 revision)
{
    EventRecord r;
    r.receivedMs = 1'700'000'000'000 + revision;
    r.watch = watch;
    r.kind = kind;
    r.key = std::move(key);
    r.value = std::move(value);
    r.modRevision = revision;
    r.createRevision = revision - 1;
    r.version = 2;
    r.lease = 0;
    return r;
}

inline EventRecord makeGap(qint64 watch, qint64 from, qint64 to)
{
    EventRecord r;
    r.watch = watch;
    r.kind = RecordKind::Gap;
    r.gapFrom = from;
    r.gapTo = to;
    r.modRevision = to;
    return r;
}

inline EventRecord makeNote(qint64 watch, QString note, qint64 revision)
{
    EventRecord r;
    r.watch = watch;
    r.kind = RecordKind::Note;
    r.note = std::move(note);
    r.modRevision = revision;
    return r;
}

// Every field but the id and the arrival time, which a JSONL file lacks.
inline void compareContent(const EventRecord& actual, const EventRecord& expected)
{
    QCOMPARE(actual.watch, expected.watch);
    QCOMPARE(int(actual.kind), int(expected.kind));
    QCOMPARE(actual.key, expected.key);
    QCOMPARE(actual.value, expected.value);
    QCOMPARE(actual.hasPrevValue, expected.hasPrevValue);
    QCOMPARE(actual.prevValue, expected.prevValue);
    QCOMPARE(actual.modRevision, expected.modRevision);
    QCOMPARE(actual.createRevision, expected.createRevision);
    QCOMPARE(actual.version, expected.version);
    QCOMPARE(actual.lease, expected.lease);
    QCOMPARE(actual.gapFrom, expected.gapFrom);
    QCOMPARE(actual.gapTo, expected.gapTo);
    QCOMPARE(actual.gapMayLackDeletesAt, expected.gapMayLackDeletesAt);
}

inline bool writeFile(const QString& path, const QByteArray& contents)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size();
}

}  // namespace etcdscope::testing
