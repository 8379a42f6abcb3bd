// Writes that are all-or-nothing: the content goes to a temporary file in the
// same directory, is flushed to disk, and is then renamed over the target, so
// a crash or a full disk never leaves a half-written output.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tailor {

// The temporary file is PATH.tmp.PID.
void write_file_atomically(const std::string &path, std::string_view content);

// Several files that belong together (path, content): all are written to
// their temporaries first, and renamed only when every one was, so a failed
// write (a full disk, a file-size limit) leaves the previous set whole
// rather than a mix of old and new. (A rename that fails after others did
// still leaves a mix; renames within a directory fail only on its removal.)
void write_files_atomically(const std::vector<std::pair<std::string, std::string>> &files);

// Deletes, in `directory` and up to `levels_below` levels below it, the
// temporary files of writes whose process has died (killed mid-write). For a
// directory the caller holds the lock of (directory_lock.h).
void remove_abandoned_temporaries(const std::string &directory, int levels_below = 2);

}  // namespace tailor
