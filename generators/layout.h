// Buffer layout shared by every generator: dense, innermost dimension first,
// all extents fixed at compile time except the last one (the batch), which is
// a run-time extent. Fixing the rest lets Halide drop bounds checks and pick
// exact vector tails.
#pragma once

#include "Halide.h"
#include "schedule_choices.h"
#include "tailor/nn/shape.h"  // kSmallBatch

#include <algorithm>
#include <vector>

namespace tailor {

// The batch size the autoschedulers and benchmarks plan for.
constexpr int kEstimatedBatch = 128;

// Tasks per image a small batch is split into, at least, where the kernel
// allows, by hand: enough for two to four cores to end together. The
// choice image_tasks (tuned at batch 1) overrides it.
constexpr int kImageTasks = 8;
constexpr int kMostImageTasks = 64;

inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

// How many vectors of accumulators a register tile holds along its vectorized
// dimension: targets with 32 vector registers (64-bit ARM's NEON, AVX-512) fit
// twice as many as AVX2's 16, whose vectors are also half as wide as AVX-512's.
inline int register_tile_vectors(const Halide::Target &target) {
    const bool many_registers =
        (target.arch == Halide::Target::ARM && target.bits == 64) || target.has_feature(Halide::Target::AVX512);
    return many_registers ? 4 : 2;
}

// How many vector registers a register tile may use as accumulators: 28 of
// 32, or 12 of AVX2's 16, leaving room for the operands.
inline int accumulator_registers(const Halide::Target &target) {
    return register_tile_vectors(target) == 4 ? 28 : 12;
}

// Accumulator vectors per column of a register tile over rows of `columns`:
// fewer than register_tile_vectors when, with at least 2, a whole row then
// fits in one tile, since tiles shifted inwards recompute columns (conv2d_2
// forward, 11 columns: 4 vectors x 6 columns recompute 1 of 12, 2 x 11 none;
// docs/performance.md, "What each change bought").
inline int row_tile_vectors(int columns, const Halide::Target &target) {
    const int whole_row = accumulator_registers(target) / std::max(1, columns);
    return whole_row >= 2 ? std::min(register_tile_vectors(target), whole_row) : register_tile_vectors(target);
}

// Rows of a register tile of `vectors` accumulator vectors per pixel over a
// map of `columns` x `rows` pixels: all of them when the whole map fits in
// the accumulators with at least 2 vectors per pixel, so that each weight
// vector serves every pixel (conv2d_3's 3x3 map), else one.
inline int map_tile_rows(int columns, int rows, int vectors, const Halide::Target &target) {
    return vectors >= 2 && vectors * columns * rows <= accumulator_registers(target) ? rows : 1;
}

// Accumulator vectors per pixel of a register tile over a whole map of
// `pixels`: the most, up to register_tile_vectors, that fit and divide the
// `channel_vectors` (a tile shifted inwards would recompute channels), or
// 0 when fewer than 2 fit.
inline int map_tile_vectors(int pixels, int channel_vectors, const Halide::Target &target) {
    for (int v = std::min(register_tile_vectors(target), accumulator_registers(target) / std::max(1, pixels)); v >= 2;
         v--) {
        if (channel_vectors % v == 0) return v;
    }
    return 0;
}

// Columns of a register tile with `vectors` accumulator vectors per column:
// as many as the registers allow, spread evenly over the fewest tiles that
// cover `extent`, so that tiles shifted inwards at the edge recompute little.
inline int column_tile(int extent, int vectors, const Halide::Target &target) {
    const int most = std::max(1, accumulator_registers(target) / std::max(1, vectors));
    const int tiles = (extent + most - 1) / most;
    return (extent + tiles - 1) / tiles;
}

// Width of a register tile along a vectorized dimension: up to `max_vectors`
// whole vectors that fit in `extent` (tiles overlap at the end, ShiftInwards),
// or the whole extent when it is narrower than one vector.
inline int vector_tile(int extent, int vector_width, int max_vectors) {
    if (extent <= vector_width) return extent;
    return vector_width * std::min(max_vectors, extent / vector_width);
}

// The CPU schedule of a register-tiled output whose loops are, from the
// tile's outside, (channel_tile, column_tile, row, n): in parallel over
// rows and images; in a small batch over rows, then halves of the
// channel tiles, then column tiles, as far as needed for image_tasks tasks
// per image (a choice). The tiles and what is computed in them stay the
// same, so the results do too.
inline void parallelize_tiles(Halide::Func output, const Halide::Var &channel_tile, const Halide::Var &column_tile,
                              const Halide::Var &row, const Halide::Var &n, int channel_tiles, int column_tiles,
                              int rows, ScheduleChoices &choices) {
    using Halide::Var;
    const Halide::Expr batch = output.output_buffers()[0].dim(3).extent();
    Halide::Stage small = output.specialize(batch < kSmallBatch);
    const int image_tasks = choices.count("image_tasks", kImageTasks, kMostImageTasks);
    int tasks = rows;
    const bool halves = tasks < image_tasks && channel_tiles % 2 == 0;
    if (halves) tasks *= 2;
    const bool columns = tasks < image_tasks && column_tiles > 1;
    choices.settle("image_tasks", 2 * halves + columns);
    Var half("channel_half");
    std::vector<Halide::VarOrRVar> order{channel_tile};
    std::vector<Var> fused;
    if (halves) small.split(channel_tile, half, channel_tile, channel_tiles / 2);
    if (columns) {
        fused.push_back(column_tile);
    } else {
        order.push_back(column_tile);
    }
    fused.push_back(row);
    if (halves) fused.push_back(half);
    fused.push_back(n);
    for (const Var &v : fused) order.push_back(v);
    small.reorder(order);
    Var current = fused[0];
    for (std::size_t i = 1; i < fused.size(); i++) {
        Var next(current.name() + "_" + fused[i].name());
        small.fuse(current, fused[i], next);
        current = next;
    }
    small.parallel(current);
    Var rows_of_images("rows_of_images");
    output.fuse(row, n, rows_of_images).parallel(rows_of_images);
}

// A GPU thread block's extents along a kernel output's first two
// dimensions: the tuned gpu_block_x and gpu_block_y when `choices` are
// given, else by hand, `hand_x` x `hand_y`, within `most_x` x `most_y` and
// CUDA's 1,024 threads per block.
struct GpuBlock {
    int x, y;
};
inline GpuBlock gpu_block(ScheduleChoices *choices, int hand_x, int most_x, int hand_y, int most_y) {
    hand_x = std::min(hand_x, most_x);
    hand_y = std::min(hand_y, most_y);
    if (!choices) return {hand_x, hand_y};
    const int x = choices->count("gpu_block_x", hand_x, most_x);
    return {x, choices->count("gpu_block_y", hand_y, std::min(most_y, 1024 / x))};
}

// The GPU schedule of a 4-D kernel output (a, x, y, n): one thread per
// element, a block of channels x columns (by hand up to 32 x 8; `choices`:
// the kernel's own, tunable), and one block index for each (tile, row,
// sample). Returns the innermost thread variable, where a reduction the
// output consumes is computed per thread.
inline Halide::Var gpu_tile_channels_columns(Halide::Func output, const Halide::Var &a, const Halide::Var &x,
                                             const Halide::Var &y, const Halide::Var &n, int channels, int columns,
                                             ScheduleChoices *choices = nullptr) {
    const GpuBlock block = gpu_block(choices, 32, channels, 8, columns);
    Halide::Var ao("ao"), ai("ai"), xo("xo"), xi("xi"), yn("yn");
    output.fuse(y, n, yn)
        .gpu_tile(a, x, ao, xo, ai, xi, block.x, block.y, Halide::TailStrategy::GuardWithIf)
        .gpu_blocks(yn);
    return ai;
}

// The GPU schedule of a 2-D kernel output (a, b): one thread per element in
// blocks of up to 32 x 8 by hand (`choices` as above). Returns the innermost
// thread variable.
inline Halide::Var gpu_tile_2d(Halide::Func output, const Halide::Var &a, const Halide::Var &b, int extent_a,
                               ScheduleChoices *choices = nullptr) {
    const GpuBlock block = gpu_block(choices, 32, extent_a, 8, 64);
    Halide::Var ao("ao"), ai("ai"), bo("bo"), bi("bi");
    output.gpu_tile(a, b, ao, bo, ai, bi, block.x, block.y, Halide::TailStrategy::GuardWithIf);
    return ai;
}

// The GPU schedule of a 1-D kernel output: one thread per element in blocks
// of up to 64. Returns the thread variable.
inline Halide::Var gpu_tile_1d(Halide::Func output, const Halide::Var &a, int extent) {
    Halide::Var ao("ao"), ai("ai");
    output.gpu_tile(a, ao, ai, std::min(extent, 64), Halide::TailStrategy::GuardWithIf);
    return ai;
}

// The strides of a dense buffer with the given extents, innermost first.
// Alone, for the buffers of a Tuple output after the first, which share the
// first's mins and extents.
template <typename Param>
void require_dense_strides(Param &buffer, const std::vector<int> &extents) {
    Halide::Expr stride = 1;
    for (int d = 0; d < static_cast<int>(extents.size()); d++) {
        buffer.dim(d).set_stride(stride);
        stride = stride * extents[d];
    }
}

// Requires a dense buffer whose dimensions have the given extents, the last
// one left to run time when `batch_last` is set.
template <typename Param>
void require_dense(Param &buffer, const std::vector<int> &extents, bool batch_last = true) {
    const int dims = static_cast<int>(extents.size());
    for (int d = 0; d < dims; d++) {
        buffer.dim(d).set_min(0);
        if (batch_last && d == dims - 1) {
            buffer.dim(d).set_estimate(0, kEstimatedBatch);
        } else {
            buffer.dim(d).set_extent(extents[d]).set_estimate(0, extents[d]);
        }
    }
    require_dense_strides(buffer, extents);
}

}  // namespace tailor
