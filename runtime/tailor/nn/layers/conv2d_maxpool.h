// conv2d_maxpool: a conv2d and the maxpool right after it as one layer, whose
// interface is the pooled map and its gradient: the convolution's output is
// never stored, and its outputs that pooling drops are never computed.
//   (ci,w,h) -> (co,(w-2)/2,(h-2)/2)
// Kernels: generators/conv2d_maxpool.cpp. The architecture compiler fuses the
// pair and chooses First (cmake/layers/conv2d_maxpool.cmake). forward_train
// stores each window's argmax, a byte, in the layer's own buffer, from which
// backward routes the gradient:
// - First (the network's first pair, over few channels): the direct sums, and
//   weight gradients over the routed gradient; no input gradient (the layer
//   must come first);
// - otherwise both forward passes run Winograd's F(2x2, 3x3) on weights
//   transformed once per change of the parameters
//   (generators/conv2d_maxpool_winograd.cpp), and the gradients go window by
//   window.
#pragma once

#include "tailor/nn/layers/conv2d.h"
#include "tailor/nn/layers/maxpool.h"
#include "tailor/nn/layers/derived_weights.h"

#include <cstdint>

namespace tailor {

struct Conv2DMaxPoolTag {};

// Kernel bindings, specialised in the generated architectures.h: forward,
// and forward_argmax and backward_weights_routed (First) or
// backward_weights_argmax, backward_data_argmax, winograd_weights,
// forward_winograd and forward_winograd_argmax.
template <int W, int H, int CI, int CO, bool Relu, bool First>
struct Conv2DMaxPoolKernels;

template <int W, int H, int CI, int CO, bool Relu, bool First>
class Conv2DMaxPool : public Conv2DShape<W, H, CI, CO> {
    using Convolution = Conv2DShape<W, H, CI, CO>;
    using Convolution::input, Convolution::weights, Convolution::bias;

public:
    using Tag = Conv2DMaxPoolTag;
    using Kernels = Conv2DMaxPoolKernels<W, H, CI, CO, Relu, First>;
    using typename Convolution::Params;
    static constexpr bool relu = Relu;
    static constexpr bool first = First;
    static constexpr Shape in = Convolution::in;
    static constexpr Shape out = maxpool_output(Convolution::out);
    static constexpr std::array rows{LayerRow{"Conv2D", "conv2d", Convolution::out, Relu},
                                     LayerRow{"MaxPooling2D", "max_pooling2d", out}};
    static constexpr bool computes_input_gradient = !First;

    explicit Conv2DMaxPool(int max_batch) { argmax_.assign(out.size() * max_batch); }

    const float *forward(const float *x, float *y, int n, const Params &p) {
        if constexpr (First) {
            forward_direct(x, y, n, p);
        } else {
            check_kernel(Kernels::forward_winograd(input(x, n), transformed(p), bias(p.bias.data), pooled(y, n)),
                         "conv2d_maxpool_forward_winograd");
        }
        return y;
    }

    // The parameters changed (the layer contract's optional hook): the
    // transformed weights are made again before the next forward pass, as
    // they are for weights at another address.
    void parameters_changed() { winograd_.stale(); }

    // The direct sums' inference pass (First's forward), for tests and
    // benchmarks.
    void forward_direct(const float *x, float *y, int n, const Params &p) {
        check_kernel(Kernels::forward(input(x, n), weights(p.weights.data), bias(p.bias.data), pooled(y, n)),
                     "conv2d_maxpool_forward");
    }

    const float *forward_train(const float *x, float *y, int n, const Params &p, const StepContext &) {
        if constexpr (First) {
            check_kernel(Kernels::forward_argmax(input(x, n), weights(p.weights.data), bias(p.bias.data),
                                                 pooled(y, n), pooled(argmax_.data(), n)),
                         "conv2d_maxpool_forward_argmax");
            return y;
        } else {
            check_kernel(Kernels::forward_winograd_argmax(input(x, n), transformed(p), bias(p.bias.data),
                                                          pooled(y, n), pooled(argmax_.data(), n)),
                         "conv2d_maxpool_forward_winograd_argmax");
            return y;
        }
    }

    const float *backward(const float *x, const float *y, const float *dy, float *dx, int n, const Params &p,
                          Params &grads, const StepContext &) {
        backward_weights(x, y, dy, n, grads);
        if constexpr (!First) {
            if (dx) backward_data(y, dy, dx, n, p);
        }
        return dx;
    }

    // The two halves of backward, apart for the benchmarks.
    void backward_weights(const float *x, const float *y, const float *dy, int n, Params &grads) {
        if constexpr (First) {
            check_kernel(Kernels::backward_weights_routed(input(x, n), pooled(argmax_.data(), n), pooled(y, n),
                                                          pooled(dy, n), weights(grads.weights.data),
                                                          bias(grads.bias.data)),
                         "conv2d_maxpool_backward_weights_routed");
        } else {
            check_kernel(Kernels::backward_weights_argmax(input(x, n), pooled(argmax_.data(), n), pooled(y, n),
                                                          pooled(dy, n), weights(grads.weights.data),
                                                          bias(grads.bias.data)),
                         "conv2d_maxpool_backward_weights_argmax");
        }
    }
    void backward_data(const float *y, const float *dy, float *dx, int n, const Params &p)
        requires(!First)
    {
        check_kernel(Kernels::backward_data_argmax(weights(p.weights.data), pooled(argmax_.data(), n), pooled(y, n),
                                                   pooled(dy, n), input(dx, n)),
                     "conv2d_maxpool_backward_data_argmax");
    }

    // Each window's first maximum (0..3) from the last forward_train, for tests.
    std::span<const uint8_t> argmax() { return argmax_.read(); }

private:
    auto transformed(const Params &p) {
        return winograd_.of(
            p.weights.data, [&](auto out) { return Kernels::winograd_weights(weights(p.weights.data), out); },
            "winograd_weights");
    }
    template <typename T>
    static auto pooled(const T *data, int n) {
        return view(data, out.channels, out.width, out.height, n);
    }
    DeviceVector<uint8_t> argmax_;
    DerivedWeights<CO, CI, 4, 4> winograd_;  // the F(2x2, 3x3) weights, G g G^T
};

}  // namespace tailor
