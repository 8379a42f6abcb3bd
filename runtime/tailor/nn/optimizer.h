// Adam with Keras's defaults and update rule. A network applies it to each
// parameter tensor in turn, so in a GPU build every array stays on the device.
#pragma once

#include <cstdint>
#include <vector>

namespace tailor {

struct AdamState {
    std::vector<float> m, v;  // over the network's flat parameter array
    uint64_t step = 0;        // updates applied so far
};

struct AdamSettings {
    double learning_rate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;
};

// The step size of update number `step` (from 1), with the bias correction
// folded in, in double, as Keras does: lr * sqrt(1 - b2^t) / (1 - b1^t).
double adam_step_size(const AdamSettings &settings, uint64_t step);

// Applies one update in place: parameters -= step_size * m / (sqrt(v) + epsilon).
void adam_update(const AdamSettings &settings, double step_size, float *parameters, const float *gradients, float *m,
                 float *v, std::size_t size);

// average = decay * average + (1 - decay) * parameters, in place.
void ema_update(float *average, const float *parameters, std::size_t size, double decay);

}  // namespace tailor
