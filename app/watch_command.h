// `etcdscope-cli watch`: runs a WatchSession and writes what it delivers to
// stdout, flushing after each delivered batch.
#pragma once

#include "cli_options.h"
#include "session/watch_session.h"

#include <QObject>
#include <QElapsedTimer>
#include <QTimer>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

class QSocketNotifier;

namespace etcdscope::cli {

class OutputSpool;

enum ExitCode { kExitDone = 0, kExitUsage = 2, kExitConnection = 3, kExitCancelled = 4, kExitOutput = 5,
                kExitConflict = 6 };

class WatchCommand : public QObject {
    Q_OBJECT

public:
    explicit WatchCommand(WatchCommandOptions options, QObject* parent = nullptr);
    ~WatchCommand() override;

    void start();
    // Stopped by SIGINT or SIGTERM: finishes with exit 0 (a count is printed).
    void interrupt();

signals:
    void finished(int exitCode);

private:
    void onUpdates(const UpdateBatchPtr& batch);
    void onStatus(const ConnectionStatus& status);
    void checkUntilRevision();
    void askForProgressIfIdle();
    // The reader of a piped stdout has gone (`| head -1` is done): finish.
    void checkReaderStillThere();
    // Writes out_ to stdout (through the spool when stdout is a pipe or a
    // socket); false (and writeErrno_ set) when it cannot.
    bool writeOut();
    // The spool's reader took some: write more, and acknowledge what waited
    // for room in the spool.
    void onOutputWritable();
    void noteSpoolWritten();  // moves eventsOnOutput_ on as the spool's bytes go out
    // The exit code and sentence for a failed write; a closed pipe ends
    // quietly with 0, like `head`.
    std::pair<int, std::string> outputFailure() const;
    void finish(int exitCode, const std::string& message = {});
    // The dial timeout is over without a first stream: exit 3 with the last attempt's reason.
    void giveUpDialing();

    WatchCommandOptions options_;
    WatchSession session_;
    std::map<WatchHandle, int> watchNumber_;     // handle -> position of its KEY (1-based)
    std::map<WatchHandle, std::int64_t> reached_;  // highest revision each watch is known to have passed
    std::map<WatchHandle, bool> live_;
    std::set<WatchHandle> cancelled_;              // by etcd; the others go on
    std::string out_;
    // stdout a pipe or a socket: what its reader has not taken yet waits
    // here, so that a reader that lags does not stop the stream (see
    // output_spool.h); a notifier says when it takes more.
    std::unique_ptr<OutputSpool> spool_;
    QSocketNotifier* outputWritable_ = nullptr;
    std::deque<std::pair<std::int64_t, std::int64_t>> spoolMarks_;  // (bytes queued, events) per write
    std::int64_t bytesQueued_ = 0;
    std::int64_t unacknowledged_ = 0;  // events held back while the spool is full
    std::int64_t eventsWritten_ = 0;  // formatted into out_ so far
    std::int64_t eventsOnOutput_ = 0;  // written out whole
    std::int64_t bytesOnOutput_ = 0;
    int writeErrno_ = 0;               // of the failed write, if any
    bool finished_ = false;

    // --until-rev on servers whose broadcast progress may overtake events
    // (etcd < 3.4.25 / 3.5.8): a broadcast at or past the target counts only
    // once a second one, asked for after the first arrived, confirms it; by
    // then every event the first one could have overtaken was sent ahead.
    QTimer idleProbe_;
    QTimer dialDeadline_;      // first connection must succeed before it fires
    bool dialOverdue_ = false; // it fired before any attempt had ended; waiting for the first one's reason
    QTimer readerWatch_;       // stdout a pipe: notices its reader leaving between writes
    QTimer giveUp_;            // --give-up-after: runs while etcd is unreachable
    QElapsedTimer lostFor_;    // valid while the connection is lost (after a first one)
    int lastFailedAttempts_ = 0;
    QTimer sayLoss_;           // says the loss once it has lasted kLossQuietMs
    std::string lostReason_;
    bool lossSaid_ = false;
    ConnectionStatus lastStatus_;
    int progressRequested_ = 0;
    int progressAnswered_ = 0;
    std::optional<int> confirmingAnswer_;  // answer number that will confirm
};

}  // namespace etcdscope::cli
