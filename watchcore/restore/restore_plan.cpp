#include "restore/restore_plan.h"

#include "admin/kv_requests.h"
#include "recording/recorded_state.h"

namespace etcdscope {

namespace {

constexpr std::int64_t kPageKeys = 1000;

}  // namespace

WholeRange readWholeRange(AdminConnection& connection, const WatchSpec& range, std::int64_t revision)
{
    WholeRange whole;
    RangeQuery query;
    query.key = range.key;
    query.rangeEnd = range.rangeEnd;
    query.limit = range.rangeEnd.empty() ? 0 : kPageKeys;
    query.revision = revision;
    for (;;) {
        RangeResult page = readRange(connection, query);
        if (!page.error.empty()) {
            whole.keys.clear();
            whole.error = page.error;
            whole.compacted = page.compacted;
            return whole;
        }
        if (query.revision == 0)
            query.revision = page.revision;
        for (KeyValue& kv : page.kvs)
            whole.keys.emplace(kv.key, std::move(kv));
        if (!page.more || page.kvs.empty())
            break;
        query.key = whole.keys.rbegin()->first + '\0';  // the next key after the last one read
    }
    whole.revision = query.revision;
    return whole;
}

int RestorePlan::count(RestoreAction action) const
{
    int n = 0;
    for (const RestoreStep& step : steps)
        n += step.action == action;
    return n;
}

int RestorePlan::writes() const
{
    int n = 0;
    for (const RestoreStep& step : steps)
        n += step.writes();
    return n;
}

int RestorePlan::kept() const { return int(steps.size()) - writes(); }

std::vector<RestoreStep> planSteps(const std::map<std::string, KeyValue>& then,
                                   const std::map<std::string, KeyValue>& now, bool overwrite)
{
    std::vector<RestoreStep> steps;
    auto t = then.begin();
    auto n = now.begin();
    while (t != then.end() || n != now.end()) {
        if (n == now.end() || (t != then.end() && t->first < n->first)) {
            steps.push_back({RestoreAction::Restore, t->second, {}});
            ++t;
        } else if (t == then.end() || n->first < t->first) {
            steps.push_back({overwrite ? RestoreAction::Remove : RestoreAction::KeepCreated, {}, n->second});
            ++n;
        } else {
            if (t->second.value != n->second.value)
                steps.push_back(
                    {overwrite ? RestoreAction::PutBack : RestoreAction::KeepChanged, t->second, n->second});
            ++t;
            ++n;
        }
    }
    return steps;
}

RestorePlan planRestore(EventStore& store, AdminConnection& connection, const WatchSpec& range, std::int64_t asOf,
                        bool overwrite)
{
    RestorePlan plan;
    plan.asOf = asOf;
    const RecordedState then = recordedStateAt(store, range, asOf);
    if (!then.error.isEmpty()) {
        plan.error = then.error;
        return plan;
    }
    const WholeRange now = readWholeRange(connection, range, 0);
    if (!now.error.empty()) {
        plan.error = QString::fromStdString(now.error);
        plan.etcdFailed = true;
        return plan;
    }
    plan.readAt = now.revision;
    plan.steps = planSteps(then.keys, now.keys, overwrite);
    return plan;
}

RestoreOutcome applyRestore(AdminConnection& connection, const RestorePlan& plan,
                            const std::function<void(int, int)>& onStep)
{
    RestoreOutcome outcome;
    const int total = plan.writes();
    int done = 0;
    for (const RestoreStep& step : plan.steps) {
        WriteResult result;
        switch (step.action) {
        case RestoreAction::Restore: result = putKey(connection, step.then.key, step.then.value, 0); break;
        case RestoreAction::PutBack:
            result = putKey(connection, step.then.key, step.then.value, step.now.modRevision);
            break;
        case RestoreAction::Remove: result = deleteKeyIfUnchanged(connection, step.now.key, step.now.modRevision); break;
        case RestoreAction::KeepChanged:
        case RestoreAction::KeepCreated: continue;
        }
        if (result.conflict) {
            outcome.changedMeanwhile.emplace_back(step.key(), result.currentModRevision);
        } else if (!result.error.empty()) {
            outcome.error = result.error;
            return outcome;
        } else {
            ++outcome.written;
        }
        if (onStep)
            onStep(++done, total);
    }
    return outcome;
}

}  // namespace etcdscope
