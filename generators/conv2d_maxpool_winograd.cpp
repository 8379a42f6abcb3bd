// conv2d_maxpool, inference by Winograd's minimal filtering F(2x2, 3x3):
// each 2x2 pooling window is one Winograd tile, so a tile's four sums are
// computed with 16 multiplies per (in, out) channel pair instead of 36, and
// pooled at once. The sums differ from conv2d_maxpool_forward's in rounding
// only (a different order; tests allow for it). Training runs the same sums
// and also stores each window's first maximum, from which the backward
// kernels route its gradient (conv2d_maxpool.cpp).
//
//   winograd_weights                  weights (co,ci,3,3) -> transformed (co,ci,4,4)
//   conv2d_maxpool_forward_winograd   input (ci,w,h,n), transformed, bias (co)
//                                     -> output (co,(w-2)/2,(h-2)/2,n)
//   conv2d_maxpool_forward_winograd_argmax
//                                     input, transformed, bias
//                                     -> (output, argmax (co,pw,ph,n), a byte 0..3)
//
// With a tile's input patch d (4x4, rows i, columns j) and a kernel g (3x3):
// transformed = G g G^T, V = B^T d B, M = sum over ci of transformed * V (per
// element), and the window's sums Y = A^T M A (2x2), where
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1].
// The output is ReLU(max(Y) + bias): adding one bias and ReLU commute with
// the maximum, exactly. The argmax is the first maximum of the window's
// ReLU(Y + bias) in window_first_max's order (pooling.h), as conv2d, ReLU
// and maxpool would route it.
#include "winograd.h"
#include "pooling.h"

#include <array>
#include <functional>

using namespace Halide;

namespace {

constexpr int kTile = 4;  // a tile's input patch and transformed size

// Row `k` of B^T d, from the patch's rows d(0..3).
Expr input_transform(const Expr &k, const std::function<Expr(int)> &d) {
    return select(k == 0, d(0) - d(2), k == 1, d(1) + d(2), k == 2, d(2) - d(1), d(1) - d(3));
}

// Row `k` of G g, from the kernel's rows g(0..2).
Expr weight_transform(const Expr &k, const std::function<Expr(int)> &g) {
    return select(k == 0, g(0), k == 1, 0.5f * (g(0) + g(1) + g(2)), k == 2, 0.5f * (g(0) - g(1) + g(2)), g(2));
}

// Row `k` (0 or 1) of A^T m, from m's rows m(0..3).
Expr output_transform(const Expr &k, const std::function<Expr(int)> &m) {
    return select(k == 0, m(0) + m(1) + m(2), m(1) - m(2) - m(3));
}

class WinogradWeights : public tailor::WinogradWeightsBase<WinogradWeights> {
public:
    static constexpr int kTile = ::kTile;
    static Expr weight_row(const Expr &k, const std::function<Expr(int)> &g) { return weight_transform(k, g); }
};

// Self provides input, transformed, bias and output (a Func of the pooled
// map, or of the pooled map and the argmax), and calls define_window and
// schedule_pooled.
template <typename Self>
class Conv2DMaxPoolWinogradBase : public tailor::ConvolutionBase<Self> {
protected:
    using Base = tailor::ConvolutionBase<Self>;
    using Base::in_channels, Base::out_channels, Base::relu, Base::pooled_width, Base::pooled_height;
    using Base::get_target, Base::natural_vector, Base::pooled_extents, Base::require_pooled;

    // The window's four sums Y, in window_first_max's order.
    template <typename InputBuffer, typename TransformedBuffer, typename BiasBuffer>
    std::array<Expr, 4> define_window(InputBuffer &input, TransformedBuffer &transformed, BiasBuffer &bias) {
        // The patch of tile (tx, ty) starts at input column 2 tx, row 2 ty.
        patch_rows(ci, j, u, tx, ty, n) =
            input_transform(u, [&](int i) { return input(ci, 2 * tx + j, 2 * ty + i, n); });
        patch(ci, v, u, tx, ty, n) = input_transform(v, [&](int j) { return patch_rows(ci, j, u, tx, ty, n); });
        k = RDom(0, in_channels, "k");
        products(co, v, u, tx, ty, n) = 0.0f;
        products(co, v, u, tx, ty, n) += transformed(co, k, v, u) * patch(k, v, u, tx, ty, n);
        stored_products(co, v, u, tx, ty, n) = products(co, v, u, tx, ty, n);
        sum_columns(co, c, u, tx, ty, n) =
            output_transform(c, [&](int j) { return stored_products(co, j, u, tx, ty, n); });
        sums(co, c, r, tx, ty, n) = output_transform(r, [&](int i) { return sum_columns(co, c, i, tx, ty, n); });
        std::array<Expr, 4> window;
        for (int i = 0; i < 4; i++) window[i] = sums(co, i % 2, i / 2, tx, ty, n);
        this->require_input(input);
        tailor::require_dense(transformed, {out_channels, in_channels, kTile, kTile}, false);
        this->require_bias(bias);
        return window;
    }

    // ReLU(sum + bias), or without ReLU.
    template <typename BiasBuffer>
    Expr activate(const Expr &sum, BiasBuffer &bias) const {
        const Expr biased = sum + bias(co);
        return relu ? max(biased, 0.0f) : biased;
    }

    // CPU: per task (an image, or a row of tiles of one; below kSmallBatch
    // images a row, and half its channels) the task's transformed patches,
    // then for each of the 16 products register tiles of channel vectors x
    // tiles, summed over input channels. Choices: tile_vectors and
    // tile_columns of the register tile, whole_images and image_halves (0
    // or 1).
    void schedule_pooled(Func output, const Expr &batch) {
        tailor::ScheduleChoices choices = this->schedule_choices();
        if (get_target().has_gpu_feature()) {
            Var thread =
                tailor::gpu_tile_channels_columns(output, co, tx, ty, n, out_channels, pooled_width(), &choices);
            products.compute_at(output, thread).unroll(v).unroll(u);
            products.update().unroll(v).unroll(u);
            choices.check_all_used();
            return;
        }
        const int vec = std::min<int>(natural_vector(), out_channels);
        const int registers = tailor::accumulator_registers(get_target());
        const int columns = choices.count("tile_columns", std::min(pooled_width(), registers), pooled_width());
        const int vectors = std::clamp(registers / columns, 1, tailor::register_tile_vectors(get_target()));
        const int co_tile =
            tailor::vector_tile(out_channels, vec, choices.count("tile_vectors", vectors, out_channels / vec));
        Var coo("coo"), coi("coi"), txo("txo"), txi("txi"), task("task");
        // A task: one image's co_tile channels, each product's weights then
        // serving every row of tiles from L1 (choice whole_images); else, and
        // below kSmallBatch images, a row of tiles, and half the channels
        // (image_halves).
        auto tile = [&](Stage stage, int channels, bool whole_images) {
            stage.split(co, coo, coi, channels, TailStrategy::ShiftInwards)
                .split(tx, txo, txi, columns, TailStrategy::ShiftInwards)
                .vectorize(coi, vec);
            if (whole_images) {
                stage.reorder(coi, txi, txo, ty, coo, n).fuse(coo, n, task);
            } else {
                stage.reorder(coi, txi, coo, txo, ty, n).fuse(coo, txo, task).fuse(task, ty, task).fuse(task, n, task);
            }
            stage.parallel(task);
        };
        const bool halves = choices.flag("image_halves", true) && out_channels / 2 >= vec && (out_channels / 2) % vec == 0;
        tile(output.specialize(batch < tailor::kSmallBatch), halves ? std::min(co_tile, out_channels / 2) : co_tile,
             false);
        tile(output, co_tile, choices.flag("whole_images", true));
        // Each product's register tile (co_tile x columns tiles) starts from
        // zero in registers and is stored once, summed; the products' loop
        // runs inside the 16 products' loop, so that a product's weights stay
        // in L1 across the task's rows.
        Var sxo("sxo"), sxi("sxi");
        stored_products.compute_at(output, task)
            .split(tx, sxo, sxi, columns, TailStrategy::ShiftInwards)
            .reorder(co, sxi, sxo, ty, v, u, n)
            .vectorize(co, vec)
            .unroll(co)
            .unroll(sxi);
        products.compute_at(stored_products, sxo).vectorize(co, vec).unroll(co).unroll(tx);
        products.update().reorder(co, tx, k, v, u, ty, n).vectorize(co, vec).unroll(co).unroll(tx);
        const int ci_vec = std::min<int>(natural_vector(), in_channels);
        patch.compute_at(output, task).vectorize(ci, ci_vec).unroll(v).unroll(u);
        patch_rows.compute_at(patch, tx).vectorize(ci, ci_vec).unroll(j).unroll(u);
        choices.check_all_used();
    }

    Var co{"co"}, ci{"ci"}, j{"j"}, u{"u"}, v{"v"}, c{"c"}, r{"r"}, tx{"tx"}, ty{"ty"}, n{"n"};
    RDom k;
    Func patch_rows{"patch_rows"}, patch{"patch"}, products{"products"}, stored_products{"stored_products"},
        sum_columns{"sum_columns"}, sums{"sums"};
};

class Conv2DMaxPoolForwardWinograd : public Conv2DMaxPoolWinogradBase<Conv2DMaxPoolForwardWinograd> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> transformed{"transformed", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        const auto y = define_window(input, transformed, bias);
        output(co, tx, ty, n) = activate(tailor::window_max(y[0], y[1], y[2], y[3]), bias);
        require_pooled(output);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_pooled(output, output.dim(3).extent());
    }
};

class Conv2DMaxPoolForwardWinogradArgmax : public Conv2DMaxPoolWinogradBase<Conv2DMaxPoolForwardWinogradArgmax> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> transformed{"transformed", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Func> output{"output", {Float(32), UInt(8)}, 4};  // pooled map, each window's first maximum

    void generate() {
        const auto y = define_window(input, transformed, bias);
        std::array<Expr, 4> w;
        for (int i = 0; i < 4; i++) w[i] = activate(y[i], bias);
        output(co, tx, ty, n) = Tuple(tailor::window_max(w[0], w[1], w[2], w[3]),
                                      cast<uint8_t>(tailor::window_first_max(w[0], w[1], w[2], w[3])));
        auto buffers = Func(output).output_buffers();
        require_pooled(buffers[0]);
        tailor::require_dense_strides(buffers[1], pooled_extents());
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_pooled(output, Func(output).output_buffers()[0].dim(3).extent());
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(WinogradWeights, winograd_weights)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolForwardWinograd, conv2d_maxpool_forward_winograd)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolForwardWinogradArgmax, conv2d_maxpool_forward_winograd_argmax)
