// conv2d_maxpool: a 3x3 "valid" convolution with bias and optional ReLU, and
// the 2x2 stride-2 max pooling after it, as one pair of kernels. Meant for a
// convolution over few input channels (the image itself): its 9 x in_channels
// multiply-adds per output cost less than storing and reloading the output,
// which is the largest tensor of the network. So the forward pass writes only
// the pooled map, and the backward pass recomputes the convolution of each
// image in cache to route the gradient. Layout as conv2d.cpp and maxpool.cpp.
//
//   conv2d_maxpool_forward           input (ci,w,h,n), weights (co,ci,3,3), bias (co)
//                                    -> output (co,(w-2)/2,(h-2)/2,n)
//   conv2d_maxpool_backward_weights  input, weights, bias, output, d_output
//                                    -> d_weights (co,ci,3,3), d_bias (co)
//
// There is no input gradient: the pair reads the network's input. Results
// equal conv2d followed by maxpool: the same sums in the same order, the same
// first-maximum routing, ReLU's mask read from the pooled output.
#include "conv2d_base.h"
#include "pooling.h"
#include "weight_gradient.h"

using namespace Halide;

namespace {

using tailor::kKernel;

template <typename Self>
class Conv2DMaxPoolBase : public tailor::Conv2DGenerator<Self> {
protected:
    int conv_width() const { return this->out_width(); }
    int conv_height() const { return this->out_height(); }
    int pooled_width() const { return conv_width() / 2; }
    int pooled_height() const { return conv_height() / 2; }
    int vector_width() const { return std::min<int>(this->out_channels, this->natural_vector()); }

    // The activation before pooling, the sum as conv2d_forward's.
    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer>
    void define_activation(InputBuffer &input, WeightsBuffer &weights, BiasBuffer &bias) {
        r = this->taps();
        this->define_convolution(conv, r, input, weights, bias);
        activation(co, x, y, n) = this->relu ? max(conv(co, x, y, n), 0.0f) : conv(co, x, y, n);
    }

    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer, typename OutputBuffer>
    void require_shapes(InputBuffer &input, WeightsBuffer &weights, BiasBuffer &bias, OutputBuffer &output) {
        tailor::require_dense(input, {this->in_channels, this->width, this->height, 0});
        tailor::require_dense(weights, {this->out_channels, this->in_channels, kKernel, kKernel}, false);
        tailor::require_dense(bias, {this->out_channels}, false);
        tailor::require_dense(output, {this->out_channels, pooled_width(), pooled_height(), 0});
    }

    Var co{"co"}, x{"x"}, y{"y"}, n{"n"};
    RDom r;
    Func conv{"conv"}, activation{"activation"};
};

class Conv2DMaxPoolForward : public Conv2DMaxPoolBase<Conv2DMaxPoolForward> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        define_activation(input, weights, bias);
        output(co, px, py, n) = tailor::window_max(activation(co, 2 * px, 2 * py, n), activation(co, 2 * px + 1, 2 * py, n),
                                                   activation(co, 2 * px, 2 * py + 1, n),
                                                   activation(co, 2 * px + 1, 2 * py + 1, n));
        require_shapes(input, weights, bias, output);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            // One thread per pooled output; its four sums run in registers.
            tailor::gpu_tile_channels_columns(output, co, px, py, n, out_channels, pooled_width());
            return;
        }
        // Register tile: channel vectors x a few pooled columns, whose 2x2
        // windows of sums are all accumulators; the sums never reach memory.
        const int vec = vector_width();
        const int co_tile = tailor::vector_tile(out_channels, vec, tailor::register_tile_vectors(get_target()));
        const int px_tile = tailor::column_tile(pooled_width(), 4 * co_tile / vec, get_target());
        Var coo("coo"), coi("coi"), pxo("pxo"), pxi("pxi"), yn("yn");
        output.split(co, coo, coi, co_tile, TailStrategy::ShiftInwards)
            .split(px, pxo, pxi, px_tile, TailStrategy::ShiftInwards)
            .reorder(coi, pxi, coo, pxo, py, n)
            .fuse(py, n, yn)
            .parallel(yn)
            .vectorize(coi, vec)
            .unroll(pxi);
        conv.compute_at(output, coo).vectorize(co, vec).unroll(co).unroll(x).unroll(y);
        conv.update().reorder(co, x, y, r.x, r.y, r.z, n).vectorize(co, vec).unroll(co).unroll(x).unroll(y);
    }

private:
    Var px{"px"}, py{"py"};
};

class Conv2DMaxPoolBackwardWeights : public Conv2DMaxPoolBase<Conv2DMaxPoolBackwardWeights> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 4};
    Input<Buffer<float>> bias{"bias", 1};
    Input<Buffer<float>> output{"output", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_weights{"d_weights", 4};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        define_activation(input, weights, bias);
        argmax(co, px, py, n) = tailor::window_first_max(
            activation(co, 2 * px, 2 * py, n), activation(co, 2 * px + 1, 2 * py, n),
            activation(co, 2 * px, 2 * py + 1, n), activation(co, 2 * px + 1, 2 * py + 1, n));

        // The gradient at the convolution's sums: each window's d_output goes
        // to its maximum, where ReLU let it through when the maximum (the
        // pooled output) is positive.
        const Expr window_x = x / 2, window_y = y / 2;
        const Expr inside = window_x < pooled_width() && window_y < pooled_height();
        const Expr wx = min(window_x, pooled_width() - 1), wy = min(window_y, pooled_height() - 1);
        const Expr position = (x % 2) + 2 * (y % 2);
        Expr routed = inside && argmax(co, wx, wy, n) == position;
        if (relu) routed = routed && output(co, wx, wy, n) > 0.0f;
        dz(co, x, y, n) = select(routed, d_output(co, wx, wy, n), 0.0f);

        rw = RDom(0, conv_width(), 0, conv_height(), 0, input.dim(3).extent(), "rw");
        sum(co, ci, kx, ky) = 0.0f;
        sum(co, ci, kx, ky) += dz(co, rw.x, rw.y, rw.z) * input(ci, rw.x + kx, rw.y + ky, rw.z);
        d_weights(co, ci, kx, ky) = sum(co, ci, kx, ky);

        // The bias gradient is the routed gradient's sum: one term per window.
        rb = RDom(0, pooled_width(), 0, pooled_height(), 0, input.dim(3).extent(), "rb");
        Expr window_gradient = d_output(co, rb.x, rb.y, rb.z);
        if (relu) window_gradient = select(output(co, rb.x, rb.y, rb.z) > 0.0f, window_gradient, 0.0f);
        bias_sum(co) = 0.0f;
        bias_sum(co) += window_gradient;
        d_bias(co) = bias_sum(co);

        require_shapes(input, weights, bias, output);
        tailor::require_dense(d_output, {out_channels, pooled_width(), pooled_height(), 0});
        tailor::require_dense(d_weights, {out_channels, in_channels, kKernel, kKernel}, false);
        tailor::require_dense(d_bias, {out_channels}, false);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            // The routed gradient is stored (a thread per element, its window
            // recomputed in registers); then one thread per weight and per
            // bias sums its pixels and samples in a fixed order.
            dz.compute_root();
            tailor::gpu_tile_channels_columns(dz, co, x, y, n, out_channels, conv_width());
            Var thread = tailor::gpu_tile_channels_columns(d_weights, co, ci, kx, ky, out_channels, in_channels);
            sum.compute_at(d_weights, thread);
            bias_sum.compute_at(d_bias, tailor::gpu_tile_1d(d_bias, co, out_channels));
            return;
        }
        // Each image's sums, window maxima and routed gradient are made in
        // cache just before the weight tiles read them, so nothing of the size
        // of the convolution's output reaches memory.
        const LoopLevel image = tailor::schedule_weight_gradient_by_halves(
            sum, rw.x, rw.y, rw.z, input.dim(3).extent(), co, ci, kx, ky, out_channels, in_channels, get_target());
        const int vec = vector_width();
        const int co_tile = tailor::vector_tile(out_channels, vec, tailor::register_tile_vectors(get_target()));
        // One image's sums, a row pair at a time, in register tiles of channel
        // vectors x columns (update stages cannot shift a tile inwards: the
        // last one is guarded; and a vector per column is left to operands,
        // or LLVM spills accumulators). The routed gradient is made window
        // by window, so that each element's position in its window is a
        // constant.
        const int x_tile = tailor::column_tile(conv_width(), co_tile / vec + 1, get_target());
        Var wx("wx"), wxi("wxi"), wy("wy"), wyi("wyi"), xo("xo"), xi("xi");
        dz.compute_at(image)
            .split(x, wx, wxi, 2)
            .split(y, wy, wyi, 2)
            .reorder(co, wxi, wx, wyi, wy)
            .vectorize(co, vec)
            .unroll(wxi)
            .unroll(wyi);
        argmax.compute_at(dz, wy).vectorize(co, vec);
        conv.compute_at(dz, wy)
            .split(x, xo, xi, x_tile, TailStrategy::GuardWithIf)
            .reorder(co, xi, xo, y)
            .vectorize(co, vec)
            .unroll(co)
            .unroll(xi);
        conv.update()
            .split(x, xo, xi, x_tile, TailStrategy::GuardWithIf)
            .reorder(co, xi, r.x, r.y, r.z, xo, y, n)
            .vectorize(co, vec)
            .unroll(co)
            .unroll(xi);
        d_weights.vectorize(co, vec);
        tailor::schedule_bias_gradient_by_halves(bias_sum, rb.x, rb.y, rb.z, input.dim(3).extent(), co, out_channels,
                                                 get_target());
        d_bias.vectorize(co, vec);
    }

private:
    Var ci{"ci"}, kx{"kx"}, ky{"ky"}, px{"px"}, py{"py"};
    RDom rw, rb;
    Func argmax{"argmax"}, dz{"dz"}, sum{"sum"}, bias_sum{"bias_sum"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolForward, conv2d_maxpool_forward)
HALIDE_REGISTER_GENERATOR(Conv2DMaxPoolBackwardWeights, conv2d_maxpool_backward_weights)
