// flatten: reinterprets (c,w,h) as (c*w*h). Channels-innermost memory already
// is Keras's flattened order, so nothing moves and no kernel runs.
#pragma once

#include "tailor/nn/layer.h"

namespace tailor {

struct FlattenTag {};

template <Shape S>
struct Flatten {
    using Tag = FlattenTag;
    using Params = NoParams;
    static constexpr Shape in = S;
    static constexpr Shape out{static_cast<int>(S.size())};
    static constexpr std::array rows{LayerRow{"Flatten", "flatten", out}};
    static constexpr bool computes_input_gradient = true;

    explicit Flatten(int) {}

    const float *forward(const float *x, float *, int, const Params &) { return x; }
    const float *forward_train(const float *x, float *, int, const Params &, const StepContext &) { return x; }
    const float *backward(const float *, const float *, const float *dy, float *, int, const Params &, Params &,
                          const StepContext &) {
        return dy;
    }
};

}  // namespace tailor
