// The session against a real etcd: many kinds of watches on one stream,
// options, awkward bytes and big messages.
#include "engine/server_version.h"
#include "etcd_process.h"
#include "session/watch_session.h"
#include "session_collector.h"
#include "watch_oracle.h"

#include <QtTest>

#include <algorithm>

using namespace etcdscope;
using namespace etcdscope::testing;

namespace {

constexpr int kWaitMs = 20'000;  // deadline for conditions; never a sleep

ConnectionOptions optionsFor(const EtcdProcess& etcd)
{
    ConnectionOptions options;
    options.endpoints = {etcd.endpoint()};
    return options;
}

WatchSpec spec(std::string key, std::string rangeEnd = {})
{
    WatchSpec s;
    s.key = std::move(key);
    s.rangeEnd = std::move(rangeEnd);
    return s;
}

}  // namespace

class TestSessionIntegration : public QObject {
    Q_OBJECT

private slots:
    void shouldMultiplexKeyPrefixRangeAndFromKeyOnOneStream()
    {
        // Given a real etcd and four kinds of watch in one session
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle key = session.addWatch(spec("app/config"));
        const WatchHandle prefix = session.addWatch(spec("svc/", prefixRangeEnd("svc/")));
        const WatchHandle range = session.addWatch(spec("m/b", "m/d"));
        const WatchHandle fromKey = session.addWatch(spec("y", fromKeyRangeEnd()));
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({key, prefix, range, fromKey}), kWaitMs);

        // Then etcd sees one watch stream carrying four watchers (W1)
        QCOMPARE(etcd.metric("etcd_debugging_mvcc_watch_stream_total").value_or(-1), 1.0);
        QCOMPARE(etcd.metric("etcd_debugging_mvcc_watcher_total").value_or(-1), 4.0);

        // When keys inside and outside each range change
        etcd.put("app/config", "v1");
        etcd.put("app/configX", "no");
        etcd.put("svc/a", "1");
        etcd.put("svc", "no");
        etcd.put("m/a", "no");
        etcd.put("m/b", "1");
        etcd.put("m/c/x", "2");
        etcd.put("m/d", "no");
        etcd.put("z", "1");
        const std::int64_t last = etcd.del("svc/a");

        // Then each watch gets exactly its keys, in revision order
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(prefix), 2u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(fromKey), 1u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(range), 2u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(key), 1u, kWaitMs);
        QCOMPARE(collector.events[key][0].kv.value, std::string("v1"));
        QCOMPARE(collector.events[prefix][1].type, EventType::Delete);
        QCOMPARE(collector.events[prefix][1].kv.modRevision, last);
        QCOMPARE(collector.events[range][0].kv.key, std::string("m/b"));
        QCOMPARE(collector.events[range][1].kv.key, std::string("m/c/x"));
        QCOMPARE(collector.events[fromKey][0].kv.key, std::string("z"));
        // And nothing arrived one signal per event: events were batched
        QVERIFY(collector.batches <= 10);
    }

    void shouldDeliverPrevKvAndHonourFilters()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        etcd.put("k", "old");
        WatchSession session;
        SessionCollector collector(session);
        WatchSpec withPrev = spec("k");
        withPrev.prevKv = true;
        WatchSpec onlyDeletes = spec("k");
        onlyDeletes.noPut = true;
        WatchSpec onlyPuts = spec("k");
        onlyPuts.noDelete = true;
        const WatchHandle prev = session.addWatch(withPrev);
        const WatchHandle deletes = session.addWatch(onlyDeletes);
        const WatchHandle puts = session.addWatch(onlyPuts);
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({prev, deletes, puts}), kWaitMs);

        etcd.put("k", "new");
        etcd.del("k");
        etcd.put("k", "again");

        QTRY_COMPARE_WITH_TIMEOUT(collector.count(prev), 3u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(puts), 2u, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(deletes), 1u, kWaitMs);
        const auto& e = collector.events[prev];
        QVERIFY(e[0].hasPrevKv);
        QCOMPARE(e[0].prevKv.value, std::string("old"));
        QCOMPARE(e[1].type, EventType::Delete);
        QCOMPARE(e[1].prevKv.value, std::string("new"));
        QVERIFY(!e[2].hasPrevKv);  // created anew: there was no previous value
        QCOMPARE(collector.events[deletes][0].type, EventType::Delete);
        for (const auto& put : collector.events[puts])
            QCOMPARE(put.type, EventType::Put);
        QVERIFY(!collector.events[puts][0].hasPrevKv);
    }

    void shouldKeepBinaryKeysAndValuesIntact()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        const std::string prefix("bin\0/", 5);
        const std::string key = prefix + std::string("\xff\xfe\0k\x80", 5);
        const std::string value("\0\x01\x02\xc3\x28 not utf-8 \0", 17);
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle h = session.addWatch(spec(prefix, prefixRangeEnd(prefix)));
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        etcd.put(key, value);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 1u, kWaitMs);
        QCOMPARE(collector.events[h][0].kv.key, key);
        QCOMPARE(collector.events[h][0].kv.value, value);
    }

    void shouldDeliverOneMebibyteValue()
    {
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::string big(1 << 20, '\0');
        for (std::size_t i = 0; i < big.size(); ++i)
            big[i] = char(i * 31 % 251);
        WatchSession session;
        SessionCollector collector(session);
        WatchSpec s = spec("big");
        s.prevKv = true;
        const WatchHandle h = session.addWatch(s);
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        etcd.put("big", big);
        std::string bigger = big;
        bigger[12345] ^= 1;
        etcd.put("big", bigger);
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 2u, kWaitMs);
        QVERIFY(collector.events[h][0].kv.value == big);
        QVERIFY(collector.events[h][1].kv.value == bigger);
        QVERIFY(collector.events[h][1].prevKv.value == big);
    }

    void shouldDeliverThousandPutTransactionAsOneRevisionEvenWhenFragmented()
    {
        // Given an etcd whose response limit forces fragments: 1,000 puts with
        // their previous values (~2 MB) exceed max-request-bytes + 512 KiB
        EtcdProcess etcd({"--max-txn-ops=2000", "--max-request-bytes=1258291"});
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        std::vector<std::pair<std::string, std::string>> puts;
        for (int i = 0; i < 1000; ++i) {
            char key[32];
            std::snprintf(key, sizeof key, "tx/%04d", i);
            puts.emplace_back(key, std::string(1000, char('a' + i % 26)));
        }
        etcd.txnPuts(puts);  // so that the next transaction has prev values
        for (auto& [key, value] : puts)
            value[0] = 'Z';

        SessionOptions fragmenting;
        fragmenting.engine.requestFragments = true;
        WatchSession session(fragmenting);
        SessionCollector collector(session);
        WatchSpec s = spec("tx/", prefixRangeEnd("tx/"));
        s.prevKv = true;
        const WatchHandle h = session.addWatch(s);
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);

        // When one transaction writes all of them
        const std::int64_t revision = etcd.txnPuts(puts);

        // Then they arrive as one delivery of 1,000 events at one revision
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 1000u, kWaitMs);
        QCOMPARE(collector.deliveries[h].size(), 1u);
        for (const WatchEvent& e : collector.events[h]) {
            QCOMPARE(e.kv.modRevision, revision);
            QVERIFY(e.hasPrevKv);
            QCOMPARE(e.prevKv.value.size(), 1000u);
        }
        QCOMPARE(collector.events[h].front().kv.key, std::string("tx/0000"));
        QCOMPARE(collector.events[h].back().kv.key, std::string("tx/0999"));
    }

    void shouldRecordGapAndResumeWhenStartRevisionWasCompacted()
    {
        // Given history compacted at revision 12, which is a DELETE, and a
        // watch from revision 2
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        for (int i = 0; i < 10; ++i)
            etcd.put("c/" + std::to_string(i), "v");
        const std::int64_t compactAt = etcd.del("c/0");  // revision 12
        etcd.compact(compactAt);
        const std::int64_t last = etcd.put("c/x", "v");
        // etcd before the fix of its issue 18089 drops that DELETE for a
        // watch that starts at the compaction revision; a plain watch shows
        // which kind this etcd is, and the session must know it by version.
        const auto plain = readHistory(etcd, compactAt, last);
        QVERIFY(!plain.empty() && plain.back().kv.modRevision == last);
        const bool etcdKeepsDelete = plain.front().kv.modRevision == compactAt;
        const auto status = etcd.status();
        QVERIFY(status);
        QCOMPARE(compactRevisionKeepsDeletes(status->version()), etcdKeepsDelete);

        WatchSession session;
        SessionCollector collector(session);
        WatchSpec fromStart = spec("c/", prefixRangeEnd("c/"));
        fromStart.startRevision = 2;
        const WatchHandle h = session.addWatch(fromStart);
        const WatchHandle other = session.addWatch(spec("other"));
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(!collector.gaps[h].empty(), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!collector.events[h].empty() && collector.events[h].back().kv.modRevision == last,
                                 kWaitMs);
        QCOMPARE(collector.gaps[h].size(), 1u);
        // Then the gap ends below the compaction, where the watch goes on
        QCOMPARE(collector.gaps[h][0].first, 2);
        QCOMPARE(collector.gaps[h][0].second, compactAt - 1);
        if (etcdKeepsDelete) {
            // And the DELETE there is delivered
            QCOMPARE(collector.gapsMayLackDeletesAt[h][0], 0);
            QCOMPARE(collector.count(h), 2u);
            QCOMPARE(collector.events[h][0].kv.modRevision, compactAt);
            QCOMPARE(collector.events[h][0].type, EventType::Delete);
        } else {
            // And the gap says that the compaction revision may lack its
            // DELETEs, rather than the DELETE missing unseen
            QCOMPARE(collector.gapsMayLackDeletesAt[h][0], compactAt);
            QCOMPARE(collector.count(h), 1u);
        }
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h, other}), kWaitMs);
        etcd.put("other", "1");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(other), 1u, kWaitMs);
    }

    void shouldRefuseAnotherClusterUnlessStartedAfresh()
    {
        // Given a watch that has seen events on cluster A
        EtcdProcess a;
        EtcdProcess b;
        const std::string aError = a.start();
        QVERIFY2(aError.empty(), aError.c_str());
        const std::string bError = b.start();
        QVERIFY2(bError.empty(), bError.c_str());
        for (int i = 0; i < 20; ++i)
            a.put("x/a" + std::to_string(i), "v");  // A's revisions run ahead of B's
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle h = session.addWatch(spec("x/", prefixRangeEnd("x/")));
        session.connectToCluster(optionsFor(a));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        a.put("x/seen-on-a", "1");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 1u, kWaitMs);

        // When it is pointed at cluster B as if it were the same
        session.connectToCluster(optionsFor(b));
        // Then it refuses, in a sentence, rather than mixing two histories
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(collector.errors.begin(), collector.errors.end(),
                                             [](const QString& e) { return e.contains("different cluster"); }),
                                 kWaitMs);

        // When the person starts afresh on B
        session.connectAfresh(optionsFor(b));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        const std::int64_t onB = b.put("x/seen-on-b", "2");
        // Then B's event arrives with B's revision, after A's, and nothing else
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 2u, kWaitMs);
        QCOMPARE(collector.events[h][1].kv.key, std::string("x/seen-on-b"));
        QCOMPARE(collector.events[h][1].kv.modRevision, onB);
        QVERIFY(onB < collector.events[h][0].kv.modRevision);  // B's history is its own
    }

    void shouldDetectHungMemberAndResumeWithoutLoss()
    {
        // Given a live watch with some events
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle h = session.addWatch(spec("h/", prefixRangeEnd("h/")));
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        const std::int64_t first = etcd.put("h/1", "a");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 1u, kWaitMs);

        // When the member hangs without closing its connections (SIGSTOP)
        etcd.pause();
        // Then the silent stream is found (keepalive or progress probe: within
        // about 10 s) and given up; the watch waits to resume
        QTRY_VERIFY_WITH_TIMEOUT(collector.status.state != StreamState::Open, 30'000);
        QTRY_VERIFY_WITH_TIMEOUT(collector.states[h] != WatchState::Live, kWaitMs);

        // And when the member is back, the watch resumes with nothing lost
        etcd.resume();
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), 30'000);
        etcd.put("h/2", "b");
        const std::int64_t last = etcd.put("h/1", "c");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 3u, kWaitMs);
        const auto expected = etcd.history("h/", "h0", first, last);
        QCOMPARE(collector.events[h].size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QCOMPARE(collector.events[h][i].kv.modRevision, expected[i].modRevision);
    }

    void shouldFailOverToNextEndpoint()
    {
        // Given an endpoint list whose first member is down
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        WatchSession session;
        SessionCollector collector(session);
        const WatchHandle h = session.addWatch(spec("f"));
        ConnectionOptions options;
        options.endpoints = {"127.0.0.1:" + std::to_string(freeLoopbackPort()), etcd.endpoint()};
        session.connectToCluster(options);
        // Then the session ends up on the live one and watches there
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        QCOMPARE(collector.status.endpoint, etcd.endpoint());
        etcd.put("f", "1");
        QTRY_COMPARE_WITH_TIMEOUT(collector.count(h), 1u, kWaitMs);
    }

    void shouldStopReadingForSlowConsumerAndLoseNothing()
    {
        // Given a consumer that acknowledges nothing until told, and a session
        // that pauses reading at 500 unacknowledged events
        EtcdProcess etcd;
        const std::string error = etcd.start();
        QVERIFY2(error.empty(), error.c_str());
        constexpr std::int64_t kPauseAt = 500;
        constexpr int kRevisions = 50;
        constexpr int kPerRevision = 100;
        constexpr std::size_t kTotal = kRevisions * kPerRevision;
        SessionOptions options;
        options.engine.pauseReadsAtEvents = kPauseAt;
        options.engine.resumeReadsAtEvents = 100;
        WatchSession session(options);
        SessionCollector collector(session);
        collector.autoAcknowledge = false;
        const WatchHandle h = session.addWatch(spec("bp/", prefixRangeEnd("bp/")));
        session.connectToCluster(optionsFor(etcd));
        QTRY_VERIFY_WITH_TIMEOUT(collector.allLive({h}), kWaitMs);
        const std::int64_t first = etcd.currentRevision() + 1;

        // When 5,000 events are written, 100 per revision
        std::int64_t last = 0;
        for (int i = 0; i < kRevisions; ++i) {
            std::vector<std::pair<std::string, std::string>> puts;
            for (int j = 0; j < kPerRevision; ++j)
                puts.emplace_back("bp/" + std::to_string(j), std::to_string(i));
            last = etcd.txnPuts(puts);
        }

        // Then the session stops reading instead of buffering them all
        QTRY_VERIFY_WITH_TIMEOUT(collector.status.readsPaused, kWaitMs);
        QVERIFY(collector.count(h) >= std::size_t(kPauseAt));
        QVERIFY(collector.count(h) < kTotal);

        // And once the consumer catches up, everything arrives, exactly once
        while (collector.count(h) < kTotal) {
            collector.acknowledgeAll();
            QTRY_VERIFY_WITH_TIMEOUT(collector.unacknowledged > 0 || collector.count(h) == kTotal, kWaitMs);
        }
        collector.acknowledgeAll();
        QVERIFY2(collector.maxUnacknowledged < std::int64_t(kTotal),
                 std::to_string(collector.maxUnacknowledged).c_str());
        const auto expected = etcd.history("bp/", "bp0", first, last);
        QCOMPARE(collector.events[h].size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(collector.events[h][i].kv.key, expected[i].key);
            QCOMPARE(collector.events[h][i].kv.modRevision, expected[i].modRevision);
        }
    }
};

QTEST_GUILESS_MAIN(TestSessionIntegration)
#include "tst_session_integration.moc"
