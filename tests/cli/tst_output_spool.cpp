// The CLI's output spool against real pipes: a reader that lags gets every
// byte in order, memory stays within its limit (the rest waits in a file),
// the spool says when it may hold no more, and a missing file or a reader
// that has gone are handled without losing what was written.
#include "output_spool.h"

#include <QtTest>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <string>
#include <thread>
#include <unistd.h>

using etcdscope::cli::OutputSpool;

namespace {

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe()
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == 0) {
            read = fds[0];
            write = fds[1];
        }
        ::fcntl(read, F_SETFL, O_NONBLOCK);  // the test reads what is there, never waits
    }
    ~Pipe()
    {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
};

// Numbered lines of varying length, as a watch's JSONL is.
std::string lines(int from, int count)
{
    std::string text;
    for (int i = from; i < from + count; ++i)
        text += "{\"line\":" + std::to_string(i) + ",\"value\":\"" + std::string(std::size_t(i % 97), 'v') + "\"}\n";
    return text;
}

// Reads what the pipe holds now into `into`; the bytes read.
std::size_t readAvailable(int fd, std::string& into)
{
    std::size_t total = 0;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            return total;
        into.append(buffer, std::size_t(n));
        total += std::size_t(n);
    }
}

// Reads and drains until the spool is empty and the pipe read dry.
bool readToTheEnd(OutputSpool& spool, int fd, std::string& into)
{
    for (int turn = 0; turn < 1'000'000; ++turn) {
        readAvailable(fd, into);
        if (!spool.drain())
            return false;
        if (spool.empty()) {
            readAvailable(fd, into);
            return true;
        }
    }
    return false;
}

}  // namespace

class TestOutputSpool : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { std::signal(SIGPIPE, SIG_IGN); }

    void shouldGiveALaggingReaderEveryByteInOrderWithMemoryBounded()
    {
        // Given a pipe nobody reads and a spool that may hold 64 KiB in memory
        Pipe pipe;
        QTemporaryDir dir;
        OutputSpool spool(pipe.write, dir.path().toStdString(), {64 << 10, 1ll << 30, 16 << 10});

        // When 5 MiB or so are written in pieces, none of them waiting for the reader
        std::string expected;
        for (int piece = 0; piece < 200; ++piece) {
            const std::string text = lines(piece * 300, 300);
            expected += text;
            QVERIFY(spool.write(text));
        }
        // Then the pipe took what it holds, the rest waits (beyond memory: in the file)
        QVERIFY(spool.pending() > 64 << 10);
        QCOMPARE(spool.written() + spool.pending(), std::int64_t(expected.size()));
        QVERIFY(!spool.full());
        // And the reader, reading at last, gets exactly what was written
        std::string got;
        QVERIFY(readToTheEnd(spool, pipe.read, got));
        QCOMPARE(got.size(), expected.size());
        QVERIFY(got == expected);
        QCOMPARE(spool.written(), std::int64_t(expected.size()));
    }

    void shouldSayWhenItMayHoldNoMoreAndRecover()
    {
        // Given a spool whose file may hold 256 KiB
        Pipe pipe;
        QTemporaryDir dir;
        OutputSpool spool(pipe.write, dir.path().toStdString(), {64 << 10, 256 << 10, 16 << 10});
        // When a megabyte waits for a reader that does not read
        const std::string text = lines(0, 20'000);
        QVERIFY(text.size() > (1 << 20));
        QVERIFY(spool.write(text));
        // Then it says it is full (the caller stops feeding it), and nothing is lost
        QVERIFY(spool.full());
        std::string got;
        QVERIFY(readToTheEnd(spool, pipe.read, got));
        QVERIFY(!spool.full());
        QVERIFY(got == text);
    }

    void shouldKeepEverythingInMemoryWhenNoFileCanBeMade_data()
    {
        QTest::addColumn<QByteArray>("directory");
        QTest::newRow("a directory that does not exist") << QByteArray("/nonexistent/etcdscope-spool-test");
        QTest::newRow("no directory at all") << QByteArray();
    }

    void shouldKeepEverythingInMemoryWhenNoFileCanBeMade()
    {
        QFETCH(QByteArray, directory);
        // Given a spool whose directory does not exist (or is not named)
        Pipe pipe;
        OutputSpool spool(pipe.write, directory.toStdString(), {64 << 10, 1ll << 30, 16 << 10});
        // When more than its memory limit waits
        std::string expected;
        for (int piece = 0; piece < 50; ++piece) {
            const std::string text = lines(piece * 300, 300);
            expected += text;
            QVERIFY(spool.write(text));
        }
        // Then it keeps it all in memory, says it is full, and gives it all in order
        QVERIFY(spool.full());
        std::string got;
        QVERIFY(readToTheEnd(spool, pipe.read, got));
        QVERIFY(got == expected);
    }

    void shouldKeepTheOrderWhenTheFileCanTakeNoMore()
    {
        // Given a spool using its file, on a file system that then takes no more
        // (this process may write files of 128 KiB at most, as a full disk would refuse)
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit before{};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &before), 0);
        rlimit small = before;
        small.rlim_cur = 128 << 10;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
        Pipe pipe;
        QTemporaryDir dir;
        OutputSpool spool(pipe.write, dir.path().toStdString(), {32 << 10, 1ll << 30, 8 << 10});
        // When more than the file takes is written, with the reader taking some now and then
        std::string expected;
        std::string got;
        bool wasFull = false;
        for (int piece = 0; piece < 120; ++piece) {
            const std::string text = lines(piece * 200, 200);
            expected += text;
            QVERIFY(spool.write(text));
            wasFull = wasFull || spool.full();
            if (piece % 7 == 0)
                readAvailable(pipe.read, got);
        }
        ::setrlimit(RLIMIT_FSIZE, &before);
        // Then it said it was full once only memory was left, and the reader gets every byte in order
        QVERIFY(wasFull);
        QVERIFY(readToTheEnd(spool, pipe.read, got));
        QCOMPARE(got.size(), expected.size());
        QVERIFY(got == expected);
    }

    void shouldWaitForASlowReaderWhenFlushed()
    {
        // Given 2 MiB waiting, and a reader that takes 64 KiB every few milliseconds
        Pipe pipe;
        QTemporaryDir dir;
        OutputSpool spool(pipe.write, dir.path().toStdString(), {64 << 10, 1ll << 30, 16 << 10});
        const std::string text = lines(0, 40'000);
        QVERIFY(spool.write(text));
        std::string got;
        std::thread reader([&] {
            while (got.size() < text.size()) {
                if (readAvailable(pipe.read, got) == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow reader, on purpose
            }
        });
        // When flushed, it returns once all is written
        const bool flushed = spool.flush();
        reader.join();
        QVERIFY(flushed);
        QVERIFY(spool.empty());
        QVERIFY(got == text);
    }

    void shouldReportAReaderThatHasGone()
    {
        // Given a pipe whose reader closed it
        Pipe pipe;
        ::close(std::exchange(pipe.read, -1));
        QTemporaryDir dir;
        OutputSpool spool(pipe.write, dir.path().toStdString());
        // When written to, it says so with EPIPE
        QVERIFY(!spool.write(lines(0, 10)));
        QCOMPARE(spool.error(), EPIPE);
    }
};

QTEST_GUILESS_MAIN(TestOutputSpool)
#include "tst_output_spool.moc"
