// The one exception type tailor throws for bad input: its message is a single
// line naming the file (or flag) and the problem, printed as is by the app.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tailor {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Training whose loss or weights stopped being finite: an outcome of the
// settings rather than of the input, which `tailor train` reports with its
// own exit status, so that an experiment records the run as diverged and
// goes on (a grid's too-high learning rate).
class Diverged : public Error {
public:
    using Error::Error;
};
constexpr int kDivergedExitStatus = 3;

// "path: problem"
inline Error file_error(const std::string &path, const std::string &problem) {
    return Error(path + ": " + problem);
}

// A message as one printable line of at most `limit` bytes: control
// characters (a newline or an escape sequence in a file name or a forged
// checkpoint) as \xHH, and the rest cut short.
inline std::string one_line(std::string_view message, std::size_t limit = 1000) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string line;
    for (const char c : message) {
        if (line.size() >= limit) return line + "...";
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            line += "\\x";
            line += kHex[byte >> 4];
            line += kHex[byte & 15];
        } else {
            line += c;
        }
    }
    return line;
}

}  // namespace tailor
