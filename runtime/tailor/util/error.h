// The one exception type tailor throws for bad input: its message is a single
// line naming the file (or flag) and the problem, printed as is by the app.
#pragma once

#include <stdexcept>
#include <string>

namespace tailor {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "path: problem"
inline Error file_error(const std::string &path, const std::string &problem) {
    return Error(path + ": " + problem);
}

}  // namespace tailor
