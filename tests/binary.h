// The tailor program under test: ctest passes its path in TAILOR_BINARY
// (an environment variable rather than a compile definition, so the test
// objects do not depend on where the build tree lives and ccache reuses them).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

inline std::string tailor_binary() {
    const char *path = std::getenv("TAILOR_BINARY");
    if (!path) throw std::runtime_error("TAILOR_BINARY is not set; run the tests through ctest");
    return path;
}
