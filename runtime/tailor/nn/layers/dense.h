// dense UNITS: fully connected + bias (+ ReLU): (in) -> (out)
// Kernels: generators/dense.cpp.
#pragma once

#include "tailor/nn/layer.h"

namespace tailor {

struct DenseTag {};

// Kernel bindings, specialised in the generated architectures.h.
template <int In, int Out, bool Relu>
struct DenseKernels;

template <int In, int Out, bool Relu>
struct Dense {
    using Tag = DenseTag;
    using Kernels = DenseKernels<In, Out, Relu>;
    static constexpr Shape in{In};
    static constexpr Shape out{Out};
    static constexpr bool relu = Relu;
    static constexpr std::array rows{LayerRow{"Dense", "dense", out, Relu}};
    static constexpr bool computes_input_gradient = true;

    struct Params {
        Tensor weights{"weights", {Out, In}, Init::glorot_uniform, In, Out};
        Tensor bias{"bias", {Out}, Init::zeros};
    };

    explicit Dense(int) {}

    const float *forward(const float *x, float *y, int n, const Params &p) {
        check_kernel(Kernels::forward(view(x, In, n), weights(p.weights.data), view(p.bias.data, Out), view(y, Out, n)),
                     "dense_forward");
        return y;
    }
    const float *forward_train(const float *x, float *y, int n, const Params &p, const StepContext &) {
        return forward(x, y, n, p);
    }

    const float *backward(const float *x, const float *y, const float *dy, float *dx, int n, const Params &p,
                          Params &grads, const StepContext &) {
        check_kernel(Kernels::backward_weights(view(x, In, n), view(y, Out, n), view(dy, Out, n),
                                               weights(grads.weights.data), view(grads.bias.data, Out)),
                     "dense_backward_weights");
        if (dx) {
            check_kernel(Kernels::backward_data(weights(p.weights.data), view(y, Out, n), view(dy, Out, n),
                                                view(dx, In, n)),
                         "dense_backward_data");
        }
        return dx;
    }

    static auto weights(const float *data) { return view(data, Out, In); }
};

}  // namespace tailor
