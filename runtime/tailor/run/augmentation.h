// The transforms of a training batch's images, drawn per (seed, epoch, image
// index) so a run replays bit for bit and a resumed run draws what the
// uninterrupted one did; and the fixed transforms of test-time augmentation.
// The augment kernel applies them (runtime/tailor/nn/augment.h).
#pragma once

#include "tailor/nn/augment.h"
#include "tailor/run/settings.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

// Whether the settings augment at all.
bool augments(const TrainSettings &settings);

// Image `index`'s transform in `epoch`, for images of width x height. Every
// image draws all six values whatever is enabled, so turning one option on
// leaves the others' draws as they were.
ImageTransform draw_transform(const TrainSettings &settings, uint64_t epoch, uint32_t index, int width, int height);

// --tta: none (no transforms), flip (the image and its mirror), shift (the
// image and its four one-pixel shifts) or all (both, ten).
inline const std::vector<std::string> kTtaNames = {"none", "flip", "shift", "all"};
std::vector<ImageTransform> tta_transforms(const std::string &name);

}  // namespace tailor
