// A photo made into a network input the way Fashion-MNIST made its images
// (its README: trim the background, resize the longest edge to 28, sharpen,
// centre, negate, grey): the product light on a black background, 28x28.
#pragma once

#include "tailor/image/decode.h"

#include <vector>

namespace tailor {

// 28x28 values in [0, 1], row-major. Polarity comes from the image: a light
// border (the median of the edge pixels) means a light background, which is
// negated. A 28x28 image on a dark background is taken as it is, as the data
// set's own images are. The resizing is the resample Halide kernel.
std::vector<float> prepare_photo(const Photo &photo);

}  // namespace tailor
