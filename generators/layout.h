// Buffer layout shared by every generator: dense, innermost dimension first,
// all extents fixed at compile time except the last one (the batch), which is
// a run-time extent. Fixing the rest lets Halide drop bounds checks and pick
// exact vector tails.
#pragma once

#include "Halide.h"

#include <algorithm>
#include <vector>

namespace tailor {

// The batch size the autoschedulers and benchmarks plan for.
constexpr int kEstimatedBatch = 128;

// Width of a register tile along a vectorized dimension: up to `max_vectors`
// whole vectors that fit in `extent` (tiles overlap at the end, ShiftInwards),
// or the whole extent when it is narrower than one vector.
inline int vector_tile(int extent, int vector_width, int max_vectors) {
    if (extent <= vector_width) return extent;
    return vector_width * std::min(max_vectors, extent / vector_width);
}

// The schedule of an element-wise kernel over a 1-D buffer: vectors, in
// parallel blocks of a few thousand elements.
inline void schedule_elementwise(Halide::Func output, const Halide::Var &i, int vector_width) {
    Halide::Var block("block"), lane("lane");
    output.split(i, block, lane, vector_width * 256, Halide::TailStrategy::GuardWithIf)
        .parallel(block)
        .vectorize(lane, vector_width);
}

// Requires a dense buffer whose dimensions have the given extents, the last
// one left to run time when `batch_last` is set.
template <typename Param>
void require_dense(Param &buffer, const std::vector<int> &extents, bool batch_last = true) {
    Halide::Expr stride = 1;
    const int dims = static_cast<int>(extents.size());
    for (int d = 0; d < dims; d++) {
        const bool is_batch = batch_last && d == dims - 1;
        buffer.dim(d).set_min(0).set_stride(stride);
        if (is_batch) {
            buffer.dim(d).set_estimate(0, kEstimatedBatch);
        } else {
            buffer.dim(d).set_extent(extents[d]).set_estimate(0, extents[d]);
            stride = stride * extents[d];
        }
    }
}

}  // namespace tailor
