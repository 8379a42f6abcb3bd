// The machine's measured single-precision FMA peak, the 100% that kernel
// benchmarks report against: every hardware thread runs independent chains
// of fused multiply-adds on the widest vectors the CPU has (AVX-512 with 16
// chains, else AVX2+FMA with 12: enough to hide the FMA latency on two
// pipes, all in registers; other CPUs use the compiler's plain vector code),
// in trials of about 0.2 s after a warm-up, and the best trial counts. The
// clock is measured on every thread right after, with chains of dependent
// integer adds (one per cycle on every CPU tailor targets); it is the clock
// just after the FMAs, which a CPU that slows down for AVX-512 may raise.
#pragma once

namespace bench {

struct FmaPeak {
    double gflops = 0;             // 2 flops per multiply-add, all hardware threads
    double clock_ghz = 0;          // the threads' mean clock, measured just after
    double flops_per_cycle = 0;    // per hardware thread: gflops / (threads * clock)
    unsigned threads = 0;
    const char *isa = "generic";   // "avx512", "avx2" or "generic"
};

// Measured once (about 2 s) and cached.
const FmaPeak &fma_peak();

// fma_peak().gflops.
double fma_peak_gflops();

}  // namespace bench
