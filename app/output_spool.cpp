#include "output_spool.h"

#include <QLoggingCategory>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSpool, "etcdscope.cli.spool", QtInfoMsg)

namespace etcdscope::cli {

namespace {

// A write of at most this much fits a pipe that polls writable.
constexpr std::size_t kPipeAtom = 4096;

}  // namespace

OutputSpool::OutputSpool(int fd, std::string directory) : OutputSpool(fd, std::move(directory), Limits{}) {}

OutputSpool::OutputSpool(int fd, std::string directory, Limits limits)
    : fd_(fd)
    , directory_(std::move(directory))
    , limits_(limits)
{
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
        isPipe_ = S_ISFIFO(st.st_mode);
        isSocket_ = S_ISSOCK(st.st_mode);
    }
    if (isPipe_) {
        // A descriptor of our own on the same pipe, non-blocking, so that the
        // one we share with the shell keeps its flags.
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        nonBlocking_ = ::open(self.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    }
}

OutputSpool::~OutputSpool()
{
    if (nonBlocking_ >= 0)
        ::close(nonBlocking_);
    if (file_ >= 0)
        ::close(file_);
}

std::int64_t OutputSpool::pending() const
{
    return std::int64_t(memory_.size() - memoryHead_) + (fileWrite_ - fileRead_);
}

bool OutputSpool::full() const
{
    if (fileFailed_)
        return memory_.size() - memoryHead_ > limits_.memoryBytes;
    return fileWrite_ - fileRead_ > limits_.fileBytes;
}

std::int64_t OutputSpool::writeSome(const char* data, std::size_t size, bool wait)
{
    if (wait) {
        std::size_t done = 0;
        while (done < size) {
            // The own descriptor is non-blocking: wait for room on it.
            if (nonBlocking_ >= 0) {
                pollfd p{nonBlocking_, POLLOUT, 0};
                if (::poll(&p, 1, -1) < 0 && errno != EINTR)
                    return error_ = errno, -1;
            }
            const ssize_t n = ::write(nonBlocking_ >= 0 ? nonBlocking_ : fd_, data + done, size - done);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0)
                return error_ = errno, -1;
            done += std::size_t(n);
        }
        return std::int64_t(done);
    }
    ssize_t n = 0;
    if (nonBlocking_ >= 0) {
        n = ::write(nonBlocking_, data, size);
    } else if (isSocket_) {
        n = ::send(fd_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
        // A pipe we could not reopen: one page fits whenever it polls writable.
        std::size_t done = 0;
        while (done < size) {
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
                break;
            const ssize_t m = ::write(fd_, data + done, std::min(kPipeAtom, size - done));
            if (m < 0 && errno == EINTR)
                continue;
            if (m < 0)
                return error_ = errno, -1;
            done += std::size_t(m);
        }
        return std::int64_t(done);
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n < 0)
        return error_ = errno, -1;
    return n;
}

bool OutputSpool::toFile(std::string_view bytes)
{
    if (file_ < 0) {
        file_ = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (file_ < 0 && !directory_.empty()) {
            std::string path = directory_ + "/etcdscope-spool-XXXXXX";
            file_ = ::mkostemp(path.data(), O_CLOEXEC);
            if (file_ >= 0)
                ::unlink(path.c_str());
        }
        if (file_ < 0) {
            qCWarning(lcSpool, "cannot make a spool file in %s: %s (errno %d); the output waits in memory",
                      directory_.c_str(), std::strerror(errno), errno);
            return false;
        }
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(file_, bytes.data() + done, bytes.size() - done, fileWrite_ + std::int64_t(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            qCWarning(lcSpool, "cannot write the spool file in %s at %lld bytes: %s (errno %d); the output waits "
                               "in memory",
                      directory_.c_str(), static_cast<long long>(fileWrite_ + std::int64_t(done)),
                      std::strerror(errno), errno);
            return false;
        }
        done += std::size_t(n);
    }
    fileWrite_ += std::int64_t(bytes.size());
    return true;
}

bool OutputSpool::refill()
{
    if (memoryHead_ > 0) {
        memory_.erase(0, memoryHead_);
        memoryHead_ = 0;
    }
    const std::size_t want = std::size_t(std::min<std::int64_t>(std::int64_t(limits_.refillBytes), fileWrite_ - fileRead_));
    const std::size_t at = memory_.size();
    memory_.resize(at + want);
    std::size_t done = 0;
    while (done < want) {
        const ssize_t n = ::pread(file_, memory_.data() + at + done, want - done, fileRead_ + std::int64_t(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            memory_.resize(at + done);
            fileRead_ += std::int64_t(done);
            error_ = n < 0 ? errno : EIO;
            qCWarning(lcSpool, "cannot read the spool file back at %lld bytes: %s (errno %d)",
                      static_cast<long long>(fileRead_), std::strerror(error_), error_);
            return false;
        }
        done += std::size_t(n);
    }
    fileRead_ += std::int64_t(want);
    if (fileRead_ == fileWrite_) {
        // Empty again: start over at the beginning, giving the space back.
        fileRead_ = fileWrite_ = 0;
        if (::ftruncate(file_, 0) != 0)
            qCWarning(lcSpool, "cannot truncate the spool file: %s", std::strerror(errno));
    }
    return true;
}

bool OutputSpool::write(std::string_view bytes)
{
    if (empty()) {
        const std::int64_t n = writeSome(bytes.data(), bytes.size(), false);
        if (n < 0)
            return false;
        written_ += n;
        bytes.remove_prefix(std::size_t(n));
        if (bytes.empty())
            return true;
    }
    const bool fileInUse = fileWrite_ > fileRead_;
    const bool memoryFull = memory_.size() - memoryHead_ + bytes.size() > limits_.memoryBytes;
    if (!fileFailed_ && (fileInUse || memoryFull)) {
        if (toFile(bytes))
            return drain();
        fileFailed_ = true;
        // Nothing is lost and the order holds: what the file has comes back
        // into memory, and the rest follows it there.
        while (fileWrite_ > fileRead_)
            if (!refill())
                return false;
    }
    if (memoryHead_ > limits_.memoryBytes / 2) {
        memory_.erase(0, memoryHead_);
        memoryHead_ = 0;
    }
    memory_.append(bytes);
    return drain();
}

bool OutputSpool::drain()
{
    while (!empty()) {
        if (memoryHead_ == memory_.size() && !refill())
            return false;
        const std::size_t size = memory_.size() - memoryHead_;
        const std::int64_t n = writeSome(memory_.data() + memoryHead_, size, false);
        if (n < 0)
            return false;
        memoryHead_ += std::size_t(n);
        written_ += n;
        if (memoryHead_ == memory_.size()) {
            memory_.clear();
            memoryHead_ = 0;
        }
        if (std::size_t(n) < size)
            return true;  // the reader has all it takes for now
    }
    return true;
}

bool OutputSpool::flush()
{
    while (!empty()) {
        if (memoryHead_ == memory_.size() && !refill())
            return false;
        const std::size_t size = memory_.size() - memoryHead_;
        if (writeSome(memory_.data() + memoryHead_, size, true) < 0)
            return false;
        written_ += std::int64_t(size);
        memory_.clear();
        memoryHead_ = 0;
    }
    return true;
}

}  // namespace etcdscope::cli
