#include "tailor/util/directory_lock.h"

#include "tailor/util/error.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tailor {
namespace {

// The pid the holder wrote into the lock file, for the message.
std::string holder_of(int fd) {
    char text[32] = {};
    const ssize_t got = pread(fd, text, sizeof text - 1, 0);
    const std::string pid = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : "";
    return pid.empty() ? "another process" : "process " + pid.substr(0, pid.find('\n'));
}

[[noreturn]] void refuse_as_busy(const std::string &directory, const std::string &holder) {
    throw file_error(directory, "in use by another tailor command (" + holder +
                                    "); wait for it to finish or choose another --out");
}

}  // namespace

void refuse_if_held(const std::string &directory) {
    const std::string path = (std::filesystem::path(directory) / "lock").string();
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);  // a FIFO must not block
    if (fd < 0) return;  // no lock file (or a link, which DirectoryLock refuses): nobody holds it
    const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    const std::string holder = held ? holder_of(fd) : "";
    close(fd);
    if (held) refuse_as_busy(directory, holder);
}

DirectoryLock::DirectoryLock(const std::string &directory) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec || !std::filesystem::is_directory(directory)) {
        throw file_error(directory, "cannot create the output directory" + (ec ? ": " + ec.message() : ""));
    }
    const std::string path = (std::filesystem::path(directory) / "lock").string();
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);  // never a link's target
    if (fd_ < 0) throw file_error(directory, std::string("cannot write in the output directory: ") + std::strerror(errno));
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const std::string holder = errno == EWOULDBLOCK ? holder_of(fd_) : "";
        const std::string reason = std::strerror(errno);
        close(fd_);
        if (holder.empty()) throw file_error(directory, "cannot lock the output directory: " + reason);
        refuse_as_busy(directory, holder);
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const std::string reason = std::strerror(errno);
        close(fd_);
        throw file_error(directory, "cannot write in the output directory: " + reason);
    }
}

DirectoryLock::~DirectoryLock() {
    if (fd_ >= 0) close(fd_);
}

}  // namespace tailor
