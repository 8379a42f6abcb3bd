// softmax_cross_entropy: the loss every architecture ends with, not a layer:
// softmax over the classes, the batch's mean cross-entropy, its gradient at
// the logits and running (loss, correct) totals, in one kernel.
// Kernel: generators/softmax_cross_entropy.cpp.
#pragma once

#include "tailor/nn/kernel_call.h"

namespace tailor {

// Kernel binding, specialised in the generated architectures.h.
template <int Classes>
struct SoftmaxCrossEntropyKernels;

template <int Classes>
struct SoftmaxCrossEntropy {
    using Kernels = SoftmaxCrossEntropyKernels<Classes>;
    static constexpr int classes = Classes;
};

}  // namespace tailor
