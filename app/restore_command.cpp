#include "restore_command.h"

#include "admin/admin_connection.h"
#include "admin/kv_requests.h"
#include "decode/value_text.h"
#include "history_command.h"
#include "range_read.h"
#include "recording/event_store.h"
#include "recording/recorded_state.h"
#include "watch_command.h"

#include <cstdio>
#include <map>

namespace etcdscope::cli {

namespace {

enum class Step {
    Restore,        // existed then, absent now: put back if still absent
    PutBack,        // changed since (--overwrite): its value then, if still unchanged
    Remove,         // created since (--overwrite): deleted, if still unchanged
    KeepChanged,    // changed since, left alone
    KeepCreated,    // created since, left alone
};

struct PlannedStep {
    Step step;
    KeyValue then;  // Restore, PutBack: the key as it was at the revision
    KeyValue now;   // PutBack, Remove, Keep*: the key as it is
};

const char* stepName(Step step)
{
    switch (step) {
    case Step::Restore: return "restore";
    case Step::PutBack: return "overwrite";
    case Step::Remove: return "delete";
    case Step::KeepChanged: return "keep-changed";
    case Step::KeepCreated: return "keep-created";
    }
    return "?";
}

std::vector<PlannedStep> plan(const std::map<std::string, KeyValue>& then, const std::map<std::string, KeyValue>& now,
                              bool overwrite)
{
    std::vector<PlannedStep> steps;
    auto t = then.begin();
    auto n = now.begin();
    while (t != then.end() || n != now.end()) {
        if (n == now.end() || (t != then.end() && t->first < n->first)) {
            steps.push_back({Step::Restore, t->second, {}});
            ++t;
        } else if (t == then.end() || n->first < t->first) {
            steps.push_back({overwrite ? Step::Remove : Step::KeepCreated, {}, n->second});
            ++n;
        } else {
            if (t->second.value != n->second.value)
                steps.push_back({overwrite ? Step::PutBack : Step::KeepChanged, t->second, n->second});
            ++t;
            ++n;
        }
    }
    return steps;
}

void appendStepText(std::string& out, const PlannedStep& s, std::int64_t asOf)
{
    out += stepName(s.step);
    out += ' ';
    switch (s.step) {
    case Step::Restore:
        out += shownKey(s.then.key) + " = " + shortValue(s.then) + "   (as at revision " + std::to_string(asOf)
            + "; absent now)";
        break;
    case Step::PutBack:
        out += shownKey(s.then.key) + " = " + shortValue(s.then) + "   (changed at revision "
            + std::to_string(s.now.modRevision) + ", now " + shortValue(s.now) + ")";
        break;
    case Step::Remove:
        out += shownKey(s.now.key) + "   (created at revision " + std::to_string(s.now.createRevision) + ")";
        break;
    case Step::KeepChanged:
        out += shownKey(s.now.key) + "   (changed at revision " + std::to_string(s.now.modRevision)
            + "; --overwrite puts back its value as at revision " + std::to_string(asOf) + ")";
        break;
    case Step::KeepCreated:
        out += shownKey(s.now.key) + "   (created at revision " + std::to_string(s.now.createRevision)
            + "; --overwrite deletes it)";
        break;
    }
    out += '\n';
}

void appendStepJson(std::string& out, const PlannedStep& s)
{
    const KeyValue& kv = s.step == Step::Restore || s.step == Step::PutBack ? s.then : s.now;
    out += "{\"action\":\"";
    out += stepName(s.step);
    out += '"';
    out += keyValueJsonFields(kv);
    if (s.step != Step::Restore)
        out += ",\"mod_revision_now\":" + std::to_string(s.now.modRevision);
    out += "}\n";
}

bool writeOut(const std::string& out)
{
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() && std::fflush(stdout) == 0;
}

}  // namespace

int runRestore(const WatchCommandOptions& options)
{
    const auto store = openExistingLog(options.database);
    if (!store)
        return kExitUsage;
    const WatchSpec& range = options.watches.front();
    const std::int64_t asOf = *options.asOfRevision;
    const RecordedState then = recordedStateAt(*store, range, asOf);
    if (!then.error.isEmpty()) {
        std::fprintf(stderr, "etcdscope-cli: %s Nothing was written.\n", qPrintable(then.error));
        return kExitUsage;
    }
    AdminConnection connection;
    connection.reset(options.connection);
    const WholeRange now = readWholeRange(connection, range, 0);
    if (!now.error.empty()) {
        std::fprintf(stderr, "etcdscope-cli: %s Nothing was written.\n", now.error.c_str());
        return kExitConnection;
    }
    const std::int64_t readAt = now.revision;
    const std::vector<PlannedStep> steps = plan(then.keys, now.keys, options.overwrite);
    std::map<Step, int> counts;
    for (const PlannedStep& s : steps)
        ++counts[s.step];
    const bool text = options.output != OutputFormat::Jsonl;
    std::string out;
    for (const PlannedStep& s : steps) {
        if (text)
            appendStepText(out, s, asOf);
        else
            appendStepJson(out, s);
    }
    if (!writeOut(out)) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }
    const int writes = counts[Step::Restore] + counts[Step::PutBack] + counts[Step::Remove];
    const int kept = counts[Step::KeepChanged] + counts[Step::KeepCreated];
    std::fprintf(stderr,
                 "etcdscope-cli: %s as at revision %lld against etcd at revision %lld: %d to restore, %d to put back, "
                 "%d to delete, %d left alone%s.\n",
                 describeSpec(range).toStdString().c_str(), (long long)asOf, (long long)readAt,
                 counts[Step::Restore], counts[Step::PutBack], counts[Step::Remove], kept,
                 kept > 0 && !options.overwrite ? " (--overwrite changes them too)" : "");
    if (!options.apply) {
        if (writes > 0)
            std::fprintf(stderr, "etcdscope-cli: nothing was written; run again with --apply to make these %d "
                         "changes.\n", writes);
        return kExitDone;
    }
    int written = 0;
    int refused = 0;
    for (const PlannedStep& s : steps) {
        WriteResult result;
        const std::string& key = s.step == Step::Remove ? s.now.key : s.then.key;
        if (s.step == Step::Restore)
            result = putKey(connection, key, s.then.value, 0);
        else if (s.step == Step::PutBack)
            result = putKey(connection, key, s.then.value, s.now.modRevision);
        else if (s.step == Step::Remove)
            result = deleteKeyIfUnchanged(connection, key, s.now.modRevision);
        else
            continue;
        if (result.conflict) {
            ++refused;
            std::fprintf(stderr, "etcdscope-cli: left %s alone: it changed after the plan was read (%s).\n",
                         shownKey(key).c_str(),
                         result.currentModRevision == 0
                             ? "now absent"
                             : ("now modified at revision " + std::to_string(result.currentModRevision)).c_str());
            continue;
        }
        if (!result.error.empty()) {
            std::fprintf(stderr, "etcdscope-cli: %s; %d of %d changes were made before it.\n", result.error.c_str(),
                         written, writes);
            return kExitConnection;
        }
        ++written;
    }
    std::fprintf(stderr, "etcdscope-cli: %d of %d changes made%s.\n", written, writes,
                 refused > 0 ? (", " + std::to_string(refused) + " left alone because the key changed meanwhile").c_str()
                             : "");
    return refused > 0 ? kExitConflict : kExitDone;
}

}  // namespace etcdscope::cli
