// conv2d: 3x3 "valid" convolution with bias and optional fused ReLU.
// Layout: activations (channel, x, y, batch), weights (out_ch, in_ch, kx, ky):
// the memory order of Keras's channels_last tensors and HWIO kernels.
//
//   conv2d_forward           input (ci,w,h,n), weights (co,ci,3,3), bias (co) -> output (co,w-2,h-2,n)
//   conv2d_backward_data     weights, output, d_output -> d_input (ci,w,h,n)
//   conv2d_backward_weights  input, output, d_output   -> d_weights (co,ci,3,3), d_bias (co)
//
// ReLU's derivative is read from the saved output (output > 0), so the
// backward passes need no pre-activation buffer.
#include "convolution_base.h"
#include "weight_gradient.h"

using namespace Halide;

namespace {

using tailor::kConvKernel;

class Conv2DForward : public tailor::ConvolutionBase<Conv2DForward> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        r = taps();
        define_convolution(sum, r, input, weights, bias);
        output(co, x, y, n) = relu ? max(sum(co, x, y, n), 0.0f) : sum(co, x, y, n);

        require_input(input);
        require_weights(weights);
        require_bias(bias);
        require_output(output);
    }

    // Choices: tile_vectors, tile_columns and tile_rows of the register tile.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            // One thread per output element, its whole reduction in a register.
            Var thread = tailor::gpu_tile_channels_columns(output, co, x, y, n, out_channels, out_width(), &choices);
            sum.compute_at(output, thread);
            sum.update().unroll(r.y).unroll(r.z);
            choices.check_all_used();
            return;
        }
        // Register tile: vectors of output channels times a few output
        // columns (times every row, for a map small enough), the whole
        // reduction inside, so each input value is broadcast once per weight
        // vector, each weight vector serves the tile's pixels, and the
        // accumulators never leave registers.
        const int vec = std::min<int>(this->natural_vector(), out_channels);
        const int whole_map = tailor::map_tile_vectors(out_width() * out_height(), out_channels / vec, get_target());
        const int co_tile = tailor::vector_tile(
            out_channels, vec,
            choices.count("tile_vectors", whole_map ? whole_map : tailor::row_tile_vectors(out_width(), get_target()),
                          out_channels / vec));
        const int y_tile = choices.count(
            "tile_rows", tailor::map_tile_rows(out_width(), out_height(), co_tile / vec, get_target()), out_height());
        const int x_tile = choices.count(
            "tile_columns", tailor::column_tile(out_width(), y_tile * co_tile / vec, get_target()), out_width());
        Var coo("coo"), coi("coi"), xo("xo"), xi("xi"), yo("yo"), yi("yi");
        output.split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
            .split(x, xo, xi, x_tile, TailStrategy::ShiftInwards)
            .split(y, yo, yi, y_tile, TailStrategy::ShiftInwards)
            .reorder(coi, xi, yi, coo, xo, yo, n)
            .vectorize(coi, vec)
            .unroll(xi)
            .unroll(yi);
        tailor::parallelize_tiles(output, coo, xo, yo, n, tailor::ceil_div(out_channels, co_tile),
                                  tailor::ceil_div(out_width(), x_tile), tailor::ceil_div(out_height(), y_tile),
                                  choices);
        sum.compute_at(output, coo).vectorize(co, vec).unroll(co).unroll(x).unroll(y);
        sum.update()
            .reorder(co, x, y, r.x, r.y, r.z, n)
            .vectorize(co, vec)
            .unroll(co)
            .unroll(x)
            .unroll(y);
        choices.check_all_used();
    }

private:
    Var co{"co"}, x{"x"}, y{"y"}, n{"n"};
    RDom r;
    Func sum{"sum"};
};

class Conv2DBackwardData : public tailor::ConvolutionBase<Conv2DBackwardData> {
public:
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_input{"d_input", 4};

    void generate() {
        define_pre_activation_gradient(dz, output, d_output);
        define_backward_data(dz, out_width(), out_height(), weights, d_input);
        require_weights(weights);
        require_output(output);
        require_output(d_output);
        require_input(d_input);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        schedule_backward_data(dz, d_input, choices);
        choices.check_all_used();
    }

private:
    Func dz{"dz"};
};

class Conv2DBackwardWeights : public tailor::ConvolutionBase<Conv2DBackwardWeights> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_weights{"d_weights", 4};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        define_pre_activation_gradient(dz, output, d_output);
        r = RDom(0, out_width(), 0, out_height(), 0, input.dim(3).extent(), "r");
        define_weight_gradient(sum, r, dz, input);
        d_weights(co, ci, kx, ky) = sum(co, ci, kx, ky);
        define_bias_sum(bias_sum, r, dz);
        d_bias(co) = bias_sum(co);

        require_input(input);
        require_output(output);
        require_output(d_output);
        require_weights(d_weights);
        require_bias(d_bias);
    }

    // Choices: tile_vectors, tile_in_channels and all_taps of the register
    // tile (weight_gradient.h).
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            // One thread per weight (co, ci, kx, ky) and per bias, each
            // summing its pixels and samples in a fixed order.
            Var thread =
                tailor::gpu_tile_channels_columns(d_weights, co, ci, kx, ky, out_channels, in_channels, &choices);
            sum.compute_at(d_weights, thread);
            bias_sum.compute_at(d_bias, tailor::gpu_tile_1d(d_bias, co, out_channels));
            choices.check_all_used();
            return;
        }
        // Register tiles: output-channel vectors x input channels x taps.
        // Every tile owns its outputs and sums in a fixed order, so results
        // do not depend on thread timing.
        const int vec = std::min<int>(this->natural_vector(), out_channels);
        const bool by_halves = out_width() * out_height() >= 64;  // many pixels per image (below)
        const tailor::WeightGradientTile tiles =
            tailor::weight_gradient_tile(choices, out_channels, in_channels, by_halves, get_target());
        const int co_tile = tiles.co_tile, ci_tile = tiles.ci_tile;
        Var coo("coo"), coi("coi"), cio("cio"), cii("cii"), tile("tile"), task("task");
        dz.compute_root().vectorize(Var("c"), vec).parallel(Var("n"));
        if (by_halves) {
            // Many pixels per image: image by image in two batch halves.
            tailor::schedule_weight_gradient_by_halves(sum, r.x, r.y, r.z, input.dim(3).extent(), co, ci, kx, ky,
                                                       out_channels, tiles, get_target());
            d_weights.vectorize(co, vec);
        } else {
            // Few pixels per image: each tile sums the whole batch in registers.
            d_weights.split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
                .split(ci, cio, cii, ci_tile, TailStrategy::ShiftInwards)
                .reorder(coi, cii, kx, coo, cio, ky)
                .fuse(coo, cio, tile)
                .fuse(tile, ky, task)
                .parallel(task)
                .vectorize(coi, vec)
                .unroll(cii)
                .unroll(kx);
            sum.compute_at(d_weights, task).vectorize(co, vec).unroll(co).unroll(ci).unroll(kx);
            sum.update()
                .reorder(co, ci, kx, r.x, r.y, r.z, ky)
                .vectorize(co, vec)
                .unroll(co)
                .unroll(ci)
                .unroll(kx);
        }
        tailor::schedule_bias_gradient_by_halves(bias_sum, r.x, r.y, r.z, input.dim(3).extent(), co, out_channels,
                                                 get_target());
        d_bias.vectorize(co, vec);
        choices.check_all_used();
    }

private:
    Var ci{"ci"}, co{"co"}, kx{"kx"}, ky{"ky"}, n{"n"};
    RDom r;
    Func dz{"dz"}, sum{"sum"}, bias_sum{"bias_sum"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2DForward, conv2d_forward)
HALIDE_REGISTER_GENERATOR(Conv2DBackwardData, conv2d_backward_data)
HALIDE_REGISTER_GENERATOR(Conv2DBackwardWeights, conv2d_backward_weights)
