// Engine fuzzer: the sans-I/O engine against a model etcd, in random
// interleavings of user commands, server traffic and transport faults.
//
// Each iteration draws a cluster (members that honour client watch IDs or
// not, ordered or unordered progress; sometimes mixed versions), engine
// options, a fault rate and a length, then takes random steps: addWatch /
// cancelWatch / requestProgress / acknowledge / connect; the model server
// handling requests, writing transactions, sending catch-up and live events
// (fragmented when asked), progress, compaction and its own cancels; and the
// transport failing, re-opening, calling back late and letting time pass.
// After every engine call its outputs are checked against the model's
// complete history (kProperties); at the end the system is left to settle,
// and every remaining watch must be live and caught up.
//
// The hostile test also sends malformed messages. A server can lie in ways
// no client can detect (plausible events, progress or compaction; a refusal
// or `created` that answers the creation in flight): those that are sent
// are held only to the safety properties, and lies that would bind a
// creation in flight are left out. Detectable ones (unknown or negative
// IDs, a `created` repeated or with nothing in flight, revisions going
// backwards, events outside the watch) must be reported or ignored safely.
//
// A failure names the property, the seed and the step, with the last steps
// taken. Replay one iteration with
//   ETCDSCOPE_FUZZ_SEED=<seed> ETCDSCOPE_FUZZ_ITERATIONS=1 tst_engine_fuzz <test function>
// ETCDSCOPE_FUZZ_ITERATIONS sets the iterations per test function (about a
// millisecond each; past QtTest's 5-minute limit per function, raise
// QTEST_FUNCTION_TIMEOUT as the "long" CTest entry does);
// ETCDSCOPE_FUZZ_SEED=random draws the first seed (printed).
#include "engine/watch_engine.h"
#include "report.h"
#include "scripted_server.h"

#include <QJsonObject>
#include <QtTest>

#include <atomic>
#include <csignal>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unistd.h>

using namespace etcdscope;
using namespace std::chrono_literals;

namespace {

using Rng = std::mt19937_64;
using Revision = std::int64_t;

constexpr int kDefaultIterations = 1000;
constexpr int kMinStepsPerIteration = 100;   // each iteration draws its length
constexpr int kMaxStepsPerIteration = 1000;
constexpr std::uint64_t kWellBehavedFirstSeed = 0xe7cd0000;
constexpr std::uint64_t kHostileFirstSeed = 0xe7cd8000;
constexpr std::size_t kMaxWatches = 6;
constexpr WatchHandle kHandles = 9;          // handles are reused after a cancel
constexpr int kSettleRounds = 400;           // a healthy system settles in a handful
constexpr std::size_t kTraceLines = 50;      // steps shown with a failure
constexpr std::size_t kRecentResponses = 16; // what a hostile server may repeat
constexpr std::int64_t kForeignIdBase = 1'000'000;  // IDs no stream of a run reaches
// Per engine call: requests, updates and notices are bounded by the number of
// watches (a re-open re-creates each, a loss changes each one's state).
constexpr std::size_t kMaxRequestsPerCall = 2 * (kMaxWatches + 1) + 2;
constexpr std::size_t kMaxUpdatesPerCall = 3 * (kMaxWatches + 1) + 2;
constexpr std::size_t kMaxNoticesPerCall = 3;
constexpr std::size_t kMaxDirectivesPerCall = 2;

const std::string kPermissionDenied = "etcdserver: permission denied";
const std::string kStaleToken = "etcdserver: invalid auth token";

// --- randomness --------------------------------------------------------------------

int below(Rng& rng, int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
std::int64_t between(Rng& rng, std::int64_t lo, std::int64_t hi)
{
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}
bool chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }
template <typename T>
const T& oneOf(Rng& rng, const std::vector<T>& from) { return from[std::size_t(below(rng, int(from.size())))]; }

// --- keys and watch specs ------------------------------------------------------------

// Keys the model writes: nested prefixes, neighbours one byte apart, a NUL
// inside a key, 0xff bytes (where prefix ends carry over).
const std::vector<std::string> kKeys = {"a", "a/1", "a/2", "a/b/c", "ab", "b", "b/1", std::string("b\0x", 3),
                                        "c", "secret/x", "z\xff", "\xff", "\xff\xff"};
// Prefixes and range bounds for specs; some match no key at all.
const std::vector<std::string> kBounds = {"a", "a/", "a/b", "b", "b0", "c", "q", "secret/", "z", "\xff"};

bool inRange(const WatchSpec& spec, const std::string& key)
{
    // std::string compares bytes as unsigned char, as etcd does.
    if (spec.rangeEnd.empty())
        return key == spec.key;
    if (key < spec.key)
        return false;
    return spec.rangeEnd == fromKeyRangeEnd() || key < spec.rangeEnd;
}

bool passesFilters(const WatchSpec& spec, bool put) { return put ? !spec.noPut : !spec.noDelete; }

// The same watch as far as the server is concerned (the start revision moves).
bool sameWatch(const WatchSpec& a, const WatchSpec& b)
{
    return a.key == b.key && a.rangeEnd == b.rangeEnd && a.prevKv == b.prevKv && a.progressNotify == b.progressNotify
           && a.noPut == b.noPut && a.noDelete == b.noDelete;
}

WatchSpec specOf(const etcdserverpb::WatchCreateRequest& create)
{
    WatchSpec spec;
    spec.key = create.key();
    spec.rangeEnd = create.range_end();
    spec.startRevision = create.start_revision();
    spec.prevKv = create.prev_kv();
    spec.progressNotify = create.progress_notify();
    for (int filter : create.filters()) {
        spec.noPut |= filter == etcdserverpb::WatchCreateRequest::NOPUT;
        spec.noDelete |= filter == etcdserverpb::WatchCreateRequest::NODELETE;
    }
    return spec;
}

WatchSpec randomSpec(Rng& rng, Revision storeRevision)
{
    WatchSpec spec;
    switch (below(rng, 4)) {
    case 0:  // one key
        spec.key = oneOf(rng, kKeys);
        break;
    case 1:  // a prefix
        spec.key = oneOf(rng, kBounds);
        spec.rangeEnd = prefixRangeEnd(spec.key);
        break;
    case 2: {  // [key, end)
        std::string from = chance(rng, 0.5) ? oneOf(rng, kKeys) : oneOf(rng, kBounds);
        std::string to = chance(rng, 0.5) ? oneOf(rng, kKeys) : oneOf(rng, kBounds);
        if (from == to)
            to.push_back('0');
        if (to < from)
            std::swap(from, to);
        spec.key = from;
        spec.rangeEnd = to;
        break;
    }
    default:  // from a key on, or everything
        spec.key = chance(rng, 0.4) ? std::string() : oneOf(rng, kKeys);
        spec.rangeEnd = fromKeyRangeEnd();
        break;
    }
    // Now, a past revision (maybe compacted by the time it is created), or
    // one that has not happened yet.
    spec.startRevision = chance(rng, 0.4) ? 0 : between(rng, 1, storeRevision + 3);
    spec.prevKv = chance(rng, 0.4);
    spec.progressNotify = chance(rng, 0.5);
    const int filter = below(rng, 6);
    spec.noPut = filter == 0;
    spec.noDelete = filter == 1;
    return spec;
}

WatchSpec invalidSpec(Rng& rng)
{
    WatchSpec spec;
    spec.key = "b";
    switch (below(rng, 5)) {
    case 0: spec.startRevision = -between(rng, 1, 5); break;
    case 1: spec.key.clear(); break;
    case 2: spec.rangeEnd = "b"; break;
    case 3: spec.rangeEnd = "a"; break;
    default: spec.noPut = spec.noDelete = true; break;
    }
    return spec;
}

std::string printable(const std::string& bytes)
{
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(char(c));
        } else {
            static const char kHex[] = "0123456789abcdef";
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    return out;
}

std::string describe(const WatchSpec& spec)
{
    std::string text = "'" + printable(spec.key) + "'";
    if (spec.rangeEnd == fromKeyRangeEnd())
        text += "..";
    else if (!spec.rangeEnd.empty())
        text += "..'" + printable(spec.rangeEnd) + "'";
    text += " from " + std::to_string(spec.startRevision);
    if (spec.prevKv) text += " prev_kv";
    if (spec.progressNotify) text += " progress";
    if (spec.noPut) text += " noput";
    if (spec.noDelete) text += " nodelete";
    return text;
}

std::string describe(const etcdserverpb::WatchResponse& r)
{
    std::string text = "id " + std::to_string(r.watch_id()) + " rev " + std::to_string(r.header().revision());
    if (r.created()) text += " created";
    if (r.canceled()) text += " canceled(" + std::to_string(r.compact_revision()) + ", '" + r.cancel_reason() + "')";
    if (r.fragment()) text += " fragment";
    if (r.events_size() > 0) {
        text += " events";
        for (const auto& e : r.events())
            text += " " + std::to_string(e.kv().mod_revision()) + (e.type() == mvccpb::Event::PUT ? ":put:" : ":del:")
                    + printable(e.kv().key());
    }
    return text;
}

// --- the model store ---------------------------------------------------------------------

// One event of the model's history, as etcd keeps it.
struct StoredEvent {
    bool put = true;
    KeyValue kv;
    std::optional<KeyValue> prev;  // the key's version before this event
};

// The cluster's keyspace and its complete history, one transaction per
// revision. The history is kept after compaction: the checks need it.
class ModelStore {
public:
    Revision revision() const { return Revision(history_.size()) - 1; }
    Revision compactRevision() const { return compactRevision_; }
    const std::vector<StoredEvent>& at(Revision revision) const { return history_[std::size_t(revision)]; }

    void writeTransaction(Rng& rng)
    {
        const Revision revision = this->revision() + 1;
        std::vector<StoredEvent> transaction;
        std::set<std::string> touched;  // etcd refuses a key twice in one transaction
        const int writes = 1 + below(rng, 3);
        for (int i = 0; i < writes; ++i) {
            const std::string& key = oneOf(rng, kKeys);
            if (!touched.insert(key).second)
                continue;
            StoredEvent event;
            auto current = live_.find(key);
            if (current != live_.end())
                event.prev = current->second;
            event.put = !event.prev || !chance(rng, 0.3);
            event.kv.key = key;
            event.kv.modRevision = revision;
            if (event.put) {
                event.kv.value = "v" + std::to_string(revision) + "." + std::to_string(i);
                event.kv.createRevision = event.prev ? event.prev->createRevision : revision;
                event.kv.version = event.prev ? event.prev->version + 1 : 1;
                live_[key] = event.kv;
            } else {
                live_.erase(current);
            }
            transaction.push_back(std::move(event));
        }
        history_.push_back(std::move(transaction));
    }

    void compact(Rng& rng)
    {
        const Revision lowest = std::max<Revision>(compactRevision_ + 1, 2);
        if (lowest <= revision())
            compactRevision_ = between(rng, lowest, revision());
    }

private:
    std::vector<std::vector<StoredEvent>> history_ = std::vector<std::vector<StoredEvent>>(2);  // from revision 1
    std::map<std::string, KeyValue> live_;
    Revision compactRevision_ = 0;  // revisions below it can no longer be watched
};

bool matches(const WatchSpec& spec, const StoredEvent& event)
{
    return inRange(spec, event.kv.key) && passesFilters(spec, event.put);
}

// --- the model server: one Watch stream on one member ---------------------------------------

// What a member offers: etcd >= 3.4 honours client-chosen watch IDs;
// >= 3.4.25 / 3.5.8 answers a progress request only once every watcher is
// synced (earlier ones answer at once, overtaking queued events).
struct MemberFlavour {
    bool honoursIds = true;
    bool orderedProgress = true;
};

// The server side of one stream, as etcd's v3rpc watch server behaves:
// requests handled in order, `created` before a watch's events, whole
// revisions in increasing order per watch, fragments only when asked for,
// compaction answered by a cancel naming the compact revision (the ID stays
// registered until the client cancels it).
class ModelStream {
public:
    ModelStream(const ModelStore& store, MemberFlavour flavour) : store_(store), flavour_(flavour) {}

    std::deque<etcdserverpb::WatchRequest> inbound;    // written by the client, not yet handled
    std::deque<etcdserverpb::WatchResponse> outbound;  // sent, not yet read by the client

    const MemberFlavour& flavour() const { return flavour_; }
    void expireToken() { tokenStale_ = true; }
    // The spec of every watch this stream ever created, by ID.
    const WatchSpec* created(std::int64_t id) const
    {
        auto it = everCreated_.find(id);
        return it == everCreated_.end() ? nullptr : &it->second;
    }
    std::vector<std::int64_t> watcherIds() const
    {
        std::vector<std::int64_t> ids;
        for (const auto& [id, watcher] : watchers_)
            ids.push_back(id);
        return ids;
    }

    void handleNext()
    {
        etcdserverpb::WatchRequest request = std::move(inbound.front());
        inbound.pop_front();
        if (request.has_create_request())
            create(request.create_request());
        else if (request.has_cancel_request())
            cancel(request.cancel_request().watch_id());
        else if (request.has_progress_request())
            progressRequested();
    }

    // Sends a watcher's next events, at most `maxRevisions` revisions of them.
    void pump(std::int64_t id, Revision maxRevisions, Rng& rng)
    {
        auto it = watchers_.find(id);
        if (it == watchers_.end())
            return;
        Watcher& watcher = it->second;
        if (watcher.compacted || watcher.next > store_.revision())
            return;
        if (watcher.next < store_.compactRevision()) {
            outbound.push_back(script::serverCancel(id, store_.compactRevision()));
            watcher.compacted = true;
        } else {
            const Revision last = std::min(store_.revision(), watcher.next + maxRevisions - 1);
            std::vector<const StoredEvent*> events;
            for (Revision r = watcher.next; r <= last; ++r)
                for (const StoredEvent& event : store_.at(r))
                    if (matches(watcher.spec, event))
                        events.push_back(&event);
            watcher.next = last + 1;
            if (!events.empty())
                send(id, watcher, events, rng);
        }
        sendDeferredProgress();
    }

    void pumpAll(Rng& rng)
    {
        for (std::int64_t id : watcherIds())
            pump(id, store_.revision() + 1, rng);
    }

    // A progress_notify tick for one watcher: only synced watchers get one.
    void notifyProgress(std::int64_t id)
    {
        auto it = watchers_.find(id);
        if (it == watchers_.end() || !isSynced(it->second) || !it->second.spec.progressNotify)
            return;
        outbound.push_back(script::progress(id, store_.revision()));
    }

    // The server ends a watch on its own (e.g. a revoked permission).
    void revoke(std::int64_t id)
    {
        if (watchers_.erase(id) == 0)
            return;
        auto response = script::serverCancel(id, 0, kPermissionDenied);
        response.mutable_header()->set_revision(store_.revision());
        outbound.push_back(std::move(response));
    }

private:
    struct Watcher {
        WatchSpec spec;
        Revision next = 0;      // first revision not yet sent
        bool fragment = false;  // the client accepts fragments
        bool compacted = false; // told that its history is gone; still registered
    };

    bool isSynced(const Watcher& watcher) const { return !watcher.compacted && watcher.next > store_.revision(); }
    bool allSynced() const
    {
        return std::all_of(watchers_.begin(), watchers_.end(), [&](const auto& entry) {
            return entry.second.compacted || entry.second.next > store_.revision();
        });
    }

    void create(const etcdserverpb::WatchCreateRequest& request)
    {
        const WatchSpec spec = specOf(request);
        const Revision now = store_.revision();
        if (tokenStale_) {
            outbound.push_back(script::refused(-1, now, kStaleToken));
            return;
        }
        if (spec.key.rfind("secret/", 0) == 0) {
            outbound.push_back(script::refused(-1, now, kPermissionDenied));
            return;
        }
        std::int64_t id = 0;
        if (flavour_.honoursIds && request.watch_id() != 0) {
            if (watchers_.count(request.watch_id())) {
                outbound.push_back(script::refused(-1, now, "mvcc: duplicate watch ID provided on the WatchStream"));
                return;
            }
            id = request.watch_id();
        } else {
            while (watchers_.count(nextAutoId_))
                ++nextAutoId_;
            id = nextAutoId_++;
        }
        watchers_[id] = {spec, request.start_revision() == 0 ? now + 1 : request.start_revision(), request.fragment()};
        everCreated_[id] = spec;
        outbound.push_back(script::created(id, now));
    }

    void cancel(std::int64_t id)
    {
        if (watchers_.erase(id) == 0)
            return;  // etcd does not answer a cancel for an ID it does not know
        auto response = script::serverCancel(id, 0);
        response.mutable_header()->set_revision(store_.revision());
        outbound.push_back(std::move(response));
    }

    void progressRequested()
    {
        if (!flavour_.orderedProgress || allSynced())
            outbound.push_back(script::progress(-1, store_.revision()));
        else
            deferredProgress_ = true;
    }

    void sendDeferredProgress()
    {
        if (deferredProgress_ && allSynced()) {
            deferredProgress_ = false;
            outbound.push_back(script::progress(-1, store_.revision()));
        }
    }

    void send(std::int64_t id, const Watcher& watcher, const std::vector<const StoredEvent*>& events, Rng& rng)
    {
        // Fragments split anywhere, in the middle of a revision too.
        std::vector<std::size_t> cuts;
        if (watcher.fragment && events.size() > 1 && chance(rng, 0.7)) {
            for (std::size_t i = 1; i < events.size(); ++i)
                if (chance(rng, 0.5))
                    cuts.push_back(i);
        }
        cuts.push_back(events.size());
        std::size_t from = 0;
        for (std::size_t cut : cuts) {
            etcdserverpb::WatchResponse response;
            response.mutable_header()->set_revision(store_.revision());
            response.set_watch_id(id);
            response.set_fragment(cut != events.size());
            for (std::size_t i = from; i < cut; ++i)
                addEvent(response, *events[i], watcher.spec.prevKv);
            outbound.push_back(std::move(response));
            from = cut;
        }
    }

    static void addEvent(etcdserverpb::WatchResponse& response, const StoredEvent& stored, bool withPrevKv)
    {
        auto set = [](mvccpb::KeyValue& to, const KeyValue& from) {
            to.set_key(from.key);
            to.set_value(from.value);
            to.set_create_revision(from.createRevision);
            to.set_mod_revision(from.modRevision);
            to.set_version(from.version);
            to.set_lease(from.lease);
        };
        auto* event = response.add_events();
        event->set_type(stored.put ? mvccpb::Event::PUT : mvccpb::Event::DELETE);
        set(*event->mutable_kv(), stored.kv);
        if (withPrevKv && stored.prev)
            set(*event->mutable_prev_kv(), *stored.prev);
    }

    const ModelStore& store_;
    MemberFlavour flavour_;
    std::map<std::int64_t, Watcher> watchers_;        // registered on the stream
    std::map<std::int64_t, WatchSpec> everCreated_;  // for the binding check
    std::int64_t nextAutoId_ = 0;
    bool deferredProgress_ = false;  // a progress request waits for unsynced watchers
    bool tokenStale_ = false;       // creations are refused until a new stream authenticates
};

// --- the harness ------------------------------------------------------------------------------

enum class Traffic { WellBehaved, Hostile };

// The properties, in the order the report lists them.
const std::vector<const char*> kProperties = {
    "crash-free",  // no exception escapes an engine call (signals are noted by the crash handler)
    "bounded",     // outputs per call are bounded; nothing is delivered that was not received
    "filter",      // every delivered event matches its watch's range and filters
    "ordered",     // per watch, revisions never decrease across deliveries, reconnects included
    "unique",      // per watch, each (revision, key) is delivered once
    "atomic",      // a delivery holds whole revisions (fragments merged), never part of one
    "content",     // events and prev_kv are the server's, unchanged
    "lossless",    // nothing the server had for a watch is skipped without a declared gap
    "bookmark",    // nothing at or below a progress or gap follows; (well-behaved) progress never
                   // decreases and comes only once every event up to it was delivered
    "gap",         // gaps are declared from the resume revision to the compact revision - 1
    "resume",      // every create starts at the watch's next revision, with its options
    "ids",         // client-chosen IDs are never reused on a stream
    "cancels",     // a cancel never names a live watch; (well-behaved) one per ID per stream
    "binding",     // a live watch's ID names the server watch created for its spec
    "one-stream",  // one stream at a time; requests only on an open stream
    "backpressure",// unacknowledged events counted exactly; reads pause and resume at the marks
    "bookkeeping", // updates only for live watches; the engine's watches are the user's
    "notices",     // no alarms for a well-behaved server; misbehaviour is reported or ignored
    "liveness",    // back-off capped; the system settles with every watch live (well-behaved:
                   // caught up, and a watch ends only by the user or the server's own cancel)
};

// What a hostile server leaves checkable: its lies cannot be told from the
// truth, so exact content, completeness and uniqueness are not required.
bool checkedWithHostileTraffic(const std::string& property)
{
    return property != "unique" && property != "atomic" && property != "content" && property != "lossless";
}

struct RunStats {
    std::int64_t steps = 0;
    std::int64_t engineCalls = 0;
    std::int64_t eventsDelivered = 0;
    std::int64_t streamsOpened = 0;
    std::int64_t streamLosses = 0;
    std::int64_t compactions = 0;
    std::int64_t gaps = 0;
    std::int64_t fragments = 0;
    std::int64_t progressUpdates = 0;
    std::int64_t malformedMessages = 0;
    std::int64_t misbehaviourNotices = 0;
    std::int64_t watchesAdded = 0;

    void add(const RunStats& o)
    {
        steps += o.steps;
        engineCalls += o.engineCalls;
        eventsDelivered += o.eventsDelivered;
        streamsOpened += o.streamsOpened;
        streamLosses += o.streamLosses;
        compactions += o.compactions;
        gaps += o.gaps;
        fragments += o.fragments;
        progressUpdates += o.progressUpdates;
        malformedMessages += o.malformedMessages;
        misbehaviourNotices += o.misbehaviourNotices;
        watchesAdded += o.watchesAdded;
    }
};

// One watch as the harness knows it: its spec and what was delivered.
struct WatchRecord {
    WatchSpec spec;
    Revision resumeFrom = 0;     // W3's nextRev as the outputs imply it; 0: "from now", not yet created
    Revision lastDelivered = 0;  // highest revision delivered
    Revision settled = 0;        // highest progress or gap end: nothing at or below may follow
    Revision lastProgress = 0;   // last progress update's revision
    std::int64_t eventCount = 0; // events delivered
    std::set<std::pair<Revision, std::string>> delivered;  // (revision, key), well-behaved runs
};

// What one engine call produced, for checks that concern one message.
struct CallOutputs {
    std::size_t events = 0;
    std::size_t stateUpdates = 0;
    std::size_t updates = 0;
    std::size_t misbehaved = 0;
    std::vector<std::int64_t> cancels;
};

// Which seed and step is running, for a fatal signal's last words.
std::atomic<std::uint64_t> gRunningSeed{0};
std::atomic<std::int64_t> gRunningStep{0};

class FuzzRun {
public:
    FuzzRun(std::uint64_t seed, Traffic traffic)
        : rng_(seed), traffic_(traffic), options_(randomOptions(rng_)), engine_(options_)
    {
        cluster_.honoursIds = chance(rng_, 0.75);
        cluster_.orderedProgress = chance(rng_, 0.6);
        mixedCluster_ = chance(rng_, 0.15);
        faultRate_ = oneOf(rng_, std::vector<double>{0.05, 0.3, 1.0, 2.0});
        steps_ = int(between(rng_, kMinStepsPerIteration, kMaxStepsPerIteration));
        for (int i = 0; i < 3; ++i)
            store_.writeTransaction(rng_);
        trace("options: pipeline " + std::to_string(options_.pipelineCreates) + ", fragments "
              + std::to_string(options_.requestFragments) + ", resume after compaction "
              + std::to_string(options_.resumeAfterCompaction) + ", pause at "
              + std::to_string(options_.pauseReadsAtEvents) + "/" + std::to_string(options_.resumeReadsAtEvents)
              + "; members honour IDs " + std::to_string(cluster_.honoursIds) + ", ordered progress "
              + std::to_string(cluster_.orderedProgress) + (mixedCluster_ ? ", mixed versions" : "")
              + "; fault rate " + std::to_string(faultRate_) + ", " + std::to_string(steps_) + " steps");
        call("connect", [&] { engine_.setConnectionWanted(true, now_); });
    }

    void run()
    {
        for (int i = 0; i < steps_ && !failed(); ++i) {
            ++stats_.steps;
            gRunningStep = stats_.steps;
            randomStep();
        }
        if (!failed())
            settleAndCheck();
    }

    bool failed() const { return !failure_.empty(); }
    const std::string& failure() const { return failure_; }
    const RunStats& stats() const { return stats_; }
    std::string traceText() const
    {
        std::string text;
        for (const auto& line : trace_)
            text += "  " + line + "\n";
        return text;
    }

private:
    static EngineOptions randomOptions(Rng& rng)
    {
        EngineOptions options;
        options.pipelineCreates = chance(rng, 0.8);
        options.requestFragments = chance(rng, 0.5);
        options.resumeAfterCompaction = chance(rng, 0.85);
        if (chance(rng, 0.5)) {  // a slow consumer: pauses happen
            options.pauseReadsAtEvents = between(rng, 2, 40);
            options.resumeReadsAtEvents = between(rng, 0, options.pauseReadsAtEvents - 1);
        }
        options.quietProbeAfter = std::chrono::milliseconds(between(rng, 1000, 5000));
        options.probeTimeout = std::chrono::milliseconds(between(rng, 1000, 5000));
        options.randomSeed = rng();
        return options;
    }

    // --- the random walk ----------------------------------------------------------------

    void randomStep()
    {
        using Step = void (FuzzRun::*)();
        const bool open = stream_.has_value();
        const bool paused = engine_.readsPaused();
        const std::vector<std::pair<double, Step>> steps = {
            {records_.size() < kMaxWatches ? 4.0 : 0.0, &FuzzRun::addWatch},
            {0.3, &FuzzRun::addInvalidWatch},
            {records_.empty() ? 0.2 : 1.5, &FuzzRun::cancelWatch},
            {1.0, &FuzzRun::requestProgress},
            {outstanding_ > 0 ? (paused ? 6.0 : 2.0) : 0.2, &FuzzRun::acknowledge},
            {connectionWanted_ && engine_.streamState() != StreamState::Failed ? 0.3 * faultRate_ : 3.0,
             &FuzzRun::toggleConnection},
            {openRequested_ ? 8.0 : 0.0, &FuzzRun::openStream},
            {open || openRequested_ ? 0.8 * faultRate_ : 0.0, &FuzzRun::failStream},
            {0.3, &FuzzRun::lateTransportCallback},
            {open && !stream_->inbound.empty() ? 8.0 : 0.0, &FuzzRun::serverHandles},
            {open ? 5.0 : 0.0, &FuzzRun::serverPumps},
            {5.0, &FuzzRun::serverWrites},
            {open ? 0.7 : 0.0, &FuzzRun::serverNotifiesProgress},
            {0.4, &FuzzRun::serverCompacts},
            {open ? 0.1 * faultRate_ : 0.0, &FuzzRun::serverRevokes},
            {open ? 0.1 * faultRate_ : 0.0, &FuzzRun::tokenExpires},
            {open && !stream_->outbound.empty() && !paused ? 10.0 : 0.0, &FuzzRun::deliverResponses},
            {3.0, &FuzzRun::tick},
            {livenessCheckPending_ ? 2.0 : 0.0, &FuzzRun::answerLivenessCheck},
            {traffic_ == Traffic::Hostile ? 2.5 : 0.0, &FuzzRun::injectMalformed},
        };
        std::vector<double> weights;
        for (const auto& step : steps)
            weights.push_back(step.first);
        std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
        (this->*steps[pick(rng_)].second)();
    }

    // --- user commands --------------------------------------------------------------------

    WatchHandle freeHandle()
    {
        std::vector<WatchHandle> free;
        for (WatchHandle h = 1; h <= kHandles; ++h)
            if (!records_.count(h))
                free.push_back(h);
        return oneOf(rng_, free);
    }

    void addWatch()
    {
        const WatchHandle handle = freeHandle();
        WatchSpec spec = randomSpec(rng_, store_.revision());
        WatchRecord record;
        record.spec = spec;
        record.resumeFrom = spec.startRevision;
        records_[handle] = std::move(record);
        ++stats_.watchesAdded;
        std::optional<std::string> error;
        call("add watch " + std::to_string(handle) + " " + describe(spec),
             [&] { error = engine_.addWatch(handle, spec); });
        if (error)
            fail("bookkeeping", "a valid spec was refused: " + *error);
    }

    void addInvalidWatch()
    {
        // Refused with a reason, and nothing changes.
        const bool takenHandle = !records_.empty() && chance(rng_, 0.3);
        const WatchHandle handle = takenHandle ? records_.begin()->first : (chance(rng_, 0.2) ? -1 : freeHandle());
        const WatchSpec spec = takenHandle ? randomSpec(rng_, store_.revision()) : invalidSpec(rng_);
        std::optional<std::string> error;
        const CallOutputs out = call("add invalid watch " + std::to_string(handle) + " " + describe(spec),
                                     [&] { error = engine_.addWatch(handle, spec); });
        if (!error || error->empty())
            fail("bookkeeping", "an invalid watch was accepted");
        else if (out.updates > 0 || !out.cancels.empty() || requestsOfLastCall_ > 0)
            fail("bookkeeping", "a refused watch produced output");
    }

    void cancelWatch()
    {
        WatchHandle handle = kHandles + 1;  // unknown: ignored
        if (!records_.empty() && !chance(rng_, 0.1)) {
            auto it = records_.begin();
            std::advance(it, below(rng_, int(records_.size())));
            handle = it->first;
        }
        const bool known = records_.count(handle) > 0;
        userCancelling_ = handle;
        const CallOutputs out = call("cancel watch " + std::to_string(handle), [&] { engine_.cancelWatch(handle); });
        userCancelling_ = 0;
        if (known && records_.count(handle))
            fail("bookkeeping", "watch " + std::to_string(handle) + " was cancelled but did not end");
        if (!known && (out.updates > 0 || requestsOfLastCall_ > 0))
            fail("bookkeeping", "cancelling an unknown watch produced output");
    }

    void requestProgress()
    {
        call("request progress", [&] { engine_.requestProgress(); });
    }

    void acknowledge()
    {
        const std::int64_t count = between(rng_, 0, outstanding_ + 2);  // consumers may over-count
        outstanding_ = std::max<std::int64_t>(0, outstanding_ - count);
        call("acknowledge " + std::to_string(count), [&] { engine_.acknowledge(count); });
    }

    void toggleConnection()
    {
        const bool wanted = !connectionWanted_ || engine_.streamState() == StreamState::Failed || chance(rng_, 0.2);
        setConnectionWanted(wanted);
    }

    void setConnectionWanted(bool wanted)
    {
        connectionWanted_ = wanted;
        call(wanted ? "connect" : "disconnect", [&] { engine_.setConnectionWanted(wanted, now_); });
    }

    // --- transport ------------------------------------------------------------------------

    void openStream()
    {
        MemberFlavour flavour = cluster_;
        if (mixedCluster_) {
            flavour.honoursIds = chance(rng_, 0.5);
            flavour.orderedProgress = chance(rng_, 0.5);
        }
        openRequested_ = false;
        stream_.emplace(store_, flavour);
        streamIds_.clear();
        streamCancels_.clear();
        createsInFlight_ = 0;
        eventsReceivedOnStream_ = 0;
        fragmentsPending_.clear();
        recent_.clear();
        ++stats_.streamsOpened;
        // As the session does: the member's version decides (probed before the stream opens).
        engine_.setBroadcastProgressIsSafe(flavour.orderedProgress);
        call(std::string("stream opened (member honours IDs ") + (flavour.honoursIds ? "yes" : "no")
                 + ", ordered progress " + (flavour.orderedProgress ? "yes" : "no") + ")",
             [&] { engine_.onStreamOpened(now_); });
    }

    void failStream()
    {
        StreamError error{StreamError::Kind::Transient, "connection reset"};
        const int kind = below(rng_, 40);
        if (kind == 0)
            error = {StreamError::Kind::AuthFailure, "etcdserver: authentication failed"};
        else if (kind == 1)
            error = {StreamError::Kind::Fatal, "unimplemented"};
        ++stats_.streamLosses;
        stream_.reset();
        openRequested_ = false;
        call("stream error: " + error.message, [&] { engine_.onStreamError(error, now_); });
    }

    // A transport's late or doubled callback: ignored unless it fits the state.
    void lateTransportCallback()
    {
        const StreamState state = engine_.streamState();
        CallOutputs out;
        if (state != StreamState::Opening && chance(rng_, 0.5))
            out = call("stream opened, but none was opening", [&] { engine_.onStreamOpened(now_); });
        else if (state != StreamState::Open && state != StreamState::Opening)
            out = call("stream error, but none is open",
                       [&] { engine_.onStreamError({StreamError::Kind::Transient, "late error"}, now_); });
        else
            return;
        if (out.updates > 0 || requestsOfLastCall_ > 0)
            fail("one-stream", "a callback for no stream changed something");
    }

    void tick()
    {
        const auto next = engine_.nextTickAt();
        if (chance(rng_, 0.25) && next && *next > now_)
            now_ = *next;  // exactly when asked
        else if (chance(rng_, 0.1 * faultRate_))
            now_ += std::chrono::milliseconds(between(rng_, 5000, 12000));  // a long silence
        else
            now_ += std::chrono::milliseconds(between(rng_, 0, 1500));
        call("tick", [&] { engine_.onTick(now_); });
    }

    void deliverResponses()
    {
        const int count = 1 + below(rng_, 4);
        for (int i = 0; i < count && !failed() && stream_ && !stream_->outbound.empty() && !engine_.readsPaused(); ++i)
            deliverOne();
    }

    void deliverOne()
    {
        etcdserverpb::WatchResponse response = std::move(stream_->outbound.front());
        stream_->outbound.pop_front();
        if (response.created())
            createsInFlight_ = std::max(0, createsInFlight_ - 1);
        if (response.fragment())
            ++stats_.fragments;
        if (traffic_ == Traffic::Hostile) {
            recent_.push_back(response);
            if (recent_.size() > kRecentResponses)
                recent_.pop_front();
        }
        noteReceived(response);
        const std::string what = "receive " + describe(response);
        call(what, [&] { engine_.onResponse(std::move(response), now_); });
    }

    // --- the server's own work ------------------------------------------------------------------

    void serverHandles()
    {
        const int count = 1 + below(rng_, 3);
        for (int i = 0; i < count && stream_ && !stream_->inbound.empty(); ++i)
            stream_->handleNext();
    }

    void serverPumps()
    {
        const auto ids = stream_->watcherIds();
        if (ids.empty())
            return;
        const Revision maxRevisions = chance(rng_, 0.3) ? store_.revision() : between(rng_, 1, 4);
        if (chance(rng_, 0.3)) {
            for (std::int64_t id : ids)
                stream_->pump(id, maxRevisions, rng_);
        } else {
            stream_->pump(oneOf(rng_, ids), maxRevisions, rng_);
        }
    }

    void serverWrites()
    {
        store_.writeTransaction(rng_);
        trace("write revision " + std::to_string(store_.revision()));
    }

    void serverNotifiesProgress()
    {
        const auto ids = stream_->watcherIds();
        if (!ids.empty())
            stream_->notifyProgress(oneOf(rng_, ids));
    }

    void serverCompacts()
    {
        store_.compact(rng_);
        ++stats_.compactions;
        trace("compact at " + std::to_string(store_.compactRevision()));
    }

    void serverRevokes()
    {
        const auto ids = stream_->watcherIds();
        if (ids.empty())
            return;
        const std::int64_t id = oneOf(rng_, ids);
        stream_->revoke(id);
        trace("server cancels watch ID " + std::to_string(id));
    }

    void tokenExpires()
    {
        stream_->expireToken();
        trace("auth token expires");
    }

    // --- malformed and hostile messages -----------------------------------------------------------

    // A live watch and its server ID, if there is one.
    std::optional<std::pair<WatchHandle, std::int64_t>> randomBoundWatch()
    {
        std::vector<std::pair<WatchHandle, std::int64_t>> bound;
        for (const auto& [handle, record] : records_) {
            const auto info = engine_.watchInfo(handle);
            if (info && info->state == WatchState::Live && info->serverWatchId >= 0)
                bound.emplace_back(handle, info->serverWatchId);
        }
        if (bound.empty())
            return std::nullopt;
        return oneOf(rng_, bound);
    }

    bool nothingInFlight() const
    {
        if (createsInFlight_ != 0)
            return false;
        for (const auto& [handle, record] : records_) {
            const auto info = engine_.watchInfo(handle);
            if (!info || info->state != WatchState::Live)
                return false;
        }
        return true;
    }

    static etcdserverpb::WatchResponse eventResponse(std::int64_t id, Revision header,
                                                     const std::vector<std::tuple<bool, std::string, Revision>>& events,
                                                     bool fragment = false)
    {
        std::vector<script::Ev> list;
        for (const auto& [put, key, revision] : events)
            list.push_back({put, key, "hostile", revision});
        return script::events(id, header, list, fragment);
    }

    std::tuple<bool, std::string, Revision> randomEvent(Revision around)
    {
        return {chance(rng_, 0.7), oneOf(rng_, kKeys), std::max<Revision>(1, around + between(rng_, -3, 3))};
    }

    // Keys of kKeys inside (or outside) a watch's range.
    std::vector<std::string> keysWhere(const WatchSpec& spec, bool inside) const
    {
        std::vector<std::string> keys;
        for (const auto& key : kKeys)
            if (inRange(spec, key) == inside)
                keys.push_back(key);
        return keys;
    }

    // Each returns false when it does not fit the moment (nothing sent).
    using Injection = bool (FuzzRun::*)();
    void injectMalformed()
    {
        static const Injection kInjections[] = {
            &FuzzRun::eventsForUnknownId,      &FuzzRun::createdWithNothingInFlight,
            &FuzzRun::createdWithNegativeId,   &FuzzRun::createdForLiveId,
            &FuzzRun::fragmentNeverFinished,   &FuzzRun::revisionsGoingBackwards,
            &FuzzRun::cancelForUnknownId,      &FuzzRun::responseRepeated,
            &FuzzRun::emptyResponse,           &FuzzRun::eventsOutsideTheRange,
            &FuzzRun::eventsTheFiltersExclude, &FuzzRun::compactionThatDidNotHappen,
            &FuzzRun::progressFromNowhere,     &FuzzRun::refusalWithNothingInFlight,
        };
        ++stats_.malformedMessages;
        if (!stream_) {
            strayResponse();
            return;
        }
        if (!(this->*kInjections[below(rng_, int(std::size(kInjections)))])())
            emptyResponse();
    }

    void strayResponse()
    {
        // No stream: whatever arrives late from a dead one changes nothing.
        auto response = eventResponse(1, store_.revision(), {randomEvent(store_.revision())});
        const CallOutputs out = call("stray response with no stream: " + describe(response),
                                     [&] { engine_.onResponse(std::move(response), now_); });
        if (out.updates > 0 || requestsOfLastCall_ > 0 || out.misbehaved > 0)
            fail("notices", "a response with no open stream was acted on");
    }

    bool eventsForUnknownId()
    {
        const std::int64_t id = chance(rng_, 0.7) ? kForeignIdBase + below(rng_, 100) : -between(rng_, 2, 50);
        const Revision head = store_.revision();
        const CallOutputs out = hostile(eventResponse(id, head, {randomEvent(head), randomEvent(head)}));
        if (out.events > 0 || out.stateUpdates > 0)
            fail("notices", "events for an unknown watch ID were delivered");
        if (out.cancels.size() > 1 || (out.cancels.size() == 1 && out.cancels[0] != id))
            fail("cancels", "an unknown ID was answered with other cancels");
        return true;
    }

    bool createdWithNothingInFlight()
    {
        if (!nothingInFlight())
            return false;
        const auto bound = randomBoundWatch();
        const std::int64_t id = bound && chance(rng_, 0.5) ? bound->second : kForeignIdBase + below(rng_, 100);
        auto response = script::created(id, store_.revision());
        response.set_canceled(chance(rng_, 0.2));
        const CallOutputs out = hostile(std::move(response));
        expectAlarm(out, "a `created` with nothing in flight");
        if (out.stateUpdates > 0)
            fail("binding", "a `created` with nothing in flight changed a watch");
        return true;
    }

    bool createdWithNegativeId()
    {
        const std::int64_t id = chance(rng_, 0.3) ? -1 : -between(rng_, 2, 50);
        const CallOutputs out = hostile(script::created(id, store_.revision()));
        expectAlarm(out, "a `created` with a negative watch ID");
        if (out.stateUpdates > 0)
            fail("binding", "a `created` with a negative ID bound a watch");
        return true;
    }

    bool createdForLiveId()
    {
        const auto bound = randomBoundWatch();
        if (!bound)
            return false;
        const CallOutputs out = hostile(script::created(bound->second, store_.revision()));
        expectAlarm(out, "a `created` for a live watch ID");
        if (out.stateUpdates > 0)
            fail("binding", "a `created` for a live ID re-bound a watch");
        return true;
    }

    bool fragmentNeverFinished()
    {
        // Not by this message, at least: the next response for the ID ends it.
        const auto bound = randomBoundWatch();
        const std::int64_t id = bound && chance(rng_, 0.6) ? bound->second : kForeignIdBase + below(rng_, 100);
        const Revision next = store_.revision() + 1;
        hostile(eventResponse(id, store_.revision(), {randomEvent(next), randomEvent(next)}, true));
        return true;
    }

    bool revisionsGoingBackwards()
    {
        // Inside one response, or below what was delivered.
        const auto bound = randomBoundWatch();
        if (!bound)
            return false;
        const WatchRecord& record = records_.at(bound->first);
        const auto keys = keysWhere(record.spec, true);
        if (keys.empty())
            return false;
        const bool put = !record.spec.noPut;
        const Revision base = std::max<Revision>(record.resumeFrom, 2);
        const Revision head = store_.revision();
        auto response = chance(rng_, 0.5) || record.resumeFrom < 2
                            ? eventResponse(bound->second, head,
                                            {{put, oneOf(rng_, keys), base + 2}, {put, oneOf(rng_, keys), base}})
                            : eventResponse(bound->second, head, {{put, oneOf(rng_, keys), record.resumeFrom - 1}});
        expectAlarm(hostile(std::move(response)), "revisions going backwards");
        return true;
    }

    bool cancelForUnknownId()
    {
        const Revision compactRevision = chance(rng_, 0.5) ? store_.revision() : 0;
        const CallOutputs out = hostile(script::serverCancel(kForeignIdBase + below(rng_, 100), compactRevision));
        if (out.updates > 0)
            fail("notices", "a cancel for an unknown ID changed a watch");
        return true;
    }

    bool responseRepeated()
    {
        if (recent_.empty())
            return false;
        const auto& again = recent_[std::size_t(below(rng_, int(recent_.size())))];
        // A refusal names no request (its ID is -1): repeated while a
        // creation is in flight, no client can tell it from the answer.
        if (again.created() && again.canceled() && !nothingInFlight())
            return false;
        hostile(again);
        return true;
    }

    bool emptyResponse()
    {
        // It finishes a fragment pending for watch ID 0, though.
        const bool finishesFragment = fragmentsPending_.count(0) > 0;
        const CallOutputs out = hostile(etcdserverpb::WatchResponse{});
        if (out.stateUpdates > 0 || (out.updates > 0 && !finishesFragment))
            fail("notices", "an empty response changed a watch");
        return true;
    }

    bool eventsOutsideTheRange()
    {
        const auto bound = randomBoundWatch();
        if (!bound)
            return false;
        const WatchRecord& record = records_.at(bound->first);
        const auto keys = keysWhere(record.spec, false);
        if (keys.empty())
            return false;
        const Revision at = std::max<Revision>(record.resumeFrom, store_.revision());
        auto response = eventResponse(bound->second, store_.revision(),
                                      {{true, oneOf(rng_, keys), at}, {false, oneOf(rng_, keys), at}});
        expectAlarm(hostile(std::move(response)), "events outside the watch's range");
        return true;
    }

    bool eventsTheFiltersExclude()
    {
        const auto bound = randomBoundWatch();
        if (!bound)
            return false;
        const WatchRecord& record = records_.at(bound->first);
        const auto keys = keysWhere(record.spec, true);
        if (keys.empty() || (!record.spec.noPut && !record.spec.noDelete))
            return false;
        const Revision at = std::max<Revision>(record.resumeFrom, store_.revision());
        auto response = eventResponse(bound->second, store_.revision(), {{record.spec.noPut, oneOf(rng_, keys), at}});
        expectAlarm(hostile(std::move(response)), "events the watch's filters exclude");
        return true;
    }

    bool compactionThatDidNotHappen()
    {
        const auto bound = randomBoundWatch();
        if (!bound)
            return false;
        hostile(script::serverCancel(bound->second, between(rng_, 1, store_.revision() + 10)));
        return true;
    }

    bool progressFromNowhere()
    {
        // Zero, negative, behind, far ahead; for one watch or broadcast.
        const Revision head = store_.revision();
        const Revision revision = oneOf(rng_, std::vector<Revision>{0, -5, head - 3, head + 1000});
        const auto bound = randomBoundWatch();
        hostile(script::progress(bound && chance(rng_, 0.7) ? bound->second : -1, revision));
        return true;
    }

    bool refusalWithNothingInFlight()
    {
        if (!nothingInFlight())
            return false;
        auto response = script::refused(chance(rng_, 0.5) ? -1 : kForeignIdBase, store_.revision(), "hostile");
        expectAlarm(hostile(std::move(response)), "a refusal with nothing in flight");
        return true;
    }

    // What the engine was handed on this stream, for the checks.
    void noteReceived(const etcdserverpb::WatchResponse& response)
    {
        eventsReceivedOnStream_ += response.events_size();
        // Only events or progress finish a fragment (a cancel may drop it:
        // kept here, as pending is what the checks allow, not require).
        if (response.fragment())
            fragmentsPending_.insert(response.watch_id());
        else if (!response.created() && !response.canceled())
            fragmentsPending_.erase(response.watch_id());
    }

    CallOutputs hostile(etcdserverpb::WatchResponse response)
    {
        noteReceived(response);
        const std::string what = "HOSTILE " + describe(response);
        return call(what, [&] { engine_.onResponse(std::move(response), now_); });
    }

    void expectAlarm(const CallOutputs& out, const std::string& what)
    {
        if (out.misbehaved == 0)
            fail("notices", what + " was accepted without a notice");
    }

    // --- one engine call and its checks ------------------------------------------------------------

    template <typename Call>
    CallOutputs call(const std::string& what, Call&& engineCall)
    {
        trace(what);
        ++stats_.engineCalls;
        try {
            engineCall();
        } catch (const std::exception& e) {
            fail("crash-free", std::string("exception: ") + e.what());
            return {};
        }
        CallOutputs out = collectOutputs();
        checkInvariants();
        return out;
    }

    CallOutputs collectOutputs()
    {
        CallOutputs out;
        const auto directives = engine_.takeDirectives();
        auto requests = engine_.takeRequests();
        const auto updates = engine_.takeUpdates();
        const auto notices = engine_.takeNotices();
        requestsOfLastCall_ = requests.size();
        if (directives.size() > kMaxDirectivesPerCall || requests.size() > kMaxRequestsPerCall
            || updates.size() > kMaxUpdatesPerCall || notices.size() > kMaxNoticesPerCall)
            fail("bounded", "one call produced " + std::to_string(directives.size()) + " directives, "
                                + std::to_string(requests.size()) + " requests, " + std::to_string(updates.size())
                                + " updates, " + std::to_string(notices.size()) + " notices");
        for (StreamDirective directive : directives)
            handleDirective(directive);
        for (const WatchUpdate& update : updates)
            checkUpdate(update, out);
        for (auto& request : requests)
            checkAndForward(std::move(request), out);
        for (const EngineNotice& notice : notices)
            checkNotice(notice, out);
        return out;
    }

    void handleDirective(StreamDirective directive)
    {
        switch (directive) {
        case StreamDirective::Open:
            trace("  -> open a stream");
            if (stream_ || openRequested_)
                fail("one-stream", "asked to open a stream while one is open or opening");
            openRequested_ = true;
            break;
        case StreamDirective::Close:
        case StreamDirective::Reset:
            trace(directive == StreamDirective::Close ? "  -> close the stream" : "  -> reset the stream");
            stream_.reset();
            openRequested_ = false;
            livenessCheckPending_ = false;
            break;
        case StreamDirective::CheckLiveness:
            trace("  -> check liveness (status call)");
            if (!stream_)
                fail("one-stream", "a liveness check with no stream open");
            livenessCheckPending_ = true;
            break;
        }
    }

    // The transport's status call came back: the member is alive. (A lost
    // answer is simply never delivered.)
    void answerLivenessCheck()
    {
        livenessCheckPending_ = false;
        if (chance(rng_, 0.3 * faultRate_))
            return;  // unanswered: a hung member
        call("liveness confirmed", [&] { engine_.onLivenessConfirmed(now_); });
    }

    void checkAndForward(etcdserverpb::WatchRequest&& request, CallOutputs& out)
    {
        if (!stream_) {
            fail("one-stream", "a request with no stream open");
            return;
        }
        if (request.has_create_request())
            checkCreate(request.create_request());
        if (request.has_cancel_request())
            checkCancel(request.cancel_request().watch_id(), out);
        if (request.has_progress_request())
            trace("  -> progress request");
        stream_->inbound.push_back(std::move(request));
    }

    void checkCreate(const etcdserverpb::WatchCreateRequest& create)
    {
        const WatchSpec spec = specOf(create);
        trace("  -> create " + describe(spec) + " id " + std::to_string(create.watch_id()));
        ++createsInFlight_;
        if (create.fragment() != options_.requestFragments)
            fail("resume", "a create without the engine's fragment option");
        if (create.watch_id() < 0 || (create.watch_id() > 0 && !streamIds_.insert(create.watch_id()).second))
            fail("ids", "watch ID " + std::to_string(create.watch_id()) + " requested twice on one stream");
        bool forSomeWatch = false;
        for (const auto& [handle, record] : records_)
            forSomeWatch |= sameWatch(record.spec, spec) && record.resumeFrom == spec.startRevision;
        if (!forSomeWatch)
            fail("resume", "create " + describe(spec) + " does not resume any live watch where it left off");
    }

    void checkCancel(std::int64_t id, CallOutputs& out)
    {
        trace("  -> cancel " + std::to_string(id));
        out.cancels.push_back(id);
        if (id < 0)
            fail("cancels", "a cancel for a negative ID");
        for (const auto& [handle, record] : records_) {
            const auto info = engine_.watchInfo(handle);
            if (info && info->serverWatchId == id)
                fail("cancels", "a cancel for watch ID " + std::to_string(id) + ", which live watch "
                                    + std::to_string(handle) + " still uses");
        }
        if (traffic_ == Traffic::WellBehaved && ++streamCancels_[id] > 1)
            fail("cancels", "watch ID " + std::to_string(id) + " cancelled twice on one stream");
    }

    void checkNotice(const EngineNotice& notice, CallOutputs& out)
    {
        switch (notice.kind) {
        case EngineNotice::Kind::ServerMisbehaved:
            trace("  -> notice: " + notice.message);
            ++out.misbehaved;
            ++stats_.misbehaviourNotices;
            if (traffic_ == Traffic::WellBehaved)
                fail("notices", "a well-behaved server was called misbehaving: " + notice.message);
            break;
        case EngineNotice::Kind::PipeliningDisabled:
            trace("  -> notice: " + notice.message);
            if (traffic_ == Traffic::WellBehaved && (!stream_ || stream_->flavour().honoursIds))
                fail("notices", "pipelining disabled on a member that honours IDs: " + notice.message);
            break;
        default:
            break;
        }
    }

    // --- updates ---------------------------------------------------------------------------------------

    void checkUpdate(const WatchUpdate& update, CallOutputs& out)
    {
        ++out.updates;
        auto it = records_.find(update.watch);
        if (it == records_.end()) {
            fail("bookkeeping", "an update for watch " + std::to_string(update.watch) + ", which is not live");
            return;
        }
        WatchRecord& record = it->second;
        switch (update.kind) {
        case WatchUpdate::Kind::Events:
            out.events += update.events.size();
            checkEvents(update.watch, record, update);
            break;
        case WatchUpdate::Kind::Gap:
            checkGap(update.watch, record, update);
            break;
        case WatchUpdate::Kind::Progress:
            checkProgress(update.watch, record, update.revision);
            break;
        case WatchUpdate::Kind::State:
            ++out.stateUpdates;
            checkState(update.watch, record, update);
            break;
        }
    }

    void checkState(WatchHandle handle, WatchRecord& record, const WatchUpdate& update)
    {
        trace("  -> watch " + std::to_string(handle) + " " + watchStateName(update.state)
              + (update.reason.empty() ? "" : " (" + update.reason + ")"));
        if (update.state == WatchState::Live && record.resumeFrom == 0) {
            // W3: "from now" is after the creation's header revision.
            const auto info = engine_.watchInfo(handle);
            if (info)
                record.resumeFrom = info->createdRevision + 1;
        }
        if (update.state != WatchState::Cancelled)
            return;
        if (handle != userCancelling_ && traffic_ == Traffic::WellBehaved) {
            const bool compacted = update.reason.find("compacted") != std::string::npos;
            const bool expected =
                update.reason == kPermissionDenied || (!options_.resumeAfterCompaction && compacted);
            if (!expected)
                fail("liveness", "watch " + std::to_string(handle) + " ended: " + update.reason);
        }
        records_.erase(handle);
    }

    // First revision in [from, to] with an event for `spec`, if any.
    std::optional<Revision> firstMatching(const WatchSpec& spec, Revision from, Revision to) const
    {
        for (Revision r = std::max<Revision>(from, 2); r <= std::min(to, store_.revision()); ++r)
            for (const StoredEvent& event : store_.at(r))
                if (matches(spec, event))
                    return r;
        return std::nullopt;
    }

    void checkEvents(WatchHandle handle, WatchRecord& record, const WatchUpdate& update)
    {
        const std::string who = "watch " + std::to_string(handle) + " (" + describe(record.spec) + ")";
        std::string line = "  -> deliver to " + std::to_string(handle) + ":";
        for (const auto& e : update.events)
            line += " " + std::to_string(e.kv.modRevision) + ":" + printable(e.kv.key);
        trace(line);
        if (update.events.empty()) {
            fail("atomic", "an empty delivery to " + who);
            return;
        }
        stats_.eventsDelivered += std::int64_t(update.events.size());
        record.eventCount += std::int64_t(update.events.size());
        outstanding_ += std::int64_t(update.events.size());
        if (std::int64_t(update.events.size()) > eventsReceivedOnStream_)
            fail("bounded", "more events delivered than received on this stream");

        std::size_t i = 0;
        while (i < update.events.size() && !failed()) {
            const Revision revision = update.events[i].kv.modRevision;
            std::size_t end = i;
            while (end < update.events.size() && update.events[end].kv.modRevision == revision) {
                const WatchEvent& event = update.events[end];
                if (!inRange(record.spec, event.kv.key) || !passesFilters(record.spec, event.type == EventType::Put))
                    fail("filter", who + " got " + printable(event.kv.key) + " at " + std::to_string(revision));
                ++end;
            }
            if (revision < record.resumeFrom) {
                const bool again = record.delivered.count({revision, update.events[i].kv.key}) > 0;
                fail(again ? "unique" : revision <= record.settled ? "bookmark" : "ordered",
                     who + " got revision " + std::to_string(revision) + " after revision "
                         + std::to_string(record.resumeFrom - 1) + " was settled (last delivered "
                         + std::to_string(record.lastDelivered) + ", progress/gap " + std::to_string(record.settled)
                         + ")");
                return;
            }
            if (traffic_ == Traffic::WellBehaved)
                checkWholeRevision(who, record, update, i, end);
            record.lastDelivered = revision;
            record.resumeFrom = revision + 1;
            i = end;
        }
        if (traffic_ == Traffic::WellBehaved && update.revision < record.lastDelivered)
            fail("content", who + ": a delivery's header revision is below its events");
    }

    // Events [from, end) of one delivery are one revision: exactly the
    // server's events for this watch at that revision, none skipped before.
    void checkWholeRevision(const std::string& who, WatchRecord& record, const WatchUpdate& update, std::size_t from,
                            std::size_t end)
    {
        const Revision revision = update.events[from].kv.modRevision;
        if (const auto skipped = firstMatching(record.spec, record.resumeFrom, revision - 1)) {
            fail("lossless", who + " skipped revision " + std::to_string(*skipped) + " (next delivered "
                                 + std::to_string(revision) + ")");
            return;
        }
        std::vector<const StoredEvent*> expected;
        if (revision <= store_.revision())
            for (const StoredEvent& event : store_.at(revision))
                if (matches(record.spec, event))
                    expected.push_back(&event);
        if (end - from != expected.size()) {
            fail("atomic", who + " got " + std::to_string(end - from) + " of the " + std::to_string(expected.size())
                               + " events of revision " + std::to_string(revision) + " in one delivery");
            return;
        }
        for (std::size_t k = 0; k < expected.size(); ++k) {
            const WatchEvent& got = update.events[from + k];
            const StoredEvent& want = *expected[k];
            const bool wantPrev = record.spec.prevKv && want.prev.has_value();
            const bool samePrev = !wantPrev
                                  || (got.prevKv.value == want.prev->value
                                      && got.prevKv.modRevision == want.prev->modRevision);
            const bool same = got.type == (want.put ? EventType::Put : EventType::Delete) && got.kv.key == want.kv.key
                              && got.kv.value == want.kv.value && got.kv.createRevision == want.kv.createRevision
                              && got.kv.version == want.kv.version && got.hasPrevKv == wantPrev && samePrev;
            if (!same) {
                fail("content", who + ": event " + printable(got.kv.key) + " at " + std::to_string(revision)
                                    + " differs from the server's");
                return;
            }
            if (!record.delivered.insert({revision, got.kv.key}).second) {
                fail("unique", who + " got " + printable(got.kv.key) + " at " + std::to_string(revision) + " twice");
                return;
            }
        }
    }

    void checkGap(WatchHandle handle, WatchRecord& record, const WatchUpdate& update)
    {
        trace("  -> gap for " + std::to_string(handle) + ": " + std::to_string(update.fromRevision) + ".."
              + std::to_string(update.toRevision));
        ++stats_.gaps;
        if (update.fromRevision != record.resumeFrom || update.toRevision < update.fromRevision)
            fail("gap", "watch " + std::to_string(handle) + " declared gap " + std::to_string(update.fromRevision)
                            + ".." + std::to_string(update.toRevision) + " while resuming from "
                            + std::to_string(record.resumeFrom));
        if (traffic_ == Traffic::WellBehaved && update.toRevision >= store_.compactRevision())
            fail("gap", "watch " + std::to_string(handle) + " declared revision " + std::to_string(update.toRevision)
                            + " lost, but only revisions below " + std::to_string(store_.compactRevision())
                            + " were compacted");
        record.settled = std::max(record.settled, update.toRevision);
        record.resumeFrom = std::max(record.resumeFrom, update.toRevision + 1);
    }

    void checkProgress(WatchHandle handle, WatchRecord& record, Revision revision)
    {
        trace("  -> progress for " + std::to_string(handle) + ": " + std::to_string(revision));
        ++stats_.progressUpdates;
        if (traffic_ == Traffic::WellBehaved) {
            if (revision < record.lastProgress)
                fail("bookmark", "watch " + std::to_string(handle) + " progress went back from "
                                     + std::to_string(record.lastProgress) + " to " + std::to_string(revision));
            if (const auto missing = firstMatching(record.spec, record.resumeFrom, revision))
                fail("bookmark", "watch " + std::to_string(handle) + " reported progress " + std::to_string(revision)
                                     + " before revision " + std::to_string(*missing) + " was delivered");
        }
        record.lastProgress = revision;
        record.settled = std::max(record.settled, revision);
        record.resumeFrom = std::max(record.resumeFrom, revision + 1);
    }

    // --- invariants after every call ---------------------------------------------------------------------

    void checkInvariants()
    {
        if (failed())
            return;
        const StreamState state = engine_.streamState();
        if ((state == StreamState::Open) != stream_.has_value() || (state == StreamState::Opening) != openRequested_)
            fail("one-stream", std::string("the engine is ") + streamStateName(state) + " but the transport "
                                   + (stream_ ? "has a stream" : openRequested_ ? "is opening one" : "has none"));

        std::vector<WatchHandle> expected;
        for (const auto& [handle, record] : records_)
            expected.push_back(handle);
        if (engine_.activeWatches() != expected)
            fail("bookkeeping", "the engine's watches are not the user's");

        checkWatchInfos();

        if (const auto at = engine_.reconnectAt(); at && *at - now_ > options_.backoff.maximum)
            fail("liveness", "a reconnect is scheduled beyond the back-off cap");

        if (engine_.unacknowledgedEvents() != outstanding_)
            fail("backpressure", "the engine counts " + std::to_string(engine_.unacknowledgedEvents())
                                     + " unacknowledged events, the consumer " + std::to_string(outstanding_));
        if (outstanding_ >= options_.pauseReadsAtEvents && !engine_.readsPaused())
            fail("backpressure", "reads not paused at the high watermark");
        if (outstanding_ <= options_.resumeReadsAtEvents && engine_.readsPaused())
            fail("backpressure", "reads still paused at the low watermark");
    }

    // What the engine shows for diagnostics agrees with what it did.
    void checkWatchInfos()
    {
        std::set<std::int64_t> ids;
        for (const auto& [handle, record] : records_) {
            const auto info = engine_.watchInfo(handle);
            if (!info)
                continue;
            if (info->nextRevision != record.resumeFrom)
                fail("resume", "watch " + std::to_string(handle) + " shows next revision "
                                   + std::to_string(info->nextRevision) + "; its outputs imply "
                                   + std::to_string(record.resumeFrom));
            if (info->eventsDelivered != record.eventCount)
                fail("bookkeeping", "watch " + std::to_string(handle) + " counts "
                                        + std::to_string(info->eventsDelivered) + " events delivered, the consumer got "
                                        + std::to_string(record.eventCount));
            if (info->state != WatchState::Live)
                continue;
            const std::string who = "live watch " + std::to_string(handle) + " (" + describe(record.spec) + ")";
            const WatchSpec* server = stream_ ? stream_->created(info->serverWatchId) : nullptr;
            if (info->serverWatchId < 0 || !ids.insert(info->serverWatchId).second)
                fail("binding", who + " has watch ID " + std::to_string(info->serverWatchId) + ", not its own");
            else if (!server || !sameWatch(*server, record.spec))
                fail("binding", who + " is bound to watch ID " + std::to_string(info->serverWatchId) + ", which "
                                    + (server ? "the server created for " + describe(*server)
                                              : "the server never created"));
        }
    }

    // --- the end: let everything settle, then every watch must be live and complete ------------------------

    void settleAndCheck()
    {
        trace("settle");
        bool settled = false;
        for (int round = 0; round < kSettleRounds && !failed() && !settled; ++round)
            settled = !settleRound();
        if (failed())
            return;
        if (!settled) {
            fail("liveness", "the system did not settle in " + std::to_string(kSettleRounds) + " rounds");
            return;
        }
        for (const auto& [handle, record] : records_) {
            const auto info = engine_.watchInfo(handle);
            const std::string who = "watch " + std::to_string(handle) + " (" + describe(record.spec) + ")";
            if (!info || info->state != WatchState::Live) {
                fail("liveness", who + " is " + (info ? watchStateName(info->state) : "gone") + " after settling");
                return;
            }
            if (traffic_ != Traffic::WellBehaved)
                continue;
            if (const auto missing = firstMatching(record.spec, record.resumeFrom, store_.revision())) {
                fail("lossless", who + " never got revision " + std::to_string(*missing));
                return;
            }
        }
    }

    // One round of a calm world: no faults, the consumer keeps up. Returns
    // whether anything happened.
    bool settleRound()
    {
        bool moved = false;
        if (!connectionWanted_ || engine_.streamState() == StreamState::Failed) {
            setConnectionWanted(true);
            moved = true;
        }
        const auto at = engine_.nextTickAt();
        if (at && (*at <= now_ || engine_.streamState() == StreamState::Backoff)) {
            now_ = std::max(now_, *at);
            call("tick", [&] { engine_.onTick(now_); });
            moved = true;
        }
        if (openRequested_) {
            openStream();
            moved = true;
        }
        if (outstanding_ > 0) {
            const std::int64_t count = outstanding_;
            outstanding_ = 0;
            call("acknowledge " + std::to_string(count), [&] { engine_.acknowledge(count); });
            moved = true;
        }
        while (stream_ && !stream_->inbound.empty()) {
            stream_->handleNext();
            moved = true;
        }
        if (stream_) {
            const std::size_t before = stream_->outbound.size();
            stream_->pumpAll(rng_);
            moved |= stream_->outbound.size() != before;
        }
        while (stream_ && !stream_->outbound.empty() && !failed()) {
            if (engine_.readsPaused())
                return true;  // acknowledged next round
            deliverOne();
            moved = true;
        }
        return moved;
    }

    // --- bookkeeping ----------------------------------------------------------------------------------------

    void fail(const char* property, const std::string& detail)
    {
        if (failed())
            return;
        failure_ = std::string("property \"") + property + "\" violated at step " + std::to_string(stats_.steps) + ": "
                   + detail;
    }

    void trace(const std::string& line)
    {
        trace_.push_back(std::to_string(stats_.steps) + ": " + line);
        if (trace_.size() > kTraceLines)
            trace_.pop_front();
    }

    Rng rng_;
    Traffic traffic_;
    EngineOptions options_;
    WatchEngine engine_;
    ModelStore store_;
    MemberFlavour cluster_;       // the members' flavour
    bool mixedCluster_ = false;   // members of several versions: each stream draws its own
    double faultRate_ = 1.0;      // scales stream errors, silences, revokes: calm to stormy
    int steps_ = 0;               // this iteration's length
    TimePoint now_ = TimePoint{} + 1h;
    bool connectionWanted_ = true;

    std::optional<ModelStream> stream_;  // the server side of the open stream
    bool openRequested_ = false;         // the engine asked for a stream; not yet open
    bool livenessCheckPending_ = false;  // a status call the transport has not answered yet
    std::set<std::int64_t> streamIds_;   // client-chosen IDs requested on this stream
    std::map<std::int64_t, int> streamCancels_;  // cancels sent on this stream, by ID
    int createsInFlight_ = 0;            // creates sent on this stream minus `created` answers
    std::int64_t eventsReceivedOnStream_ = 0;
    std::set<std::int64_t> fragmentsPending_;  // IDs whose last response was a fragment
    std::deque<etcdserverpb::WatchResponse> recent_;  // for a hostile server to repeat

    std::map<WatchHandle, WatchRecord> records_;  // the user's live watches
    WatchHandle userCancelling_ = 0;              // the watch being cancelled by the user
    std::int64_t outstanding_ = 0;                // delivered, not yet acknowledged
    std::size_t requestsOfLastCall_ = 0;

    RunStats stats_;
    std::string failure_;
    std::deque<std::string> trace_;
};

// --- the campaign: iterations, environment, report ---------------------------------------------------------

struct FuzzPlan {
    std::uint64_t firstSeed = 0;
    int iterations = kDefaultIterations;
};

FuzzPlan planFromEnvironment(std::uint64_t defaultSeed)
{
    FuzzPlan plan{defaultSeed, kDefaultIterations};
    bool ok = false;
    const int iterations = qEnvironmentVariableIntValue("ETCDSCOPE_FUZZ_ITERATIONS", &ok);
    if (ok && iterations > 0)
        plan.iterations = iterations;
    const QByteArray seed = qgetenv("ETCDSCOPE_FUZZ_SEED");
    if (seed == "random") {
        std::random_device device;
        plan.firstSeed = (std::uint64_t(device()) << 32) | device();
    } else if (!seed.isEmpty()) {
        plan.firstSeed = seed.toULongLong(&ok, 0);
        if (!ok)
            qFatal("ETCDSCOPE_FUZZ_SEED must be a number or \"random\", not \"%s\"", seed.constData());
    }
    return plan;
}

// Runs the plan; returns an empty string or the failure report.
std::string runCampaign(const FuzzPlan& plan, Traffic traffic, const char* testName, RunStats& total)
{
    qInfo("engine fuzz: %d iterations of %d to %d steps from seed %llu", plan.iterations, kMinStepsPerIteration,
          kMaxStepsPerIteration, (unsigned long long)plan.firstSeed);
    for (int i = 0; i < plan.iterations; ++i) {
        const std::uint64_t seed = plan.firstSeed + std::uint64_t(i);
        gRunningSeed = seed;
        FuzzRun run(seed, traffic);
        run.run();
        total.add(run.stats());
        if (run.failed()) {
            return run.failure() + "\nseed " + std::to_string(seed) + " (iteration " + std::to_string(i)
                   + " from seed " + std::to_string(plan.firstSeed) + "); replay with\n  ETCDSCOPE_FUZZ_SEED="
                   + std::to_string(seed) + " ETCDSCOPE_FUZZ_ITERATIONS=1 tst_engine_fuzz " + testName
                   + "\nlast steps:\n" + run.traceText();
        }
    }
    qInfo("engine fuzz: %lld steps, %lld engine calls, %lld watches added, %lld events delivered, %lld streams "
          "opened, %lld stream errors, %lld compactions, %lld gaps, %lld fragments, %lld progress updates, %lld "
          "malformed messages, %lld misbehaviour notices",
          (long long)total.steps, (long long)total.engineCalls, (long long)total.watchesAdded,
          (long long)total.eventsDelivered, (long long)total.streamsOpened, (long long)total.streamLosses,
          (long long)total.compactions, (long long)total.gaps, (long long)total.fragments,
          (long long)total.progressUpdates, (long long)total.malformedMessages, (long long)total.misbehaviourNotices);
    return {};
}

void reportCampaign(const char* testName, Traffic traffic, const FuzzPlan& plan, const RunStats& total)
{
    QJsonObject properties;
    for (const char* property : kProperties)
        if (traffic == Traffic::WellBehaved || checkedWithHostileTraffic(property))
            properties.insert(QString::fromLatin1(property), QStringLiteral("held"));
    etcdscope::testing::appendReportRow(QJsonObject{
        {"section", "fuzz"},
        {"case", QString::fromLatin1(testName)},
        {"iterations", plan.iterations},
        {"steps", qint64(total.steps)},
        {"seed", QString::number(plan.firstSeed)},
        {"properties", properties},
        {"malformedMessages", qint64(total.malformedMessages)},
        {"engineCalls", qint64(total.engineCalls)},
        {"eventsDelivered", qint64(total.eventsDelivered)},
        {"streamsOpened", qint64(total.streamsOpened)},
        {"streamErrors", qint64(total.streamLosses)},
        {"compactions", qint64(total.compactions)},
        {"gaps", qint64(total.gaps)},
        {"fragments", qint64(total.fragments)},
        {"progressUpdates", qint64(total.progressUpdates)},
        {"misbehaviourNotices", qint64(total.misbehaviourNotices)},
    });
}

// --- last words on a fatal signal ----------------------------------------------------------------------------

constexpr int kFatalSignals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
struct sigaction gPreviousActions[std::size(kFatalSignals)];

void writeText(const char* text) { (void)!::write(STDERR_FILENO, text, std::strlen(text)); }
void writeNumber(std::uint64_t value)
{
    char digits[24];
    int at = sizeof digits;
    do {
        digits[--at] = char('0' + value % 10);
        value /= 10;
    } while (value != 0 && at > 0);
    (void)!::write(STDERR_FILENO, digits + at, std::size_t(int(sizeof digits) - at));
}

extern "C" void noteFatalSignal(int signal)
{
    // Only async-signal-safe calls; then the previous handler (QTest's) runs.
    writeText("\nengine fuzz: fatal signal in seed ");
    writeNumber(gRunningSeed.load());
    writeText(" at step ");
    writeNumber(std::uint64_t(gRunningStep.load()));
    writeText("; replay with ETCDSCOPE_FUZZ_SEED=<that seed> ETCDSCOPE_FUZZ_ITERATIONS=1\n");
    for (std::size_t i = 0; i < std::size(kFatalSignals); ++i)
        if (kFatalSignals[i] == signal)
            ::sigaction(signal, &gPreviousActions[i], nullptr);
    ::raise(signal);
}

}  // namespace

class TestEngineFuzz : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        struct sigaction action {};
        action.sa_handler = noteFatalSignal;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < std::size(kFatalSignals); ++i)
            ::sigaction(kFatalSignals[i], &action, &gPreviousActions[i]);
    }

    void shouldKeepTheWatchContractWithAWellBehavedServer()
    {
        // Given a model etcd that keeps the protocol, through stream losses,
        // compaction, fragments, members that ignore client IDs, slow consumers
        const FuzzPlan plan = planFromEnvironment(kWellBehavedFirstSeed);
        RunStats total;
        // When random commands, server traffic and faults interleave
        const std::string failure = runCampaign(plan, Traffic::WellBehaved, QTest::currentTestFunction(), total);
        // Then every property holds after every step and at the end
        if (!failure.empty())
            QFAIL(failure.c_str());
        QVERIFY(total.eventsDelivered > 0);
        QVERIFY(total.gaps > 0 || plan.iterations < 10);
        reportCampaign(QTest::currentTestFunction(), Traffic::WellBehaved, plan, total);
    }

    void shouldStaySafeWhenTheServerMisbehaves()
    {
        // Given the same model etcd, sending malformed and hostile messages too
        const FuzzPlan plan = planFromEnvironment(kHostileFirstSeed);
        RunStats total;
        // When they interleave with everything else
        const std::string failure = runCampaign(plan, Traffic::Hostile, QTest::currentTestFunction(), total);
        // Then nothing crashes or hangs, nothing is delivered to the wrong
        // watch or below what was delivered, and misbehaviour is reported
        if (!failure.empty())
            QFAIL(failure.c_str());
        QVERIFY(total.malformedMessages > 0);
        reportCampaign(QTest::currentTestFunction(), Traffic::Hostile, plan, total);
    }
};

QTEST_GUILESS_MAIN(TestEngineFuzz)
#include "tst_engine_fuzz.moc"
