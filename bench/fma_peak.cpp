#include "fma_peak.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// FMA latency is 4 cycles on current x86 and ARM cores with two FMA pipes:
// 8 chains keep both busy. AVX-512 runs 16 (of 32 registers); AVX2 and SSE
// 12, so that the chains and their two operands stay in their 16 registers.
constexpr int kMostChains = 16;
constexpr long kRoundsPerBlock = 1'000'000;
constexpr auto kTrial = std::chrono::milliseconds(200);
constexpr int kTrials = 5;  // the first is the warm-up (the clock ramps)

typedef float Vector16 __attribute__((vector_size(64)));
typedef float Vector8 __attribute__((vector_size(32)));
typedef float Vector4 __attribute__((vector_size(16)));

// kRoundsPerBlock rounds of Chains vector FMAs; the result depends on all
// of them, so nothing is optimised away. Inlined into each target-specific
// caller, so it compiles to that ISA.
template <typename Vector, int Lanes, int Chains>
__attribute__((always_inline)) inline float fma_block(float seed) {
    static_assert(Chains <= kMostChains);
    Vector acc[Chains], a, b;
    for (int l = 0; l < Lanes; l++) {
        a[l] = 0.999999f;
        b[l] = 1e-7f;
    }
    for (int c = 0; c < Chains; c++) acc[c] = a * (seed + static_cast<float>(c));
    for (long i = 0; i < kRoundsPerBlock; i++) {
        for (int c = 0; c < Chains; c++) acc[c] = acc[c] * a + b;
    }
    float sum = 0;
    for (int c = 0; c < Chains; c++) sum += acc[c][0];
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float fma_block_avx512(float s) { return fma_block<Vector16, 16, 16>(s); }
__attribute__((target("avx2,fma"))) float fma_block_avx2(float s) { return fma_block<Vector8, 8, 12>(s); }
#endif
float fma_block_generic(float s) { return fma_block<Vector4, 4, 12>(s); }

struct Kernel {
    float (*block)(float);
    int lanes, chains;
    const char *isa;
};

Kernel pick() {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return {fma_block_avx512, 16, 16, "avx512"};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {fma_block_avx2, 8, 12, "avx2"};
#endif
    return {fma_block_generic, 4, 12, "generic"};
}

// Dependent register-to-register adds, 8 per loop round: one cycle each, so
// adds / seconds is the clock. (An add of an immediate would not do: recent
// Intel cores fold chains of those and retire several per cycle.)
double clock_ghz() {
    constexpr long kRounds = 50'000'000;
    unsigned long x = 0, one = 1;
    const auto start = Clock::now();
    for (long i = 0; i < kRounds; i++) {
#if defined(__x86_64__)
#define TAILOR_ADD "add %1, %0\n\t"
#elif defined(__aarch64__)
#define TAILOR_ADD "add %0, %0, %1\n\t"
#else
        return 0;  // no portable way to count cycles
#endif
#ifdef TAILOR_ADD
        asm volatile(TAILOR_ADD TAILOR_ADD TAILOR_ADD TAILOR_ADD TAILOR_ADD TAILOR_ADD TAILOR_ADD TAILOR_ADD
                     : "+r"(x)
                     : "r"(one));
#undef TAILOR_ADD
#endif
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return 8e-9 * kRounds / seconds;
}

// Every thread runs blocks for kTrial at a time; a trial's rate is the
// slowest thread's (all of them run at once in the kernels it stands for).
struct Trials {
    std::vector<std::vector<double>> rates;  // [trial][thread] FMA blocks per second
    std::vector<double> clocks;              // [thread]
};

Trials run_trials(const Kernel &kernel, unsigned threads) {
    Trials trials{std::vector<std::vector<double>>(kTrials, std::vector<double>(threads)),
                  std::vector<double>(threads)};
    std::vector<float> sink(threads);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; t++) {
        workers.emplace_back([&, t] {
            for (int trial = 0; trial < kTrials; trial++) {
                long blocks = 0;
                const auto start = Clock::now();
                while (Clock::now() - start < kTrial) {
                    sink[t] += kernel.block(sink[t] * 1e-30f);
                    blocks++;
                }
                trials.rates[trial][t] = blocks / std::chrono::duration<double>(Clock::now() - start).count();
            }
            trials.clocks[t] = clock_ghz();
        });
    }
    for (auto &w : workers) w.join();
    return trials;
}

}  // namespace

const FmaPeak &fma_peak() {
    static const FmaPeak peak = [] {
        FmaPeak p;
        const Kernel kernel = pick();
        p.isa = kernel.isa;
        p.threads = std::max(1u, std::thread::hardware_concurrency());
        const Trials trials = run_trials(kernel, p.threads);
        double best = 0;
        for (int trial = 1; trial < kTrials; trial++) {
            const auto &rates = trials.rates[trial];
            best = std::max(best, *std::min_element(rates.begin(), rates.end()) * p.threads);
        }
        const double flops_per_block = 2.0 * kernel.chains * kernel.lanes * kRoundsPerBlock;
        p.gflops = 1e-9 * best * flops_per_block;
        p.clock_ghz = std::accumulate(trials.clocks.begin(), trials.clocks.end(), 0.0) / p.threads;
        if (p.clock_ghz > 0) p.flops_per_cycle = p.gflops / (p.threads * p.clock_ghz);
        return p;
    }();
    return peak;
}

double fma_peak_gflops() { return fma_peak().gflops; }

}  // namespace bench
