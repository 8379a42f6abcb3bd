#include "fma_peak.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace bench {
namespace {

// Enough independent chains to cover FMA latency (4 cycles) on two ports.
constexpr int kChains = 12;
constexpr long kIterations = 20'000'000;

typedef float Vector16 __attribute__((vector_size(64)));
typedef float Vector8 __attribute__((vector_size(32)));
typedef float Vector4 __attribute__((vector_size(16)));

// Runs kIterations rounds of kChains vector FMAs; returns a value that
// depends on all of them, so nothing is optimised away.
// Inlined into each target-specific caller, so it compiles to that ISA.
template <typename Vector, int Lanes>
__attribute__((always_inline)) inline float fma_chains() {
    Vector acc[kChains], a, b;
    for (int l = 0; l < Lanes; l++) {
        a[l] = 0.999999f;
        b[l] = 1e-7f;
    }
    for (int c = 0; c < kChains; c++) acc[c] = a * static_cast<float>(c);
    for (long i = 0; i < kIterations; i++) {
        for (int c = 0; c < kChains; c++) acc[c] = acc[c] * a + b;
    }
    float sum = 0;
    for (int c = 0; c < kChains; c++) sum += acc[c][0];
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float fma_chains_avx512() { return fma_chains<Vector16, 16>(); }
__attribute__((target("avx2,fma"))) float fma_chains_avx2() { return fma_chains<Vector8, 8>(); }
#endif
float fma_chains_generic() { return fma_chains<Vector4, 4>(); }

struct Kernel {
    float (*run)();
    int lanes;
    const char *isa;
};

Kernel pick() {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return {fma_chains_avx512, 16, "avx512"};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {fma_chains_avx2, 8, "avx2"};
#endif
    return {fma_chains_generic, 4, "generic"};
}

}  // namespace

double fma_peak_gflops() {
    static const double peak = [] {
        const Kernel kernel = pick();
        const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
        std::vector<std::thread> workers;
        std::vector<float> sink(threads);
        const auto start = std::chrono::steady_clock::now();
        for (unsigned t = 0; t < threads; t++) workers.emplace_back([&, t] { sink[t] = kernel.run(); });
        for (auto &w : workers) w.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return 2e-9 * kChains * kernel.lanes * static_cast<double>(kIterations) * threads / seconds;
    }();
    return peak;
}

const char *fma_peak_isa() { return pick().isa; }

}  // namespace bench
