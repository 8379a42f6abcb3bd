// Turning stored bytes into a batch the network takes: pixels scaled to
// [0, 1] (as the report does) and labels widened to int32.
#pragma once

#include "tailor/data/dataset.h"

#include <cstdint>

namespace tailor {

inline void fill_batch(const Dataset &data, const uint32_t *indices, int n, float *images, int32_t *labels) {
    for (int i = 0; i < n; i++) {
        const uint8_t *pixels = data.image(indices[i]);
        float *out = images + static_cast<std::size_t>(i) * kImagePixels;
        for (int p = 0; p < kImagePixels; p++) out[p] = pixels[p] * (1.0f / 255.0f);
        labels[i] = data.labels[indices[i]];
    }
}

}  // namespace tailor
