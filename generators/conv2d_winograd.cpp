// conv2d, inference by Winograd's minimal filtering F(3x3, 3x3): each 3x3
// block of the output is one tile, whose nine sums come from 25 multiplies
// per (in, out) channel pair instead of 81. For maps that divide into 3x3
// tiles (cnn3's 5x5 -> 3x3 conv2d_3 is one tile). The sums differ from
// conv2d_forward's in rounding only (tests allow for it); training's forward
// pass runs it too, from the same batch size.
//
//   conv2d_winograd_weights   weights (co,ci,3,3) -> transformed (co,ci,5,5)
//   conv2d_forward_winograd   input (ci,w,h,n), transformed, bias (co)
//                             -> output (co,w-2,h-2,n), for n >= tile_images
//                             (the runtime calls it from kConvWinogradBatch)
//
// With a tile's input patch d (5x5, rows i, columns j) and a kernel g (3x3):
// transformed = G g G^T, V = B^T d B, M = sum over ci of transformed * V (per
// element), and the tile's sums Y = A^T M A (3x3); the Toom-Cook points are
// 0, 1, -1, -2 and infinity (of the three tried, the smallest rounding error
// on cnn3's shape). The weights' transform is exact to a few ulps; the
// coefficients are listed below.
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
        // The patch of tile (tx, ty) starts at input column 3 tx, row 3 ty.
        patch_rows(ci, j, u, tx, ty, n) =
            transform(u, kInputTransform, [&](int i) { return input(ci, kOutput * tx + j, kOutput * ty + i, n); });
        patch(ci, v, u, tx, ty, n) =
            transform(v, kInputTransform, [&](int j) { return patch_rows(ci, j, u, tx, ty, n); });
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

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2DWinogradWeights, conv2d_winograd_weights)
HALIDE_REGISTER_GENERATOR(Conv2DForwardWinograd, conv2d_forward_winograd)
