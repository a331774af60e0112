// The watch output on its way to a pipe or socket whose reader lags. Without
// it, a stuck reader stops the CLI, the CLI stops reading its stream (W10) and
// etcd falls back to re-reading its history for the watch when the reader
// comes back — 4x slower than a client that kept everything in memory (the
// Go client: 257 MiB for a backlog of a million events). The spool keeps
// what the reader has not taken yet: the first few MiB in memory, the rest
// in an unnamed temporary file, so memory stays bounded and the backlog
// drains at the speed of the file system.
//
// Writes to the descriptor never block (the free space of a pipe is asked
// for first; a socket is written with MSG_DONTWAIT), so the event loop goes
// on while the reader lags. When the spool holds more than it may (its file
// is full, or cannot be written), full() says so: the caller stops
// acknowledging events, and the stream pauses as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace etcdscope::cli {

class OutputSpool {
public:
    struct Limits {
        std::size_t memoryBytes = 8u << 20;      // held in memory before the file is used
        std::int64_t fileBytes = 4ll << 30;      // at most this much in the file
        std::size_t refillBytes = 1u << 20;      // read back from the file at a time
    };

    // `fd` is the output (a pipe or a socket); the file goes to `directory`.
    OutputSpool(int fd, std::string directory, Limits limits);
    OutputSpool(int fd, std::string directory);
    ~OutputSpool();
    OutputSpool(const OutputSpool&) = delete;
    OutputSpool& operator=(const OutputSpool&) = delete;

    // Queues `bytes` after what is queued and writes what the reader will
    // take now. False when a write failed (error() holds errno).
    bool write(std::string_view bytes);
    // Writes what the reader will take now. False when a write failed.
    bool drain();
    // Writes everything, waiting for the reader (the end of a run).
    bool flush();

    bool empty() const { return pending() == 0; }
    std::int64_t pending() const;        // bytes queued, in memory and in the file
    std::int64_t written() const { return written_; }  // bytes on the output
    // More queued than the spool may hold: stop feeding it until it drains.
    bool full() const;
    int error() const { return error_; }

private:
    // Writes at most what the descriptor takes without blocking; -1 on error.
    std::int64_t writeSome(const char* data, std::size_t size, bool wait);
    bool refill();  // moves the file's oldest bytes into memory
    bool toFile(std::string_view bytes);

    int fd_;
    std::string directory_;
    Limits limits_;
    bool isPipe_ = false;
    bool isSocket_ = false;
    int nonBlocking_ = -1;          // a pipe's own non-blocking descriptor, when it could be opened
    std::string memory_;            // queued bytes from memoryHead_
    std::size_t memoryHead_ = 0;
    int file_ = -1;                 // the unnamed temporary file, once needed
    bool fileFailed_ = false;       // it could not be made or written: memory only
    std::int64_t fileRead_ = 0;     // queued bytes in the file: [fileRead_, fileWrite_)
    std::int64_t fileWrite_ = 0;
    std::int64_t written_ = 0;
    int error_ = 0;
};

}  // namespace etcdscope::cli
