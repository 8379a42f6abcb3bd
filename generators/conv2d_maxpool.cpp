// conv2d_maxpool: a 3x3 "valid" convolution with bias and optional ReLU, and
// the 2x2 stride-2 max pooling after it, as one set of kernels whose
// interface is the pooled map and its gradient: the convolution's output is
// never stored, and its outputs that pooling drops (an odd last row or
// column) are never computed. Layout as conv2d.cpp and maxpool.cpp.
//
//   conv2d_maxpool_forward  input (ci,w,h,n), weights (co,ci,3,3), bias (co)
//                           -> output (co,(w-2)/2,(h-2)/2,n)
//
// Training's forward pass also stores each window's first maximum as a byte
// (0..3), a quarter of the pooled map's size, from which the backward
// kernels route the gradient:
//   conv2d_maxpool_forward_argmax  input, weights, bias -> (output, argmax (co,pw,ph,n))
//     (the direct sums; the Winograd one is conv2d_maxpool_forward_winograd_argmax,
//     conv2d_maxpool_winograd.cpp)
// - over few input channels (the image itself), from the routed gradient of
//   the sums; such a pair reads the network's input and computes no input
//   gradient:
//     conv2d_maxpool_backward_weights_routed input, argmax, output, d_output
//                                            -> d_weights (co,ci,3,3), d_bias (co)
// - over whole vectors of input channels, window by window:
//     conv2d_maxpool_backward_weights_argmax input, argmax, output, d_output
//                                            -> d_weights, d_bias
//     conv2d_maxpool_backward_data_argmax    weights, argmax, output, d_output
//                                            -> d_input (ci,w,h,n)
//
// The window-by-window kernels: a window's gradient reaches one sum of its
// four, so each window and output channel adds its gradient times a 3x3
// patch (of the input, for the weights; of the weights, into the input
// gradient, for the input's) at the window's argmax, a quarter of the
// multiply-adds of the sums' full gradient. On a GPU the
// input gradient gathers over that full gradient instead, since the scatter
// of overlapping patches would race across threads.
//
// Results equal conv2d followed by maxpool up to rounding: the same
// first-maximum routing, ReLU's mask read from the pooled output; the sums
// of conv2d_maxpool_forward in conv2d's order, the gradients' terms in
// another (per window).
#include "convolution_base.h"
#include "pooling.h"
#include "weight_gradient.h"

using namespace Halide;

namespace {

using tailor::kConvKernel;

template <typename Self>
class Conv2DMaxPoolBase : public tailor::ConvolutionBase<Self> {
protected:
    using tailor::ConvolutionBase<Self>::pooled_width, tailor::ConvolutionBase<Self>::pooled_height,
        tailor::ConvolutionBase<Self>::pooled_extents, tailor::ConvolutionBase<Self>::require_pooled;
    int channel_vector() const { return std::min<int>(this->out_channels, this->natural_vector()); }
    // The per-window gradients vectorize input channels, in whole vectors.
    int input_channel_vector() const {
        const int vec = std::min<int>(this->in_channels, this->natural_vector());
        if (this->in_channels % vec) throw CompileError("schedule: in_channels must be whole vectors of " + std::to_string(vec));
        return vec;
    }

    // The activation before pooling, the sum as conv2d_forward's.
    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer>
    void define_activation(InputBuffer &input, WeightsBuffer &weights, BiasBuffer &bias) {
        r = this->taps();
        this->define_convolution(conv, r, input, weights, bias);
        activation(co, x, y, n) = this->relu ? max(conv(co, x, y, n), 0.0f) : conv(co, x, y, n);
    }

    // Window (px, py)'s four activations, in maxpool's order.
    Expr window(int i, Expr px, Expr py) const {
        return activation(co, 2 * px + i % 2, 2 * py + i / 2, n);
    }
    Expr pooled(const Expr &px, const Expr &py) const {
        return tailor::window_max(window(0, px, py), window(1, px, py), window(2, px, py), window(3, px, py));
    }
    Expr first_max(const Expr &px, const Expr &py) const {
        return tailor::window_first_max(window(0, px, py), window(1, px, py), window(2, px, py), window(3, px, py));
    }

    // The gradient at the convolution's sums, from `argmax`(co, px, py, n):
    // each window's d_output goes to its maximum, where ReLU let it through
    // when the maximum (the pooled output) is positive.
    template <typename OutputBuffer, typename GradBuffer>
    void define_routed_gradient(OutputBuffer &output, GradBuffer &d_output) {
        const auto w = tailor::window_position(x, y, pooled_width(), pooled_height());
        Expr routed = w.inside && (argmax(co, w.x, w.y, n) & 3) == w.position;
        if (this->relu) routed = routed && output(co, w.x, w.y, n) > 0.0f;
        dz(co, x, y, n) = select(routed, d_output(co, w.x, w.y, n), 0.0f);
    }

    // The weight and bias gradients from dz, over the pixels the windows
    // cover; the bias's is the routed gradient's sum, one term per window.
    template <typename InputBuffer, typename OutputBuffer, typename GradBuffer>
    void define_parameter_gradients(InputBuffer &input, OutputBuffer &output, GradBuffer &d_output,
                                    Func d_weights, Func d_bias) {
        rw = RDom(0, 2 * pooled_width(), 0, 2 * pooled_height(), 0, input.dim(3).extent(), "rw");
        this->define_weight_gradient(sum, rw, dz, input);
        d_weights(co, ci, kx, ky) = sum(co, ci, kx, ky);
        define_window_gradient(output, d_output);
        define_bias_gradient(input.dim(3).extent(), d_bias);
    }

    // The bias gradient, one term per window: rb = (px, py, n). Named as the
    // weight gradient's `rw`: compute_with matches the two image loops by name.
    void define_bias_gradient(const Expr &batch, Func d_bias) {
        rb = RDom(0, pooled_width(), 0, pooled_height(), 0, batch, "rw");
        this->define_bias_sum(bias_sum, rb, window_gradient);
        d_bias(co) = bias_sum(co);
    }
    // GPU: a thread per bias; CPU: the batch's two halves, whose per-half
    // sums it returns for the weight gradient's image loop to run with.
    std::optional<Func> schedule_bias_gradient(Func d_bias, const Expr &batch) {
        if (this->get_target().has_gpu_feature()) {
            bias_sum.compute_at(d_bias, tailor::gpu_tile_1d(d_bias, co, this->out_channels));
            return std::nullopt;
        }
        d_bias.vectorize(co, channel_vector());
        return tailor::schedule_bias_gradient_by_halves(bias_sum, rb.x, rb.y, rb.z, batch, co, this->out_channels,
                                                        this->get_target());
    }

    // A window's gradient where ReLU let it through, and the offset of its
    // argmax in the window (bits masked: a corrupt byte reads inside).
    template <typename OutputBuffer, typename GradBuffer>
    void define_window_gradient(OutputBuffer &output, GradBuffer &d_output) {
        Expr g = d_output(co, px, py, n);
        window_gradient(co, px, py, n) = this->relu ? select(output(co, px, py, n) > 0.0f, g, 0.0f) : g;
    }
    Expr argmax_x(const Expr &c, const Expr &column, const Expr &row, const Expr &image) {
        return argmax(c, column, row, image) & 1;
    }
    Expr argmax_y(const Expr &c, const Expr &column, const Expr &row, const Expr &image) {
        return (argmax(c, column, row, image) >> 1) & 1;
    }

    // The weight gradient window by window, over rw = (px, py, n):
    //   sum(ci, kx, ky, co) += window_gradient(co, px, py, n)
    //                          * input(ci, 2 px + ax + kx, 2 py + ay + ky, n)
    // with (ax, ay) the window's argmax; input channels innermost, since the
    // patch's position depends on the output channel.
    template <typename InputBuffer, typename OutputBuffer, typename GradBuffer>
    void define_window_parameter_gradients(InputBuffer &input, OutputBuffer &output, GradBuffer &d_output,
                                           Func d_weights, Func d_bias) {
        define_window_gradient(output, d_output);
        rw = RDom(0, pooled_width(), 0, pooled_height(), 0, input.dim(3).extent(), "rw");
        const Expr ax = argmax_x(co, rw.x, rw.y, rw.z), ay = argmax_y(co, rw.x, rw.y, rw.z);
        sum(ci, kx, ky, co) = 0.0f;
        sum(ci, kx, ky, co) += window_gradient(co, rw.x, rw.y, rw.z) *
                               input(ci, 2 * rw.x + ax + kx, 2 * rw.y + ay + ky, rw.z);
        d_weights(co, ci, kx, ky) = sum(ci, kx, ky, co);
        define_bias_gradient(input.dim(3).extent(), d_bias);
    }

    // GPU: one thread per weight and per bias, summing in a fixed order. CPU:
    // the batch's two halves on two cores; within a half, image by image,
    // each output channel's register tile of input-channel vectors x taps
    // runs over the image's windows, and the bias's sum after them.
    // Choices: tile_vectors (input-channel vectors per tile) and all_taps
    // (the tile holds all 3x3 taps, else one row of them).
    void schedule_window_parameter_gradients(Func d_weights, Func d_bias, const Expr &batch,
                                             tailor::ScheduleChoices &choices) {
        const int co_extent = this->out_channels, ci_extent = this->in_channels;
        std::optional<Func> bias_per_half = schedule_bias_gradient(d_bias, batch);
        if (this->get_target().has_gpu_feature()) {
            Var thread =
                tailor::gpu_tile_channels_columns(d_weights, co, ci, kx, ky, co_extent, ci_extent, &choices);
            sum.compute_at(d_weights, thread);
            return;
        }
        constexpr int taps = tailor::kConvKernel * tailor::kConvKernel;
        const int vec = input_channel_vector();
        const int registers = tailor::accumulator_registers(this->get_target());
        // By hand as many input-channel vectors as a row of taps fits, then
        // all taps if they fit too (the tuner's choice on every x86 target).
        // Tiles divide the channels: a last partial tile would read past them.
        const int vectors = std::max(1, ci_extent / vec);
        int hand_vectors = std::max(1, std::min(vectors, registers / tailor::kConvKernel));
        while (vectors % hand_vectors) hand_vectors--;
        const int tile_vectors = choices.count("tile_vectors", hand_vectors, vectors);
        if (vectors % tile_vectors) throw CompileError("schedule: tile_vectors must divide the input-channel vectors");
        const int ci_tile = tailor::vector_tile(ci_extent, vec, tile_vectors);
        const bool all_taps = choices.flag("all_taps", ci_tile / vec * taps <= registers);

        RVar images("images");
        Var half("half"), u("u"), cio("cio"), cii("cii"), tile("tile");
        Func per_half = tailor::split_batch_in_halves(sum, rw.z, batch, images, half, ci, vec);
        Func per_image = per_half.update().rfactor(images, u);
        per_half.update().split(ci, cio, cii, ci_tile, TailStrategy::GuardWithIf);
        if (all_taps) {
            per_half.update().reorder(cii, kx, ky, cio, co, images, half).unroll(ky).fuse(cio, co, tile);
        } else {
            per_half.update().reorder(cii, kx, cio, ky, co, images, half).fuse(cio, ky, tile);
        }
        per_half.update().parallel(half).vectorize(cii, vec).unroll(cii).unroll(kx);
        bias_per_half->update().compute_with(per_half.update(), images);
        per_image.compute_at(per_half, tile).vectorize(ci, vec).unroll(ci).unroll(kx).unroll(ky);
        per_image.update()
            .reorder(ci, kx, ky, rw.x, rw.y, co, u, half)
            .vectorize(ci, vec)
            .unroll(ci)
            .unroll(kx)
            .unroll(ky);
        d_weights.vectorize(co, channel_vector());
    }

    // The input gradient window by window (CPU): per image, each output
    // channel's windows add their gradient times the channel's 3x3 weights,
    // transposed to input channels innermost, at the window's argmax:
    //   scattered(ci, 2 px + ax + kx, 2 py + ay + ky, n)
    //       += window_gradient(co, px, py, n) * weights(co, ci, kx, ky)
    // over rs = (kx, ky, px, py, co), in that order from the inside.
    template <typename WeightsBuffer>
    void define_scattered_backward_data(WeightsBuffer &weights, Func d_input) {
        transposed(ci, kx, ky, co) = weights(co, ci, kx, ky);
        rs = RDom(0, tailor::kConvKernel, 0, tailor::kConvKernel, 0, pooled_width(), 0, pooled_height(), 0,
                  this->out_channels, "rs");
        const Expr ax = argmax_x(rs[4], rs[2], rs[3], n), ay = argmax_y(rs[4], rs[2], rs[3], n);
        scattered(ci, x, y, n) = 0.0f;
        scattered(ci, 2 * rs[2] + ax + rs[0], 2 * rs[3] + ay + rs[1], n) +=
            window_gradient(rs[4], rs[2], rs[3], n) * transposed(ci, rs[0], rs[1], rs[4]);
        d_input(ci, x, y, n) = scattered(ci, x, y, n);
    }

    // One image per task, its input gradient in cache; every tap's
    // input-channel vectors unrolled.
    void schedule_scattered_backward_data(Func d_input) {
        const int vec = input_channel_vector();
        transposed.compute_root().vectorize(ci, vec);
        d_input.vectorize(ci, vec).parallel(n);
        scattered.compute_at(d_input, n).bound_extent(ci, this->in_channels).vectorize(ci, vec).unroll(ci);
        scattered.update()
            .reorder(ci, rs[0], rs[1], rs[2], rs[3], rs[4])
            .vectorize(ci, vec)
            .unroll(ci)
            .unroll(rs[0])
            .unroll(rs[1]);
    }

    // GPU: the routed gradient is stored (a thread per element); then one
    // thread per weight and per bias sums its pixels and samples in a fixed
    // order. CPU: the two batch halves of weight_gradient.h; each image's
    // routed gradient is made in cache just before the weight tiles read it,
    // window by window so that each element's position in its window is a
    // constant.
    // Choices: those of weight_gradient_tile (weight_gradient.h).
    void schedule_parameter_gradients(Func d_weights, Func d_bias, const Expr &batch,
                                      tailor::ScheduleChoices &choices) {
        const int co_extent = this->out_channels, ci_extent = this->in_channels;
        std::optional<Func> bias_per_half = schedule_bias_gradient(d_bias, batch);
        if (this->get_target().has_gpu_feature()) {
            dz.compute_root();
            tailor::gpu_tile_channels_columns(dz, co, x, y, n, co_extent, this->out_width());
            Var thread =
                tailor::gpu_tile_channels_columns(d_weights, co, ci, kx, ky, co_extent, ci_extent, &choices);
            sum.compute_at(d_weights, thread);
            return;
        }
        const tailor::WeightGradientTile tiles =
            tailor::weight_gradient_tile(choices, co_extent, ci_extent, true, this->get_target());
        const LoopLevel image = tailor::schedule_weight_gradient_by_halves(sum, rw.x, rw.y, rw.z, batch, co, ci, kx, ky,
                                                                           co_extent, tiles, this->get_target(),
                                                                           bias_per_half);
        const int vec = channel_vector();
        Var wxi("wxi"), wyi("wyi");
        dz.compute_at(image)
            .split(x, wx, wxi, 2)
            .split(y, wy, wyi, 2)
            .reorder(co, wxi, wx, wyi, wy)
            .vectorize(co, vec)
            .unroll(wxi)
            .unroll(wyi);
        d_weights.vectorize(co, vec);
    }

    // The CPU and GPU schedules of a pooled output (co, px, py, n): a
    // register tile of channel vectors x a few pooled columns, whose 2x2
    // windows of sums are all accumulators; the sums never reach memory.
    // Choices: tile_vectors and tile_columns (pooled columns).
    void schedule_pooled(Func output) {
        tailor::ScheduleChoices choices = this->schedule_choices();
        if (this->get_target().has_gpu_feature()) {
            // One thread per pooled output; its four sums run in registers.
            tailor::gpu_tile_channels_columns(output, co, px, py, n, this->out_channels, pooled_width(), &choices);
            choices.check_all_used();
            return;
        }
        const int vec = channel_vector();
        const int co_tile = tailor::vector_tile(
            this->out_channels, vec,
            choices.count("tile_vectors", tailor::register_tile_vectors(this->get_target()), this->out_channels / vec));
        const int px_tile = choices.count(
            "tile_columns", tailor::column_tile(pooled_width(), 4 * co_tile / vec, this->get_target()), pooled_width());
        Var coo("coo"), coi("coi"), pxo("pxo"), pxi("pxi");
        output.split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
            .split(px, pxo, pxi, px_tile, TailStrategy::ShiftInwards)
            .reorder(coi, pxi, coo, pxo, py, n)
            .vectorize(coi, vec)
            .unroll(pxi);
        tailor::parallelize_tiles(output, coo, pxo, py, n, tailor::ceil_div(this->out_channels, co_tile),
                                  tailor::ceil_div(pooled_width(), px_tile), pooled_height(), choices);
        conv.compute_at(output, coo).vectorize(co, vec).unroll(co).unroll(x).unroll(y);
        conv.update().reorder(co, x, y, r.x, r.y, r.z, n).vectorize(co, vec).unroll(co).unroll(x).unroll(y);
        choices.check_all_used();
    }

    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer>
    void require_convolution(InputBuffer &input, WeightsBuffer &weights, BiasBuffer &bias) {
        this->require_input(input);
        this->require_weights(weights);
        this->require_bias(bias);
    }

    Var co{"co"}, ci{"ci"}, x{"x"}, y{"y"}, n{"n"}, px{"px"}, py{"py"}, kx{"kx"}, ky{"ky"}, wx{"wx"}, wy{"wy"};
    RDom r, rw, rb, rs;
    Func conv{"conv"}, activation{"activation"}, argmax{"argmax"}, dz{"dz"}, sum{"sum"}, bias_sum{"bias_sum"};
    Func window_gradient{"window_gradient"}, transposed{"transposed"}, scattered{"scattered"};
};

class Conv2DMaxPoolForward : public Conv2DMaxPoolBase<Conv2DMaxPoolForward> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        define_activation(input, weights, bias);
        output(co, px, py, n) = pooled(px, py);
        require_convolution(input, weights, bias);
        require_pooled(output);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_pooled(output);
    }
};

// Training's forward pass of the direct sums: the pooled map and each
// window's first maximum.
class Conv2DMaxPoolForwardArgmax : public Conv2DMaxPoolBase<Conv2DMaxPoolForwardArgmax> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Func> output{"output", {Float(32), UInt(8)}, 4};  // pooled map, each window's first maximum

    void generate() {
        define_activation(input, weights, bias);
        output(co, px, py, n) = Tuple(pooled(px, py), cast<uint8_t>(first_max(px, py)));
        require_convolution(input, weights, bias);
        auto buffers = Func(output).output_buffers();
        require_pooled(buffers[0]);
        tailor::require_dense_strides(buffers[1], pooled_extents());
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_pooled(output);
    }
};

// The weight and bias gradients over the routed gradient of the sums, for
// any number of input channels (the window-by-window kernel below needs
// whole vectors of them).
class Conv2DMaxPoolBackwardWeightsRouted : public Conv2DMaxPoolBase<Conv2DMaxPoolBackwardWeightsRouted> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<uint8_t>> window_argmax{"argmax", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_weights{"d_weights", 4};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        argmax(co, px, py, n) = cast<int>(window_argmax(co, px, py, n));
        define_routed_gradient(output, d_output);
        define_parameter_gradients(input, output, d_output, d_weights, d_bias);
        require_input(input);
        require_pooled(window_argmax);
        require_pooled(output);
        require_pooled(d_output);
        require_weights(d_weights);
        require_bias(d_bias);
    }

    // Choices: the weight gradient's.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        schedule_parameter_gradients(d_weights, d_bias, input.dim(3).extent(), choices);
        choices.check_all_used();
    }
};

class Conv2DMaxPoolBackwardWeightsArgmax : public Conv2DMaxPoolBase<Conv2DMaxPoolBackwardWeightsArgmax> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<uint8_t>> window_argmax{"argmax", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_weights{"d_weights", 4};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        argmax(co, px, py, n) = cast<int>(window_argmax(co, px, py, n));
        define_window_parameter_gradients(input, output, d_output, d_weights, d_bias);
        require_input(input);
        require_pooled(window_argmax);
        require_pooled(output);
        require_pooled(d_output);
        require_weights(d_weights);
        require_bias(d_bias);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        schedule_window_parameter_gradients(d_weights, d_bias, input.dim(3).extent(), choices);
        choices.check_all_used();
    }
};

class Conv2DMaxPoolBackwardDataArgmax : public Conv2DMaxPoolBase<Conv2DMaxPoolBackwardDataArgmax> {
public:
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<uint8_t>> window_argmax{"argmax", 4};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_input{"d_input", 4};

    void generate() {
        argmax(co, px, py, n) = cast<int>(window_argmax(co, px, py, n));
        if (get_target().has_gpu_feature()) {
            define_routed_gradient(output, d_output);
            // dz is zero beyond the windows, so those taps are skipped too.
            define_backward_data(dz, 2 * pooled_width(), 2 * pooled_height(), weights, d_input);
        } else {
            define_window_gradient(output, d_output);
            define_scattered_backward_data(weights, d_input);
        }
        require_weights(weights);
        require_pooled(window_argmax);
        require_pooled(output);
        require_pooled(d_output);
        require_input(d_input);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            schedule_backward_data(dz, d_input, choices);
        } else {
            schedule_scattered_backward_data(d_input);
        }
        choices.check_all_used();
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolForward, conv2d_maxpool_forward)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolForwardArgmax, conv2d_maxpool_forward_argmax)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolBackwardWeightsRouted, conv2d_maxpool_backward_weights_routed)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolBackwardWeightsArgmax, conv2d_maxpool_backward_weights_argmax)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolBackwardDataArgmax, conv2d_maxpool_backward_data_argmax)
