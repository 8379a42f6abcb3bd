// The machine's measured single-precision FMA peak, the 100% that kernel
// benchmarks report against: every hardware thread runs independent chains
// of fused multiply-adds on the widest vectors the CPU has (AVX-512, else
// AVX2+FMA; other CPUs use the compiler's plain vector code).
#pragma once

namespace bench {

// GFLOP/s (2 flops per multiply-add) over all hardware threads; measured once
// and cached.
double fma_peak_gflops();

// The instruction set fma_peak_gflops used: "avx512", "avx2" or "generic".
const char *fma_peak_isa();

}  // namespace bench
