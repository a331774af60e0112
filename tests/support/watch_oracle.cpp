#include "watch_oracle.h"

#include <QtGlobal>

#include <algorithm>
#include <optional>
#include <sstream>

namespace etcdscope::testing {

namespace {

KeyValue fromProto(const mvccpb::KeyValue& kv)
{
    return {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()};
}

bool sameKeyValue(const KeyValue& a, const KeyValue& b)
{
    return a.key == b.key && a.value == b.value && a.createRevision == b.createRevision
        && a.modRevision == b.modRevision && a.version == b.version && a.lease == b.lease;
}

std::string show(const WatchEvent& e)
{
    std::ostringstream out;
    out << (e.type == EventType::Put ? "PUT " : "DELETE ") << e.kv.modRevision << ' ' << e.kv.key;
    return out.str();
}

bool inRange(const WatchSpec& spec, const std::string& key)
{
    if (spec.rangeEnd.empty())
        return key == spec.key;
    if (key < spec.key)
        return false;
    return spec.rangeEnd == std::string(1, '\0') || key < spec.rangeEnd;
}

}  // namespace

const std::vector<std::string>& propertyNames()
{
    static const std::vector<std::string> names = {"filter",    "ordered",  "unique",   "atomic", "bookmarkable",
                                                   "resumable", "is-create", "reliable", "prev-kv"};
    return names;
}

std::string PropertyCheck::describe() const
{
    std::string text;
    for (const auto& [property, failure] : failures)
        text += property + ": " + failure + "; ";
    return text;
}

bool specMatches(const WatchSpec& spec, const WatchEvent& event)
{
    if (!inRange(spec, event.kv.key))
        return false;
    if (event.type == EventType::Put && spec.noPut)
        return false;
    if (event.type == EventType::Delete && spec.noDelete)
        return false;
    return true;
}

std::vector<WatchEvent> readHistory(EtcdProcess& member, std::int64_t fromRevision, std::int64_t untilRevision)
{
    std::vector<WatchEvent> events;
    if (untilRevision < fromRevision)
        return events;
    auto channel = grpc::CreateChannel(member.endpoint(), grpc::InsecureChannelCredentials());
    auto stub = etcdserverpb::Watch::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    auto stream = stub->Watch(&context);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(std::string(1, '\0'));
    create->set_range_end(std::string(1, '\0'));
    create->set_start_revision(fromRevision);
    stream->Write(request);
    etcdserverpb::WatchResponse response;
    bool done = false;
    while (!done && stream->Read(&response)) {
        if (response.canceled())
            qFatal("history watch from %lld cancelled: %s (compact revision %lld)", (long long)fromRevision,
                   response.cancel_reason().c_str(), (long long)response.compact_revision());
        for (const auto& e : response.events()) {
            if (e.kv().mod_revision() > untilRevision) {
                done = true;
                break;
            }
            WatchEvent event;
            event.type = e.type() == mvccpb::Event::PUT ? EventType::Put : EventType::Delete;
            event.kv = fromProto(e.kv());
            events.push_back(std::move(event));
        }
        done = done || (!events.empty() && events.back().kv.modRevision >= untilRevision);
    }
    context.TryCancel();
    if (!done)
        qFatal("history watch ended before revision %lld", (long long)untilRevision);
    return events;
}

std::int64_t lastMatchingRevision(const WatchSpec& spec, const std::vector<WatchEvent>& history)
{
    for (auto it = history.rbegin(); it != history.rend(); ++it)
        if (it->kv.modRevision >= spec.startRevision && specMatches(spec, *it))
            return it->kv.modRevision;
    return 0;
}

PropertyCheck checkWatch(const WatchRecord& record, const std::vector<WatchEvent>& history, std::int64_t untilRevision,
                         const std::set<std::int64_t>& compactions)
{
    PropertyCheck check;
    auto fail = [&](const std::string& property, const std::string& what) {
        check.failures.emplace(property, what);  // keeps the first
    };
    const WatchSpec& spec = record.spec;

    // The key's state just before each history event (replayed, so that
    // prev-kv is checked against the history itself).
    std::map<std::pair<std::int64_t, std::string>, std::optional<KeyValue>> stateBefore;
    {
        std::map<std::string, KeyValue> state;
        for (const WatchEvent& e : history) {
            auto found = state.find(e.kv.key);
            stateBefore[{e.kv.modRevision, e.kv.key}] =
                found == state.end() ? std::nullopt : std::optional<KeyValue>(found->second);
            if (e.type == EventType::Put)
                state[e.kv.key] = e.kv;
            else
                state.erase(e.kv.key);
        }
    }

    // What the watch should have seen.
    std::vector<const WatchEvent*> expected;
    for (const WatchEvent& e : history)
        if (e.kv.modRevision >= std::max<std::int64_t>(spec.startRevision, 1) && e.kv.modRevision <= untilRevision
            && specMatches(spec, e))
            expected.push_back(&e);

    // Walk the deliveries.
    std::vector<const WatchEvent*> delivered;
    std::set<std::pair<std::int64_t, std::string>> seen;
    std::set<std::int64_t> revisionsOfEarlierDeliveries;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    std::set<std::int64_t> mayLackDeletes;  // revisions a GAP says may come without their DELETEs
    std::int64_t lastRevision = 0;
    std::int64_t progress = 0;
    for (const WatchUpdate& u : record.updates) {
        if (u.kind == WatchUpdate::Kind::Progress) {
            if (u.revision < progress)
                fail("bookmarkable", "progress went back from " + std::to_string(progress) + " to "
                                         + std::to_string(u.revision));
            progress = std::max(progress, u.revision);
            continue;
        }
        if (u.kind == WatchUpdate::Kind::Gap) {
            gaps.emplace_back(u.fromRevision, u.toRevision);
            ++check.gapsDeclared;
            if (u.mayLackDeletesAt != 0) {
                // Only the compaction revision itself, where the watch goes on
                if (u.mayLackDeletesAt != u.toRevision + 1 || !compactions.count(u.mayLackDeletesAt))
                    fail("reliable", "GAP [" + std::to_string(u.fromRevision) + ", " + std::to_string(u.toRevision)
                                         + "] says revision " + std::to_string(u.mayLackDeletesAt)
                                         + " may lack DELETEs, which is not the compaction after it");
                mayLackDeletes.insert(u.mayLackDeletesAt);
                ++check.gapsMayLackDeletes;
            }
            continue;
        }
        if (u.kind != WatchUpdate::Kind::Events)
            continue;
        std::set<std::int64_t> revisionsHere;
        for (const WatchEvent& e : u.events) {
            if (!specMatches(spec, e))
                fail("filter", show(e) + " does not match the watch");
            if (e.kv.modRevision < lastRevision)
                fail("ordered", show(e) + " after revision " + std::to_string(lastRevision));
            if (!seen.insert({e.kv.modRevision, e.kv.key}).second)
                fail("unique", show(e) + " delivered twice");
            if (revisionsOfEarlierDeliveries.count(e.kv.modRevision))
                fail("atomic", "revision " + std::to_string(e.kv.modRevision) + " split across deliveries");
            if (e.kv.modRevision <= progress)
                fail("bookmarkable", show(e) + " at or below progress " + std::to_string(progress));
            revisionsHere.insert(e.kv.modRevision);
            lastRevision = std::max(lastRevision, e.kv.modRevision);
            delivered.push_back(&e);
        }
        revisionsOfEarlierDeliveries.insert(revisionsHere.begin(), revisionsHere.end());
    }

    // Gaps must lie below a compaction revision and be declared at most once
    // per compaction reached.
    auto inGap = [&](std::int64_t revision) {
        for (const auto& [from, to] : gaps)
            if (revision >= from && revision <= to)
                return true;
        return false;
    };
    for (const auto& [from, to] : gaps) {
        const bool covered = std::any_of(compactions.begin(), compactions.end(),
                                         [&](std::int64_t c) { return to < c; });
        if (!covered || from > to)
            fail("reliable", "GAP [" + std::to_string(from) + ", " + std::to_string(to)
                                 + "] is not below a compaction of this scenario");
    }

    // Compare with the history, event by event.
    std::size_t d = 0;
    bool firstChecked = false;
    for (const WatchEvent* want : expected) {
        if (inGap(want->kv.modRevision))
            continue;
        // A DELETE at a revision its GAP declared may lack them may be
        // missing (etcd issue 18089); every PUT there must come.
        const bool mayBeMissing = want->type == EventType::Delete && mayLackDeletes.count(want->kv.modRevision);
        if (mayBeMissing
            && (d >= delivered.size() || delivered[d]->kv.modRevision != want->kv.modRevision
                || delivered[d]->kv.key != want->kv.key)) {
            ++check.deletesLeftOut;
            continue;
        }
        if (d >= delivered.size()) {
            fail("reliable", "missing " + show(*want) + " and " + std::to_string(expected.size()) + " expected in all");
            break;
        }
        const WatchEvent& got = *delivered[d++];
        if (!firstChecked) {
            firstChecked = true;
            if (got.kv.modRevision != want->kv.modRevision || got.kv.key != want->kv.key)
                fail("resumable", "first event " + show(got) + ", history says " + show(*want));
        }
        if (got.type != want->type || got.kv.key != want->kv.key || got.kv.modRevision != want->kv.modRevision
            || got.kv.value != want->kv.value || got.kv.lease != want->kv.lease) {
            fail("reliable", "delivered " + show(got) + ", history says " + show(*want));
            break;
        }
        if (got.kv.createRevision != want->kv.createRevision || got.kv.version != want->kv.version)
            fail("is-create", show(got) + " create/version " + std::to_string(got.kv.createRevision) + "/"
                                  + std::to_string(got.kv.version) + ", history says "
                                  + std::to_string(want->kv.createRevision) + "/" + std::to_string(want->kv.version));
        if (spec.prevKv) {
            const auto& before = stateBefore[{want->kv.modRevision, want->kv.key}];
            if (before.has_value() != got.hasPrevKv)
                fail("prev-kv", show(got) + (got.hasPrevKv ? " has" : " lacks") + " a previous key-value");
            else if (before && !sameKeyValue(*before, got.prevKv))
                fail("prev-kv", show(got) + " previous value differs from the replayed history");
        } else if (got.hasPrevKv) {
            fail("prev-kv", show(got) + " carries a previous key-value nobody asked for");
        }
        ++check.eventsChecked;
    }
    if (d < delivered.size() && check.failures.count("reliable") == 0)
        fail("reliable", "unexpected " + show(*delivered[d]) + " beyond the history");
    return check;
}

}  // namespace etcdscope::testing
