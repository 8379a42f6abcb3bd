// Adam with Keras's defaults and update rule, over the network's flat
// parameter array (one kernel call per step for all tensors).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tailor {

struct AdamState {
    std::vector<float> m, v;
    uint64_t step = 0;  // updates applied so far
};

struct AdamSettings {
    double learning_rate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7;
};

// Applies one update: parameters -= step_size * m / (sqrt(v) + epsilon).
void adam_update(const AdamSettings &settings, AdamState &state, std::span<float> parameters,
                 std::span<const float> gradients);

}  // namespace tailor
