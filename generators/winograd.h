// What the Winograd generators share (conv2d_maxpool_winograd.cpp's
// F(2x2, 3x3), conv2d_winograd.cpp's F(3x3, 3x3)): the weights' transform
// G g G^T as its own kernel, run once per change of the parameters.
//   weights (co,ci,3,3) -> transformed (co,ci,T,T)
#pragma once

#include "convolution_base.h"

#include <functional>

namespace tailor {

// Self provides kTile (T) and weight_row(k, g): row k of G g, from the
// kernel's rows or columns g(0..2).
template <typename Self>
class WinogradWeightsBase : public ConvolutionBase<Self> {
public:
    Halide::GeneratorInput<Halide::Buffer<float>> weights{"weights", 4};
    Halide::GeneratorOutput<Halide::Buffer<float>> transformed{"transformed", 4};

    void generate() {
        // weights(co, ci, kx, ky): the kernel's row ky, column kx.
        rows(co, ci, kx, u) = Self::weight_row(u, [&](int ky) { return weights(co, ci, kx, ky); });
        transformed(co, ci, v, u) = Self::weight_row(v, [&](int kx) { return rows(co, ci, kx, u); });
        this->require_weights(weights);
        require_dense(transformed, {this->out_channels, this->in_channels, Self::kTile, Self::kTile}, false);
    }

    void schedule() {
        using namespace Halide;
        if (this->get_auto_schedule()) return;
        if (this->get_target().has_gpu_feature()) {
            gpu_tile_2d(transformed, co, ci, this->out_channels);
            return;
        }
        const int vec = std::min<int>(this->natural_vector(), this->out_channels);
        Var coo("coo"), coi("coi");
        transformed.split(co, coo, coi, vec, TailStrategy::ShiftInwards)
            .reorder(coi, v, u, coo, ci)
            .vectorize(coi)
            .unroll(v)
            .unroll(u)
            .parallel(ci);
    }

private:
    Halide::Var co{"co"}, ci{"ci"}, kx{"kx"}, u{"u"}, v{"v"};
    Halide::Func rows{"rows"};
};

}  // namespace tailor
