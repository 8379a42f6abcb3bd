// The 32-bit mixer behind dropout masks and Gaussian noise, written once for
// both Halide expressions and plain integers so the reference and the kernel
// agree bit for bit. It is Chris Wellons's "lowbias32" integer hash.
#pragma once

#include <cstdint>

namespace tailor {

// Masks compare the top 24 bits of the hash against rate * 2^24.
constexpr float kDropoutResolution = 16777216.0f;

template <typename U32>
U32 mix32(U32 x) {
    x = x ^ (x >> 16);
    x = x * U32(static_cast<uint32_t>(0x7feb352du));
    x = x ^ (x >> 15);
    x = x * U32(static_cast<uint32_t>(0x846ca68bu));
    x = x ^ (x >> 16);
    return x;
}

// The per-step key of a counter-based stream: element i then draws
// mix32(key ^ i). Dropout masks and Gaussian noise both use it.
template <typename U32>
U32 step_key(U32 seed, U32 step) {
    return mix32(mix32(seed) ^ step);
}

}  // namespace tailor
