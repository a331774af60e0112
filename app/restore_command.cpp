#include "restore_command.h"

#include "decode/value_text.h"
#include "history_command.h"
#include "range_read.h"
#include "recording/event_store.h"
#include "restore/restore_plan.h"
#include "watch_command.h"

#include <cstdio>

namespace etcdscope::cli {

namespace {

const char* actionName(RestoreAction action)
{
    switch (action) {
    case RestoreAction::Restore: return "restore";
    case RestoreAction::PutBack: return "overwrite";
    case RestoreAction::Remove: return "delete";
    case RestoreAction::KeepChanged: return "keep-changed";
    case RestoreAction::KeepCreated: return "keep-created";
    }
    return "?";
}

void appendStepText(std::string& out, const RestoreStep& s, std::int64_t asOf)
{
    out += actionName(s.action);
    out += ' ';
    switch (s.action) {
    case RestoreAction::Restore:
        out += shownKey(s.then.key) + " = " + shortValue(s.then) + "   (as at revision " + std::to_string(asOf)
            + "; absent now)";
        break;
    case RestoreAction::PutBack:
        out += shownKey(s.then.key) + " = " + shortValue(s.then) + "   (changed at revision "
            + std::to_string(s.now.modRevision) + ", now " + shortValue(s.now) + ")";
        break;
    case RestoreAction::Remove:
        out += shownKey(s.now.key) + "   (created at revision " + std::to_string(s.now.createRevision) + ")";
        break;
    case RestoreAction::KeepChanged:
        out += shownKey(s.now.key) + "   (changed at revision " + std::to_string(s.now.modRevision)
            + "; --overwrite puts back its value as at revision " + std::to_string(asOf) + ")";
        break;
    case RestoreAction::KeepCreated:
        out += shownKey(s.now.key) + "   (created at revision " + std::to_string(s.now.createRevision)
            + "; --overwrite deletes it)";
        break;
    }
    out += '\n';
}

void appendStepJson(std::string& out, const RestoreStep& s)
{
    const KeyValue& kv = s.action == RestoreAction::Restore || s.action == RestoreAction::PutBack ? s.then : s.now;
    out += "{\"action\":\"";
    out += actionName(s.action);
    out += '"';
    out += keyValueJsonFields(kv);
    if (s.action != RestoreAction::Restore)
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
    AdminConnection connection;
    connection.reset(options.connection);
    const RestorePlan plan = planRestore(*store, connection, range, asOf, options.overwrite);
    if (!plan.error.isEmpty()) {
        std::fprintf(stderr, "etcdscope-cli: %s Nothing was written.\n", qPrintable(plan.error));
        return plan.etcdFailed ? kExitConnection : kExitUsage;
    }
    const bool text = options.output != OutputFormat::Jsonl;
    std::string out;
    for (const RestoreStep& s : plan.steps) {
        if (text)
            appendStepText(out, s, asOf);
        else
            appendStepJson(out, s);
    }
    if (!writeOut(out)) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }
    const int writes = plan.writes();
    const int kept = plan.kept();
    std::fprintf(stderr,
                 "etcdscope-cli: %s as at revision %lld against etcd at revision %lld: %d to restore, %d to put back, "
                 "%d to delete, %d left alone%s.\n",
                 describeSpec(range).toStdString().c_str(), (long long)asOf, (long long)plan.readAt,
                 plan.count(RestoreAction::Restore), plan.count(RestoreAction::PutBack),
                 plan.count(RestoreAction::Remove), kept,
                 kept > 0 && !options.overwrite ? " (--overwrite changes them too)" : "");
    if (!options.apply) {
        if (writes > 0)
            std::fprintf(stderr, "etcdscope-cli: nothing was written; run again with --apply to make these %d "
                         "changes.\n", writes);
        return kExitDone;
    }
    const RestoreOutcome outcome = applyRestore(connection, plan);
    for (const auto& [key, modRevision] : outcome.changedMeanwhile)
        std::fprintf(stderr, "etcdscope-cli: left %s alone: it changed after the plan was read (%s).\n",
                     shownKey(key).c_str(),
                     modRevision == 0 ? "now absent" : ("now modified at revision " + std::to_string(modRevision)).c_str());
    if (!outcome.error.empty()) {
        std::fprintf(stderr, "etcdscope-cli: %s; %d of %d changes were made before it.\n", outcome.error.c_str(),
                     outcome.written, writes);
        return kExitConnection;
    }
    const int refused = int(outcome.changedMeanwhile.size());
    std::fprintf(stderr, "etcdscope-cli: %d of %d changes made%s.\n", outcome.written, writes,
                 refused > 0 ? (", " + std::to_string(refused) + " left alone because the key changed meanwhile").c_str()
                             : "");
    return refused > 0 ? kExitConflict : kExitDone;
}

}  // namespace etcdscope::cli
