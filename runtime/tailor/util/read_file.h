// Reading files with a bound on what they may make tailor hold: a file's size
// or its header, never what a decompressed stream turns out to expand to.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tailor {

// A file read in pieces, decompressed on the way if it is gzip: nothing is
// decompressed before it is asked for, so a caller that knows from a header
// how much it needs stops a decompression bomb after that much.
class InputFile {
public:
    // Throws Error naming the file when it is missing, not a regular file or
    // unreadable.
    explicit InputFile(const std::string &path);

    // Reads up to `size` bytes; fewer only at the end of the (decompressed) data.
    std::size_t read_some(uint8_t *into, std::size_t size);
    // Appends exactly `size` bytes to `bytes`, growing it only as the data
    // arrives (a header that lies about `size` costs no memory).
    void append_exactly(std::vector<uint8_t> &bytes, std::size_t size, const std::string &what);
    // True when no byte is left (reads at most one).
    bool at_end();
    const std::string &path() const { return path_; }

private:
    [[noreturn]] void fail_corrupt();
    std::string path_;
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file_;
};

// A regular, uncompressed file's bytes, at most `max_bytes` of them (else an
// Error naming the file and `what` it should be).
std::string read_small_file(const std::string &path, std::size_t max_bytes, const std::string &what);

// Throws Error naming the file unless it exists and is a regular file (or a
// link to one): directories, devices and pipes are refused before opening.
void require_regular_file(const std::string &path);

}  // namespace tailor
