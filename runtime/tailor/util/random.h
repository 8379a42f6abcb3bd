// Deterministic random numbers that do not depend on the standard library's
// distributions (which differ between implementations): SplitMix64 and
// helpers built on it. Same seed, same numbers, on every platform.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tailor {

class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, bound), without modulo bias.
    uint64_t below(uint64_t bound) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
        uint64_t x;
        do {
            x = next();
        } while (x >= limit);
        return x % bound;
    }

private:
    uint64_t state_;
};

// A seed for a named purpose, so that streams (split, shuffle, init, dropout)
// never overlap.
inline uint64_t derive_seed(uint64_t seed, uint64_t purpose, uint64_t index = 0) {
    SplitMix64 mixer(seed ^ (purpose * 0xd1b54a32d192ed03ull) ^ (index * 0x8cb92ba72f3d8dd7ull));
    return mixer.next();
}

// Fisher-Yates shuffle.
template <typename T>
void shuffle(std::vector<T> &items, SplitMix64 &rng) {
    for (std::size_t i = items.size(); i > 1; i--) {
        std::swap(items[i - 1], items[rng.below(i)]);
    }
}

}  // namespace tailor
