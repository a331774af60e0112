#include "cli_options.h"

#include <QDateTime>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>

namespace etcdscope::cli {

namespace {

constexpr const char* kCommandList = "watch, get, record, history, restore, diff, prune, census and churn";

constexpr std::int64_t kMaxDialTimeoutMs = 10 * 60 * 1000;

bool parseInt(const std::string& text, std::int64_t& value)
{
    const char* end = text.data() + text.size();
    auto result = std::from_chars(text.data(), end, value);
    return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

// A duration in Go's syntax, as etcdctl takes it: decimal numbers each with
// a unit, summed ("5s", "1.5s", "500ms", "1m30s"; units h, m, s, ms, us, ns),
// into `out` (a bare number is seconds); more than nothing and at most
// kMaxDialTimeoutMs.
bool parseDuration(const std::string& text, std::chrono::milliseconds& out)
{
    static const std::pair<const char*, double> units[] = {
        {"ms", 1.0}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ns", 1e-6}, {"h", 3'600'000.0}, {"m", 60'000.0},
        {"s", 1000.0}};
    double totalMs = 0;
    std::size_t at = 0;
    if (text.empty())
        return false;
    if (text.find_first_not_of("0123456789") == std::string::npos)
        return parseDuration(text + "s", out);
    while (at < text.size()) {
        const std::size_t start = at;
        while (at < text.size() && (std::isdigit(static_cast<unsigned char>(text[at])) || text[at] == '.'))
            ++at;
        const std::string number = text.substr(start, at - start);
        if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1)
            return false;
        double unitMs = 0;
        for (const auto& [suffix, scale] : units) {
            const std::size_t length = std::strlen(suffix);
            if (text.compare(at, length, suffix) == 0) {
                unitMs = scale;
                at += length;
                break;
            }
        }
        if (unitMs == 0)
            return false;  // a number without a unit
        double value = 0;
        if (std::from_chars(number.data(), number.data() + number.size(), value).ec != std::errc())
            return false;
        totalMs += value * unitMs;
    }
    if (totalMs < 1 || totalMs > double(kMaxDialTimeoutMs))
        return false;
    out = std::chrono::milliseconds(std::int64_t(totalMs + 0.5));
    return true;
}

// The name in `names` nearest to `typed` (at most two edits away, or one
// for short names), for "did you mean"; empty when none is near.
std::string closest(const std::string& typed, const std::vector<std::string>& names)
{
    // Edits between two names: insertions, deletions, substitutions and
    // swaps of neighbours ("wacth" is one from "watch").
    const auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
        for (std::size_t i = 0; i <= a.size(); ++i)
            d[i][0] = i;
        for (std::size_t j = 0; j <= b.size(); ++j)
            d[0][j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i)
            for (std::size_t j = 1; j <= b.size(); ++j) {
                d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        return d[a.size()][b.size()];
    };
    std::string best;
    std::size_t bestDistance = typed.size() <= 5 ? 2 : 3;
    for (const std::string& name : names)
        if (const std::size_t d = distance(typed, name); d < bestDistance) {
            bestDistance = d;
            best = name;
        }
    return best;
}

// "30d", "12h", "90m", "45s", "500ms" into `out` ("ms" is tried before "s" and "m").
bool parseAge(const std::string& text, std::chrono::milliseconds& out)
{
    static const std::pair<const char*, std::int64_t> units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    for (const auto& [suffix, scale] : units) {
        const std::string unit(suffix);
        if (text.size() <= unit.size() || text.compare(text.size() - unit.size(), unit.size(), unit) != 0)
            continue;
        std::int64_t value = 0;
        if (!parseInt(text.substr(0, text.size() - unit.size()), value) || value < 0 ||
            value > std::numeric_limits<std::int64_t>::max() / scale)
            continue;
        out = std::chrono::milliseconds(value * scale);
        return true;
    }
    return false;
}

// An RFC 3339 time ("2026-12-03T14:00:00Z", "…+01:00", fractions allowed) in
// ms since the epoch.
std::optional<std::int64_t> parseRfc3339Ms(const std::string& text)
{
    const QDateTime at = QDateTime::fromString(QString::fromStdString(text), Qt::ISODateWithMs);
    if (!at.isValid() || text.find('T') == std::string::npos)
        return std::nullopt;
    return at.toMSecsSinceEpoch();
}

// "500MB", "5GiB", "2G", "1000000" (bytes) into `out`.
bool parseSize(const std::string& text, std::int64_t& out)
{
    std::string number = text;
    if (!number.empty() && (number.back() == 'B' || number.back() == 'b'))
        number.pop_back();
    bool binary = false;
    if (!number.empty() && number.back() == 'i') {
        binary = true;
        number.pop_back();
    }
    std::int64_t scale = 1;
    if (!number.empty()) {
        const char unit = char(std::toupper(static_cast<unsigned char>(number.back())));
        const std::int64_t base = binary ? 1024 : 1000;
        const std::int64_t scales[] = {base, base * base, base * base * base, base * base * base * base};
        const char* units = "KMGT";
        if (const char* at = std::strchr(units, unit); at && unit != '\0') {
            scale = scales[at - units];
            number.pop_back();
        } else if (binary) {
            return false;
        }
    }
    std::int64_t value = 0;
    if (!parseInt(number, value) || value < 1 || value > std::numeric_limits<std::int64_t>::max() / scale)
        return false;
    out = value * scale;
    return true;
}

}  // namespace

std::string usageText()
{
    return R"(Usage: etcdscope-cli watch [options] KEY [KEY ...]
       etcdscope-cli get [options] KEY
       etcdscope-cli record --db PATH [options] KEY [KEY ...]
       etcdscope-cli history --db PATH [options] KEY
       etcdscope-cli restore --db PATH --as-of N [--overwrite] [--apply] KEY
       etcdscope-cli diff [--db PATH] [options] KEY REV1 REV2
       etcdscope-cli diff --against H:P[,H:P...] [options] KEY
       etcdscope-cli prune --db PATH --older-than AGE | --max-size SIZE
       etcdscope-cli census [--prefix] [KEY] [--depth N] [--rev N] [options]
       etcdscope-cli churn --db PATH [--prefix] [KEY] [--depth N | --by resource|namespace]

watch: watch keys, prefixes or ranges of an etcd v3 cluster and print every
change. Several KEYs become several watches on one stream; each output line
names its watch by position (1 = first KEY).
get: read a key or a range (any number of keys, in pages), one line a key
with the fields of watch's PUT lines; --rev N reads as of revision N.
record: keep the history of the KEYs (with --prefix etc.) in the event log
--db PATH until SIGINT/SIGTERM: first from the oldest revision etcd keeps,
after a restart from where the log ends; progress on stderr.
history: every recorded version of KEY (or the range) in an event log, oldest
first, GAP lines where history is missing; --since / --until a revision, a
time (2026-12-03T14:00:00Z: when the log received it) or an age (2h),
--deleted (keys that exist no more, with their last value), --grep TEXT
(values containing TEXT).
The event log (--db) is a SQLite file, or a PostgreSQL database shared by a
team: postgresql://USER@HOST:PORT/DATABASE (the password from PGPASSWORD or
~/.pgpass, never on the command line).
restore: put KEY (or the range) back as the event log knew it at revision
--as-of N. Prints the plan (text, or --output jsonl); --apply writes it: keys
absent now come back with their value then, each only if still absent when
written; keys changed or created since are left alone unless --overwrite
(then each write is guarded by the key's revision as read for the plan).
diff: keys added, removed and changed in KEY (or the range) between
revisions REV1 and REV2, read from etcd, or from the event log --db PATH where
etcd compacted them; or between this cluster and --against's, now. Changed
values get a line diff (Kubernetes objects and JSON pretty-printed).
prune: retention for an event log: the events received longer ago than AGE
(30d, 12h, 90m) or the oldest beyond SIZE (500MB, 5GiB) go, each watch's
state at the new start is kept as a snapshot, the pruned revisions become a
GAP, and the space is given back.
census: what takes the space: keys and bytes (key + value lengths) per group
of keys — a key up to and including its N-th '/' (--depth N; default one level
below KEY, so --prefix /registry/ groups by resource) — with each group's
largest key, largest group first, over KEY, the range, or the whole key space
(no KEY), at one revision (--rev N, default now). Read in pages; Ctrl-C prints
what was counted so far, marked partial.
churn: who wrote how much, from an event log: events, deletes, bytes and
revisions per group (--depth N as census, or --by resource or namespace for
/registry keys), most events first, over the recording or between --since and
--until (revisions, times or ages as for history); rates per second of the
time the log received the events in (a backfill is received all at once).

Range:
  --prefix                 watch every key that starts with KEY
  --from-key               watch every key >= KEY
  --range-end END          watch keys in [KEY, END)
Start and stop:
  --rev N                  start at revision N (default: now)
  --until-rev N            exit 0 once every watch has passed revision N
  --max-events N           exit 0 after N events
  --give-up-after D        exit 3 once etcd has been unreachable for D (e.g.
                           30s, 5m); without it the watch retries for ever,
                           saying on stderr when it loses and regains etcd
Events:
  --prev-kv                include the previous value (prev_value)
  --no-put | --no-delete   leave out puts or deletes
  --progress-notify        ask etcd for periodic progress notifications
Output:
  --output jsonl|text|count  (default jsonl; count prints the total at exit)
  --keys-only              get: keys and revisions, no values
  --decode auto|none|kubernetes  add "object" to PUT lines: the value decoded (a
                           Kubernetes object by its schema, or the JSON of a
                           /registry key); auto decodes what is recognisably
                           Kubernetes (default)
  --encryption-config F    decrypt values Kubernetes encrypted at rest
                           (aescbc, aesgcm, secretbox) with the keys of this
                           EncryptionConfiguration; the keys are only read
Connection:
  --endpoints H:P[,H:P...] members to try in turn (default 127.0.0.1:2379)
  --dial-timeout D         e.g. 5s, 500ms (default 5s)
  --cacert F --cert F --key F  TLS: CA bundle, client certificate and key
  --user NAME              authenticate; the password is read from the
                           ETCDSCOPE_PASSWORD variable or asked on the terminal
  -h, --help               this text
  --version                the version

Exit codes: 0 done, 2 usage, 3 cannot connect or authenticate,
4 a watch was cancelled by the server, 5 the output cannot be written
(a reader closing the pipe, as head does, ends the run with 0),
6 restore left keys alone that changed after the plan was read.
)";
}

ParseOutcome parseCommandLine(const std::vector<std::string>& args,
                              const std::optional<std::string>& passwordFromEnvironment)
{
    ParseOutcome outcome;
    auto fail = [&](std::string message) {
        outcome.error = std::move(message);
        outcome.options.reset();
        return outcome;
    };

    enum class Range { Key, Prefix, FromKey, End };
    Range range = Range::Key;
    std::string rangeEnd;
    int rangeFlags = 0;
    WatchSpec common;
    WatchCommandOptions options;
    std::vector<std::string> keys;
    bool sawCommand = false;
    bool onlyPositional = false;
    std::string endpoints;
    std::string against;
    std::string by;
    // An empty --endpoints is an error, not the default: a script's empty
    // variable must not silently watch another cluster.
    bool endpointsGiven = false;

    // Options that take a value, and where it goes.
    const std::map<std::string, std::string*> textOptions = {
        {"--range-end", &rangeEnd},          {"--endpoints", &endpoints},
        {"--cacert", &options.connection.tls.caFile}, {"--cert", &options.connection.tls.certFile},
        {"--key", &options.connection.tls.keyFile},   {"--user", &options.connection.user},
        {"--encryption-config", &options.encryptionConfig}, {"--db", &options.database}, {"--grep", &options.grep},
        {"--against", &against}, {"--by", &by},
    };
    std::string giveUpAfter;
    std::string rev, untilRev, maxEvents, output, dialTimeout, decode, since, until, asOf, olderThan, maxSize, depth;
    const std::map<std::string, std::string*> numberOptions = {
        {"--rev", &rev}, {"--until-rev", &untilRev}, {"--max-events", &maxEvents}, {"--give-up-after", &giveUpAfter}, {"--decode", &decode},
        {"--since", &since}, {"--until", &until}, {"--as-of", &asOf},
        {"--older-than", &olderThan}, {"--max-size", &maxSize}, {"--depth", &depth},
        {"--output", &output}, {"-w", &output}, {"--dial-timeout", &dialTimeout},
    };
    const std::map<std::string, bool*> flags = {
        {"--prev-kv", &common.prevKv}, {"--progress-notify", &common.progressNotify},
        {"--no-put", &common.noPut},   {"--no-delete", &common.noDelete},
        {"--keys-only", &options.keysOnly}, {"--deleted", &options.deletedOnly},
        {"--overwrite", &options.overwrite}, {"--apply", &options.apply},
    };

    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (onlyPositional || arg.empty() || arg[0] != '-' || arg == "-") {
            if (!sawCommand) {
                static const std::map<std::string, Command> commands = {
                    {"watch", Command::Watch}, {"get", Command::Get}, {"record", Command::Record},
                    {"history", Command::History}, {"restore", Command::Restore}, {"diff", Command::Diff},
                    {"prune", Command::Prune}, {"census", Command::Census}, {"churn", Command::Churn}};
                const auto command = commands.find(arg);
                if (command == commands.end()) {
                    std::vector<std::string> names;
                    for (const auto& [name, unused] : commands)
                        names.push_back(name);
                    const std::string near = closest(arg, names);
                    return fail("unknown command \"" + arg + "\"" +
                                (near.empty() ? "; the commands are " + std::string(kCommandList)
                                              : "; did you mean " + near + "?"));
                }
                options.command = command->second;
                sawCommand = true;
            } else {
                keys.push_back(arg);
            }
            continue;
        }
        if (arg == "--") { onlyPositional = true; continue; }
        if (arg == "-h" || arg == "--help") { outcome.showHelp = true; return outcome; }
        if (arg == "--version") { outcome.showVersion = true; return outcome; }

        std::optional<std::string> inlineValue;
        if (const auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
            inlineValue = arg.substr(eq + 1);
            arg.resize(eq);
        }
        // Every option name, for "did you mean" and for a value that is one.
        const auto isOption = [&](const std::string& name) {
            return flags.count(name) || textOptions.count(name) || numberOptions.count(name) || name == "--prefix" ||
                name == "--from-key" || name == "--help" || name == "--version";
        };
        auto takeValue = [&](std::string& into) -> bool {
            if (inlineValue) { into = *inlineValue; return true; }
            if (i + 1 >= args.size()) return false;
            into = args[++i];
            return true;
        };
        const bool isFlag = flags.count(arg) || arg == "--prefix" || arg == "--from-key";
        if (isFlag && inlineValue)
            return fail(arg + " takes no value (give " + arg + " alone, not " + arg + "=" + *inlineValue + ")");
        if (auto f = flags.find(arg); f != flags.end()) { *f->second = true; continue; }
        // A range mode given twice is the same request; two different ones are refused below.
        const auto setRange = [&](Range mode) {
            if (rangeFlags == 0 || range != mode)
                ++rangeFlags;
            range = mode;
        };
        if (arg == "--prefix") { setRange(Range::Prefix); continue; }
        if (arg == "--from-key") { setRange(Range::FromKey); continue; }
        std::string* target = nullptr;
        if (auto t = textOptions.find(arg); t != textOptions.end()) target = t->second;
        if (auto n = numberOptions.find(arg); n != numberOptions.end()) target = n->second;
        if (!target) {
            std::vector<std::string> names;
            for (const auto* m : {&textOptions, &numberOptions})
                for (const auto& [name, unused] : *m)
                    names.push_back(name);
            for (const auto& [name, unused] : flags)
                names.push_back(name);
            for (const char* name : {"--prefix", "--from-key", "--help", "--version"})
                names.emplace_back(name);
            const std::string near = closest(arg, names);
            return fail("unknown option " + arg + (near.empty() ? std::string() : "; did you mean " + near + "?"));
        }
        if (!takeValue(*target))
            return fail("option " + arg + " needs a value");
        if (!inlineValue && isOption(*target) && *target != "--")
            return fail("option " + arg + " needs a value, but " + *target + " follows it");
        if (arg == "--range-end") setRange(Range::End);
        if (arg == "--endpoints") endpointsGiven = true;
    }

    if (!sawCommand)
        return fail(std::string("no command given; the commands are ") + kCommandList);
    const bool prune = options.command == Command::Prune;
    if (prune) {
        if (options.database.empty())
            return fail("prune needs --db PATH: the event log to prune");
        if (olderThan.empty() == maxSize.empty())
            return fail("prune needs one of --older-than AGE (e.g. 30d) and --max-size SIZE (e.g. 5GiB)");
        if (!keys.empty())
            return fail("prune takes no KEY: it prunes every watch of the log");
        std::chrono::milliseconds age{};
        std::int64_t bytes = 0;
        if (!olderThan.empty() && !parseAge(olderThan, age))
            return fail("--older-than needs an age such as 30d, 12h, 90m or 45s");
        if (!maxSize.empty() && !parseSize(maxSize, bytes))
            return fail("--max-size needs a size such as 500MB, 5GiB or a number of bytes");
        if (!olderThan.empty())
            options.pruneOlderThan = age;
        else
            options.pruneMaxBytes = bytes;
        outcome.options = std::move(options);
        return outcome;
    }
    if (!olderThan.empty() || !maxSize.empty())
        return fail("--older-than and --max-size are for prune");
    const bool census = options.command == Command::Census;
    const bool churn = options.command == Command::Churn;
    if (!census && !churn && !depth.empty())
        return fail("--depth is for census and churn");
    if (!churn && !by.empty())
        return fail("--by is for churn");
    if (!depth.empty()) {
        std::int64_t n = 0;
        if (!parseInt(depth, n) || n < 1 || n > 1000)
            return fail("--depth needs a whole number from 1 to 1000: how many '/' a group's prefix ends at");
        options.depth = n;
    }
    if (churn) {
        if (keys.size() > 1)
            return fail("churn counts one KEY or range (with --prefix, --from-key or --range-end), or the whole key "
                        "space without KEY");
        if (!rev.empty() || !untilRev.empty() || !maxEvents.empty() || common.prevKv || common.progressNotify ||
            common.noPut || common.noDelete || options.keysOnly || !asOf.empty() || options.deletedOnly ||
            !options.grep.empty() || !against.empty() || options.overwrite || options.apply)
            return fail("churn takes --db PATH, KEY, --prefix/--from-key/--range-end, --depth N or --by "
                        "resource|namespace, --since, --until and --output jsonl|text");
        if (!depth.empty() && !by.empty())
            return fail("choose one of --depth and --by");
        if (by == "resource")
            options.churnGrouping = ChurnGrouping::KubernetesResource;
        else if (by == "namespace")
            options.churnGrouping = ChurnGrouping::KubernetesNamespace;
        else if (!by.empty())
            return fail("--by must be resource or namespace (or group by --depth N)");
        if (!options.depth && options.churnGrouping != ChurnGrouping::Depth)
            options.depth = 2;  // keys outside /registry/ are grouped two levels down
    }
    if (census || churn) {
        if (census && keys.size() > 1)
            return fail("census counts one KEY or range (with --prefix, --from-key or --range-end), or the whole key "
                        "space without KEY");
        if (census && (!untilRev.empty() || !maxEvents.empty() || common.prevKv || common.progressNotify || common.noPut ||
            common.noDelete || options.keysOnly || !options.database.empty() || !since.empty() || !until.empty() ||
            !asOf.empty() || options.deletedOnly || !options.grep.empty() || !against.empty() || options.overwrite ||
            options.apply))
            return fail("census takes KEY, --prefix/--from-key/--range-end, --depth N, --rev N, --output jsonl|text "
                        "and the connection options");
        if (keys.empty()) {  // the whole key space
            keys.emplace_back();
            if (rangeFlags == 0) {
                range = Range::Prefix;
                ++rangeFlags;
            }
        }
    }
    if (keys.empty())
        return fail("no KEY given");
    const bool get = options.command == Command::Get;
    if (get && keys.size() > 1)
        return fail("get reads one KEY (with --prefix, --from-key or --range-end for a range)");
    if (get && (!untilRev.empty() || !maxEvents.empty() || common.prevKv || common.progressNotify || common.noPut ||
                common.noDelete))
        return fail("--until-rev, --max-events, --prev-kv, --progress-notify, --no-put and --no-delete are for watch");
    if (!get && options.keysOnly)
        return fail("--keys-only is for get");
    const bool record = options.command == Command::Record;
    const bool history = options.command == Command::History;
    const bool restore = options.command == Command::Restore;
    if ((record || history || restore || churn) && options.database.empty())
        return fail(std::string(record ? "record" : history ? "history" : restore ? "restore" : "churn")
                    + " needs --db PATH: the event log of the history");
    const bool diff = options.command == Command::Diff;
    ParsedEndpoints againstEndpoints;
    if (!record && !history && !restore && !diff && !churn && !options.database.empty())
        return fail("--db is for record, history, restore, diff and churn");
    if (!diff && !against.empty())
        return fail("--against is for diff");
    if (diff) {
        if (!rev.empty() || !untilRev.empty() || !maxEvents.empty() || !since.empty() || !until.empty() ||
            options.deletedOnly || !options.grep.empty())
            return fail("diff compares KEY (with --prefix, --from-key or --range-end) at REV1 and REV2, or with "
                        "--against now");
        if (!against.empty()) {
            if (keys.size() != 1)
                return fail("diff --against compares one KEY (or range) in two clusters now; give no revisions");
            againstEndpoints = parseEndpointList(against);
            if (!againstEndpoints.error.empty())
                return fail("--against: " + againstEndpoints.error);
        } else {
            std::int64_t a = 0;
            std::int64_t b = 0;
            if (keys.size() != 3 || !parseInt(keys[1], a) || !parseInt(keys[2], b) || a < 1 || b < 1)
                return fail("diff needs KEY REV1 REV2 (revisions: whole numbers of 1 or more), or --against H:P");
            options.diffRevisions = {a, b};
        }
        keys.resize(1);
    }
    if ((options.database.rfind("postgresql://", 0) == 0 || options.database.rfind("postgres://", 0) == 0) &&
        options.database.find('@') != std::string::npos &&
        options.database.substr(0, options.database.find('@')).find(':', std::string("postgres://").size()) !=
            std::string::npos)
        return fail("--db takes no password; give it in PGPASSWORD or ~/.pgpass, never on the command line");
    if (!restore && (!asOf.empty() || options.overwrite || options.apply))
        return fail("--as-of, --overwrite and --apply are for restore");
    if (restore && asOf.empty())
        return fail("restore needs --as-of N: the revision to go back to");
    if (restore && (keys.size() > 1 || !rev.empty() || !untilRev.empty() || !maxEvents.empty() || !since.empty() ||
                    !until.empty() || options.deletedOnly || !options.grep.empty()))
        return fail("restore puts back one KEY (with --prefix, --from-key or --range-end) as at --as-of N");
    if (!history && !churn && (!since.empty() || !until.empty()))
        return fail("--since and --until are for history and churn");
    if (!history && (options.deletedOnly || !options.grep.empty()))
        return fail("--deleted and --grep are for history");
    if (history && (keys.size() > 1 || !rev.empty() || !untilRev.empty() || !maxEvents.empty()))
        return fail("history reads one KEY (with --prefix, --from-key or --range-end) between --since and --until");
    // `text` as a whole number of 1 or more into `into`; false (and `sentence` the error) when it is not one.
    std::string numberError;
    auto positive = [&](const std::string& text, std::optional<std::int64_t>& into, std::string sentence) {
        std::int64_t value = 0;
        if (!parseInt(text, value) || value < 1) {
            numberError = std::move(sentence);
            return false;
        }
        into = value;
        return true;
    };
    // A revision, a time (RFC 3339, e.g. 2026-12-03T14:00:00Z) or an age (2h: that long ago).
    auto revisionOrTime = [&](const std::string& text, const char* option, std::optional<std::int64_t>& revision,
                              std::optional<std::int64_t>& timeMs) {
        if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) &&
            text.find_first_not_of("0123456789") == std::string::npos)
            return positive(text, revision, std::string(option) + " needs a revision: a whole number of 1 or more");
        std::chrono::milliseconds age{};
        if (parseAge(text, age)) {
            timeMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() - age.count();
            return true;
        }
        if (const auto at = parseRfc3339Ms(text)) {
            timeMs = *at;
            return true;
        }
        numberError = std::string(option) + " needs a revision (a whole number), a time such as "
            "2026-12-03T14:00:00Z, or an age such as 2h";
        return false;
    };
    if (!since.empty() && !revisionOrTime(since, "--since", options.sinceRevision, options.sinceTimeMs))
        return fail(numberError);
    if (!until.empty() && !revisionOrTime(until, "--until", options.untilRevision, options.untilTimeMs))
        return fail(numberError);
    if (!asOf.empty() && !positive(asOf, options.asOfRevision, "--as-of needs a revision: a whole number of 1 or more"))
        return fail(numberError);
    if (record && (!rev.empty() || !untilRev.empty() || !maxEvents.empty() || !output.empty()))
        return fail("record keeps every revision from the oldest etcd has; --rev, --until-rev, --max-events and "
                    "--output are for watch");
    if (!giveUpAfter.empty()) {
        if (options.command != Command::Watch)
            return fail("--give-up-after is for watch");
        std::chrono::milliseconds age{};
        if (!parseAge(giveUpAfter, age) && !parseDuration(giveUpAfter, age))
            return fail("--give-up-after needs a duration such as 30s, 5m or 2h");
        options.giveUpAfter = age;
    }
    if (decode.empty() || decode == "auto") options.decode = Decode::Auto;
    else if (decode == "none") options.decode = Decode::None;
    else if (decode == "kubernetes") options.decode = Decode::Kubernetes;
    else return fail("--decode must be auto, none or kubernetes");
    if (rangeFlags > 1)
        return fail("choose one of --prefix, --from-key and --range-end");
    if (common.noPut && common.noDelete)
        return fail("--no-put and --no-delete together leave nothing to watch");
    if (!rev.empty() && (!parseInt(rev, common.startRevision) || common.startRevision < 0))
        return fail("--rev needs a revision: a whole number of 0 or more");
    if (!untilRev.empty()) {
        if (!positive(untilRev, options.untilRevision, "--until-rev needs a revision: a whole number of 1 or more"))
            return fail(numberError);
        // The only proof an idle watch has passed N on every etcd version.
        common.progressNotify = true;
    }
    if (!maxEvents.empty() && !positive(maxEvents, options.maxEvents, "--max-events needs a whole number of 1 or more"))
        return fail(numberError);
    if (output.empty() && (restore || diff)) options.output = OutputFormat::Text;  // for a person first
    else if (output.empty() || output == "jsonl" || output == "json") options.output = OutputFormat::Jsonl;
    else if (output == "text" || output == "simple") options.output = OutputFormat::Text;
    else if (output == "count" && !get && !history && !restore && !diff && !census && !churn)
        options.output = OutputFormat::Count;
    else return fail(get || history || restore || diff || census || churn ? "--output must be jsonl or text"
                                                                 : "--output must be jsonl, text or count");
    if (!dialTimeout.empty() && !parseDuration(dialTimeout, options.connection.dialTimeout))
        return fail("--dial-timeout needs a duration such as 5s, 1.5s, 500ms or 1m30s (at most 10m)");
    if (endpointsGiven) {
        ParsedEndpoints parsed = parseEndpointList(endpoints);
        if (!parsed.error.empty())
            return fail("--endpoints: " + parsed.error);
        options.connection.endpoints = std::move(parsed.endpoints);
        options.connection.tls.required = parsed.tlsScheme;
    }
    const TlsFiles& tls = options.connection.tls;
    if (tls.certFile.empty() != tls.keyFile.empty())
        return fail("--cert and --key go together");
    if (!options.connection.user.empty()) {
        if (options.connection.user.find(':') != std::string::npos)
            return fail("--user takes a name only; give the password in " + std::string(kPasswordVariable)
                        + " or at the prompt, never on the command line");
        if (passwordFromEnvironment)
            options.connection.password = *passwordFromEnvironment;
        else
            options.promptForPassword = true;
    }

    if (!against.empty()) {
        options.against = options.connection;  // the same TLS files and user
        options.against->endpoints = std::move(againstEndpoints.endpoints);
        options.against->tls.required = againstEndpoints.tlsScheme;
    }

    for (const std::string& key : keys) {
        WatchSpec spec = common;
        spec.key = key;
        switch (range) {
        case Range::Key: break;
        case Range::Prefix: spec.rangeEnd = prefixRangeEnd(key); break;
        case Range::FromKey: spec.rangeEnd = fromKeyRangeEnd(); break;
        case Range::End:
            // etcd keys are never empty: the range from the empty KEY starts at "\0".
            if (key.empty())
                spec.key = std::string(1, '\0');
            if (rangeEnd <= spec.key)
                return fail("--range-end \"" + rangeEnd + "\" does not sort after KEY \"" + key
                            + "\", so the range [KEY, END) would be empty; give an END that sorts after KEY");
            spec.rangeEnd = rangeEnd;
            break;
        }
        options.watches.push_back(std::move(spec));
    }
    outcome.options = std::move(options);
    return outcome;
}

}  // namespace etcdscope::cli
