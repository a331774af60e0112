#include "diff_command.h"

#include "decode/value_diff.h"
#include "decode/value_text.h"
#include "get_command.h"
#include "history_command.h"
#include "range_read.h"
#include "recording/recorded_state.h"
#include "watch_command.h"

#include <cstdio>

namespace etcdscope::cli {

namespace {

constexpr int kMaxDiffLines = 40;  // per changed key; the rest is counted

// One side of the comparison: the range's keys and where they were read.
struct Side {
    std::map<std::string, KeyValue> keys;
    std::string source;  // "revision 12 (etcd)", "revision 3 (the recording)", "127.0.0.1:2379 at revision 40"
    std::string error;
};

Side readSide(AdminConnection& connection, const std::string& endpoints, const WatchSpec& range, std::int64_t revision,
              const EventStore* store)
{
    Side side;
    WholeRange read = readWholeRange(connection, range, revision);
    if (read.error.empty()) {
        side.keys = std::move(read.keys);
        side.source = revision == 0 ? endpoints + " at revision " + std::to_string(read.revision)
                                    : "revision " + std::to_string(revision) + " (etcd)";
        return side;
    }
    if (!read.compacted) {
        side.error = read.error;
        return side;
    }
    if (!store) {
        side.error = "Revision " + std::to_string(revision)
            + " is compacted in etcd; give --db LOG (a recording of the range) to compare it from there.";
        return side;
    }
    RecordedState state = recordedStateAt(*store, range, revision);
    if (!state.error.isEmpty()) {
        side.error = "Revision " + std::to_string(revision) + " is compacted in etcd, and " +
            state.error.left(1).toLower().toStdString() + state.error.mid(1).toStdString();
        return side;
    }
    side.keys = std::move(state.keys);
    side.source = "revision " + std::to_string(revision) + " (the recording)";
    return side;
}

std::string describeEndpoints(const ConnectionOptions& connection)
{
    std::string text;
    for (const std::string& endpoint : connection.endpoints)
        text += (text.empty() ? "" : ",") + endpoint;
    return text;
}

// A value as lines to compare: a Kubernetes object or JSON pretty-printed, text as it is; nullopt: binary.
std::optional<QString> comparable(const KeyValue& kv)
{
    if (const auto object = decodedObject(kv.key, kv.value, Decode::Auto))
        return QString::fromStdString(object->dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    const QByteArray bytes = QByteArray::fromStdString(kv.value);
    if (const auto json = prettyJson(bytes))
        return *json;
    if (looksBinary(bytes))
        return std::nullopt;
    return QString::fromUtf8(bytes);
}

void appendValueDiff(std::string& out, const KeyValue& before, const KeyValue& after)
{
    const auto a = comparable(before);
    const auto b = comparable(after);
    if (!a || !b) {
        out += "    (binary: " + std::to_string(before.value.size()) + " bytes before, "
            + std::to_string(after.value.size()) + " after)\n";
        return;
    }
    const auto lines = diffLines(*a, *b);
    if (!lines) {
        out += "    (values too large to diff line by line)\n";
        return;
    }
    int shownLines = 0;
    int more = 0;
    for (const DiffLine& line : *lines) {
        if (line.kind == DiffLine::Kind::Same)
            continue;
        if (shownLines == kMaxDiffLines) {
            ++more;
            continue;
        }
        out += line.kind == DiffLine::Kind::Removed ? "    - " : "    + ";
        out += line.text.toStdString();
        out += '\n';
        ++shownLines;
    }
    if (more > 0)
        out += "    … " + std::to_string(more) + " more changed lines\n";
}

// {"change":"added","key":…,"value":…,…} with the fields of watch's PUT line (old_ for the first side).
void appendChangeJson(std::string& out, const char* change, const KeyValue* before, const KeyValue* after)
{
    out += "{\"change\":\"";
    out += change;
    out += '"';
    if (after)
        out += keyValueJsonFields(*after);
    if (before)
        out += keyValueJsonFields(*before, after ? "old_" : "");
    out += "}\n";
}

}  // namespace

int runDiff(const WatchCommandOptions& options)
{
    const WatchSpec& range = options.watches.front();
    std::unique_ptr<EventStore> store;
    if (!options.database.empty()) {
        store = openExistingLog(options.database);
        if (!store)
            return kExitUsage;
    }
    AdminConnection first;
    first.reset(options.connection);
    const std::string endpoints = describeEndpoints(options.connection);
    Side before;
    Side after;
    if (options.against) {
        AdminConnection second;
        second.reset(*options.against);
        before = readSide(first, endpoints, range, 0, store.get());
        after = readSide(second, describeEndpoints(*options.against), range, 0, nullptr);
    } else {
        before = readSide(first, endpoints, range, options.diffRevisions.first, store.get());
        after = readSide(first, endpoints, range, options.diffRevisions.second, store.get());
    }
    for (const Side* side : {&before, &after}) {
        if (!side->error.empty()) {
            std::fprintf(stderr, "etcdscope-cli: %s\n", side->error.c_str());
            return side->error.find("compacted") != std::string::npos ? kExitUsage : kExitConnection;
        }
    }
    const bool text = options.output != OutputFormat::Jsonl;
    std::string out;
    int added = 0, removed = 0, changed = 0, same = 0;
    auto a = before.keys.begin();
    auto b = after.keys.begin();
    while (a != before.keys.end() || b != after.keys.end()) {
        if (b == after.keys.end() || (a != before.keys.end() && a->first < b->first)) {
            ++removed;
            if (text)
                out += "removed " + shownKey(a->first) + "   (was " + shortValue(a->second) + ")\n";
            else
                appendChangeJson(out, "removed", &a->second, nullptr);
            ++a;
        } else if (a == before.keys.end() || b->first < a->first) {
            ++added;
            if (text)
                out += "added   " + shownKey(b->first) + " = " + shortValue(b->second) + "\n";
            else
                appendChangeJson(out, "added", nullptr, &b->second);
            ++b;
        } else {
            if (a->second.value == b->second.value) {
                ++same;
            } else {
                ++changed;
                if (text) {
                    out += "changed " + shownKey(b->first) + "\n";
                    appendValueDiff(out, a->second, b->second);
                } else {
                    appendChangeJson(out, "changed", &a->second, &b->second);
                }
            }
            ++a;
            ++b;
        }
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "etcdscope-cli: cannot write the output.\n");
        return kExitOutput;
    }
    std::fprintf(stderr, "etcdscope-cli: %s, %s against %s: %d added, %d removed, %d changed, %d the same.\n",
                 describeSpec(range).toStdString().c_str(), after.source.c_str(), before.source.c_str(), added,
                 removed, changed, same);
    return kExitDone;
}

}  // namespace etcdscope::cli
