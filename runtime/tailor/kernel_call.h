// Calling an AOT-compiled Halide kernel: wrapping raw arrays in buffer views
// (no copies, no allocation) and turning a failed call into an exception.
#pragma once

#include "HalideBuffer.h"

#include <string>

namespace tailor {

// A dense Halide view of `data`, dimensions innermost first.
template <typename... Extents>
Halide::Runtime::Buffer<float> view(const float *data, Extents... extents) {
    return Halide::Runtime::Buffer<float>(const_cast<float *>(data), static_cast<int>(extents)...);
}

// Throws if a Halide kernel returned an error code; the message carries the
// last text Halide's error handler reported.
void check_kernel(int result, const char *kernel);

}  // namespace tailor
