// gaussian_noise: additive zero-mean Gaussian noise (Keras's GaussianNoise),
// active only in training.
//
//   gaussian_noise  input (size), seed, step, stddev -> output (size)
//
// output(i) = input(i) + stddev * z(i), with z(i) a standard normal drawn by
// Box-Muller from two counter-based uniforms (the dropout hash of
// (seed, step, 2i) and (seed, step, 2i+1)), so runs replay exactly. The
// gradient is the identity: the runtime passes d_output through unchanged.
#include "elementwise.h"
#include "layout.h"

#include "dropout_hash.h"

using namespace Halide;

namespace {

class GaussianNoise : public tailor::ElementwiseGenerator<GaussianNoise> {
public:
    Input<Buffer<float>> input{"input", 1};
    Input<uint32_t> seed{"seed"};
    Input<uint32_t> step{"step"};
    Input<float> stddev{"stddev"};
    Output<Buffer<float>> output{"output", 1};

    void generate() {
        Expr key = tailor::step_key(Expr(seed), Expr(step));
        Expr index = cast<uint32_t>(i) * 2;
        // u1 in (0, 1] so its logarithm is finite; u2 in [0, 1).
        Expr u1 = cast<float>((tailor::mix32(key ^ index) >> 8) + 1) * (1.0f / tailor::kDropoutResolution);
        Expr u2 = cast<float>(tailor::mix32(key ^ (index + 1)) >> 8) * (1.0f / tailor::kDropoutResolution);
        // fast_log and fast_cos vectorize (log and cos become scalar libm calls);
        // their ~1e-5 error is far below the noise they shape.
        Expr z = sqrt(-2.0f * fast_log(u1)) * fast_cos(6.28318530717958647692f * u2);
        output(i) = input(i) + stddev * z;
        tailor::require_dense(input, {0});
        tailor::require_dense(output, {0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_elementwise(output);
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(GaussianNoise, gaussian_noise)
