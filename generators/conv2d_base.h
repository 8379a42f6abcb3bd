// What every 3x3 "valid" convolution generator shares (conv2d.cpp,
// conv2d_maxpool.cpp): the shape parameters, and the sum itself, defined once
// so that every kernel that computes it adds the same terms in the same order.
// Layout: activations (channel, x, y, batch), weights (out_ch, in_ch, kx, ky).
#pragma once

#include "layout.h"

namespace tailor {

constexpr int kKernel = 3;

template <typename Self>
class Conv2DGenerator : public Halide::Generator<Self> {
public:
    Halide::GeneratorParam<int> width{"width", 28};
    Halide::GeneratorParam<int> height{"height", 28};
    Halide::GeneratorParam<int> in_channels{"in_channels", 1};
    Halide::GeneratorParam<int> out_channels{"out_channels", 32};
    Halide::GeneratorParam<bool> relu{"relu", true};

protected:
    int out_width() const { return width - kKernel + 1; }
    int out_height() const { return height - kKernel + 1; }
    int natural_vector() const { return this->get_target().template natural_vector_size<float>(); }

    // sum(co, x, y, n) = bias(co) + the taps over r = (ci, kx, ky), in r's order.
    template <typename InputBuffer, typename WeightsBuffer, typename BiasBuffer>
    static void define_convolution(Halide::Func &sum, const Halide::RDom &r, InputBuffer &input,
                                   WeightsBuffer &weights, BiasBuffer &bias) {
        Halide::Var co("co"), x("x"), y("y"), n("n");
        sum(co, x, y, n) = bias(co);
        sum(co, x, y, n) += weights(co, r.x, r.y, r.z) * input(r.x, x + r.y, y + r.z, n);
    }

    Halide::RDom taps() const { return Halide::RDom(0, in_channels, 0, kKernel, 0, kKernel, "r"); }
};

}  // namespace tailor
