// adam: one Adam step over a flat parameter array, in place.
//
//   adam  parameters, gradients, m, v (size), step_size, beta1, beta2, epsilon ->
//         (parameters', m', v') (size)
//
// The Keras/TensorFlow form: m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2,
// p' = p - step_size * m' / (sqrt(v') + epsilon), where the runtime passes
// step_size = lr * sqrt(1 - b2^t) / (1 - b1^t). The three results are one
// Tuple, so each element is read before any of it is written, and the
// runtime may pass the input arrays as the outputs.
#include "elementwise.h"
#include "layout.h"

using namespace Halide;

namespace {

class Adam : public tailor::ElementwiseGenerator<Adam> {
public:
    Input<Buffer<float>> parameters{"parameters", 1};
    Input<Buffer<float>> gradients{"gradients", 1};
    Input<Buffer<float>> m{"m", 1};
    Input<Buffer<float>> v{"v", 1};
    Input<float> step_size{"step_size"};
    Input<float> beta1{"beta1"};
    Input<float> beta2{"beta2"};
    Input<float> epsilon{"epsilon"};
    Output<Func> updated{"updated", {Float(32), Float(32), Float(32)}, 1};

    void generate() {
        Expr g = gradients(i);
        Expr m_new = beta1 * m(i) + (1.0f - beta1) * g;
        Expr v_new = beta2 * v(i) + (1.0f - beta2) * (g * g);
        Expr p_new = parameters(i) - step_size * m_new / (sqrt(v_new) + epsilon);
        updated(i) = Tuple(p_new, m_new, v_new);
        for (auto *b : {&parameters, &gradients, &m, &v}) tailor::require_dense(*b, {0});
        // The Tuple's other buffers share the first one's extent.
        Func as_func = updated;
        for (OutputImageParam b : as_func.output_buffers()) b.dim(0).set_stride(1);
        as_func.output_buffers()[0].dim(0).set_min(0).set_estimate(0, 1 << 18);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        schedule_elementwise(updated);
    }
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Adam, adam)
