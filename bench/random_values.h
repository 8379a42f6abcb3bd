// Benchmark inputs: random values in [-0.5, 0.5) in cache-line-aligned memory,
// as a network's arrays are.
#pragma once

#include "tailor/nn/kernel_call.h"
#include "tailor/util/random.h"

#include <cstddef>
#include <cstdint>

namespace bench {

using Floats = tailor::KernelMemory<float>;

inline Floats random_values(std::size_t size, uint64_t seed) {
    tailor::SplitMix64 rng(seed);
    Floats values(size);
    for (auto &v : values) v = static_cast<float>(rng.uniform()) - 0.5f;
    return values;
}

}  // namespace bench
