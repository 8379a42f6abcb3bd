#include "tailor/util/read_file.h"

#include "tailor/util/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace tailor {

namespace {

// The file's status; throws unless it is a regular file.
struct stat regular_file_status(const std::string &path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) {
        throw file_error(path, errno == ENOENT ? "no such file" : std::string("cannot open: ") + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) throw file_error(path, "is a directory, expected a file");
    if (!S_ISREG(info.st_mode)) throw file_error(path, "is not a regular file");
    return info;
}

std::string too_large(std::size_t max_bytes, const std::string &what) {
    return "larger than " + std::to_string(max_bytes >> 20) + " MiB, too large for " + what;
}

}  // namespace

void require_regular_file(const std::string &path) { regular_file_status(path); }

InputFile::InputFile(const std::string &path) : path_(path), file_(nullptr, gzclose) {
    require_regular_file(path);
    // gzread passes a plain file through unchanged, so one path serves both.
    file_.reset(gzopen(path.c_str(), "rb"));
    if (!file_) throw file_error(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(file_.get(), 1 << 17);
}

void InputFile::fail_corrupt() {
    int code = 0;
    const char *message = gzerror(file_.get(), &code);
    if (code == Z_ERRNO) throw file_error(path_, std::string("cannot read: ") + std::strerror(errno));
    std::string reason = message;  // zlib's own begins "PATH: "
    if (reason.rfind(path_ + ": ", 0) == 0) reason.erase(0, path_.size() + 2);
    throw file_error(path_, "corrupt or truncated gzip data (" + reason + ")");
}

std::size_t InputFile::read_some(uint8_t *into, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const unsigned piece = static_cast<unsigned>(std::min<std::size_t>(size - done, INT_MAX / 2));
        const int got = gzread(file_.get(), into + done, piece);
        if (got < 0) fail_corrupt();
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    if (done < size) {
        int code = 0;
        gzerror(file_.get(), &code);
        if (code != Z_OK && code != Z_STREAM_END) fail_corrupt();
    }
    return done;
}

void InputFile::append_exactly(std::vector<uint8_t> &bytes, std::size_t size, const std::string &what) {
    constexpr std::size_t kPiece = std::size_t{1} << 20;
    const std::size_t start = bytes.size();
    for (std::size_t done = 0; done < size;) {
        const std::size_t piece = std::min(kPiece, size - done);
        bytes.resize(start + done + piece);
        const std::size_t got = read_some(bytes.data() + start + done, piece);
        done += got;
        if (got < piece) {
            bytes.resize(start + done);
            throw file_error(path_, "truncated: " + std::to_string(done) + " of the " + std::to_string(size) +
                                        " bytes of " + what);
        }
    }
}

bool InputFile::at_end() {
    uint8_t byte = 0;
    return read_some(&byte, 1) == 0;
}

std::string read_small_file(const std::string &path, std::size_t max_bytes, const std::string &what) {
    if (static_cast<std::size_t>(regular_file_status(path).st_size) > max_bytes) {
        throw file_error(path, too_large(max_bytes, what));
    }
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw file_error(path, std::string("cannot open: ") + std::strerror(errno));
    std::string bytes;
    char piece[1 << 16];
    for (;;) {
        const ssize_t got = read(fd, piece, sizeof piece);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const std::string reason = std::strerror(errno);
            close(fd);
            throw file_error(path, "cannot read: " + reason);
        }
        if (got == 0) break;
        if (bytes.size() + static_cast<std::size_t>(got) > max_bytes) {
            close(fd);
            throw file_error(path, too_large(max_bytes, what));  // it grew while being read
        }
        bytes.append(piece, static_cast<std::size_t>(got));
    }
    close(fd);
    return bytes;
}

}  // namespace tailor
