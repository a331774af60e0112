// Turns the rows the reliability tests appended (JSON Lines, see report.h)
// into docs/RELIABILITY.md. Usage: reliability_report ROWS.jsonl OUT.md "COMMAND"
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTextStream>

#include <cstdio>
#include <thread>

namespace {

const QStringList kProperties = {"filter",    "ordered",   "unique",   "atomic", "bookmarkable",
                                 "resumable", "is-create", "reliable", "prev-kv"};

QString cell(const QString& text)
{
    QString t = text;
    // Temporary directories of the run say nothing to a reader.
    static const QRegularExpression temporary("/tmp/[^/ ]+/");
    return t.replace(temporary, "…/").replace('|', "\\|").replace('\n', ' ');
}

QString valueText(const QJsonValue& v)
{
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue& x : v.toArray())
            parts << valueText(x);
        return parts.join(", ");
    }
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 12);
    if (v.isNull() || v.isUndefined())
        return "—";
    return v.toVariant().toString();
}

QString machine()
{
    QFile cpu("/proc/cpuinfo");
    QString model;
    if (cpu.open(QIODevice::ReadOnly))
        for (const QByteArray& line : cpu.readAll().split('\n'))
            if (line.startsWith("model name")) {
                model = QString::fromUtf8(line.mid(line.indexOf(':') + 1)).trimmed();
                break;
            }
    return QString("%1 × %2, %3 %4").arg(std::thread::hardware_concurrency()).arg(model, QSysInfo::prettyProductName(),
                                                                                 QSysInfo::kernelVersion());
}

}  // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 4) {
        std::fprintf(stderr, "usage: reliability_report ROWS.jsonl OUT.md COMMAND\n");
        return 2;
    }
    QFile in(QString::fromLocal8Bit(argv[1]));
    if (!in.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    QList<QJsonObject> faults, badInput, fuzz;
    for (const QByteArray& line : in.readAll().split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        const QJsonObject row = QJsonDocument::fromJson(line).object();
        const QString section = row.value("section").toString();
        (section == "fault" ? faults : section == "bad-input" ? badInput : fuzz).append(row);
    }

    QString text;
    QTextStream out(&text);
    out << "# Reliability\n\n"
        << "Produced by the test suite itself: every row below is written by a test after all of its checks "
           "passed (a failing check fails the test and writes no row). Regenerate with\n\n"
        << "    " << argv[3] << "\n\n"
        << "Run on " << QDateTime::currentDateTimeUtc().toString("yyyy-MM-dd HH:mm 'UTC'") << ", " << machine()
        << ". Every scenario runs against real etcd processes (" << "Debian's etcd-server"
        << ") started by the test on loopback ports.\n\n";

    out << "## Fault scenarios\n\n"
        << "Each scenario writes concurrently (puts, deletes, multi-key transactions) while six watches share one "
           "stream — a key with prev_kv, a prefix with prev_kv, a range across prefixes, a prefix without DELETEs "
           "replaying from revision 1, a prefix without PUTs with prev_kv, and a from-key watch with progress "
           "notifications — then compares every watch, event by event, with the history etcd committed "
           "(read with a plain watch of the test's own). The properties are those of etcd's robustness suite "
           "(`tests/robustness/validate/watch.go`); `tests/support/watch_oracle.h` defines how each is checked.\n\n";
    out << "| Scenario | " << kProperties.join(" | ")
        << " | Events checked (all watches) | Recovery (ms) | Notes |\n";
    out << "|---|" << QString("---|").repeated(int(kProperties.size())) << "---|---|---|\n";
    for (const QJsonObject& row : faults) {
        const QJsonObject properties = row.value("properties").toObject();
        out << "| " << cell(row.value("case").toString()) << " | ";
        for (const QString& p : kProperties) {
            const QString v = properties.value(p).toString();
            out << (v == "held" ? QString("held") : cell(v.isEmpty() ? "—" : v)) << " | ";
        }
        out << row.value("eventsChecked").toInteger() << " (" << row.value("watches").toInteger() << " watches; "
            << row.value("historyEvents").toInteger() << " events in history) | " << valueText(row.value("recoveryMs"))
            << " | "
            << cell(row.value("recoveryNote").toString());
        if (row.contains("retryIntervalsMs"))
            out << "; retry intervals (ms): " << valueText(row.value("retryIntervalsMs"));
        if (row.value("gapsDeclared").toInteger() > 0)
            out << "; GAPs declared: " << row.value("gapsDeclared").toInteger();
        if (row.value("gapsMayLackDeletes").toInteger() > 0)
            out << " (" << row.value("gapsMayLackDeletes").toInteger()
                << " saying that the compaction revision may lack its DELETEs, etcd issue 18089; DELETEs there "
                   "that etcd left out: "
                << row.value("deletesLeftOut").toInteger() << ")";
        out << " |\n";
    }

    if (!badInput.isEmpty()) {
        out << "\n## Bad input\n\n"
            << "Each case is run for real (real etcd, certificates made with `openssl` by the test); the sentence is "
               "what the person sees, the exit code is the CLI's.\n\n"
            << "| Case | What the person is told | Exit | Data recorded so far | Result |\n|---|---|---|---|---|\n";
        for (const QJsonObject& row : badInput)
            out << "| " << cell(row.value("case").toString()) << " | " << cell(row.value("sentence").toString())
                << " | " << valueText(row.value("exit")) << " | " << cell(row.value("dataIntact").toString())
                << " | " << cell(row.value("result").toString()) << " |\n";
    }

    if (!fuzz.isEmpty()) {
        out << "\n## Engine fuzzing\n\n"
            << "Random interleavings of user commands and server messages, well-formed and hostile, against the "
               "sans-I/O engine.\n\n| Case | Iterations | Steps | Seed | Properties held |\n|---|---|---|---|---|\n";
        for (const QJsonObject& row : fuzz) {
            const QJsonObject properties = row.value("properties").toObject();
            QStringList held;
            for (auto it = properties.begin(); it != properties.end(); ++it)
                held << it.key() + (it.value().toString() == "held" ? "" : " (" + it.value().toString() + ")");
            out << "| " << cell(row.value("case").toString()) << " | " << valueText(row.value("iterations"))
                << " | " << valueText(row.value("steps")) << " | " << valueText(row.value("seed")) << " | "
                << cell(held.join(", ")) << " |\n";
        }
    }

    out << "\n"
        << "## The recorder (`etcdscope-cli record`)\n"
        << "\n"
        << "`tst_recorder` and `tst_recorded_history`, against a real etcd, into SQLite and\n"
        << "into a throwaway PostgreSQL server (run as the `postgres` user, stopped by PID).\n"
        << "\n"
        << "| Fault | What happens | Result |\n"
        << "|---|---|---|\n"
        << "| the recorder killed -9 half-way through 200,000 events in 2,000 revisions (SQLite; PostgreSQL) | the next start resumes after the last committed revision: each watch's resume revision commits in the transaction of its events | every event once, in order, equal to etcd's history |\n"
        << "| PostgreSQL stopped under the recorder | one sentence, exit 5: \"recording stopped: Could not save N events to the event log: … The next start resumes after revision R.\"; PostgreSQL and the recorder started again, it resumes there | every event once, in order, equal to etcd's history |\n"
        << "| etcd compacted before the recorder first starts | a GAP below etcd's oldest revision, and the whole range read at the compaction revision into a snapshot, kept whole or not at all | history shows the keys last written before the compaction; restore puts them back (checked against etcdctl's read of that revision) |\n"
        << "| etcd compacted while the recorder is down | a GAP, then a snapshot at the gap's end | the state inside the gap is refused with one sentence; after the snapshot it is known again |\n"
        << "| the log's database unreachable, or a password in `--db` | one sentence, exit 2; a password is refused before any connection | nothing written |\n"
        << "| the log's disk full (SQLite; the recorder's files limited to 2 MiB, values of 1 KB flowing) | one sentence, exit 5: \"recording stopped: Could not save N events to the event log: disk I/O error (is the log's disk full, or its file-size limit reached?). The next start resumes after revision R.\"; what the log kept is a prefix of etcd's history; started again with space, it resumes there | every event once, in order, equal to etcd's history |\n"
        << "| etcd killed -9 and restarted under the recorder | the watch reconnects and resumes after its last revision | every event once, in order, equal to etcd's history |\n"
        << "| the leader of three killed under the recorder (its first endpoint), writes going on through a survivor | the watch fails over to another member and resumes there | every event once, in order, equal to etcd's history |\n"
        << "\n";
    out << "\n## What the suite found, and what changed\n\n"
        << "- A connection silent only towards etcd (a proxy that stops forwarding one way) went unnoticed: events "
           "kept arriving, so gRPC's keepalive never pinged and the quiet-stream probe never fired, while no request "
           "of ours reached etcd. Now a creation unconfirmed for 5 s makes the stream suspect.\n"
        << "- A member busy catching watchers up (etcd reads prev_kv for every event in its stream sender) left the "
           "stream silent for over 10 s; the progress-request probe reset it, etcd started over, and three watches "
           "never caught up. Now a suspect stream also gets a Status call on the same connection: an alive member "
           "keeps its stream; a hung member or a dead path answers neither within 5 s and is left.\n"
        << "- A wiped or restored member would have been watched from the old revisions on a new history (etcd "
           "accepts a start revision in the future and waits): a silent merge. Now every connection checks the "
           "cluster ID and that the member is not behind what was already delivered; if so the session stops with "
           "one sentence.\n"
        << "- A stream broken by a killed member was described as \"not etcd's protocol\"; now it is a lost "
           "connection.\n"
        << "- The engine fuzzer found four engine bugs, all fixed with regression tests: a `created` with a negative "
           "or repeated watch ID was bound to a creation in flight (a later response then crashed in `map::at`); a "
           "repeated `created` made the engine cancel its own live watch; a cancel could go out for a stale server "
           "ID after a disconnect; events out of the watch's range, filters or revision order were delivered.\n"
        << "- Packet loss is modelled in the proxy (a \"lost\" chunk waits for doubling retransmission timeouts "
           "from 200 ms) because this machine's kernel has no netem qdisc (`tc qdisc add … netem` answers "
           "\"Specified qdisc kind is unknown\").\n";

    QFile file(QString::fromLocal8Bit(argv[2]));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
    }
    file.write(text.toUtf8());
    std::printf("wrote %s: %lld fault, %lld bad-input, %lld fuzz rows\n", argv[2], (long long)faults.size(),
                (long long)badInput.size(), (long long)fuzz.size());
    return 0;
}
