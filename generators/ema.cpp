// ema: the exponential moving average of a flat parameter array, in place.
//
//   ema  average, parameters (size), decay -> average' (size)
//
// average' = decay * average + (1 - decay) * parameters. The runtime chooses
// the decay of each step and may pass the input average as the output.
#include "elementwise.h"
#include "layout.h"

using namespace Halide;

namespace {

class Ema : public tailor::ElementwiseGenerator<Ema> {
public:
    Input<Buffer<float>> average{"average", 1};
    Input<Buffer<float>> parameters{"parameters", 1};
    Input<float> decay{"decay"};
    Output<Buffer<float>> updated{"updated", 1};

    void generate() {
        updated(i) = decay * average(i) + (1.0f - decay) * parameters(i);
        for (auto *b : {&average, &parameters}) tailor::require_dense(*b, {0});
        tailor::require_dense(updated, {0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_elementwise(updated);
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Ema, ema)
