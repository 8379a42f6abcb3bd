// Fashion-MNIST in memory: pixels kept as bytes (47 MB for the training set
// instead of 188 MB as floats) and converted per batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

constexpr int kImageSide = 28;
constexpr int kImagePixels = kImageSide * kImageSide;
constexpr int kClasses = 10;
// The most images a data file may hold (822 MB of pixels; EMNIST's largest
// split has 700,000): a header that claims more is refused before anything
// is read, so a small gzip'd file cannot fill memory.
constexpr std::size_t kMaxImages = std::size_t{1} << 20;

struct Dataset {
    std::vector<uint8_t> pixels;  // image i at [i * kImagePixels, (i + 1) * kImagePixels)
    std::vector<uint8_t> labels;  // 0..9
    std::string source;           // where it was read from, for messages

    std::size_t size() const { return labels.size(); }
    const uint8_t *image(std::size_t i) const { return pixels.data() + i * kImagePixels; }
};

// Reads an IDX image file and its label file (each gzip'd or not), checking
// magic numbers, dimensions, counts (at least one image) and label range;
// reads no more than the headers promise.
Dataset load_idx(const std::string &images_path, const std::string &labels_path);

// Reads the Kaggle CSV layout: a header "label,pixel1,...,pixel784", then one
// image per row (gzip'd or not; as spreadsheets save it too: a UTF-8
// byte-order mark, CRLF line ends, no final newline). Reads a row at a time.
Dataset load_csv(const std::string &path);

struct DataSplit {
    Dataset train;  // the 60,000 training images (train + validation)
    Dataset test;   // the 10,000 test images
};

// Where the data comes from: empty = the Debian data set; one directory of
// IDX files; or two CSV files (train, test).
DataSplit load_data(const std::vector<std::string> &sources);

// Default location of the Debian package dataset-fashion-mnist.
inline const char *kDefaultDataDirectory = "/usr/share/datasets/fashion-mnist";

// Class names, in label order.
extern const char *const kClassNames[kClasses];

}  // namespace tailor
