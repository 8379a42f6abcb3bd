// maxpool: 2x2 max pooling, stride 2: (c,w,h) -> (c,w/2,h/2)
// Kernels: generators/maxpool.cpp. After a conv2d, the architecture compiler
// fuses the two into a Conv2DMaxPool instead (conv2d_maxpool.h).
#pragma once

#include "tailor/nn/layer.h"

namespace tailor {

struct MaxPoolTag {};

// Kernel bindings, specialised in the generated architectures.h.
template <int W, int H, int C>
struct MaxPoolKernels;

template <int W, int H, int C>
struct MaxPool {
    using Tag = MaxPoolTag;
    using Kernels = MaxPoolKernels<W, H, C>;
    using Params = NoParams;
    static constexpr Shape in{C, W, H};
    static constexpr Shape out = maxpool_output(in);
    static constexpr std::array rows{LayerRow{"MaxPooling2D", "max_pooling2d", out}};
    static constexpr bool computes_input_gradient = true;

    explicit MaxPool(int) {}

    const float *forward(const float *x, float *y, int n, const Params &) {
        check_kernel(Kernels::forward(input(x, n), output(y, n)), "maxpool_forward");
        return y;
    }
    const float *forward_train(const float *x, float *y, int n, const Params &p, const StepContext &) {
        return forward(x, y, n, p);
    }

    const float *backward(const float *x, const float *, const float *dy, float *dx, int n, const Params &, Params &,
                          const StepContext &) {
        if (dx) check_kernel(Kernels::backward(input(x, n), output(dy, n), input(dx, n)), "maxpool_backward");
        return dx;
    }

private:
    static auto input(const float *data, int n) { return view(data, C, W, H, n); }
    static auto output(const float *data, int n) { return view(data, out.channels, out.width, out.height, n); }
};

}  // namespace tailor
