#include "tailor/run/augmentation.h"

#include "tailor/util/error.h"
#include "tailor/util/random.h"

namespace tailor {

bool augments(const TrainSettings &s) {
    return s.augment_shift > 0 || s.augment_flip > 0 || (s.erase_size > 0 && s.erase_probability > 0);
}

ImageTransform draw_transform(const TrainSettings &s, uint64_t epoch, uint32_t index, int width, int height) {
    SplitMix64 rng(derive_seed(derive_seed(s.seed, kAugmentStream, epoch), 0, index));
    const auto shift = static_cast<uint64_t>(2 * s.augment_shift + 1);
    const int64_t shift_x = static_cast<int64_t>(rng.below(shift)) - s.augment_shift;
    const int64_t shift_y = static_cast<int64_t>(rng.below(shift)) - s.augment_shift;
    const bool flip = rng.uniform() < s.augment_flip;
    const bool erase = rng.uniform() < s.erase_probability && s.erase_size > 0;
    // The square's centre anywhere in the image; the square may stick out.
    const int64_t erase_x = static_cast<int64_t>(rng.below(width)) - s.erase_size / 2;
    const int64_t erase_y = static_cast<int64_t>(rng.below(height)) - s.erase_size / 2;
    return {static_cast<int32_t>(shift_x), static_cast<int32_t>(shift_y), flip, erase,
            static_cast<int32_t>(erase_x), static_cast<int32_t>(erase_y)};
}

std::vector<ImageTransform> tta_transforms(const std::string &name) {
    const ImageTransform identity{}, mirror{0, 0, 1, 0, 0, 0};
    const std::vector<ImageTransform> shifts = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    if (name == "none") return {};
    if (name == "flip") return {identity, mirror};
    std::vector<ImageTransform> set = {identity};
    set.insert(set.end(), shifts.begin(), shifts.end());
    if (name == "shift") return set;
    if (name == "all") {
        for (const ImageTransform &t : std::vector<ImageTransform>(set)) {
            ImageTransform mirrored = t;
            mirrored.flip = 1;
            set.push_back(mirrored);
        }
        return set;
    }
    throw Error("--tta must be none, flip, shift or all, not '" + name + "'");
}

}  // namespace tailor
