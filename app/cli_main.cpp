// etcdscope-cli: the headless twin of the monitor, for scripts, CI and
// benchmarks. See usageText() for the command line.
#include "cli_options.h"
#include "census_command.h"
#include "churn_command.h"
#include "diff_command.h"
#include "get_command.h"
#include "prune_command.h"
#include "history_command.h"
#include "record_command.h"
#include "restore_command.h"
#include "transport/tls_file_check.h"
#include "watch_command.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <malloc.h>
#include <termios.h>
#include <unistd.h>

using namespace etcdscope;
using namespace etcdscope::cli;

namespace {

// A catch-up arrives in messages of up to 100,000 events (10 MB on the wire,
// 30 MB parsed), each turned into one batch of events and freed a moment
// later, on other threads than the one that made it. glibc's defaults give
// every thread an arena of its own, hand the freed megabytes back to the
// kernel and fault them in again for the next message: a third of the CLI's
// CPU went to page faults and heap growth, and each arena kept its own peak
// (500,000 events replayed: 0.92 CPU-s and 125 MiB in count mode; with these
// settings 0.53 CPU-s and 88 MiB, see docs/PERFORMANCE.md). One arena, and
// large blocks kept for reuse. GLIBC_TUNABLES, when set, has the last word.
void tuneAllocator()
{
    if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables && *tunables)
        return;
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper bound for it
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

// Reads a password from the controlling terminal with echo off.
std::optional<std::string> promptPassword(const std::string& user)
{
    FILE* tty = std::fopen("/dev/tty", "r+");
    if (!tty)
        return std::nullopt;
    std::fprintf(tty, "Password for %s: ", user.c_str());
    std::fflush(tty);
    termios old{};
    const bool isTerminal = tcgetattr(fileno(tty), &old) == 0;
    if (isTerminal) {
        termios silent = old;
        silent.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(fileno(tty), TCSAFLUSH, &silent);
    }
    char buffer[1024];
    const bool read = std::fgets(buffer, sizeof buffer, tty) != nullptr;
    if (isTerminal)
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
    std::fprintf(tty, "\n");
    std::fclose(tty);
    if (!read)
        return std::nullopt;
    std::string password(buffer);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
        password.pop_back();
    return password;
}

int quitSignalPipe[2] = {-1, -1};

void onQuitSignal(int) { [[maybe_unused]] auto n = ::write(quitSignalPipe[1], "q", 1); }

// Runs the event loop until `command` finishes (its exit code) or SIGINT /
// SIGTERM arrives (0, after `interrupt`, if any, let it finish);
// `start` false: it could not start (usage, exit 2).
template <typename Command, typename Start>
int runUntilFinished(QCoreApplication& app, Command& command, Start start)
{
    int exitCode = kExitDone;
    QObject::connect(&command, &Command::finished, &app, [&](int code) {
        exitCode = code;
        app.exit(code);
    });
    QSocketNotifier quitNotifier(quitSignalPipe[0], QSocketNotifier::Read);
    QObject::connect(&quitNotifier, &QSocketNotifier::activated, &app, [&] {
        if constexpr (requires { command.interrupt(); })
            command.interrupt();  // it finishes, and its exit code is the run's
        else
            app.exit(kExitDone);
    });
    if (!start())
        return kExitUsage;
    app.exec();
    return exitCode;
}

}  // namespace

int main(int argc, char** argv)
{
    tuneAllocator();  // before any thread starts
    // Raw argv bytes: keys stay binary-safe whatever the locale.
    std::vector<std::string> args(argv + 1, argv + argc);
    const char* envPassword = std::getenv(kPasswordVariable);
    ParseOutcome parsed = parseCommandLine(args, envPassword ? std::optional<std::string>(envPassword) : std::nullopt);
    if (parsed.showHelp) {
        std::fputs(usageText().c_str(), stdout);
        return kExitDone;
    }
    if (parsed.showVersion) {
        std::printf("etcdscope-cli %s\n", ETCDSCOPE_VERSION);
        return kExitDone;
    }
    if (!parsed.options) {
        // One sentence and where to look; the whole help would bury it.
        std::fprintf(stderr, "etcdscope-cli: %s%s\nRun 'etcdscope-cli --help' for the commands and options.\n",
                     parsed.error.c_str(), parsed.error.back() == '?' ? "" : ".");
        return kExitUsage;
    }
    WatchCommandOptions options = std::move(*parsed.options);
    if (options.promptForPassword) {
        auto password = promptPassword(options.connection.user);
        if (!password) {
            std::fprintf(stderr, "etcdscope-cli: no password for %s: set %s or run in a terminal.\n",
                         options.connection.user.c_str(), kPasswordVariable);
            return kExitUsage;
        }
        options.connection.password = std::move(*password);
    }

    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    // A TLS file that is missing or not PEM is said now, not after the dial timeout.
    if (const QString error = checkTlsFiles(options.connection.tls, false); !error.isEmpty()) {
        std::fprintf(stderr, "etcdscope-cli: %s\n", qPrintable(error));
        return kExitUsage;
    }
    // Log lines for the engineer go to stderr only when asked for; the person
    // gets the one-sentence messages.
    if (!qEnvironmentVariableIsSet("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules("etcdscope.*.info=false\netcdscope.*.warning=false");
    if (!options.encryptionConfig.empty() && !loadEncryptionKeys(options.encryptionConfig))
        return kExitUsage;
    if (options.command == Command::Get)
        return runGet(options);
    if (options.command == Command::History)
        return runHistory(options);
    if (options.command == Command::Restore)
        return runRestore(options);
    if (options.command == Command::Diff)
        return runDiff(options);
    if (options.command == Command::Prune)
        return runPrune(options);
    if (options.command == Command::Census)
        return runCensus(options);
    if (options.command == Command::Churn)
        return runChurn(options);

    if (::pipe(quitSignalPipe) == 0) {
        std::signal(SIGINT, onQuitSignal);
        std::signal(SIGTERM, onQuitSignal);
    }
    if (options.command == Command::Record) {
        RecordCommand recorder(std::move(options));
        return runUntilFinished(app, recorder, [&] { return recorder.start(); });
    }
    WatchCommand command(std::move(options));
    return runUntilFinished(app, command, [&] {
        command.start();
        return true;
    });
}
