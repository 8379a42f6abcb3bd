#include "tailor/util/atomic_file.h"

#include "tailor/util/error.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace tailor {

namespace {

constexpr std::string_view kTemporaryMark = ".tmp.";

// NAME.tmp.DIGITS, as write_file_atomically names its temporary files.
bool is_temporary(const std::string &name) {
    const std::size_t mark = name.rfind(kTemporaryMark);
    if (mark == std::string::npos || mark == 0) return false;
    const std::string pid = name.substr(mark + kTemporaryMark.size());
    return !pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void remove_abandoned_temporaries(const std::string &directory, int levels_below) {
    namespace fs = std::filesystem;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(directory, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        // A run's folders (report/, ...), not a whole tree.
        if (it.depth() >= levels_below) it.disable_recursion_pending();
        const std::string name = it->path().filename().string();
        if (!it->is_regular_file(ec) || !is_temporary(name)) continue;
        // Another command may be writing below (a run inside an experiment).
        const long writer = std::strtol(name.c_str() + name.rfind(kTemporaryMark) + kTemporaryMark.size(), nullptr, 10);
        if (writer > 0 && writer <= INT_MAX && (kill(static_cast<pid_t>(writer), 0) == 0 || errno == EPERM)) continue;
        fs::remove(it->path(), ec);
    }
}

namespace {

// Writes `content` to PATH.tmp.PID, flushed to disk; returns that name.
std::string write_temporary(const std::string &path, std::string_view content) {
    // The rename would put a file in place of a device (as root, /dev/null)
    // or a pipe, or of a link to one or to another link (/dev/stdout, to
    // /proc/self/fd/1, to a pipe or to a file); a link to a file is
    // replaced, its target left alone.
    struct stat found {};
    if (lstat(path.c_str(), &found) == 0 && !S_ISREG(found.st_mode)) {
        if (!S_ISLNK(found.st_mode)) {
            throw file_error(path, S_ISDIR(found.st_mode) ? "is a directory"
                                                          : "is not a regular file; tailor writes only files");
        }
        std::error_code ec;
        const std::filesystem::path target = std::filesystem::absolute(
            std::filesystem::path(path).parent_path() / std::filesystem::read_symlink(path, ec));
        struct stat pointed {};
        if (!ec && lstat(target.c_str(), &pointed) == 0 && !S_ISREG(pointed.st_mode)) {
            throw file_error(path, "links to a link, a directory, a device or a pipe; tailor writes only files");
        }
    }
    const std::string temporary = path + std::string(kTemporaryMark) + std::to_string(getpid());
    // A new file, never one found there: a link planted under this name
    // would otherwise redirect the write to its target.
    unlink(temporary.c_str());
    const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) throw file_error(path, std::string("cannot write: ") + std::strerror(errno));
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string reason = std::strerror(errno);
            close(fd);
            unlink(temporary.c_str());
            throw file_error(path, "cannot write: " + reason);
        }
        written += static_cast<std::size_t>(n);
    }
    const int synced = fsync(fd) == 0 ? 0 : errno;
    const int closed = close(fd) == 0 ? 0 : errno;
    if (synced != 0 || closed != 0) {
        unlink(temporary.c_str());
        throw file_error(path, std::string("cannot write: ") + std::strerror(synced != 0 ? synced : closed));
    }
    return temporary;
}

void replace(const std::string &temporary, const std::string &path) {
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        unlink(temporary.c_str());
        throw file_error(path, "cannot replace: " + reason);
    }
}

}  // namespace

void write_file_atomically(const std::string &path, std::string_view content) {
    replace(write_temporary(path, content), path);
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>> &files) {
    std::vector<std::string> temporaries;
    try {
        for (const auto &[path, content] : files) temporaries.push_back(write_temporary(path, content));
    } catch (...) {
        for (const auto &temporary : temporaries) unlink(temporary.c_str());
        throw;
    }
    for (std::size_t i = 0; i < files.size(); i++) {
        try {
            replace(temporaries[i], files[i].first);
        } catch (...) {
            for (std::size_t j = i + 1; j < files.size(); j++) unlink(temporaries[j].c_str());
            throw;
        }
    }
}

}  // namespace tailor
