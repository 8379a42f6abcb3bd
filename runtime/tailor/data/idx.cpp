// IDX files (the original MNIST format): a big-endian magic number
// 0x000008NN (NN = number of dimensions), the extents, then unsigned bytes.
#include "tailor/util/read_file.h"
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

#include <cstdio>
#include <string>

namespace tailor {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // ubyte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // ubyte, 1 dimension

uint32_t big_endian_u32(const std::vector<uint8_t> &bytes, std::size_t at) {
    return (uint32_t(bytes[at]) << 24) | (uint32_t(bytes[at + 1]) << 16) | (uint32_t(bytes[at + 2]) << 8) |
           uint32_t(bytes[at + 3]);
}

std::string hex(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

// Checks the header and the payload size; returns the item count.
std::size_t check_idx(const std::string &path, const std::vector<uint8_t> &bytes, uint32_t magic,
                      std::size_t header_words, std::size_t item_bytes, const char *what) {
    const std::size_t header = 4 * header_words;
    if (bytes.size() < header) {
        throw file_error(path, "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
                                   std::to_string(header) + "-byte IDX header");
    }
    const uint32_t found = big_endian_u32(bytes, 0);
    if (found != magic) {
        throw file_error(path, "wrong magic number " + hex(found) + ", expected " + hex(magic) + " (IDX " + what +
                                   " file)");
    }
    const std::size_t count = big_endian_u32(bytes, 4);
    const std::size_t expected = header + count * item_bytes;
    if (bytes.size() < expected) {
        throw file_error(path, "truncated: header promises " + std::to_string(count) + " " + what + " (" +
                                   std::to_string(expected) + " bytes) but the file has " +
                                   std::to_string(bytes.size()) + " bytes");
    }
    if (bytes.size() > expected) {
        throw file_error(path, std::to_string(bytes.size() - expected) + " unexpected bytes after the " +
                                   std::to_string(count) + " " + what + " the header promises");
    }
    return count;
}

}  // namespace

Dataset load_idx(const std::string &images_path, const std::string &labels_path) {
    Dataset data;
    data.source = images_path;

    std::vector<uint8_t> images = read_possibly_gzipped(images_path);
    if (images.size() >= 16 && big_endian_u32(images, 0) == kImagesMagic) {
        const uint32_t rows = big_endian_u32(images, 8), cols = big_endian_u32(images, 12);
        if (rows != kImageSide || cols != kImageSide) {
            throw file_error(images_path, "images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                                              ", expected 28x28");
        }
    }
    const std::size_t image_count = check_idx(images_path, images, kImagesMagic, 4, kImagePixels, "images");

    std::vector<uint8_t> labels = read_possibly_gzipped(labels_path);
    const std::size_t label_count = check_idx(labels_path, labels, kLabelsMagic, 2, 1, "labels");
    if (label_count != image_count) {
        throw file_error(labels_path, "has " + std::to_string(label_count) + " labels but " + images_path + " has " +
                                          std::to_string(image_count) + " images");
    }
    for (std::size_t i = 0; i < label_count; i++) {
        const uint8_t label = labels[8 + i];
        if (label >= kClasses) {
            throw file_error(labels_path, "label " + std::to_string(label) + " of item " + std::to_string(i) +
                                              " is out of range 0-9");
        }
    }
    data.pixels.assign(images.begin() + 16, images.end());
    data.labels.assign(labels.begin() + 8, labels.end());
    return data;
}

}  // namespace tailor
