// IDX files (the original MNIST format): a big-endian magic number
// 0x000008NN (NN = number of dimensions), the extents, then unsigned bytes.
// The header says how many bytes follow; no more than that is read.
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"

#include <cstdio>
#include <string>

namespace tailor {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // ubyte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // ubyte, 1 dimension

uint32_t big_endian_u32(const uint8_t *bytes) {
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

std::string hex(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

// Reads and checks the header (magic, item count, and for images the
// extents); returns the item count.
std::size_t read_header(InputFile &file, uint32_t magic, const char *what) {
    uint8_t header[16];
    const std::size_t size = magic == kImagesMagic ? 16 : 8;
    const std::size_t got = file.read_some(header, size);
    if (got < size) {
        throw file_error(file.path(), "truncated: " + std::to_string(got) + " bytes, shorter than the " +
                                          std::to_string(size) + "-byte IDX header");
    }
    if (big_endian_u32(header) != magic) {
        throw file_error(file.path(), "wrong magic number " + hex(big_endian_u32(header)) + ", expected " +
                                          hex(magic) + " (IDX " + what + " file)");
    }
    if (magic == kImagesMagic) {
        const uint32_t rows = big_endian_u32(header + 8), cols = big_endian_u32(header + 12);
        if (rows != kImageSide || cols != kImageSide) {
            throw file_error(file.path(), "images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                                              ", expected 28x28");
        }
    }
    const std::size_t count = big_endian_u32(header + 4);
    if (count == 0) throw file_error(file.path(), std::string("holds no ") + what);
    if (count > kMaxImages) {
        throw file_error(file.path(), "header promises " + std::to_string(count) + " " + what +
                                          ", more than tailor reads (" + std::to_string(kMaxImages) + ")");
    }
    return count;
}

// The items the header promised, and nothing after them.
std::vector<uint8_t> read_items(InputFile &file, std::size_t count, std::size_t item_bytes, const char *what) {
    std::vector<uint8_t> items;
    const std::string promised = "the " + std::to_string(count) + " " + what + " the header promises";
    file.append_exactly(items, count * item_bytes, promised);
    if (!file.at_end()) throw file_error(file.path(), "unexpected bytes after " + promised);
    return items;
}

}  // namespace

Dataset load_idx(const std::string &images_path, const std::string &labels_path) {
    Dataset data;
    data.source = images_path;

    InputFile images(images_path);
    const std::size_t image_count = read_header(images, kImagesMagic, "images");
    InputFile labels(labels_path);
    const std::size_t label_count = read_header(labels, kLabelsMagic, "labels");
    if (label_count != image_count) {
        throw file_error(labels_path, "has " + std::to_string(label_count) + " labels but " + images_path + " has " +
                                          std::to_string(image_count) + " images");
    }
    data.labels = read_items(labels, label_count, 1, "labels");
    for (std::size_t i = 0; i < label_count; i++) {
        if (data.labels[i] >= kClasses) {
            throw file_error(labels_path, "label " + std::to_string(data.labels[i]) + " of item " +
                                              std::to_string(i) + " is out of range 0-9");
        }
    }
    data.pixels = read_items(images, image_count, kImagePixels, "images");
    return data;
}

}  // namespace tailor
