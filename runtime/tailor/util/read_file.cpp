#include "tailor/util/read_file.h"

#include "tailor/util/error.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace tailor {

std::vector<uint8_t> read_possibly_gzipped(const std::string &path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw file_error(path, "no such file");
    if (std::filesystem::is_directory(path, ec)) throw file_error(path, "is a directory, expected a file");

    // gzread reads plain files unchanged, so one path serves both.
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) throw file_error(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(file.get(), 1 << 17);

    std::vector<uint8_t> bytes;
    constexpr unsigned kChunk = 1 << 20;
    for (;;) {
        const std::size_t old_size = bytes.size();
        bytes.resize(old_size + kChunk);
        const int got = gzread(file.get(), bytes.data() + old_size, kChunk);
        if (got < 0) {
            int code = 0;
            const char *message = gzerror(file.get(), &code);
            throw file_error(path, std::string("corrupt or truncated gzip data (") + message + ")");
        }
        bytes.resize(old_size + static_cast<std::size_t>(got));
        if (got == 0) break;
    }
    int code = 0;
    const char *message = gzerror(file.get(), &code);
    if (code != Z_OK && code != Z_STREAM_END) {
        throw file_error(path, std::string("corrupt or truncated gzip data (") + message + ")");
    }
    return bytes;
}

}  // namespace tailor
