// conv2d: a 3x3 "valid" convolution + bias (+ ReLU): (ci,w,h) -> (co,w-2,h-2)
// Kernels: generators/conv2d.cpp; from kConvWinogradBatch images, Winograd's
// F(3x3, 3x3) (generators/conv2d_winograd.cpp): the forward pass (inference
// and training) where the output divides into 3x3 tiles, on weights it
// transforms once per change of the parameters, and both halves of the
// backward pass where the output is one tile.
#pragma once

#include "tailor/nn/layer.h"
#include "tailor/nn/layers/derived_weights.h"

namespace tailor {

struct Conv2DTag {};

// Kernel bindings, specialised in the generated architectures.h.
template <int W, int H, int CI, int CO, bool Relu>
struct Conv2DKernels;

// The convolution's parameters, and views of its buffers for a kernel call.
template <int W, int H, int CI, int CO>
struct Conv2DShape {
    static constexpr Shape in{CI, W, H};
    static constexpr Shape out = conv2d_output(in, CO);

    struct Params {
        Tensor weights{"weights", {CO, CI, kConvKernel, kConvKernel}, Init::glorot_uniform,
                       CI * kConvKernel * kConvKernel, CO * kConvKernel * kConvKernel};
        Tensor bias{"bias", {CO}, Init::zeros};
    };

    template <typename T>
    static auto input(const T *data, int n) { return view(data, CI, W, H, n); }
    static auto weights(const float *data) { return view(data, CO, CI, kConvKernel, kConvKernel); }
    static auto bias(const float *data) { return view(data, CO); }
};

template <int W, int H, int CI, int CO, bool Relu>
struct Conv2D : Conv2DShape<W, H, CI, CO> {
    using Tag = Conv2DTag;
    using Base = Conv2DShape<W, H, CI, CO>;
    using Base::in, Base::out, Base::input, Base::weights, Base::bias;
    using typename Base::Params;
    using Kernels = Conv2DKernels<W, H, CI, CO, Relu>;
    static constexpr bool relu = Relu;
    static constexpr std::array rows{LayerRow{"Conv2D", "conv2d", out, Relu}};
    static constexpr bool computes_input_gradient = true;

    explicit Conv2D(int) {}

    const float *forward(const float *x, float *y, int n, const Params &p) {
        if constexpr (Kernels::winograd) {
            if (n >= kConvWinogradBatch) {
                forward_winograd(x, y, n, p);
                return y;
            }
        }
        forward_direct(x, y, n, p);
        return y;
    }
    // The direct sums, for small batches.
    void forward_direct(const float *x, float *y, int n, const Params &p) {
        check_kernel(Kernels::forward(input(x, n), weights(p.weights.data), bias(p.bias.data), output(y, n)),
                     "conv2d_forward");
    }
    // Training's forward pass is inference's: backward reads only the output.
    const float *forward_train(const float *x, float *y, int n, const Params &p, const StepContext &) {
        return forward(x, y, n, p);
    }

    // The parameters changed (the layer contract's optional hook): the
    // transformed weights are made again before the next Winograd forward pass,
    // as they are for weights at another address. (Network calls it; a
    // caller driving the layer itself must too, after changing weights in
    // place.)
    void parameters_changed() { winograd_.stale(); }

    const float *backward(const float *x, const float *y, const float *dy, float *dx, int n, const Params &p,
                          Params &grads, const StepContext &) {
        backward_weights(x, y, dy, n, grads);
        if (dx) backward_data(y, dy, dx, n, p);
        return dx;
    }
    // The two halves of backward, each one kernel: by Winograd from
    // kConvWinogradBatch images where the output is one 3x3 tile.
    void backward_weights(const float *x, const float *y, const float *dy, int n, Params &grads) {
        if constexpr (Kernels::winograd_backward) {
            if (n >= kConvWinogradBatch) {
                check_kernel(Kernels::backward_weights_winograd(input(x, n), output(y, n), output(dy, n),
                                                                weights(grads.weights.data), bias(grads.bias.data)),
                             "conv2d_backward_weights_winograd");
                return;
            }
        }
        backward_weights_direct(x, y, dy, n, grads);
    }
    void backward_data(const float *y, const float *dy, float *dx, int n, const Params &p) {
        if constexpr (Kernels::winograd_backward) {
            if (n >= kConvWinogradBatch) {
                check_kernel(Kernels::backward_data_winograd(weights(p.weights.data), output(y, n), output(dy, n),
                                                             input(dx, n)),
                             "conv2d_backward_data_winograd");
                return;
            }
        }
        backward_data_direct(y, dy, dx, n, p);
    }
    // The direct sums, for small batches (and tests, at every size).
    void backward_weights_direct(const float *x, const float *y, const float *dy, int n, Params &grads) {
        check_kernel(Kernels::backward_weights(input(x, n), output(y, n), output(dy, n), weights(grads.weights.data),
                                               bias(grads.bias.data)),
                     "conv2d_backward_weights");
    }
    void backward_data_direct(const float *y, const float *dy, float *dx, int n, const Params &p) {
        check_kernel(Kernels::backward_data(weights(p.weights.data), output(y, n), output(dy, n), input(dx, n)),
                     "conv2d_backward_data");
    }

    static auto output(const float *data, int n) { return view(data, out.channels, out.width, out.height, n); }

private:
    // (The transformed weights are allocated at the first batch that needs
    // them: a layer that only ever sees small batches never holds them.)
    void forward_winograd(const float *x, float *y, int n, const Params &p) {
        auto transformed = winograd_.of(
            p.weights.data, [&](auto out) { return Kernels::winograd_weights(weights(p.weights.data), out); },
            "conv2d_winograd_weights");
        check_kernel(Kernels::forward_winograd(input(x, n), transformed, bias(p.bias.data), output(y, n)),
                     "conv2d_forward_winograd");
    }

    DerivedWeights<CO, CI, 5, 5> winograd_;  // the F(3x3, 3x3) weights, G g G^T
};

}  // namespace tailor
