// The CPU schedules of a 3x3 convolution's weight and bias gradients, shared
// by conv2d_backward_weights and conv2d_maxpool_backward_weights_routed (the
// bias gradient by halves also by conv2d_backward_weights_winograd):
//   sum(co, ci, kx, ky) += dz(co, rx, ry, rn) * input(ci, rx + kx, ry + ky, rn)
// (conv2d_maxpool_backward_weights_argmax uses the batch halves only.)
#pragma once

#include <optional>

#include "layout.h"
#include "schedule_choices.h"
#include "tailor/nn/shape.h"  // kConvKernel

namespace tailor {

// A weight-gradient register tile: vectors of output channels x input
// channels, and (where the registers hold them) all the kernel's taps.
struct WeightGradientTile {
    int co_tile = 0, ci_tile = 0;  // channels
    bool all_taps = false;
};

// The hand tile, or the choices' tile_vectors, tile_in_channels and
// all_taps (0 or 1; `by_halves`: for schedule_weight_gradient_by_halves,
// the one schedule that has that choice).
inline WeightGradientTile weight_gradient_tile(ScheduleChoices &choices, int out_channels, int in_channels,
                                               bool by_halves, const Halide::Target &target) {
    const int vec = std::min(out_channels, target.natural_vector_size<float>());
    WeightGradientTile tile;
    tile.co_tile = vector_tile(out_channels, vec,
                               choices.count("tile_vectors", register_tile_vectors(target), out_channels / vec));
    tile.ci_tile = choices.count("tile_in_channels", std::min(in_channels, 2), in_channels);
    // All the kernel's taps in one tile when the registers hold them: one
    // pass over an image's pixels then feeds every accumulator.
    constexpr int taps = kConvKernel * kConvKernel;
    const bool fits = tile.co_tile / vec * tile.ci_tile * taps <= accumulator_registers(target);
    if (by_halves) {
        tile.all_taps = choices.flag("all_taps", fits);
    } else {
        choices.unused("all_taps");
    }
    return tile;
}

// Splits the batch reduction `rn` of sum's update into two halves (the
// RVar `images` within a half) and returns the Func of per-half sums (pure
// Var `half`), which `sum` then adds: the halves can run on two cores, and
// the result does not depend on which finishes first. Both are stored and
// vectorized along `co`.
inline Halide::Func split_batch_in_halves(Halide::Func sum, const Halide::RVar &rn, const Halide::Expr &batch,
                                          const Halide::RVar &images, const Halide::Var &half,
                                          const Halide::Var &co, int vec) {
    using namespace Halide;
    RVar halves("halves");
    Func per_half = sum.update().split(rn, halves, images, (batch + 1) / 2, TailStrategy::GuardWithIf).rfactor(halves, half);
    sum.compute_root().vectorize(co, vec);
    sum.update().vectorize(co, vec);
    per_half.compute_root().vectorize(co, vec);
    return per_half;
}

// The batch is cut in two halves, one per core, each summed in image order
// (rfactor twice). For each image in turn every register tile (output-channel
// vectors x input channels x taps) runs over the image's pixels while the
// image is in cache; `bias_per_half` (schedule_bias_gradient_by_halves's) runs
// in the same image loop, reading what the tiles read. Returns the loop level
// of one image, where the caller computes what the tiles read of that image.
// (Update stages cannot shift tiles inwards; the channel counts divide
// evenly, so no guard is ever taken.)
inline Halide::LoopLevel schedule_weight_gradient_by_halves(Halide::Func sum, const Halide::RVar &rx,
                                                            const Halide::RVar &ry, const Halide::RVar &rn,
                                                            const Halide::Expr &batch, const Halide::Var &co,
                                                            const Halide::Var &ci, const Halide::Var &kx,
                                                            const Halide::Var &ky, int out_channels,
                                                            const WeightGradientTile &tiles,
                                                            const Halide::Target &target,
                                                            std::optional<Halide::Func> bias_per_half = std::nullopt) {
    using namespace Halide;
    const int vec = std::min(out_channels, target.natural_vector_size<float>());
    const int co_tile = tiles.co_tile, ci_tile = tiles.ci_tile;
    const bool all_taps = tiles.all_taps;

    RVar images("images");
    Var half("half"), u("u"), coo("coo"), coi("coi"), cio("cio"), cii("cii"), tile("tile");
    Func per_half = split_batch_in_halves(sum, rn, batch, images, half, co, vec);
    Func per_image = per_half.update().rfactor(images, u);
    per_half.update()
        .split(co, coo, coi, co_tile, TailStrategy::GuardWithIf)
        .split(ci, cio, cii, ci_tile, TailStrategy::GuardWithIf);
    if (all_taps) {
        per_half.update().reorder(coi, cii, kx, ky, coo, cio, images, half).unroll(ky);
    } else {
        per_half.update().reorder(coi, cii, kx, coo, cio, ky, images, half);
    }
    per_half.update().fuse(coo, cio, tile).parallel(half).vectorize(coi, vec).unroll(cii).unroll(kx);
    per_image.compute_at(per_half, tile).vectorize(co, vec).unroll(co).unroll(ci).unroll(kx);
    per_image.update().vectorize(co, vec).unroll(co).unroll(ci).unroll(kx);
    if (all_taps) {
        per_image.unroll(ky);
        per_image.update().reorder(co, ci, kx, ky, rx, ry, u, half).unroll(ky);
    } else {
        per_image.update().reorder(co, ci, kx, rx, ry, ky, u, half);
    }
    if (bias_per_half) bias_per_half->update().compute_with(per_half.update(), images);
    return LoopLevel(per_half, images);
}

// The CPU schedule of the bias gradient bias_sum(co) += g(co, rx, ry, rn): the
// same two batch halves in parallel, each in image order, rather than on one
// core while the other idles (docs/performance.md, "What each change bought").
// Returns the per-half sums' Func.
inline Halide::Func schedule_bias_gradient_by_halves(Halide::Func bias_sum, const Halide::RVar &rx,
                                                     const Halide::RVar &ry, const Halide::RVar &rn,
                                                     const Halide::Expr &batch, const Halide::Var &co,
                                                     int out_channels, const Halide::Target &target) {
    using namespace Halide;
    const int vec = std::min(out_channels, target.natural_vector_size<float>());
    RVar images("images");
    Var half("half");
    Func per_half = split_batch_in_halves(bias_sum, rn, batch, images, half, co, vec);
    per_half.update().reorder(co, rx, ry, images, half).parallel(half).vectorize(co, vec);
    return per_half;
}

}  // namespace tailor
