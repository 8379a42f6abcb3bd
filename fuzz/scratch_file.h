// The loaders under fuzzing read files: each input is written to a file of
// the process's own, in the system's temporary directory, first.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fuzz {

class ScratchDirectory {
public:
    ScratchDirectory() {
        const char *base = std::getenv("TMPDIR");
        path_ = std::filesystem::path(base ? base : "/tmp") / ("tailor-fuzz-" + std::to_string(getpid()));
        std::filesystem::create_directories(path_);
    }
    ~ScratchDirectory() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    // Writes `size` bytes to NAME in the directory; returns its path.
    std::string write(const std::string &name, const uint8_t *data, std::size_t size) const {
        const std::string file = (path_ / name).string();
        std::ofstream(file, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char *>(data), size);
        return file;
    }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

// One per process, removed at exit.
inline const ScratchDirectory &scratch() {
    static const ScratchDirectory directory;
    return directory;
}

}  // namespace fuzz
