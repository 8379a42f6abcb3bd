// Per-image transforms of a batch before the first layer: augmentation in
// training, test-time augmentation in evaluation. Kernel:
// generators/augment.cpp, one per architecture input shape.
#pragma once

#include <cstdint>

namespace tailor {

// What the augment kernel does to one image (as its six int32 values): the
// image moved by (shift_x, shift_y) pixels after an optional mirror, and, if
// erase, a square of the run's erase size at (erase_x, erase_y) set to 0.
struct ImageTransform {
    int32_t shift_x = 0, shift_y = 0, flip = 0, erase = 0, erase_x = 0, erase_y = 0;
};
static_assert(sizeof(ImageTransform) == 6 * sizeof(int32_t), "the kernel reads six int32 per image");

// Kernel binding, specialised in the generated architectures.h.
template <int W, int H, int C>
struct AugmentKernels;

}  // namespace tailor
