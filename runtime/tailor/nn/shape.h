// Shape of one sample's activation: channels innermost, then x, then y.
// A flattened activation is {features, 1, 1}.
#pragma once

#include <cstddef>

namespace tailor {

struct Shape {
    int channels = 1;
    int width = 1;
    int height = 1;

    constexpr std::size_t size() const {
        return static_cast<std::size_t>(channels) * width * height;
    }
    constexpr bool flat() const { return width == 1 && height == 1; }
};

}  // namespace tailor
