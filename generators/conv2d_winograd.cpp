// conv2d by Winograd's minimal filtering F(3x3, 3x3): each 3x3 block of the
// output is one tile, whose nine sums come from 25 multiplies per (in, out)
// channel pair instead of 81, and so do the two gradients. For maps that
// divide into 3x3 tiles (cnn3's 5x5 -> 3x3 conv2d_3 is one tile; the backward
// kernels take one tile only). The sums differ from conv2d.cpp's in rounding
// only (tests allow for it); training runs these from the same batch size.
//
//   conv2d_winograd_weights   weights (co,ci,3,3) -> transformed (co,ci,5,5)
//   conv2d_forward_winograd   input (ci,w,h,n), transformed, bias (co)
//                             -> output (co,w-2,h-2,n), for n >= tile_images
//                             (the runtime calls it from kConvWinogradBatch)
//   conv2d_backward_data_winograd     weights, output, d_output -> d_input (ci,5,5,n),
//                                     for n >= tile_images
//   conv2d_backward_weights_winograd  input, output, d_output -> d_weights, d_bias
//
// With a tile's input patch d (5x5, rows i, columns j) and a kernel g (3x3):
// transformed = G g G^T, V = B^T d B, M = sum over ci of transformed * V (per
// element), and the tile's sums Y = A^T M A (3x3); the Toom-Cook points are
// 0, 1, -1, -2 and infinity (of the three tried, the smallest rounding error
// on cnn3's shape). The weights' transform is exact to a few ulps; the
// coefficients are listed below. The gradients are the same maps transposed:
// with dM = A dz A^T of a tile's pre-activation gradient dz, the input's is
// B (sum over co of transformed * dM) B^T and the weights' is
// G^T (sum over images of dM * V) G.
#include "weight_gradient.h"
#include "winograd.h"

#include <array>
#include <functional>
#include <string>

using namespace Halide;

namespace {

constexpr int kTile = 5;    // a tile's input patch and transformed size
constexpr int kOutput = 3;  // a tile's output size

using Row5 = std::array<float, kTile>;
using Row3 = std::array<float, 3>;

constexpr std::array<Row5, kTile> kInputTransform{{  // B^T
    {-2, -1, 2, 1, 0},
    {0, 2, 3, 1, 0},
    {0, -2, 1, 1, 0},
    {0, -1, 0, 1, 0},
    {0, -2, -1, 2, 1},
}};
constexpr std::array<Row3, kTile> kWeightTransform{{  // G
    {-1.0f / 2, 0, 0},
    {1.0f / 6, 1.0f / 6, 1.0f / 6},
    {1.0f / 2, -1.0f / 2, 1.0f / 2},
    {-1.0f / 6, 1.0f / 3, -2.0f / 3},
    {0, 0, 1},
}};
constexpr std::array<Row5, kOutput> kOutputTransform{{  // A^T
    {1, 1, 1, 1, 0},
    {0, 1, -1, -2, 0},
    {0, 1, 1, 4, 1},
}};

template <std::size_t R, std::size_t C>
constexpr std::array<std::array<float, R>, C> transposed(const std::array<std::array<float, C>, R> &matrix) {
    std::array<std::array<float, R>, C> result{};
    for (std::size_t i = 0; i < R; i++) {
        for (std::size_t j = 0; j < C; j++) result[j][i] = matrix[i][j];
    }
    return result;
}
constexpr auto kInputGradientTransform = transposed(kInputTransform);     // B
constexpr auto kOutputGradientTransform = transposed(kOutputTransform);   // A
constexpr auto kWeightGradientTransform = transposed(kWeightTransform);   // G^T

// sum over j of row[j] * term(j), without the zero terms and the unit factors.
template <std::size_t N>
Expr combine(const std::array<float, N> &row, const std::function<Expr(int)> &term) {
    Expr sum;
    for (std::size_t j = 0; j < N; j++) {
        if (row[j] == 0) continue;
        const Expr t = term(static_cast<int>(j));
        const Expr scaled = row[j] == 1 ? t : row[j] == -1 ? -t : row[j] * t;
        sum = sum.defined() ? sum + scaled : scaled;
    }
    return sum;
}

// Row `k` of matrix * (the column term(0..N-1)); k is unrolled, so each row
// becomes its own expression.
template <std::size_t R, std::size_t N>
Expr transform(const Expr &k, const std::array<std::array<float, N>, R> &matrix,
               const std::function<Expr(int)> &term) {
    Expr result = combine(matrix[R - 1], term);
    for (int i = static_cast<int>(R) - 2; i >= 0; i--) result = select(k == i, combine(matrix[i], term), result);
    return result;
}

// V = B^T d B of each tile (tx, ty)'s input patch d, rows first:
//   input (ci,x,y,n) -> patch_rows (ci,j,u,tx,ty,n) -> patch (ci,v,u,tx,ty,n)
void define_input_transform(Func input, Func patch_rows, Func patch) {
    Var ci("ci"), j("j"), u("u"), v("v"), tx("tx"), ty("ty"), n("n");
    // The patch of tile (tx, ty) starts at input column 3 tx, row 3 ty.
    patch_rows(ci, j, u, tx, ty, n) =
        transform(u, kInputTransform, [&](int i) { return input(ci, kOutput * tx + j, kOutput * ty + i, n); });
    patch(ci, v, u, tx, ty, n) =
        transform(v, kInputTransform, [&](int column) { return patch_rows(ci, column, u, tx, ty, n); });
}

class Conv2DWinogradWeights : public tailor::WinogradWeightsBase<Conv2DWinogradWeights> {
public:
    static constexpr int kTile = ::kTile;
    static Expr weight_row(const Expr &k, const std::function<Expr(int)> &g) {
        return transform(k, kWeightTransform, g);
    }
};

class Conv2DForwardWinograd : public tailor::ConvolutionBase<Conv2DForwardWinograd> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> transformed{"transformed", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        if (out_width() % kOutput != 0 || out_height() % kOutput != 0) {
            throw CompileError("conv2d_forward_winograd: a " + std::to_string(out_width()) + "x" +
                               std::to_string(out_height()) + " output is not a whole number of 3x3 tiles");
        }
        define_input_transform(input, patch_rows, patch);
        k = RDom(0, in_channels, "k");
        products(co, v, u, tx, ty, n) = 0.0f;
        products(co, v, u, tx, ty, n) += transformed(co, k, v, u) * patch(k, v, u, tx, ty, n);
        stored_products(co, v, u, tx, ty, n) = products(co, v, u, tx, ty, n);
        sum_columns(co, c, u, tx, ty, n) =
            transform(c, kOutputTransform, [&](int j) { return stored_products(co, j, u, tx, ty, n); });
        sums(co, c, r, tx, ty, n) =
            transform(r, kOutputTransform, [&](int i) { return sum_columns(co, c, i, tx, ty, n); });
        Expr sum = sums(co, x % kOutput, y % kOutput, x / kOutput, y / kOutput, n) + bias(co);
        output(co, x, y, n) = relu ? max(sum, 0.0f) : sum;

        require_input(input);
        tailor::require_dense(transformed, {out_channels, in_channels, kTile, kTile}, false);
        require_bias(bias);
        require_output(output);
    }

    // CPU: a task is task_images images (tile_images below that batch); in
    // it, each of the 25 products is a small matrix product (out channels x
    // images, summed over in channels) in register tiles of tile_vectors
    // channel vectors x tile_images images, so that the product's weights
    // (out x in channels) serve all the task's images from L1. Then each
    // tile's output transform. Choices: tile_vectors, tile_images,
    // task_images.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        Var xo("x_tile"), xi("x_in_tile"), yo("y_tile"), yi("y_in_tile");
        output.split(x, xo, xi, kOutput).split(y, yo, yi, kOutput).unroll(xi).unroll(yi);
        if (get_target().has_gpu_feature()) {
            // One thread per (channel, tile, image), its 25 products in
            // registers.
            output.reorder(xi, yi, co, xo, yo, n);
            Var thread =
                tailor::gpu_tile_channels_columns(output, co, xo, yo, n, out_channels, out_width() / kOutput, &choices);
            products.compute_at(output, thread).unroll(v).unroll(u);
            products.update().unroll(v).unroll(u);
            choices.check_all_used();
            return;
        }
        const int vec = std::min<int>(natural_vector(), out_channels);
        const int registers = tailor::accumulator_registers(get_target());
        const int images = choices.count("tile_images", std::min(tailor::kConvWinogradBatch, registers), tailor::kConvWinogradBatch);
        const int vectors = std::clamp(registers / images, 1, tailor::register_tile_vectors(get_target()));
        const int co_tile =
            tailor::vector_tile(out_channels, vec, choices.count("tile_vectors", vectors, out_channels / vec));
        const int task_images = images * choices.count("task_chunks", 2, 8);
        const Expr batch = output.dim(3).extent();
        Var no("no"), ni("ni");
        output.reorder(co, xi, yi, xo, yo, n).vectorize(co, vec);
        auto tasks = [&](Stage stage, int size) {
            stage.split(n, no, ni, size, TailStrategy::ShiftInwards).parallel(no);
        };
        tasks(output.specialize(batch >= task_images), task_images);
        tasks(output, images);
        // The products of a task, point by point: a register tile starts from
        // zero in registers and is stored once, summed.
        Var coo("coo"), coi("coi"), sno("sno"), sni("sni");
        stored_products.compute_at(output, no)
            .split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
            .split(n, sno, sni, images, TailStrategy::ShiftInwards)
            .reorder(coi, sni, coo, sno, tx, ty, v, u)
            .vectorize(coi, vec)
            .unroll(coi)
            .unroll(sni);
        products.compute_at(stored_products, coo).vectorize(co, vec).unroll(co).unroll(n);
        products.update().reorder(co, n, k, v, u, tx, ty).vectorize(co, vec).unroll(co).unroll(n);
        const int ci_vec = std::min<int>(natural_vector(), in_channels);
        patch.compute_at(output, no).vectorize(ci, ci_vec).unroll(v).unroll(u);
        patch_rows.compute_at(patch, tx).vectorize(ci, ci_vec).unroll(j).unroll(u);
        choices.check_all_used();
    }

private:
    Var co{"co"}, ci{"ci"}, j{"j"}, u{"u"}, v{"v"}, c{"c"}, r{"r"}, tx{"tx"}, ty{"ty"}, x{"x"}, y{"y"}, n{"n"};
    RDom k;
    Func patch_rows{"patch_rows"}, patch{"patch"}, products{"products"}, stored_products{"stored_products"},
        sum_columns{"sum_columns"}, sums{"sums"};
};

// What both gradients share: the one-tile requirement, and dM = A dz A^T of
// the pre-activation gradient dz (the output's, where the ReLU passed), rows
// first: dz (co,x,y,n) -> gradient_rows (co,c,u,n) -> gradient (co,v,u,n).
template <typename Self>
class WinogradGradientBase : public tailor::ConvolutionBase<Self> {
protected:
    void require_one_tile(const char *kernel) {
        if (this->out_width() != kOutput || this->out_height() != kOutput) {
            throw CompileError(std::string(kernel) + ": a " + std::to_string(this->out_width()) + "x" +
                               std::to_string(this->out_height()) + " output is not one 3x3 tile");
        }
    }

    template <typename Buffer>
    void define_gradient_transform(Buffer &output, Buffer &d_output) {
        Var co("co"), c("c"), u("u"), v("v"), n("n");
        this->define_pre_activation_gradient(dz, output, d_output);
        gradient_rows(co, c, u, n) =
            transform(u, kOutputGradientTransform, [&](int r) { return dz(co, c, r, n); });
        gradient(co, v, u, n) =
            transform(v, kOutputGradientTransform, [&](int column) { return gradient_rows(co, column, u, n); });
    }

    // CPU: dM of every image in the task, vectorized along the channels.
    void schedule_gradient_transform(LoopLevel level) {
        const int vec = std::min<int>(this->natural_vector(), this->out_channels);
        Var co("co"), c("c"), u("u"), v("v"), n("n");
        gradient.compute_at(level).vectorize(co, vec).unroll(v).unroll(u);
        gradient_rows.compute_at(gradient, n).vectorize(co, vec).unroll(c).unroll(u);
    }

    // GPU: its own kernel, a thread per (channel, image), its 25 values in
    // registers.
    void schedule_gradient_transform_gpu() {
        Var co("co"), u("u"), v("v"), n("n");
        gradient.compute_root().reorder(v, u, co, n).unroll(v).unroll(u);
        tailor::gpu_tile_2d(gradient, co, n, this->out_channels);
    }

    Func dz{"dz"}, gradient_rows{"gradient_rows"}, gradient{"gradient"};
};

class Conv2DBackwardDataWinograd : public WinogradGradientBase<Conv2DBackwardDataWinograd> {
public:
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_input{"d_input", 4};

    void generate() {
        require_one_tile("conv2d_backward_data_winograd");
        define_gradient_transform(output, d_output);
        // The weights' transform with the input channels innermost, made
        // here: the products below run along them.
        weights_by_input(ci, co, kx, ky) = weights(co, ci, kx, ky);
        weight_rows(ci, co, kx, u) =
            transform(u, kWeightTransform, [&](int ky) { return weights_by_input(ci, co, kx, ky); });
        transformed(ci, co, v, u) =
            transform(v, kWeightTransform, [&](int column) { return weight_rows(ci, co, column, u); });
        k = RDom(0, out_channels, "k");
        products(ci, v, u, n) = 0.0f;
        products(ci, v, u, n) += transformed(ci, k, v, u) * gradient(k, v, u, n);
        stored_products(ci, v, u, n) = products(ci, v, u, n);
        input_gradient_rows(ci, v, y, n) =
            transform(y, kInputGradientTransform, [&](int row) { return stored_products(ci, v, row, n); });
        d_input(ci, x, y, n) =
            transform(x, kInputGradientTransform, [&](int column) { return input_gradient_rows(ci, column, y, n); });

        require_weights(weights);
        require_output(output);
        require_output(d_output);
        require_input(d_input);
    }

    // CPU: the transposed weights' transform first, across cores; then per
    // task of task_images images (tile_images below that batch), each of the
    // 25 products a small matrix product (in channels x images, summed over
    // out channels) in register tiles of tile_vectors channel vectors x
    // tile_images images, as conv2d_forward_winograd's. Choices:
    // tile_vectors, tile_images, task_chunks.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            schedule_gpu(choices);
            return;
        }
        // By hand: channel vectors that divide the channels (a tile shifted
        // inwards would recompute some), then as many images as fit, an even
        // count (6, not 7, on AVX-512: 128 images in tasks of 12 recompute 4,
        // in tasks of 14, 12).
        const int vec = std::min<int>(natural_vector(), in_channels);
        int vectors = std::min(tailor::register_tile_vectors(get_target()), std::max(1, in_channels / vec));
        while (vectors > 1 && (in_channels / vec) % vectors != 0) vectors--;
        vectors = choices.count("tile_vectors", vectors, in_channels / vec);
        const int fitting = std::max(1, tailor::accumulator_registers(get_target()) / vectors / 2 * 2);
        const int images =
            choices.count("tile_images", std::min(tailor::kConvWinogradBatch, fitting), tailor::kConvWinogradBatch);
        const int ci_tile = tailor::vector_tile(in_channels, vec, vectors);
        const int task_images = images * choices.count("task_chunks", 2, 8);
        const Expr batch = d_input.dim(3).extent();
        Var no("no"), ni("ni"), cio("cio"), cii("cii");
        d_input.split(ci, cio, cii, vec, TailStrategy::ShiftInwards)
            .reorder(cii, x, y, cio, n)
            .vectorize(cii)
            .unroll(x)
            .unroll(y);
        auto tasks = [&](Stage stage, int size) {
            stage.split(n, no, ni, size, TailStrategy::ShiftInwards).parallel(no);
        };
        tasks(d_input.specialize(batch >= task_images), task_images);
        tasks(d_input, images);
        input_gradient_rows.compute_at(d_input, cio).vectorize(ci, vec).unroll(v).unroll(y);
        Var tile_o("tile_o"), tile_i("tile_i"), sno("sno"), sni("sni");
        stored_products.compute_at(d_input, no)
            .split(ci, tile_o, tile_i, ci_tile, TailStrategy::ShiftInwards)
            .split(n, sno, sni, images, TailStrategy::ShiftInwards)
            .reorder(tile_i, sni, tile_o, sno, v, u)
            .vectorize(tile_i, vec)
            .unroll(tile_i)
            .unroll(sni);
        products.compute_at(stored_products, tile_o).vectorize(ci, vec).unroll(ci).unroll(n);
        products.update().reorder(ci, n, k, v, u).vectorize(ci, vec).unroll(ci).unroll(n);
        schedule_gradient_transform(LoopLevel(d_input, no));
        transformed.compute_root().reorder(ci, v, u, co).vectorize(ci, vec).unroll(v).unroll(u).parallel(co);
        weight_rows.compute_at(transformed, co).vectorize(ci, vec).unroll(kx).unroll(u);
        // Each weight gathered once.
        weights_by_input.compute_at(transformed, co).vectorize(ci, vec).unroll(kx).unroll(ky);
        choices.check_all_used();
    }

private:
    // Each stage its own kernel: a thread per (channel, image) or per
    // (in, out) channel pair, its tile's 25 values in registers.
    void schedule_gpu(tailor::ScheduleChoices &choices) {
        schedule_gradient_transform_gpu();
        transformed.compute_root().reorder(v, u, ci, co).unroll(v).unroll(u);
        tailor::gpu_tile_2d(transformed, ci, co, in_channels);
        stored_products.compute_root().reorder(v, u, ci, n).unroll(v).unroll(u);
        const Var thread = tailor::gpu_tile_2d(stored_products, ci, n, in_channels, &choices);
        products.compute_at(stored_products, thread).unroll(v).unroll(u);
        products.update().reorder(v, u, k).unroll(v).unroll(u);
        d_input.reorder(x, y, ci, n).unroll(x).unroll(y);
        tailor::gpu_tile_2d(d_input, ci, n, in_channels);
        choices.check_all_used();
    }

    Var ci{"ci"}, co{"co"}, kx{"kx"}, ky{"ky"}, u{"u"}, v{"v"}, x{"x"}, y{"y"}, n{"n"};
    RDom k;
    Func weights_by_input{"weights_by_input"}, weight_rows{"weight_rows"}, transformed{"transformed"},
        products{"products"}, stored_products{"stored_products"}, input_gradient_rows{"input_gradient_rows"};
};

class Conv2DBackwardWeightsWinograd : public WinogradGradientBase<Conv2DBackwardWeightsWinograd> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_weights{"d_weights", 4};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        require_one_tile("conv2d_backward_weights_winograd");
        define_gradient_transform(output, d_output);
        define_input_transform(input, patch_rows, patch);
        inputs(ci, v, u, n) = patch(ci, v, u, 0, 0, n);
        images = RDom(0, input.dim(3).extent(), "images");
        products(co, ci, v, u) = 0.0f;
        products(co, ci, v, u) += gradient(co, v, u, images) * inputs(ci, v, u, images);
        stored_products(co, ci, v, u) = products(co, ci, v, u);
        weight_rows(co, ci, v, ky) =
            transform(ky, kWeightGradientTransform, [&](int row) { return stored_products(co, ci, v, row); });
        d_weights(co, ci, kx, ky) =
            transform(kx, kWeightGradientTransform, [&](int column) { return weight_rows(co, ci, column, ky); });
        pixels = RDom(0, out_width(), 0, out_height(), 0, input.dim(3).extent(), "pixels");
        define_bias_sum(bias_sum, pixels, dz);
        d_bias(co) = bias_sum(co);

        require_input(input);
        require_output(output);
        require_output(d_output);
        require_weights(d_weights);
        require_bias(d_bias);
    }

    // CPU: dM and V of every image, across cores and stored point by point;
    // then each of the 25 products (out x in channels, summed over the
    // images) in register tiles of tile_vectors out-channel vectors x
    // tile_in_channels, the tiles of each (point, out-channel tile) one task.
    // Every tile sums its images in order, so the result does not depend on
    // thread timing. Choices: tile_vectors, tile_in_channels.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        const Expr batch = input.dim(3).extent();
        if (get_target().has_gpu_feature()) {
            schedule_gpu(choices);
            return;
        }
        const int vec = std::min<int>(natural_vector(), out_channels);
        const int co_tile = tailor::vector_tile(
            out_channels, vec,
            choices.count("tile_vectors", tailor::register_tile_vectors(get_target()), out_channels / vec));
        // As many in channels as fit, an even count (6, not 7, on AVX-512: 64
        // channels in tiles of 6 recompute 2, in tiles of 7, 6).
        const int hand_ci = std::max(1, tailor::accumulator_registers(get_target()) / (co_tile / vec) / 2 * 2);
        const int ci_tile = choices.count("tile_in_channels", hand_ci, in_channels);
        Var coo("coo"), coi("coi"), cio("cio"), cii("cii"), point("point"), task("task");
        stored_products.compute_root()
            .split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
            .split(ci, cio, cii, ci_tile, TailStrategy::ShiftInwards)
            .reorder(coi, cii, cio, coo, v, u)
            .vectorize(coi, vec)
            .unroll(coi)
            .unroll(cii)
            .fuse(coo, v, point)
            .fuse(point, u, task)
            .parallel(task);
        products.compute_at(stored_products, cio).vectorize(co, vec).unroll(co).unroll(ci);
        products.update().reorder(co, ci, images, v, u).vectorize(co, vec).unroll(co).unroll(ci);
        // Point by point, so that a tile reads its images' values in order.
        gradient.reorder_storage(co, n, v, u);
        schedule_gradient_transform(LoopLevel::root());
        gradient.parallel(n);
        const int ci_vec = std::min<int>(natural_vector(), in_channels);
        inputs.compute_root().reorder_storage(ci, n, v, u).vectorize(ci, ci_vec).unroll(v).unroll(u).parallel(n);
        patch_rows.compute_at(inputs, n).vectorize(ci, ci_vec).unroll(j).unroll(u);
        d_weights.reorder(co, kx, ky, ci).vectorize(co, vec).unroll(kx).unroll(ky).parallel(ci);
        weight_rows.compute_at(d_weights, ci).vectorize(co, vec).unroll(v).unroll(ky);
        tailor::schedule_bias_gradient_by_halves(bias_sum, pixels.x, pixels.y, pixels.z, batch, co, out_channels,
                                                 get_target());
        d_bias.vectorize(co, vec);
        choices.check_all_used();
    }

private:
    // Each stage its own kernel: a thread per (channel, image) or per
    // (out, in) channel pair, its 25 values in registers, summing the images
    // in order.
    void schedule_gpu(tailor::ScheduleChoices &choices) {
        schedule_gradient_transform_gpu();
        inputs.compute_root().reorder(v, u, ci, n).unroll(v).unroll(u);
        tailor::gpu_tile_2d(inputs, ci, n, in_channels);
        stored_products.compute_root().reorder(v, u, co, ci).unroll(v).unroll(u);
        const Var thread = tailor::gpu_tile_2d(stored_products, co, ci, out_channels, &choices);
        products.compute_at(stored_products, thread).unroll(v).unroll(u);
        products.update().reorder(v, u, images).unroll(v).unroll(u);
        d_weights.reorder(kx, ky, co, ci).unroll(kx).unroll(ky);
        tailor::gpu_tile_2d(d_weights, co, ci, out_channels);
        bias_sum.compute_at(d_bias, tailor::gpu_tile_1d(d_bias, co, out_channels));
        choices.check_all_used();
    }

    Var ci{"ci"}, co{"co"}, j{"j"}, kx{"kx"}, ky{"ky"}, u{"u"}, v{"v"}, n{"n"};
    RDom images, pixels;
    Func patch_rows{"patch_rows"}, patch{"patch"}, inputs{"inputs"}, products{"products"},
        stored_products{"stored_products"}, weight_rows{"weight_rows"}, bias_sum{"bias_sum"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2DWinogradWeights, conv2d_winograd_weights)
HALIDE_REGISTER_GENERATOR(Conv2DForwardWinograd, conv2d_forward_winograd)
HALIDE_REGISTER_GENERATOR(Conv2DBackwardDataWinograd, conv2d_backward_data_winograd)
HALIDE_REGISTER_GENERATOR(Conv2DBackwardWeightsWinograd, conv2d_backward_weights_winograd)
