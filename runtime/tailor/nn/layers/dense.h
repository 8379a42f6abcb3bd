// dense UNITS: fully connected + bias (+ ReLU): (in) -> (out)
// Kernels: generators/dense.cpp. A layer of several slices of outputs
// (kDenseSlice each; the architecture compiler sets Kernels::sliced) infers
// batches below kSmallBatch from its weights in slices, made once per change
// of the parameters, so that each core reads only its own outputs' weights.
#pragma once

#include "tailor/nn/layer.h"
#include "tailor/nn/layers/derived_weights.h"

#include <type_traits>

namespace tailor {

struct DenseTag {};

// Kernel bindings, specialised in the generated architectures.h.
template <int In, int Out, bool Relu>
struct DenseKernels;

template <int In, int Out, bool Relu>
struct Dense {
    using Tag = DenseTag;
    using Kernels = DenseKernels<In, Out, Relu>;
    static_assert(Kernels::sliced == has_slices(Out), "cmake/layers/dense.cmake and shape.h's has_slices() disagree");
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
        if constexpr (Kernels::sliced) {
            if (n < kSmallBatch) {
                forward_sliced(x, y, n, p);
                return y;
            }
        }
        forward_whole(x, y, n, p);
        return y;
    }
    // The sums over the weights as they are, for larger batches (and tests,
    // at every size).
    void forward_whole(const float *x, float *y, int n, const Params &p) {
        check_kernel(Kernels::forward(view(x, In, n), weights(p.weights.data), view(p.bias.data, Out), view(y, Out, n)),
                     "dense_forward");
    }
    // Training reads the weights as they are: they change every step, and a
    // small batch would copy them into slices each time.
    const float *forward_train(const float *x, float *y, int n, const Params &p, const StepContext &) {
        forward_whole(x, y, n, p);
        return y;
    }

    // The parameters changed (the layer contract's optional hook): the
    // sliced weights are made again before the next small batch.
    void parameters_changed() {
        if constexpr (Kernels::sliced) sliced_.stale();
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

private:
    static constexpr int kSlices = Out / kDenseSlice;

    // (The sliced weights are allocated at the first small batch: a layer
    // that never sees one never holds them.)
    void forward_sliced(const float *x, float *y, int n, const Params &p) {
        if constexpr (Kernels::sliced) {
            auto sliced = sliced_.of(
                p.weights.data, [&](auto out) { return Kernels::slice_weights(weights(p.weights.data), out); },
                "dense_slice_weights");
            check_kernel(Kernels::forward_sliced(view(x, In, n), sliced, view(p.bias.data, kDenseSlice, kSlices),
                                                 view(y, kDenseSlice, kSlices, n)),
                         "dense_forward_sliced");
        }
    }

    struct NoSlices {};
    // (S,in,out/S): weights(s S + i, k) at (i, k, s)
    [[no_unique_address]] std::conditional_t<Kernels::sliced, DerivedWeights<kDenseSlice, In, kSlices>, NoSlices> sliced_;
};

}  // namespace tailor
