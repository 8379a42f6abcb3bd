#include "tailor/nn/activation_bound.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tailor {

double activation_bound(const std::vector<TensorInfo> &tensors, std::span<const float> parameters) {
    constexpr double kCap = 1e300;  // keeps the products finite in double
    double bound = 1, largest = 1;  // the inputs', then each layer's
    for (std::size_t t = 0; t + 1 < tensors.size(); t += 2) {
        const TensorInfo &weights = tensors[t], &bias = tensors[t + 1];
        const std::size_t outputs = weights.shape.front();
        if (bias.shape != std::vector<int>{static_cast<int>(outputs)}) {
            throw std::logic_error("activation_bound: " + weights.name + " is not followed by its bias");
        }
        std::size_t size = 1;
        for (int d : weights.shape) size *= static_cast<std::size_t>(d);
        std::vector<double> into(outputs, 0.0);
        for (std::size_t i = 0; i < size; i++) into[i % outputs] += std::fabs(parameters[weights.offset + i]);
        double next = 0;
        for (std::size_t o = 0; o < outputs; o++) {
            next = std::max(next, into[o] * bound + std::fabs(parameters[bias.offset + o]));
        }
        bound = std::min(next, kCap);
        largest = std::max(largest, bound);  // small later weights must not hide an earlier overflow
    }
    return largest;
}

}  // namespace tailor
