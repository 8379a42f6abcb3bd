#include "tailor/util/atomic_file.h"

#include "tailor/util/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tailor {

void write_file_atomically(const std::string &path, std::string_view content) {
    const std::string temporary = path + ".tmp." + std::to_string(getpid());
    const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
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
    if (fsync(fd) != 0 || close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        unlink(temporary.c_str());
        throw file_error(path, "cannot write: " + reason);
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        unlink(temporary.c_str());
        throw file_error(path, "cannot replace: " + reason);
    }
}

}  // namespace tailor
