// dropout: inverted dropout with a counter-based mask.
//
//   dropout  input (size), seed, step, rate -> output (size)
//
// Element i is kept when hash(seed, step, i) lands at or above `rate`, and kept
// elements are scaled by 1/(1-rate). The mask is a pure function of
// (seed, step, i), so the backward pass is this same kernel applied to the
// output gradient with the same key, nothing is stored between the two, and
// any run replays exactly. The runtime folds the layer's index into `seed`.
#include "elementwise.h"
#include "layout.h"

#include "dropout_hash.h"

using namespace Halide;

namespace {

class Dropout : public tailor::ElementwiseGenerator<Dropout> {
public:
    Input<Buffer<float>> input{"input", 1};
    Input<uint32_t> seed{"seed"};
    Input<uint32_t> step{"step"};
    Input<float> rate{"rate"};
    Output<Buffer<float>> output{"output", 1};

    void generate() {
        Expr key = tailor::step_key(Expr(seed), Expr(step));
        Expr bits = tailor::mix32(key ^ cast<uint32_t>(i));
        Expr threshold = cast<uint32_t>(rate * tailor::kDropoutResolution);
        Expr scale = 1.0f / (1.0f - rate);
        output(i) = select((bits >> 8) >= threshold, input(i) * scale, 0.0f);
        tailor::require_dense(input, {0});
        tailor::require_dense(output, {0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_elementwise(output);
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Dropout, dropout)
