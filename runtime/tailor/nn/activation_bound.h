// A bound, from the weights alone, on every activation of a network whose
// inputs lie in [0, 1]: each layer's outputs are at most the largest over
// its outputs o of (sum of |w| into o) x (its inputs' bound) + |bias o|.
// ReLU, max pooling, flatten, and dropout and noise (off when classifying)
// never raise it. A trained network's bound is far below float's range; a
// forged checkpoint's near it could classify into NaN.
#pragma once

#include "tailor/nn/model.h"

#include <span>
#include <vector>

namespace tailor {

// The largest over the layers. `tensors` in layer order, each layer's
// weights (outputs innermost, as Tensor lays them out) then its bias.
double activation_bound(const std::vector<TensorInfo> &tensors, std::span<const float> parameters);

}  // namespace tailor
