#include "watch_command.h"

#include "decode/value_text.h"
#include "format/event_format.h"
#include "get_command.h"
#include "output_spool.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <limits>
#include <tuple>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcCli, "etcdscope.cli", QtInfoMsg)

namespace etcdscope::cli {

namespace {

// While waiting for --until-rev with nothing arriving, ask for progress this
// often; answers are immediate, so this only bounds how soon we notice.
constexpr int kIdleProgressIntervalMs = 200;
// An attempt's own deadline equals the dial timeout; wait this much longer so
// that its precise reason (refused, silent peer, not etcd) is what we report.
constexpr int kDialGraceMs = 500;
// How soon a closed pipe on stdout is noticed when no event comes to write.
constexpr int kReaderCheckIntervalMs = 250;
// Output is written once this much is formatted (and at the end of a batch).
constexpr std::size_t kOutputChunkBytes = 256 * 1024;
// A lost stream that is back within this is not worth a line on stderr.
constexpr int kLossQuietMs = 1000;

// etcd cancels a watch with a gRPC error text ("rpc error: code = ...
// desc = etcdserver: ..."); the person gets what it means for them.
std::string explainCancelReason(const std::string& reason, const std::string& user)
{
    auto contains = [&](const char* text) { return reason.find(text) != std::string::npos; };
    if (contains("user name is empty"))
        return "this etcd requires authentication and no user was given (use --user NAME)";
    if (contains("permission denied"))
        return (user.empty() ? std::string("this connection") : "user " + user)
            + " has no permission to read this key range";
    const std::string prefix = "desc = ";
    if (const auto at = reason.find(prefix); contains("rpc error:") && at != std::string::npos)
        return reason.substr(at + prefix.size());
    return reason;
}

// "5 s", "1.5 s", "500 ms".
std::string seconds(std::chrono::milliseconds duration)
{
    char text[32];
    if (duration.count() < 1000)
        std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(duration.count()));
    else
        std::snprintf(text, sizeof text, "%g s", double(duration.count()) / 1000.0);
    return text;
}

// The engine's reason for a lost stream without the retry it announces
// (the CLI says what happens next itself), and without a final full stop.
std::string withoutRetry(std::string reason)
{
    if (const auto retry = reason.rfind(" (retrying in "); retry != std::string::npos)
        reason.erase(retry);
    while (!reason.empty() && reason.back() == '.')
        reason.pop_back();
    const std::string reconnecting = "; reconnecting";
    if (reason.size() > reconnecting.size() &&
        reason.compare(reason.size() - reconnecting.size(), reconnecting.size(), reconnecting) == 0)
        reason.erase(reason.size() - reconnecting.size());
    return reason;
}

// `text` ending as a sentence does.
std::string sentence(std::string text)
{
    if (!text.empty() && text.back() != '.' && text.back() != '?' && text.back() != '!')
        text += '.';
    return text;
}

SessionOptions cliSessionOptions()
{
    SessionOptions options;
    options.flushIntervalMs = 0;  // write as soon as a message is processed
    return options;
}

}  // namespace

WatchCommand::WatchCommand(WatchCommandOptions options, QObject* parent)
    : QObject(parent)
    , options_(std::move(options))
    , session_(cliSessionOptions())
{
    connect(&session_, &WatchSession::updatesReady, this, &WatchCommand::onUpdates);
    connect(&session_, &WatchSession::statusChanged, this, &WatchCommand::onStatus);
    connect(&session_, &WatchSession::watchRejected, this, [this](WatchHandle, const QString& reason) {
        finish(kExitUsage, "Invalid watch: " + reason.toStdString() + ".");
    });
    idleProbe_.setInterval(kIdleProgressIntervalMs);
    connect(&idleProbe_, &QTimer::timeout, this, &WatchCommand::askForProgressIfIdle);
    sayLoss_.setSingleShot(true);
    sayLoss_.setInterval(kLossQuietMs);
    connect(&sayLoss_, &QTimer::timeout, this, [this] {
        lossSaid_ = true;
        std::fprintf(stderr, "etcdscope-cli: %s; reconnecting, each endpoint in turn%s.\n", lostReason_.c_str(),
                     options_.giveUpAfter ? (", giving up after " + seconds(*options_.giveUpAfter)).c_str() : "");
    });
    giveUp_.setSingleShot(true);
    connect(&giveUp_, &QTimer::timeout, this, [this] {
        finish(kExitConnection, "Gave up: etcd at " + lastStatus_.endpoint + " has not answered for "
                                    + seconds(*options_.giveUpAfter) + " (--give-up-after). The last attempt: "
                                    + sentence(withoutRetry(lastStatus_.lastError)));
    });
    readerWatch_.setInterval(kReaderCheckIntervalMs);
    connect(&readerWatch_, &QTimer::timeout, this, &WatchCommand::checkReaderStillThere);
    // Until a first stream opens, failed attempts are retried (etcd may still
    // be starting); when the dial timeout is over, give up with the last
    // reason, so a script gets exit code 3 instead of a hang.
    dialDeadline_.setSingleShot(true);
    dialDeadline_.setInterval(int(options_.connection.dialTimeout.count()) + kDialGraceMs);
    connect(&dialDeadline_, &QTimer::timeout, this, [this] {
        if (lastStatus_.everConnected)
            return;
        // No attempt has ended yet (a loaded machine): its own deadline ends
        // it soon, and its reason is the better sentence; wait for it once
        // more, as long again at most.
        if (withoutRetry(lastStatus_.lastError).empty() && !dialOverdue_) {
            dialOverdue_ = true;
            dialDeadline_.start(int(options_.connection.dialTimeout.count()) + kDialGraceMs);
            return;
        }
        giveUpDialing();
    });
}

void WatchCommand::giveUpDialing()
{
    const std::string endpoints = options_.connection.endpoints.size() == 1
        ? options_.connection.endpoints.front()
        : std::to_string(options_.connection.endpoints.size()) + " endpoints";
    // The last attempt's reason, without the retry it announced: this is the end.
    std::string reason = withoutRetry(lastStatus_.lastError);
    const std::string gaveUp = "Gave up after the dial timeout of " + seconds(options_.connection.dialTimeout) + ".";
    if (reason.empty())
        reason = "No answer from etcd at " + endpoints;
    finish(kExitConnection, reason + (reason.back() == '.' ? " " : ". ") + gaveUp);
}

WatchCommand::~WatchCommand() = default;

void WatchCommand::start()
{
    int number = 0;
    for (const WatchSpec& spec : options_.watches) {
        const WatchHandle handle = session_.addWatch(spec);
        watchNumber_[handle] = ++number;
        reached_[handle] = spec.startRevision > 0 ? spec.startRevision - 1 : 0;
        live_[handle] = false;
    }
    session_.connectToCluster(options_.connection);
    dialDeadline_.start();
    struct stat out {};
    if (::fstat(STDOUT_FILENO, &out) == 0 && (S_ISFIFO(out.st_mode) || S_ISSOCK(out.st_mode))) {
        readerWatch_.start();
        // $TMPDIR as given (QDir::tempPath() turns a folder that does not
        // exist into "", and the file would land in /).
        const char* tmp = std::getenv("TMPDIR");
        spool_ = std::make_unique<OutputSpool>(STDOUT_FILENO, tmp && *tmp ? tmp : "/tmp");
        outputWritable_ = new QSocketNotifier(STDOUT_FILENO, QSocketNotifier::Write, this);
        outputWritable_->setEnabled(false);
        connect(outputWritable_, &QSocketNotifier::activated, this, &WatchCommand::onOutputWritable);
    }
    if (options_.untilRevision)
        idleProbe_.start();
}

void WatchCommand::onUpdates(const UpdateBatchPtr& batch)
{
    if (finished_)
        return;
    const bool json = options_.output == OutputFormat::Jsonl;
    const bool text = options_.output == OutputFormat::Text;
    bool limitReached = false;
    bool allCancelled = false;
    bool writeFailed = false;
    for (const WatchUpdate& update : batch->updates) {
        const int number = watchNumber_[update.watch];
        switch (update.kind) {
        case WatchUpdate::Kind::Events:
            for (const WatchEvent& event : update.events) {
                // etcd sends whole batches: nothing past --until-rev is printed, whatever it sent.
                if (options_.untilRevision && event.kv.modRevision > *options_.untilRevision)
                    break;
                if (json) {
                    appendEventJson(out_, number, event);
                    if (event.type == EventType::Put && options_.decode != Decode::None)
                        appendDecodedObject(out_, event.kv.key, event.kv.value, options_.decode);
                } else if (text) {
                    appendEventText(out_, number, event);
                }
                ++eventsWritten_;
                if (options_.maxEvents && eventsWritten_ >= *options_.maxEvents) {
                    limitReached = true;
                    break;
                }
                // A catch-up batch can hold 100,000 events: written in pieces, the
                // buffer stays small and warm in the cache.
                if (out_.size() >= kOutputChunkBytes && !writeOut()) {
                    writeFailed = true;
                    break;
                }
            }
            if (!update.events.empty())
                reached_[update.watch] = std::max(reached_[update.watch], update.events.back().kv.modRevision);
            break;
        case WatchUpdate::Kind::Gap: {
            reached_[update.watch] = std::max(reached_[update.watch], update.toRevision);
            if (options_.untilRevision && update.fromRevision > *options_.untilRevision)
                break;
            // A gap that reaches past --until-rev is shown up to it.
            const std::int64_t to = options_.untilRevision ? std::min(update.toRevision, *options_.untilRevision)
                                                           : update.toRevision;
            // The revision that may lack its DELETEs is shown only when it is printed.
            const std::int64_t mayLackDeletesAt = to == update.toRevision ? update.mayLackDeletesAt : 0;
            if (json) appendGapJson(out_, number, update.fromRevision, to, mayLackDeletesAt);
            else if (text) appendGapText(out_, number, update.fromRevision, to, mayLackDeletesAt);
            if (update.mayLackDeletesAt != 0)
                std::fprintf(stderr, "Watch %d: revisions %lld to %lld were compacted and cannot be shown; continuing "
                                     "from %lld, whose DELETEs this etcd may leave out (etcd issue 18089, fixed in "
                                     "3.4.34 and 3.5.16).\n",
                             number, (long long)update.fromRevision, (long long)update.toRevision,
                             (long long)update.mayLackDeletesAt);
            else
                std::fprintf(stderr, "Watch %d: revisions %lld to %lld were compacted and cannot be shown; "
                                     "continuing from %lld.\n",
                             number, (long long)update.fromRevision, (long long)update.toRevision,
                             (long long)update.toRevision + 1);
            break;
        }
        case WatchUpdate::Kind::Progress:
            reached_[update.watch] = std::max(reached_[update.watch], update.revision);
            break;
        case WatchUpdate::Kind::State:
            live_[update.watch] = update.state == WatchState::Live;
            // A live watch has passed every revision before the one it goes on
            // from: for a watch from now, the revision etcd stood at when it
            // was created already answers --until-rev below it.
            if (update.state == WatchState::Live)
                for (const WatchInfo& info : batch->watchInfos)
                    if (info.handle == update.watch && info.nextRevision > 0)
                        reached_[update.watch] = std::max(reached_[update.watch], info.nextRevision - 1);
            if (update.state == WatchState::Cancelled && !update.byUser && cancelled_.insert(update.watch).second) {
                // The others go on: what they see is delivered; the run's exit code says 4 at its end.
                qCWarning(lcCli).noquote() << "watch" << number << "cancelled by etcd:" << update.reason.c_str();
                const bool others = cancelled_.size() < watchNumber_.size();
                WatchSpec shown = options_.watches[std::size_t(number - 1)];
                shown.startRevision = 0;  // which keys, not where it started
                shown.progressNotify = false;
                shown.prevKv = false;
                std::fprintf(stderr, "etcdscope-cli: watch %d (%s) was cancelled by etcd: %s%s\n", number,
                             describeSpec(shown).toUtf8().constData(),
                             explainCancelReason(update.reason, options_.connection.user).c_str(),
                             others ? "; the other watches go on (the run will end with exit 4)." : ".");
                if (!others)
                    allCancelled = true;
            }
            break;
        }
        if (limitReached || writeFailed)
            break;
    }
    if (writeFailed || !writeOut()) {
        const auto [code, message] = outputFailure();
        return finish(code, message);
    }
    // Events waiting in a spool that may hold no more are acknowledged once
    // it drains: the stream pauses meanwhile (W10).
    unacknowledged_ += batch->eventCount;
    if (!spool_ || !spool_->full())
        session_.acknowledge(std::exchange(unacknowledged_, 0));
    if (limitReached)
        return finish(kExitDone);
    if (allCancelled)
        return finish(kExitCancelled, watchNumber_.size() > 1 ? "No watch is left: etcd cancelled every one." : "");
    checkUntilRevision();
}

void WatchCommand::interrupt()
{
    // SIGINT or SIGTERM: what was received is written; the count, too.
    finish(kExitDone);
}

void WatchCommand::onStatus(const ConnectionStatus& status)
{
    if (finished_)
        return;
    const bool wasOpen = lastStatus_.state == StreamState::Open;
    lastStatus_ = status;
    // Once connected, the person hears of a loss once, and of the return once;
    // the attempts between are at debug level.
    // A stream that is back within kLossQuietMs (a reset for a fresh token,
    // a member that closed it) lost nothing worth a line.
    if (wasOpen && status.state != StreamState::Open && status.state != StreamState::Failed && !lostFor_.isValid()) {
        lostFor_.start();
        lostReason_ = withoutRetry(status.lastError);
        lossSaid_ = false;
        sayLoss_.start();
        if (options_.giveUpAfter)
            giveUp_.start(int(std::min<std::int64_t>(options_.giveUpAfter->count(), std::numeric_limits<int>::max())));
    } else if (status.state == StreamState::Open && lostFor_.isValid()) {
        sayLoss_.stop();
        if (lossSaid_)
            std::fprintf(stderr, "etcdscope-cli: connected again to %s after %s (%d failed attempt%s); every watch "
                                 "goes on from where it was.\n",
                         status.endpoint.c_str(), seconds(std::chrono::milliseconds(lostFor_.elapsed())).c_str(),
                         lastFailedAttempts_, lastFailedAttempts_ == 1 ? "" : "s");
        else
            qCInfo(lcCli).noquote() << "stream back after" << lostFor_.elapsed() << "ms:" << lostReason_.c_str();
        lostFor_.invalidate();
        giveUp_.stop();
    }
    if (status.failedAttempts > 0)
        lastFailedAttempts_ = status.failedAttempts;
    if (status.state == StreamState::Open)
        lastFailedAttempts_ = 0;
    if (status.everConnected)
        dialDeadline_.stop();
    if (status.state == StreamState::Failed)
        return finish(kExitConnection, status.lastError);
    if (dialOverdue_ && !status.everConnected && !withoutRetry(status.lastError).empty())
        return giveUpDialing();  // the dial timeout is over and the first attempt has now said why
}

void WatchCommand::askForProgressIfIdle()
{
    if (!finished_)
        session_.requestProgress();
}

void WatchCommand::checkReaderStillThere()
{
    // A pipe whose reader closed it reports an error on its write end.
    pollfd out{STDOUT_FILENO, 0, 0};
    if (::poll(&out, 1, 0) == 1 && (out.revents & (POLLERR | POLLHUP))) {
        qCInfo(lcCli, "the reader of stdout has gone; stopping after %lld events", (long long)eventsOnOutput_);
        writeErrno_ = EPIPE;
        const auto [code, message] = outputFailure();
        finish(code, message);
    }
}

void WatchCommand::checkUntilRevision()
{
    if (!options_.untilRevision || finished_)
        return;
    for (const auto& [handle, reached] : reached_)
        if (reached < *options_.untilRevision && !cancelled_.count(handle))
            return;
    finish(kExitDone);
}

bool WatchCommand::writeOut()
{
    if (spool_) {
        bytesQueued_ += std::int64_t(out_.size());
        spoolMarks_.emplace_back(bytesQueued_, eventsWritten_);
        const bool ok = spool_->write(out_);
        out_.clear();
        noteSpoolWritten();
        if (!ok) {
            writeErrno_ = spool_->error();
            qCWarning(lcCli, "write(2) to stdout failed: %s (errno %d) after %lld bytes in all; %lld bytes not "
                             "written",
                      std::strerror(writeErrno_), writeErrno_, static_cast<long long>(spool_->written()),
                      static_cast<long long>(spool_->pending()));
            return false;
        }
        outputWritable_->setEnabled(!spool_->empty());
        return true;
    }
    std::size_t done = 0;
    while (done < out_.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, out_.data() + done, out_.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            writeErrno_ = errno;
            qCWarning(lcCli, "write(2) to stdout failed: %s (errno %d) after %lld bytes in all; %zu bytes of "
                             "this batch not written",
                      std::strerror(writeErrno_), writeErrno_, static_cast<long long>(bytesOnOutput_ + done),
                      out_.size() - done);
            out_.clear();
            return false;
        }
        done += std::size_t(n);
    }
    bytesOnOutput_ += std::int64_t(out_.size());
    eventsOnOutput_ = eventsWritten_;
    out_.clear();
    return true;
}

void WatchCommand::noteSpoolWritten()
{
    bytesOnOutput_ = spool_->written();
    while (!spoolMarks_.empty() && spoolMarks_.front().first <= bytesOnOutput_) {
        eventsOnOutput_ = spoolMarks_.front().second;
        spoolMarks_.pop_front();
    }
}

void WatchCommand::onOutputWritable()
{
    if (finished_ || !spool_)
        return;
    const bool ok = spool_->drain();
    noteSpoolWritten();
    if (!ok) {
        writeErrno_ = spool_->error();
        qCWarning(lcCli, "write(2) to stdout failed: %s (errno %d) after %lld bytes in all",
                  std::strerror(writeErrno_), writeErrno_, static_cast<long long>(spool_->written()));
        const auto [code, message] = outputFailure();
        return finish(code, message);
    }
    outputWritable_->setEnabled(!spool_->empty());
    if (unacknowledged_ > 0 && !spool_->full())
        session_.acknowledge(std::exchange(unacknowledged_, 0));
}

std::pair<int, std::string> WatchCommand::outputFailure() const
{
    if (writeErrno_ == EPIPE)
        return {kExitDone, {}};
    const std::string cannot = "Cannot write the output (" + std::string(std::strerror(writeErrno_)) + ")";
    if (options_.output == OutputFormat::Count)
        return {kExitOutput, cannot + ", so the count of events (" + std::to_string(eventsWritten_) + ") is lost."};
    if (eventsOnOutput_ == 0)
        return {kExitOutput, cannot + ", so watching stopped before any event was written."};
    return {kExitOutput, cannot + ", so watching stopped; the " + std::to_string(eventsOnOutput_)
                             + " events written before that are complete."};
}

void WatchCommand::finish(int exitCode, const std::string& message)
{
    if (finished_)
        return;
    finished_ = true;
    // A watch etcd cancelled makes the run's end exit 4, after what the others saw.
    if (exitCode == kExitDone && !cancelled_.empty())
        exitCode = kExitCancelled;
    idleProbe_.stop();
    readerWatch_.stop();
    giveUp_.stop();
    sayLoss_.stop();
    std::string sentence = message;
    if (options_.output == OutputFormat::Count) {
        out_ += std::to_string(eventsWritten_) + "\n";
        // The count is the whole output: failing to write it fails the run.
        if (!writeOut() && exitCode == kExitDone)
            std::tie(exitCode, sentence) = outputFailure();
    }
    // What waits in the spool goes out before the end, however long the reader takes.
    if (spool_ && writeErrno_ == 0) {
        if (outputWritable_)
            outputWritable_->setEnabled(false);
        const bool ok = spool_->flush();
        noteSpoolWritten();
        if (!ok) {
            writeErrno_ = spool_->error();
            if (exitCode == kExitDone)
                std::tie(exitCode, sentence) = outputFailure();
        }
    }
    if (!sentence.empty())
        std::fprintf(stderr, "%s\n", sentence.c_str());
    emit finished(exitCode);
}

}  // namespace etcdscope::cli
