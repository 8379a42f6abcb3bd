// Reading a whole file that may or may not be gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

// The file's bytes, decompressed if it is gzip. Throws Error naming the file
// when it is missing, unreadable, corrupt or truncated.
std::vector<uint8_t> read_possibly_gzipped(const std::string &path);

}  // namespace tailor
