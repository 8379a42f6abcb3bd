// Grey-scale PNG files through libpng, and grids of 28x28 images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

struct GreyImage {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;  // row-major, 0 = black
};

// Encodes to PNG bytes (for files and for data: URIs).
std::string encode_png(const GreyImage &image);

// Writes atomically.
void write_png(const std::string &path, const GreyImage &image);

// Decodes a PNG file; throws Error naming the file if it is not one.
GreyImage read_png(const std::string &path);

// Images of 28x28 pixels laid out `columns` per row, each scaled by `scale`,
// separated by `gap` white pixels. Fashion-MNIST stores ink as high values,
// so pixels are inverted: dark clothes on a white page.
GreyImage image_grid(const std::vector<const uint8_t *> &images, int columns, int scale = 2, int gap = 4);

}  // namespace tailor
