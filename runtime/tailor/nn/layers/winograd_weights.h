// The Winograd-transformed weights a convolution layer keeps for inference
// (conv2d_maxpool's F(2x2, 3x3), conv2d's F(3x3, 3x3)): made by the layer's
// transform kernel at first use, and again after stale() or for weights at
// another address.
//   weights (co,ci,3,3) -> transformed (co,ci,Tile,Tile)
#pragma once

#include "tailor/nn/kernel_call.h"

namespace tailor {

template <int CO, int CI, int Tile>
class WinogradWeights {
public:
    // The transformed weights of `weights`; `transform(transformed)` runs the
    // kernel (named `kernel` in errors) when they are not current.
    template <typename Transform>
    auto of(const float *weights, Transform transform, const char *kernel) {
        if (values_.size() == 0) values_.assign(CO * CI * Tile * Tile);
        if (!current_ || from_ != weights) {
            check_kernel(transform(transformed()), kernel);
            current_ = true;
            from_ = weights;
        }
        return transformed();
    }
    // The weights changed in place: transform them again before next use.
    void stale() { current_ = false; }

private:
    auto transformed() { return view(values_.data(), CO, CI, Tile, Tile); }

    DeviceVector<float> values_;  // G g G^T of the weights
    bool current_ = false;
    const float *from_ = nullptr;  // the weights they were made from
};

}  // namespace tailor
