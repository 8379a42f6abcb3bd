// The CPU kernels' parallel loops (Halide's halide_do_par_for), run by
// tailor's own threads instead of Halide's pool: the calling thread and
// HL_NUM_THREADS - 1 workers (default: the CPUs this process may run on)
// each run a block of a loop's iterations, and the workers keep spinning
// for a while after a loop before they sleep. Single-image
// inference runs five short loops a few microseconds apart; Halide's pool
// puts its workers to sleep between them, and a sleeping CPU takes longer
// to wake than the loop takes to run (docs/performance.md, "One image").
#pragma once

#include <cstdint>

namespace tailor {

// A parallel loop as Halide's halide_set_custom_do_par_for and its JIT
// handlers take one (kernel_call.cpp installs it before any kernel runs;
// bench/tune for its candidates): runs task(user_context, i, closure) for
// i in [min, min + size) and returns the first non-zero result, or 0. A loop started inside another
// loop's iteration, or while another thread's loop holds the workers, runs
// in the calling thread.
int parallel_for(void *user_context, int (*task)(void *, int, uint8_t *), int min, int size, uint8_t *closure);

}  // namespace tailor
