// What every 3x3 "valid" convolution generator shares (conv2d.cpp,
// conv2d_maxpool.cpp, the Winograd ones): the shape parameters, and the sum
// itself, defined once so that every kernel that computes it adds the same
// terms in the same order.
// Layout: activations (channel, x, y, batch), weights (out_ch, in_ch, kx, ky).
#pragma once

#include "layout.h"
#include "schedule_choices.h"
#include "tailor/nn/shape.h"  // kConvKernel, kPoolWindow

namespace tailor {

template <typename Self>
class ConvolutionBase : public Halide::Generator<Self> {
public:
    Halide::GeneratorParam<int> width{"width", 28};
    Halide::GeneratorParam<int> height{"height", 28};
    Halide::GeneratorParam<int> in_channels{"in_channels", 1};
    Halide::GeneratorParam<int> out_channels{"out_channels", 32};
    Halide::GeneratorParam<bool> relu{"relu", true};
    // Tuned schedule choices per target (schedule_choices.h); empty: by hand.
    Halide::GeneratorParam<std::string> schedule{"schedule", ""};

protected:
    ScheduleChoices schedule_choices() const { return ScheduleChoices(schedule.value(), this->get_target()); }

    int out_width() const { return width - kConvKernel + 1; }
    int out_height() const { return height - kConvKernel + 1; }
    // The map after a 2x2 max pooling of the output (conv2d_maxpool's).
    int pooled_width() const { return out_width() / kPoolWindow; }
    int pooled_height() const { return out_height() / kPoolWindow; }
    int natural_vector() const { return this->get_target().template natural_vector_size<float>(); }

    // sum(co, x, y, n) = bias(co) + the taps over r = (ci, kx, ky), in r's order.
    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer>
    static void define_convolution(Halide::Func &sum, const Halide::RDom &r, InputBuffer &input,
                                   WeightsBuffer &weights, BiasBuffer &bias) {
        Halide::Var co("co"), x("x"), y("y"), n("n");
        sum(co, x, y, n) = bias(co);
        sum(co, x, y, n) += weights(co, r.x, r.y, r.z) * input(r.x, x + r.y, y + r.z, n);
    }

    Halide::RDom taps() const { return Halide::RDom(0, in_channels, 0, kConvKernel, 0, kConvKernel, "r"); }

    // The bias gradient's sum over r = (x, y, n) of g(co, x, y, n), in r's order.
    static void define_bias_sum(Halide::Func &bias_sum, const Halide::RDom &r, Halide::Func g) {
        Halide::Var co("co");
        bias_sum(co) = 0.0f;
        bias_sum(co) += g(co, r.x, r.y, r.z);
    }

    // d_output masked by ReLU's derivative: the gradient at the pre-activation.
    template <typename OutputBuffer, typename GradBuffer>
    void define_pre_activation_gradient(Halide::Func &dz, OutputBuffer &output, GradBuffer &d_output) {
        Halide::Var c("c"), x("x"), y("y"), n("n");
        if (relu) {
            dz(c, x, y, n) = Halide::select(output(c, x, y, n) > 0.0f, d_output(c, x, y, n), 0.0f);
        } else {
            dz(c, x, y, n) = d_output(c, x, y, n);
        }
    }

    // The weight gradient over r = (x, y, n), the pixels and images summed:
    // sum(co, ci, kx, ky) = sum over r of dz(co, x, y, n) * input(ci, x + kx, y + ky, n).
    template <typename InputBuffer>
    static void define_weight_gradient(Halide::Func &sum, const Halide::RDom &r, Halide::Func dz,
                                       InputBuffer &input) {
        Halide::Var co("co"), ci("ci"), kx("kx"), ky("ky");
        sum(co, ci, kx, ky) = 0.0f;
        sum(co, ci, kx, ky) += dz(co, r.x, r.y, r.z) * input(ci, r.x + kx, r.y + ky, r.z);
    }

    // The dense shapes of the convolution's buffers; the batch is left to run
    // time. An input (or its gradient), the weights (or theirs), the bias (or
    // its), the output (or its).
    template <typename Buffer>
    void require_input(Buffer &buffer) {
        require_dense(buffer, {in_channels, width, height, 0});
    }
    template <typename Buffer>
    void require_weights(Buffer &buffer) {
        require_dense(buffer, {out_channels, in_channels, kConvKernel, kConvKernel}, false);
    }
    template <typename Buffer>
    void require_bias(Buffer &buffer) {
        require_dense(buffer, {out_channels}, false);
    }
    template <typename Buffer>
    void require_output(Buffer &buffer) {
        require_dense(buffer, {out_channels, out_width(), out_height(), 0});
    }
    // A pooled map (conv2d_maxpool's output, its gradient or its argmax).
    std::vector<int> pooled_extents() const { return {out_channels, pooled_width(), pooled_height()}; }
    template <typename Buffer>
    void require_pooled(Buffer &buffer) {
        std::vector<int> extents = pooled_extents();
        extents.push_back(0);  // the batch
        require_dense(buffer, extents);
    }

    // The input gradient: a "full" convolution of dz (the gradient at the
    // sums, zero outside its first dz_width x dz_height) with the flipped
    // kernel. d_input(ci, x, y, n) = sum over (co, kx, ky) of
    // weights(co, ci, kx, ky) * dz(co, x - kx, y - ky, n).
    template <typename WeightsBuffer>
    void define_backward_data(Halide::Func dz, int dz_width, int dz_height, WeightsBuffer &weights,
                              Halide::Func d_input) {
        using namespace Halide;
        Var ci("ci"), co("co"), x("x"), y("y"), n("n"), kx("kx"), ky("ky");
        // (constant_exterior marks the inside as likely, so that Halide can
        // tell which taps of an unrolled tile fall outside.)
        backward_data_padded = BoundaryConditions::constant_exterior(
            dz, 0.0f, {{Expr(), Expr()}, {0, dz_width}, {0, dz_height}, {Expr(), Expr()}});
        // Transposed so that input channels are innermost and vectorize.
        backward_data_weights(ci, co, kx, ky) = weights(co, ci, kx, ky);
        backward_data_r = RDom(0, out_channels, 0, kConvKernel, 0, kConvKernel, "r");
        const RDom &r = backward_data_r;
        backward_data_sum(ci, x, y, n) = 0.0f;
        backward_data_sum(ci, x, y, n) += backward_data_weights(ci, r.x, r.y, r.z) * backward_data_padded(r.x, x - r.y, y - r.z, n);
        d_input(ci, x, y, n) = backward_data_sum(ci, x, y, n);
    }

    // Choices: tile_vectors and tile_columns of the register tile,
    // unroll_rows and dz_per_image (0 or 1).
    void schedule_backward_data(Halide::Func dz, Halide::Func d_input, ScheduleChoices &choices) {
        using namespace Halide;
        Var ci("ci"), x("x"), y("y"), n("n");
        const RDom &r = backward_data_r;
        Func &sum = backward_data_sum;
        if (this->get_target().has_gpu_feature()) {
            // One thread per input element; the zero padding and the ReLU
            // mask are folded into its loads (dz, padding, weights inline).
            Var thread = gpu_tile_channels_columns(d_input, ci, x, y, n, in_channels, width, &choices);
            sum.compute_at(d_input, thread);
            sum.update().unroll(r.y).unroll(r.z);
            return;
        }
        const int vec = std::min<int>(natural_vector(), in_channels);
        const int ci_tile = vector_tile(
            in_channels, vec, choices.count("tile_vectors", register_tile_vectors(this->get_target()), in_channels / vec));
        const int x_tile = choices.count("tile_columns", column_tile(width, ci_tile / vec, this->get_target()), width);
        Var cio("cio"), cii("cii"), xo("xo"), xi("xi");
        backward_data_weights.compute_root().vectorize(ci, vec);
        // The gradient at the sums is stored, by hand one image's at a time
        // (dz_per_image; else the whole batch's first); the zero padding
        // stays inline: with the tile's columns and both tap loops unrolled,
        // each tap that falls outside is known at compile time and costs
        // nothing.
        const int dz_vector = std::min<int>(natural_vector(), out_channels);
        if (choices.flag("dz_per_image", true)) {
            dz.compute_at(d_input, n).vectorize(dz.args()[0], dz_vector);
        } else {
            dz.compute_root().vectorize(dz.args()[0], dz_vector).parallel(dz.args()[3]);
        }
        d_input.split(ci, cio, cii, ci_tile, TailStrategy::ShiftInwards)
            .split(x, xo, xi, x_tile, TailStrategy::ShiftInwards)
            .reorder(cii, xi, cio, xo, y, n)
            .parallel(n)
            .vectorize(cii, vec)
            .unroll(xi);
        if (choices.flag("unroll_rows", height <= 16)) {
            // Every row unrolled too, so that no tap needs a bounds test:
            // split off, the border rows still tested each tap
            // (docs/performance.md, "What each change bought"). Taller images
            // would unroll into too much code.
            d_input.unroll(y);
        }
        sum.compute_at(d_input, cio).vectorize(ci, vec).unroll(ci).unroll(x);
        sum.update()
            .reorder(ci, x, r.x, r.y, r.z, y, n)
            .vectorize(ci, vec)
            .unroll(ci)
            .unroll(x)
            .unroll(r.y)
            .unroll(r.z);
    }

private:
    Halide::RDom backward_data_r;
    Halide::Func backward_data_padded{"padded"}, backward_data_weights{"weights_t"}, backward_data_sum{"sum"};
};

}  // namespace tailor
