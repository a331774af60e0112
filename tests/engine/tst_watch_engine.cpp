// Engine tests: scripted server conversations, no network, threads or sleeps.
// Each test names the rule of SPEC §3 it checks.
#include "engine/watch_engine.h"
#include "scripted_server.h"

#include <QtTest>

using namespace etcdscope;
using namespace etcdscope::script;
using namespace std::chrono_literals;

namespace {

// Drives one engine and keeps what it produced, like a transport would.
struct Harness {
    explicit Harness(EngineOptions options = {}) : engine(std::move(options)) {}

    WatchEngine engine;
    TimePoint now = TimePoint{} + 1h;
    std::vector<etcdserverpb::WatchRequest> sent;
    std::vector<WatchUpdate> updates;
    std::vector<StreamDirective> directives;
    std::vector<EngineNotice> notices;

    void drain()
    {
        for (auto& r : engine.takeRequests()) sent.push_back(std::move(r));
        for (auto& u : engine.takeUpdates()) updates.push_back(std::move(u));
        for (auto d : engine.takeDirectives()) directives.push_back(d);
        for (auto& n : engine.takeNotices()) notices.push_back(std::move(n));
    }
    // Wants a connection; the stream opens (like a transport would) as soon
    // as the engine asks for one, i.e. when the first watch is added.
    void connectAndOpen()
    {
        engine.setConnectionWanted(true, now);
        openIfAsked();
    }
    void openIfAsked()
    {
        drain();
        if (engine.streamState() == StreamState::Opening) {
            engine.onStreamOpened(now);
            drain();
        }
    }
    WatchHandle add(WatchHandle h, WatchSpec spec)
    {
        const auto error = engine.addWatch(h, std::move(spec));
        if (error)
            qFatal("addWatch failed: %s", error->c_str());
        openIfAsked();
        return h;
    }
    void receive(etcdserverpb::WatchResponse r)
    {
        engine.onResponse(std::move(r), now);
        drain();
    }
    void fail(std::string why = "connection reset")
    {
        engine.onStreamError({StreamError::Kind::Transient, std::move(why)}, now);
        drain();
    }
    // Lets the back-off run out and the transport open a new stream.
    void reconnect()
    {
        const auto at = engine.reconnectAt();
        if (!at)
            qFatal("no reconnect scheduled");
        now = *at;
        engine.onTick(now);
        drain();
        engine.onStreamOpened(now);
        drain();
    }
    std::vector<etcdserverpb::WatchCreateRequest> creates() const
    {
        std::vector<etcdserverpb::WatchCreateRequest> out;
        for (const auto& r : sent)
            if (r.has_create_request()) out.push_back(r.create_request());
        return out;
    }
    std::vector<std::int64_t> cancels() const
    {
        std::vector<std::int64_t> out;
        for (const auto& r : sent)
            if (r.has_cancel_request()) out.push_back(r.cancel_request().watch_id());
        return out;
    }
    int progressRequests() const
    {
        return int(std::count_if(sent.begin(), sent.end(), [](const auto& r) { return r.has_progress_request(); }));
    }
    std::vector<WatchUpdate> updatesOf(WatchUpdate::Kind kind, WatchHandle h = 0) const
    {
        std::vector<WatchUpdate> out;
        for (const auto& u : updates)
            if (u.kind == kind && (h == 0 || u.watch == h)) out.push_back(u);
        return out;
    }
    std::vector<std::int64_t> deliveredRevisions(WatchHandle h) const
    {
        std::vector<std::int64_t> out;
        for (const auto& u : updatesOf(WatchUpdate::Kind::Events, h))
            for (const auto& e : u.events) out.push_back(e.kv.modRevision);
        return out;
    }
    WatchState stateOf(WatchHandle h) const
    {
        const auto info = engine.watchInfo(h);
        return info ? info->state : WatchState::Cancelled;
    }
};

WatchSpec key(std::string k, std::int64_t rev = 0)
{
    WatchSpec s;
    s.key = std::move(k);
    s.startRevision = rev;
    return s;
}

EngineOptions serialOptions()
{
    EngineOptions o;
    o.pipelineCreates = false;
    return o;
}

}  // namespace

class TestWatchEngine : public QObject {
    Q_OBJECT

private slots:
    // --- W1/W2: creation --------------------------------------------------------
    void shouldOpenOneStreamForAllWatches()
    {
        Harness h;
        h.engine.setConnectionWanted(true, h.now);
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.drain();
        QCOMPARE(h.directives.size(), 1u);
        QCOMPARE(h.directives.front(), StreamDirective::Open);
    }

    void shouldPipelineCreationsAndMatchCreatedById()
    {
        // Given three watches added on an open stream
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.add(3, key("c"));
        // Then all three creations are in flight at once, with distinct IDs
        const auto creates = h.creates();
        QCOMPARE(creates.size(), 3u);
        QVERIFY(creates[0].watch_id() > 0);
        QVERIFY(creates[0].watch_id() != creates[1].watch_id());
        QVERIFY(creates[1].watch_id() != creates[2].watch_id());
        // When the server answers out of order, by ID
        h.receive(created(creates[2].watch_id(), 10));
        h.receive(created(creates[0].watch_id(), 10));
        h.receive(created(creates[1].watch_id(), 10));
        // Then each answer binds to the watch that asked for that ID
        QCOMPARE(h.engine.watchInfo(1)->serverWatchId, creates[0].watch_id());
        QCOMPARE(h.engine.watchInfo(3)->serverWatchId, creates[2].watch_id());
        h.receive(events(creates[2].watch_id(), 11, {{true, "c", "v", 11}}));
        QCOMPARE(h.deliveredRevisions(3), std::vector<std::int64_t>{11});
        QVERIFY(h.deliveredRevisions(1).empty());
        QVERIFY(h.engine.pipelining());
    }

    void shouldFallBackToSerialQueueWhenServerIgnoresIds()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.add(3, key("c"));
        QCOMPARE(h.creates().size(), 3u);
        // When the server answers with its own IDs, in request order
        h.receive(created(0, 5));
        h.receive(created(1, 5));
        h.receive(created(2, 5));
        // Then the answers bind in order and the engine stops pipelining
        QVERIFY(!h.engine.pipelining());
        QCOMPARE(h.engine.watchInfo(1)->serverWatchId, 0);
        QCOMPARE(h.engine.watchInfo(2)->serverWatchId, 1);
        QCOMPARE(h.engine.watchInfo(3)->serverWatchId, 2);
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(),
                            [](const auto& n) { return n.kind == EngineNotice::Kind::PipeliningDisabled; }));
        // And later creations go one at a time, without a client ID
        h.add(4, key("d"));
        h.add(5, key("e"));
        QCOMPARE(h.creates().size(), 4u);
        QCOMPARE(h.creates().back().watch_id(), 0);
        h.receive(created(3, 6));
        QCOMPARE(h.creates().size(), 5u);
        h.receive(created(4, 6));
        QCOMPARE(h.stateOf(5), WatchState::Live);
    }

    void shouldCreateOneAtATimeInSerialMode()
    {
        Harness h(serialOptions());
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        QCOMPARE(h.creates().size(), 1u);
        h.receive(created(0, 3));
        QCOMPARE(h.creates().size(), 2u);
        QCOMPARE(h.creates()[1].key(), "b");
    }

    void shouldSurfaceDuplicateIdRefusal()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        // When etcd refuses the first creation as a duplicate
        h.receive(refused(-1, 4, "mvcc: duplicate watch ID provided on the WatchStream"));
        // Then that watch is over with the server's reason, and the other goes on
        const auto states = h.updatesOf(WatchUpdate::Kind::State, 1);
        QVERIFY(!states.empty());
        QCOMPARE(states.back().state, WatchState::Cancelled);
        QVERIFY(QString::fromStdString(states.back().reason).contains("duplicate watch ID"));
        QVERIFY(!h.engine.watchInfo(1));
        h.receive(created(h.creates()[1].watch_id(), 4));
        QCOMPARE(h.stateOf(2), WatchState::Live);
    }

    void shouldReportCreatedWithNothingInFlight()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.receive(created(h.creates()[0].watch_id(), 2));
        h.receive(created(77, 2));
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(),
                            [](const auto& n) { return n.kind == EngineNotice::Kind::ServerMisbehaved; }));
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{77});
    }

    void shouldIgnoreACreatedWithAnInvalidOrRepeatedId_data()
    {
        QTest::addColumn<qint64>("answeredId");
        // Watch 1 is live with ID 1, watch 2 was ID 2 until cancelled, watch 3 waits for ID 3
        QTest::newRow("negative ID") << qint64(-5);
        QTest::newRow("-1 without a refusal") << qint64(-1);
        QTest::newRow("ID of a live watch") << qint64(1);
        QTest::newRow("ID of a watch cancelled on this stream") << qint64(2);
    }
    void shouldIgnoreACreatedWithAnInvalidOrRepeatedId()
    {
        // (found by tst_engine_fuzz: such an answer was bound to the next
        // creation in flight, routing another watch's events to it; a
        // negative ID was never unbound, and a later response for it threw)
        QFETCH(qint64, answeredId);
        // Given a live watch, a cancelled one and a creation in flight
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.receive(created(1, 5));
        h.receive(created(2, 5));
        h.engine.cancelWatch(2);
        h.add(3, key("c"));
        QCOMPARE(h.creates()[2].watch_id(), 3);
        // When a `created` with a negative or already confirmed ID arrives
        h.receive(created(answeredId, 5));
        // Then it is reported and binds nothing
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(),
                            [](const auto& n) { return n.kind == EngineNotice::Kind::ServerMisbehaved; }));
        QCOMPARE(h.stateOf(3), WatchState::Creating);
        QCOMPARE(h.engine.watchInfo(1)->serverWatchId, 1);
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{2});
        QVERIFY(h.engine.pipelining());
        // And the real answer still binds the waiting watch
        h.receive(created(3, 5));
        QCOMPARE(h.stateOf(3), WatchState::Live);
        QCOMPARE(h.engine.watchInfo(3)->serverWatchId, 3);
        // And later responses naming that ID reach no watch
        h.engine.cancelWatch(3);
        h.drain();
        h.receive(events(answeredId, 6, {{true, "a", "v", 6}}));
        h.receive(serverCancel(answeredId, 0));
        QCOMPARE(h.deliveredRevisions(1), std::vector<std::int64_t>(answeredId == 1 ? 1 : 0, 6));
        QCOMPARE(h.stateOf(1), answeredId == 1 ? WatchState::Cancelled : WatchState::Live);
    }

    void shouldNotCancelALiveWatchWhoseCreationIsConfirmedAgain()
    {
        // (found by tst_engine_fuzz: the repeat counted as an unknown ID and
        // the engine cancelled its own live watch)
        // Given a live watch and no creation in flight
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 5));
        // When the server repeats the `created`
        h.receive(created(id, 5));
        // Then that is reported, and the watch stays live and uncancelled
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(),
                            [](const auto& n) { return n.kind == EngineNotice::Kind::ServerMisbehaved; }));
        QVERIFY(h.cancels().empty());
        QCOMPARE(h.stateOf(1), WatchState::Live);
        h.receive(events(id, 6, {{true, "a", "v", 6}}));
        QCOMPARE(h.deliveredRevisions(1), std::vector<std::int64_t>{6});
    }

    void shouldRejectInvalidSpecs_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("rangeEnd");
        QTest::addColumn<qint64>("rev");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain key") << QByteArray("a") << QByteArray() << qint64(0) << true;
        QTest::newRow("negative revision") << QByteArray("a") << QByteArray() << qint64(-1) << false;
        QTest::newRow("empty key") << QByteArray() << QByteArray() << qint64(0) << false;
        QTest::newRow("everything") << QByteArray() << QByteArray(1, '\0') << qint64(0) << true;
        QTest::newRow("end before key") << QByteArray("b") << QByteArray("a") << qint64(0) << false;
        QTest::newRow("end equals key") << QByteArray("b") << QByteArray("b") << qint64(0) << false;
        QTest::newRow("range") << QByteArray("a") << QByteArray("b") << qint64(5) << true;
    }
    void shouldRejectInvalidSpecs()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, rangeEnd);
        QFETCH(qint64, rev);
        QFETCH(bool, valid);
        WatchEngine engine;
        WatchSpec spec;
        spec.key = key.toStdString();
        spec.rangeEnd = rangeEnd.toStdString();
        spec.startRevision = rev;
        QCOMPARE(!engine.addWatch(1, spec).has_value(), valid);
        QCOMPARE(engine.watchInfo(1).has_value(), valid);
    }

    // --- W3: next revision ---------------------------------------------------------
    void shouldNotRedeliverCreationRevisionAfterReconnect()
    {
        // Given a "from now" watch created when the store was at revision 10
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 10));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 11);
        // When the stream breaks before any event and comes back
        h.fail();
        QCOMPARE(h.stateOf(1), WatchState::Resuming);
        h.reconnect();
        // Then it resumes after revision 10, which happened before it existed
        QCOMPARE(h.creates().size(), 2u);
        QCOMPARE(h.creates()[1].start_revision(), 11);
    }

    void shouldResumeAfterLastEvent()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k", 3));
        QCOMPARE(h.creates()[0].start_revision(), 3);
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 20));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 3);  // its own start, not the header
        h.receive(events(id, 20, {{true, "k", "1", 4}, {true, "k", "2", 9}}));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 10);
    }

    // --- W4: progress ----------------------------------------------------------------
    void shouldAdvanceOnPerWatchProgress()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k", 5));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 8));
        h.receive(progress(id, 30));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 31);
        QCOMPARE(h.engine.watchInfo(1)->lastProgressRevision, 30);
        // An older progress never moves it back
        h.receive(progress(id, 12));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 31);
    }

    void shouldUseBroadcastProgressOnlyWhereSafe_data()
    {
        QTest::addColumn<bool>("safe");
        QTest::addColumn<qint64>("expectedNext");
        QTest::newRow("etcd >= 3.4.25 / 3.5.8: ordered") << true << qint64(41);
        QTest::newRow("etcd 3.4.23: may overtake events") << false << qint64(6);
    }
    void shouldUseBroadcastProgressOnlyWhereSafe()
    {
        QFETCH(bool, safe);
        QFETCH(qint64, expectedNext);
        EngineOptions o;
        o.broadcastProgressIsSafe = safe;
        Harness h(o);
        h.connectAndOpen();
        h.add(1, key("k", 6));
        h.receive(created(h.creates()[0].watch_id(), 8));
        h.engine.requestProgress();
        h.drain();
        QCOMPARE(h.progressRequests(), 1);
        h.receive(progress(-1, 40));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, expectedNext);
        QCOMPARE(h.updatesOf(WatchUpdate::Kind::Progress, 1).size(), safe ? 1u : 0u);
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(), [](const auto& n) {
            return n.kind == EngineNotice::Kind::ServerProgress && n.revision == 40;
        }));
    }

    // --- W5: fragments -------------------------------------------------------------------
    void shouldMergeFragmentsIntoOneDelivery_data()
    {
        QTest::addColumn<int>("fragments");
        QTest::newRow("two") << 2;
        QTest::newRow("three") << 3;
        QTest::newRow("seven") << 7;
    }
    void shouldMergeFragmentsIntoOneDelivery()
    {
        QFETCH(int, fragments);
        Harness h;
        h.connectAndOpen();
        WatchSpec prefix = key("k");
        prefix.rangeEnd = prefixRangeEnd("k");
        h.add(1, prefix);
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 1));
        // One revision (a transaction on k0, k1, ...) split over several responses
        for (int i = 0; i < fragments; ++i) {
            const bool last = i == fragments - 1;
            h.receive(events(id, 2, {{true, "k" + std::to_string(i), "v", 2}}, !last));
            if (!last)
                QVERIFY(h.updatesOf(WatchUpdate::Kind::Events).empty());
        }
        const auto delivered = h.updatesOf(WatchUpdate::Kind::Events);
        QCOMPARE(delivered.size(), 1u);
        QCOMPARE(int(delivered[0].events.size()), fragments);
        QCOMPARE(delivered[0].events.back().kv.key, "k" + std::to_string(fragments - 1));
    }

    void shouldDropUnfinishedFragmentsOnStreamLoss()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k", 2));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 1));
        h.receive(events(id, 2, {{true, "a", "v", 2}}, true));
        h.fail();
        h.reconnect();
        // The half revision was never delivered; it is asked for again
        QVERIFY(h.updatesOf(WatchUpdate::Kind::Events).empty());
        QCOMPARE(h.creates().back().start_revision(), 2);
    }

    // --- W6: server cancel -------------------------------------------------------------------
    void shouldEndWatchOnServerCancelWithoutCompaction()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("secret/"));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 3));
        h.receive(serverCancel(id, 0, "etcdserver: permission denied"));
        const auto states = h.updatesOf(WatchUpdate::Kind::State, 1);
        QCOMPARE(states.back().state, WatchState::Cancelled);
        QCOMPARE(states.back().reason, std::string("etcdserver: permission denied"));
        QVERIFY(h.updatesOf(WatchUpdate::Kind::Gap).empty());
        QVERIFY(h.cancels().empty());
    }

    void shouldRecordGapAndResumeFromCompactRevision_data()
    {
        QTest::addColumn<bool>("complete");
        QTest::addColumn<int>("mayLackDeletesAt");
        QTest::newRow("etcd keeps every event of the compact revision") << true << 0;
        // etcd issue 18089: the compact revision is still delivered (its PUTs
        // come), and the gap says that its DELETEs may not
        QTest::newRow("etcd may drop a DELETE at the compact revision") << false << 20;
    }
    void shouldRecordGapAndResumeFromCompactRevision()
    {
        QFETCH(bool, complete);
        QFETCH(int, mayLackDeletesAt);
        const int resumeAt = 20;
        // Given a watch from revision 5 and history compacted at revision 20
        Harness h;
        h.engine.setCompactRevisionIsComplete(complete);
        h.connectAndOpen();
        h.add(1, key("k", 5));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 30));
        h.receive(serverCancel(id, 20));
        // Then revisions 5..19 are a declared gap, which names revision 20 as
        // possibly incomplete only where etcd may drop its DELETEs
        const auto gaps = h.updatesOf(WatchUpdate::Kind::Gap, 1);
        QCOMPARE(gaps.size(), 1u);
        QCOMPARE(gaps[0].fromRevision, 5);
        QCOMPARE(gaps[0].toRevision, resumeAt - 1);
        QCOMPARE(gaps[0].mayLackDeletesAt, mayLackDeletesAt);
        // And the stale ID is freed, and the watch is re-created after the gap with a new ID
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{id});
        QCOMPARE(h.creates().size(), 2u);
        QCOMPARE(h.creates()[1].start_revision(), resumeAt);
        QVERIFY(h.creates()[1].watch_id() != id);
        h.receive(created(h.creates()[1].watch_id(), 30));
        QCOMPARE(h.stateOf(1), WatchState::Live);
        // The cancel confirmation for the old ID is ignored quietly
        h.receive(serverCancel(id, 0));
        QCOMPARE(h.stateOf(1), WatchState::Live);
    }

    void shouldStopAtCompactionWhenAskedTo()
    {
        EngineOptions o;
        o.resumeAfterCompaction = false;
        Harness h(o);
        h.connectAndOpen();
        h.add(1, key("k", 5));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 30));
        h.receive(serverCancel(id, 20));
        QCOMPARE(h.updatesOf(WatchUpdate::Kind::Gap, 1).size(), 1u);
        QCOMPARE(h.creates().size(), 1u);
        QCOMPARE(h.updatesOf(WatchUpdate::Kind::State, 1).back().state, WatchState::Cancelled);
    }

    // --- W7: unknown IDs -------------------------------------------------------------------------
    void shouldCancelUnknownIdOncePerStream()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        h.receive(events(99, 2, {{true, "x", "1", 2}}));
        h.receive(events(99, 3, {{true, "x", "2", 3}}));
        h.receive(events(99, 4, {{true, "x", "3", 4}}));
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{99});
        // A new stream starts a new set
        h.fail();
        h.reconnect();
        h.receive(created(h.creates().back().watch_id(), 4));
        h.receive(events(99, 5, {{true, "x", "4", 5}}));
        QCOMPARE(h.cancels(), (std::vector<std::int64_t>{99, 99}));
    }

    // --- W8: client cancel -----------------------------------------------------------------------
    void shouldDropQueuedCreationOnCancel()
    {
        Harness h(serialOptions());
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.engine.cancelWatch(2);
        h.drain();
        h.receive(created(0, 1));
        QCOMPARE(h.creates().size(), 1u);  // "b" was never sent
        QVERIFY(h.cancels().empty());
    }

    void shouldCancelInFlightCreation_data()
    {
        QTest::addColumn<bool>("pipelined");
        QTest::newRow("pipelined, IDs honoured: cancel at once") << true;
        QTest::newRow("serial: cancel when the ID is known") << false;
    }
    void shouldCancelInFlightCreation()
    {
        QFETCH(bool, pipelined);
        EngineOptions o;
        o.pipelineCreates = pipelined;
        Harness h(o);
        h.connectAndOpen();
        // Given a first watch created (in pipelined mode: the server honoured its ID)
        h.add(1, key("first"));
        h.receive(created(pipelined ? h.creates()[0].watch_id() : 0, 1));
        // When a second watch is cancelled while its creation is in flight
        h.add(2, key("a"));
        h.add(3, key("b"));
        h.engine.cancelWatch(2);
        h.drain();
        const auto askedId = h.creates()[1].watch_id();
        QCOMPARE(h.cancels().size(), pipelined ? 1u : 0u);
        const std::int64_t serverId = pipelined ? askedId : 1;
        h.receive(created(serverId, 1));
        // Then exactly one cancel, for the server's ID of that watch
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{serverId});
        // Events that were already on their way are ignored without a second cancel
        h.receive(events(serverId, 2, {{true, "a", "1", 2}}));
        QCOMPARE(h.cancels().size(), 1u);
        QVERIFY(h.updatesOf(WatchUpdate::Kind::Events).empty());
        // The other watch is created normally
        h.receive(created(pipelined ? h.creates()[2].watch_id() : 2, 1));
        QCOMPARE(h.stateOf(3), WatchState::Live);
    }

    void shouldNotCancelByClientIdBeforeTheServerHonoursIds()
    {
        // Given three creations pipelined to a server that (it turns out)
        // ignores client IDs and numbers them 0, 1, 2
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.add(3, key("c"));
        // When the second is cancelled before any answer
        h.engine.cancelWatch(2);
        h.drain();
        // Then no cancel goes out yet: its client ID could name another watch there
        QVERIFY(h.cancels().empty());
        h.receive(created(0, 5));
        h.receive(created(1, 5));
        h.receive(created(2, 5));
        // And the cancel names the server's ID for the cancelled watch; the third lives
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{1});
        QCOMPARE(h.stateOf(3), WatchState::Live);
        QCOMPARE(h.engine.watchInfo(3)->serverWatchId, 2);
    }

    void shouldReconnectWhenACreationIsRefusedForAStaleToken()
    {
        // Given a live watch and a second one whose creation etcd refuses
        // because the auth token expired
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a", 4));
        h.receive(created(h.creates()[0].watch_id(), 9));
        h.add(2, key("b"));
        h.receive(refused(h.creates()[1].watch_id(), 9, "etcdserver: invalid auth token"));
        // Then the stream is abandoned (a new one authenticates afresh) and no watch is lost
        QCOMPARE(h.directives.back(), StreamDirective::Reset);
        QCOMPARE(h.engine.streamState(), StreamState::Backoff);
        QVERIFY(h.engine.watchInfo(1));
        QVERIFY(h.engine.watchInfo(2));
        h.reconnect();
        QCOMPARE(h.creates().size(), 4u);
        QCOMPARE(h.creates()[2].start_revision(), 4);
    }

    void shouldRetryADenialOnceWithAFreshTokenThenGiveUp()
    {
        // Given an authenticated session (etcd 3.4 reports an expired token
        // on creation as "permission denied") with a live watch
        Harness h;
        h.engine.setRetryDenialWithFreshToken(true);
        h.connectAndOpen();
        h.add(1, key("a", 4));
        h.receive(created(h.creates()[0].watch_id(), 9));
        // When a second watch is denied
        h.add(2, key("secret"));
        h.receive(refused(h.creates()[1].watch_id(), 9, "etcdserver: permission denied"));
        // Then it is tried once more on a fresh stream, the live one resuming where it was
        QCOMPARE(h.directives.back(), StreamDirective::Reset);
        QVERIFY(h.engine.watchInfo(2));
        h.reconnect();
        QCOMPARE(h.creates().size(), 4u);
        QCOMPARE(h.creates()[2].start_revision(), 4);
        h.receive(created(h.creates()[2].watch_id(), 10));
        // And denied again with a fresh token, the denial is final, shown with etcd's reason
        h.receive(refused(h.creates()[3].watch_id(), 10, "etcdserver: permission denied"));
        QVERIFY(!h.engine.watchInfo(2));
        QCOMPARE(h.updatesOf(WatchUpdate::Kind::State, 2).back().state, WatchState::Cancelled);
        QCOMPARE(h.updatesOf(WatchUpdate::Kind::State, 2).back().reason, std::string("etcdserver: permission denied"));
        QCOMPARE(h.stateOf(1), WatchState::Live);
        QCOMPARE(h.engine.streamState(), StreamState::Open);
    }

    void shouldStartFromNowAfterForgettingHistory()
    {
        // Given a watch that has seen revisions up to 41 on one cluster
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a", 4));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 40));
        h.receive(events(id, 41, {{true, "a", "v", 41}}));
        QCOMPARE(h.engine.serverRevision(), 41);
        // When the person starts afresh on another cluster
        h.engine.setConnectionWanted(false, h.now);
        h.engine.forgetHistory();
        h.engine.setConnectionWanted(true, h.now);
        h.drain();
        h.engine.onStreamOpened(h.now);
        h.drain();
        // Then the watch is created from that cluster's now, nothing of the old revisions kept
        QCOMPARE(h.creates().back().start_revision(), 0);
        QCOMPARE(h.engine.serverRevision(), 0);
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, 0);
    }

    void shouldCancelEstablishedWatchAndCloseIdleStream()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 1));
        h.engine.cancelWatch(1);
        h.drain();
        // The cancel goes out at once on the stream ...
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{id});
        QCOMPARE(h.directives.size(), 1u);  // just the first Open
        // ... which closes at the next tick, having nothing left to carry
        QVERIFY(h.engine.nextTickAt().has_value());
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.directives.back(), StreamDirective::Close);
        QCOMPARE(h.engine.streamState(), StreamState::Idle);
    }

    // --- W9: reconnect ------------------------------------------------------------------------------
    void shouldResumeEveryWatchFromItsOwnRevisionWithItsOptions()
    {
        // Given three watches at different places, with different options
        Harness h;
        h.connectAndOpen();
        WatchSpec prefix = key("svc/", 0);
        prefix.rangeEnd = prefixRangeEnd("svc/");
        prefix.prevKv = true;
        WatchSpec deletes = key("cfg", 2);
        deletes.noPut = true;
        deletes.progressNotify = true;
        h.add(1, prefix);
        h.add(2, deletes);
        h.add(3, key("idle"));
        const auto c = h.creates();
        h.receive(created(c[0].watch_id(), 10));
        h.receive(created(c[1].watch_id(), 10));
        h.receive(created(c[2].watch_id(), 10));
        h.receive(events(c[0].watch_id(), 14, {{true, "svc/a", "1", 12}, {true, "svc/b", "1", 14}}));
        h.receive(events(c[1].watch_id(), 10, {{false, "cfg", "", 7}}));
        // When the stream fails and comes back
        h.fail();
        QCOMPARE(h.engine.streamState(), StreamState::Backoff);
        h.reconnect();
        // Then every watch is re-created from its own next revision, same options
        const auto again = h.creates();
        QCOMPARE(again.size(), 6u);
        QCOMPARE(again[3].key(), "svc/");
        QCOMPARE(again[3].range_end(), "svc0");
        QCOMPARE(again[3].start_revision(), 15);
        QVERIFY(again[3].prev_kv());
        QCOMPARE(again[4].start_revision(), 8);
        QCOMPARE(again[4].filters_size(), 1);
        QCOMPARE(again[4].filters(0), etcdserverpb::WatchCreateRequest::NOPUT);
        QVERIFY(again[4].progress_notify());
        QCOMPARE(again[5].start_revision(), 11);
        for (const auto& create : again)
            QVERIFY(!create.fragment());  // see EngineOptions::requestFragments
    }

    void shouldNotDuplicateEventsAcrossReconnect()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k", 1));
        h.receive(created(h.creates()[0].watch_id(), 5));
        h.receive(events(h.creates()[0].watch_id(), 5, {{true, "k", "a", 3}}));
        h.fail();
        h.reconnect();
        const auto id = h.creates().back().watch_id();
        QCOMPARE(h.creates().back().start_revision(), 4);
        h.receive(created(id, 6));
        // A misbehaving server repeats revision 3: it is not delivered twice
        h.receive(events(id, 6, {{true, "k", "a", 3}, {true, "k", "b", 6}}));
        QCOMPARE(h.deliveredRevisions(1), (std::vector<std::int64_t>{3, 6}));
    }

    void shouldNotCarryRequestsOfALostStreamToTheNextOne()
    {
        // Given a cancel queued for a stream that then fails before it is sent
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.add(2, key("b"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        h.receive(created(h.creates()[1].watch_id(), 1));
        const auto sentBefore = h.sent.size();
        h.engine.cancelWatch(1);  // not drained: the transport has not taken it yet
        h.engine.onStreamError({StreamError::Kind::Transient, "reset"}, h.now);
        h.drain();
        // Then nothing of the old stream is left to send
        QCOMPARE(h.sent.size(), sentBefore);
        // And the new stream only re-creates the watch that is left
        h.reconnect();
        QCOMPARE(h.sent.size(), sentBefore + 1);
        QCOMPARE(h.sent.back().create_request().key(), "b");
    }

    void shouldNotCancelByAnIdOfAClosedStream()
    {
        // (found by tst_engine_fuzz: after a disconnect the watch kept the
        // old stream's ID and its cancel went out with no stream open)
        // Given a live watch, and the connection turned off and on again
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        h.receive(created(h.creates()[0].watch_id(), 5));
        h.engine.setConnectionWanted(false, h.now);
        h.engine.setConnectionWanted(true, h.now);
        h.drain();
        QCOMPARE(h.engine.streamState(), StreamState::Opening);
        QCOMPARE(h.engine.watchInfo(1)->serverWatchId, -1);
        // When the watch is cancelled before the new stream is open
        const auto sentBefore = h.sent.size();
        h.engine.cancelWatch(1);
        h.drain();
        // Then nothing is sent: that ID named a watch on the closed stream only
        QCOMPARE(h.sent.size(), sentBefore);
    }

    void shouldReuseTheStreamForAWatchAddedRightAfterTheLastWasCancelled()
    {
        // Given the last watch cancelled, and a new one added before any tick
        Harness h;
        h.connectAndOpen();
        h.add(1, key("a"));
        const auto oldId = h.creates()[0].watch_id();
        h.receive(created(oldId, 1));
        h.engine.cancelWatch(1);
        h.add(2, key("b"));
        h.engine.onTick(h.now);
        h.drain();
        // Then the stream stays: the cancel and the new creation share it, the
        // new watch with a new ID, and nothing closes or reopens
        QCOMPARE(h.cancels(), std::vector<std::int64_t>{oldId});
        QCOMPARE(h.creates().back().key(), "b");
        QVERIFY(h.creates().back().watch_id() != oldId);
        QCOMPARE(h.directives.size(), 1u);
        QCOMPARE(h.engine.streamState(), StreamState::Open);
    }

    void shouldStopRetryingOnAuthFailure()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.engine.onStreamError({StreamError::Kind::AuthFailure, "etcdserver: invalid auth token"}, h.now);
        h.drain();
        QCOMPARE(h.engine.streamState(), StreamState::Failed);
        QVERIFY(!h.engine.nextTickAt());
        h.engine.setConnectionWanted(true, h.now);
        h.drain();
        QCOMPARE(h.directives.back(), StreamDirective::Open);
    }

    void shouldBackOffExponentiallyWithCapAndJitter_data()
    {
        QTest::addColumn<int>("attempt");
        QTest::addColumn<double>("random");
        QTest::addColumn<int>("expectedMs");
        // initial 100 ms, x2, cap 5000 ms, half of each delay randomised
        QTest::newRow("first, no jitter") << 0 << 0.0 << 50;
        QTest::newRow("first, full jitter") << 0 << 1.0 << 100;
        QTest::newRow("third") << 2 << 0.5 << 300;
        QTest::newRow("capped") << 12 << 1.0 << 5000;
        QTest::newRow("capped, low") << 30 << 0.0 << 2500;
    }
    void shouldBackOffExponentiallyWithCapAndJitter()
    {
        QFETCH(int, attempt);
        QFETCH(double, random);
        QFETCH(int, expectedMs);
        QCOMPARE(int(BackoffPolicy{}.delay(attempt, random).count()), expectedMs);
    }

    void shouldGrowBackoffWhileServerStaysDown()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        std::vector<std::chrono::milliseconds> delays;
        for (int i = 0; i < 8; ++i) {
            h.fail("connection refused");
            delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*h.engine.reconnectAt() - h.now));
            h.now = *h.engine.reconnectAt();
            h.engine.onTick(h.now);
            h.drain();
            h.engine.onStreamOpened(h.now);
            h.drain();
        }
        QVERIFY(delays.front() <= 100ms);
        QVERIFY(delays.back() >= 2500ms);
        QVERIFY(delays.back() <= 5000ms);
    }

    // --- W10: backpressure -------------------------------------------------------------------------------
    void shouldPauseReadsAboveHighWatermarkAndResumeBelowLow()
    {
        EngineOptions o;
        o.pauseReadsAtEvents = 10;
        o.resumeReadsAtEvents = 4;
        Harness h(o);
        h.connectAndOpen();
        h.add(1, key("k", 1));
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 1));
        std::vector<Ev> batch;
        for (int rev = 2; rev < 11; ++rev)
            batch.push_back({true, "k", "v", rev});
        h.receive(events(id, 10, batch));  // 9 unacknowledged
        QVERIFY(!h.engine.readsPaused());
        h.receive(events(id, 11, {{true, "k", "v", 11}}));  // 10
        QVERIFY(h.engine.readsPaused());
        h.engine.acknowledge(5);  // 5 left: above the low watermark
        QVERIFY(h.engine.readsPaused());
        h.engine.acknowledge(1);  // 4 left
        QVERIFY(!h.engine.readsPaused());
        // Nothing was lost while paused
        QCOMPARE(h.deliveredRevisions(1).size(), 10u);
    }

    // --- W11: ordering -------------------------------------------------------------------------------------
    void shouldDeliverOnlyWhatTheWatchAskedForInRevisionOrder_data()
    {
        // Events as "put|del key revision"; the watch is on prefix svc/ from
        // revision 5, without deletes.
        QTest::addColumn<QStringList>("sent");
        QTest::addColumn<QStringList>("delivered");
        QTest::newRow("revisions going backwards in one response")
            << QStringList{"put svc/a 7", "put svc/b 5", "put svc/c 8"} << QStringList{"svc/a 7", "svc/c 8"};
        QTest::newRow("a key outside the prefix")
            << QStringList{"put svc/a 7", "put svd 7"} << QStringList{"svc/a 7"};
        QTest::newRow("a delete the watch filters out")
            << QStringList{"del svc/a 7", "put svc/b 8"} << QStringList{"svc/b 8"};
    }
    void shouldDeliverOnlyWhatTheWatchAskedForInRevisionOrder()
    {
        // (found by tst_engine_fuzz: only a prefix below the resume revision
        // was dropped, so a response going backwards or carrying foreign
        // events was delivered as it came)
        QFETCH(QStringList, sent);
        QFETCH(QStringList, delivered);
        // Given a live prefix watch without deletes
        Harness h;
        h.connectAndOpen();
        WatchSpec spec = key("svc/", 5);
        spec.rangeEnd = prefixRangeEnd("svc/");
        spec.noDelete = true;
        h.add(1, spec);
        const auto id = h.creates()[0].watch_id();
        h.receive(created(id, 9));
        // When a server sends events it should not
        std::vector<Ev> list;
        for (const QString& e : sent) {
            const QStringList parts = e.split(' ');
            list.push_back({parts[0] == "put", parts[1].toStdString(), "v", parts[2].toLongLong()});
        }
        h.receive(events(id, 9, list));
        // Then only the watch's own events go out, in revision order, and it is reported
        QStringList got;
        for (const auto& u : h.updatesOf(WatchUpdate::Kind::Events, 1))
            for (const auto& e : u.events)
                got << QString::fromStdString(e.kv.key) + ' ' + QString::number(e.kv.modRevision);
        QCOMPARE(got, delivered);
        QVERIFY(std::any_of(h.notices.begin(), h.notices.end(),
                            [](const auto& n) { return n.kind == EngineNotice::Kind::ServerMisbehaved; }));
        QCOMPARE(h.engine.watchInfo(1)->nextRevision, delivered.back().split(' ')[1].toLongLong() + 1);
    }

    // --- W12: liveness -----------------------------------------------------------------------------------
    void shouldProbeQuietStreamAndResetWhenUnanswered()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        // Quiet for the probe interval: a progress request goes out
        h.now += 5s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.progressRequests(), 1);
        // No answer within the probe timeout: the stream is abandoned
        h.now += 5s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.directives.back(), StreamDirective::Reset);
        QCOMPARE(h.engine.streamState(), StreamState::Backoff);
    }

    void shouldResetWhenACreationIsNeverConfirmed()
    {
        // Given a live watch whose events keep arriving
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        // When a second watch is created and the server never confirms it,
        // although events of the first keep coming (the path to the server
        // is dead, the path back is not)
        h.add(2, key("j"));
        h.engine.onTick(h.now);
        for (int second = 1; second <= 10; ++second) {
            h.now += 1s;
            h.receive(events(h.creates()[0].watch_id(), 1 + second, {{true, "k", "v", 1 + second}}));
            h.engine.onTick(h.now);
            h.drain();
        }
        // Then after 5 s a probe goes out (a progress request and a status
        // check), and unanswered it abandons the stream 5 s later
        QCOMPARE(std::count(h.directives.begin(), h.directives.end(), StreamDirective::CheckLiveness), 1);
        QVERIFY(!h.directives.empty());
        QCOMPARE(h.directives.back(), StreamDirective::Reset);
        QCOMPARE(h.engine.streamState(), StreamState::Backoff);
    }

    void shouldKeepStreamWhileCreationsAreConfirmed()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.engine.onTick(h.now);
        h.now += 4s;
        h.receive(created(h.creates()[0].watch_id(), 1));
        h.add(2, key("j"));
        h.engine.onTick(h.now);
        h.now += 4s;
        h.receive(created(h.creates()[1].watch_id(), 1));
        h.now += 2s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.engine.streamState(), StreamState::Open);
        QVERIFY(std::none_of(h.directives.begin(), h.directives.end(),
                             [](auto d) { return d == StreamDirective::Reset; }));
    }

    void shouldKeepASilentStreamWhileTheMemberAnswersStatusChecks()
    {
        // Given a live watch on a stream that goes silent (etcd busy catching
        // other watchers up: its stream sender is occupied for a long time)
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        // When every probe's status check is answered, for a minute
        for (int round = 0; round < 12; ++round) {
            h.now += 5s;
            h.engine.onTick(h.now);
            h.drain();
            QCOMPARE(h.directives.back(), StreamDirective::CheckLiveness);
            h.now += 1s;
            h.engine.onLivenessConfirmed(h.now);
        }
        // Then the stream is kept
        QCOMPARE(h.engine.streamState(), StreamState::Open);
        QVERIFY(std::none_of(h.directives.begin(), h.directives.end(),
                             [](auto d) { return d == StreamDirective::Reset; }));
        // And once the checks stop being answered, it is abandoned
        h.now += 5s;
        h.engine.onTick(h.now);
        h.now += 5s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.directives.back(), StreamDirective::Reset);
    }

    void shouldKeepStreamWhenProbeIsAnswered()
    {
        Harness h;
        h.connectAndOpen();
        h.add(1, key("k"));
        h.receive(created(h.creates()[0].watch_id(), 1));
        h.now += 5s;
        h.engine.onTick(h.now);
        h.drain();
        h.now += 1s;
        h.receive(progress(-1, 1));
        h.now += 4s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.engine.streamState(), StreamState::Open);
        QVERIFY(std::none_of(h.directives.begin(), h.directives.end(),
                             [](auto d) { return d == StreamDirective::Reset; }));
    }

    void shouldNotProbeWhileReadsArePaused()
    {
        EngineOptions o;
        o.pauseReadsAtEvents = 1;
        o.resumeReadsAtEvents = 0;
        Harness h(o);
        h.connectAndOpen();
        h.add(1, key("k", 1));
        h.receive(created(h.creates()[0].watch_id(), 1));
        h.receive(events(h.creates()[0].watch_id(), 2, {{true, "k", "v", 2}}));
        QVERIFY(h.engine.readsPaused());
        h.now += 60s;
        h.engine.onTick(h.now);
        h.drain();
        QCOMPARE(h.progressRequests(), 0);
        QCOMPARE(h.engine.streamState(), StreamState::Open);
    }

    void shouldComputePrefixRangeEnd_data()
    {
        QTest::addColumn<QByteArray>("prefix");
        QTest::addColumn<QByteArray>("end");
        QTest::newRow("ascii") << QByteArray("svc/") << QByteArray("svc0");
        QTest::newRow("trailing 0xff") << QByteArray("a\xff") << QByteArray("b");
        QTest::newRow("all 0xff") << QByteArray("\xff\xff") << QByteArray(1, '\0');
        QTest::newRow("empty") << QByteArray() << QByteArray(1, '\0');
    }
    void shouldComputePrefixRangeEnd()
    {
        QFETCH(QByteArray, prefix);
        QFETCH(QByteArray, end);
        QCOMPARE(QByteArray::fromStdString(prefixRangeEnd(prefix.toStdString())), end);
    }
};

QTEST_GUILESS_MAIN(TestWatchEngine)
#include "tst_watch_engine.moc"
