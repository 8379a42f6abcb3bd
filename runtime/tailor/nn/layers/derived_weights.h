// Weights a layer derives from its parameters for inference and keeps: the
// Winograd-transformed weights of a convolution (conv2d_maxpool's F(2x2, 3x3),
// conv2d's F(3x3, 3x3)), a dense layer's weights in slices. Made by the
// layer's kernel at first use, and again after stale() or for weights at
// another address.
//   weights -> derived (Extents..., innermost first)
#pragma once

#include "tailor/nn/kernel_call.h"

#include <cstddef>

namespace tailor {

template <int... Extents>
class DerivedWeights {
public:
    // The derived weights of `weights`; `derive(derived)` runs the kernel
    // (named `kernel` in errors) when they are not current.
    template <typename Derive>
    auto of(const float *weights, Derive derive, const char *kernel) {
        if (values_.size() == 0) values_.assign((std::size_t{1} * ... * Extents));
        if (!current_ || from_ != weights) {
            check_kernel(derive(derived()), kernel);
            current_ = true;
            from_ = weights;
        }
        return derived();
    }
    // The weights changed in place: derive them again before next use.
    void stale() { current_ = false; }

private:
    auto derived() { return view(values_.data(), Extents...); }

    DeviceVector<float> values_;
    bool current_ = false;
    const float *from_ = nullptr;  // the weights they were made from
};

}  // namespace tailor
