#include "watch_command.h"

#include "event_format.h"

#include <QCoreApplication>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <unistd.h>

namespace etcdscope::cli {

namespace {

// While waiting for --until-rev with nothing arriving, ask for progress this
// often; answers are immediate, so this only bounds how soon we notice.
constexpr int kIdleProgressIntervalMs = 200;
// An attempt's own deadline equals the dial timeout; wait this much longer so
// that its precise reason (refused, silent peer, not etcd) is what we report.
constexpr int kDialGraceMs = 500;

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
    // Until a first stream opens, failed attempts are retried (etcd may still
    // be starting); when the dial timeout is over, give up with the last
    // reason, so a script gets exit code 3 instead of a hang.
    dialDeadline_.setSingleShot(true);
    dialDeadline_.setInterval(int(options_.connection.dialTimeout.count()) + kDialGraceMs);
    connect(&dialDeadline_, &QTimer::timeout, this, [this] {
        if (lastStatus_.everConnected)
            return;
        const std::string endpoints = options_.connection.endpoints.size() == 1
            ? options_.connection.endpoints.front()
            : std::to_string(options_.connection.endpoints.size()) + " endpoints";
        finish(kExitConnection, !lastStatus_.lastError.empty()
                                    ? lastStatus_.lastError
                                    : "No answer from etcd at " + endpoints + " within the dial timeout.");
    });
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
    std::string cancelMessage;
    for (const WatchUpdate& update : batch->updates) {
        const int number = watchNumber_[update.watch];
        switch (update.kind) {
        case WatchUpdate::Kind::Events:
            for (const WatchEvent& event : update.events) {
                if (json) appendEventJson(out_, number, event);
                else if (text) appendEventText(out_, number, event);
                ++eventsWritten_;
                if (options_.maxEvents && eventsWritten_ >= *options_.maxEvents) {
                    limitReached = true;
                    break;
                }
            }
            if (!update.events.empty())
                reached_[update.watch] = std::max(reached_[update.watch], update.events.back().kv.modRevision);
            break;
        case WatchUpdate::Kind::Gap:
            if (json) appendGapJson(out_, number, update.fromRevision, update.toRevision);
            else if (text) appendGapText(out_, number, update.fromRevision, update.toRevision);
            std::fprintf(stderr, "Watch %d: revisions %lld to %lld were compacted and cannot be shown; "
                                 "continuing from %lld.\n",
                         number, (long long)update.fromRevision, (long long)update.toRevision,
                         (long long)update.toRevision + 1);
            reached_[update.watch] = std::max(reached_[update.watch], update.toRevision);
            break;
        case WatchUpdate::Kind::Progress:
            reached_[update.watch] = std::max(reached_[update.watch], update.revision);
            break;
        case WatchUpdate::Kind::State:
            live_[update.watch] = update.state == WatchState::Live;
            if (update.state == WatchState::Cancelled && cancelMessage.empty())
                cancelMessage = "Watch " + std::to_string(number) + " was cancelled by etcd: " + update.reason + ".";
            break;
        }
        if (limitReached)
            break;
    }
    if (!writeOut())
        return;
    session_.acknowledge(batch->eventCount);
    if (limitReached)
        return finish(kExitDone);
    if (!cancelMessage.empty())
        return finish(kExitCancelled, cancelMessage);
    checkUntilRevision();
}

void WatchCommand::onStatus(const ConnectionStatus& status)
{
    if (finished_)
        return;
    lastStatus_ = status;
    if (status.everConnected)
        dialDeadline_.stop();
    if (status.state == StreamState::Failed)
        return finish(kExitConnection, status.lastError);
}

void WatchCommand::askForProgressIfIdle()
{
    if (!finished_)
        session_.requestProgress();
}

void WatchCommand::checkUntilRevision()
{
    if (!options_.untilRevision || finished_)
        return;
    for (const auto& [handle, reached] : reached_)
        if (reached < *options_.untilRevision)
            return;
    finish(kExitDone);
}

bool WatchCommand::writeOut()
{
    std::size_t done = 0;
    while (done < out_.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, out_.data() + done, out_.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            out_.clear();
            // The reader went away (a closed pipe): like `head`, stop quietly.
            finish(errno == EPIPE ? kExitDone : kExitConnection,
                   errno == EPIPE ? std::string() : std::string("Cannot write the output: ") + std::strerror(errno) + ".");
            return false;
        }
        done += std::size_t(n);
    }
    out_.clear();
    return true;
}

void WatchCommand::finish(int exitCode, const std::string& message)
{
    if (finished_)
        return;
    finished_ = true;
    idleProbe_.stop();
    if (options_.output == OutputFormat::Count) {
        out_ += std::to_string(eventsWritten_) + "\n";
        writeOut();
    }
    if (!message.empty())
        std::fprintf(stderr, "%s\n", message.c_str());
    emit finished(exitCode);
}

}  // namespace etcdscope::cli
