// Writes that are all-or-nothing: the content goes to a temporary file in the
// same directory, is flushed to disk, and is then renamed over the target, so
// a crash or a full disk never leaves a half-written output.
#pragma once

#include <string>
#include <string_view>

namespace tailor {

void write_file_atomically(const std::string &path, std::string_view content);

}  // namespace tailor
