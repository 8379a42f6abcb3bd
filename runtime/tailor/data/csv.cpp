// The Kaggle CSV layout of Fashion-MNIST: header "label,pixel1,...,pixel784",
// then one image per row: its label and 784 pixel values.
#include "tailor/util/read_file.h"
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

#include <algorithm>
#include <string>

namespace tailor {
namespace {

constexpr int kFields = 1 + kImagePixels;

class LineError {
public:
    LineError(const std::string &path, std::size_t line) : prefix_(path + ":" + std::to_string(line)) {}
    Error operator()(const std::string &problem) const { return Error(prefix_ + ": " + problem); }

private:
    std::string prefix_;
};

// Where the line starting at `from` ends: its '\n', or the end of the bytes.
std::size_t line_end(const std::vector<uint8_t> &bytes, std::size_t from) {
    while (from < bytes.size() && bytes[from] != '\n') from++;
    return from;
}

// Checks the header: the first field must be "label" and there must be 785
// fields. Returns where the rows start.
std::size_t skip_header(const std::vector<uint8_t> &bytes, const std::string &path) {
    const std::size_t stop = line_end(bytes, 0);
    std::string header(bytes.begin(), bytes.begin() + stop);
    if (!header.empty() && header.back() == '\r') header.pop_back();
    if (header.rfind("label,", 0) != 0) {
        throw LineError(path, 1)("expected the header \"label,pixel1,...,pixel784\"");
    }
    const std::size_t fields = 1 + std::count(header.begin(), header.end(), ',');
    if (fields != kFields) {
        throw LineError(path, 1)("header has " + std::to_string(fields) + " columns, expected 785");
    }
    return stop + 1;
}

// A row's label and 784 pixels, from the bytes [p, end) without the line
// break, each checked for its range.
void parse_row(const uint8_t *p, const uint8_t *end, const LineError &error, uint8_t (&row)[kFields]) {
    int field = 0;
    for (;;) {
        if (field == kFields) throw error("more than 785 values in the row");
        unsigned value = 0;
        int digits = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            value = value * 10 + (*p - '0');
            if (++digits > 4) throw error("value in column " + std::to_string(field + 1) + " is too long");
            p++;
        }
        if (digits == 0 || (p < end && *p != ',')) {
            throw error("column " + std::to_string(field + 1) + " is not a non-negative integer");
        }
        if (field == 0 && value >= kClasses) throw error("label " + std::to_string(value) + " is out of range 0-9");
        if (field > 0 && value > 255) {
            throw error("pixel value " + std::to_string(value) + " in column " + std::to_string(field + 1) +
                        " is out of range 0-255");
        }
        row[field++] = static_cast<uint8_t>(value);
        if (p == end) break;
        p++;  // the comma
    }
    if (field != kFields) throw error("expected 785 values (label and 784 pixels), found " + std::to_string(field));
}

}  // namespace

Dataset load_csv(const std::string &path) {
    const std::vector<uint8_t> bytes = read_possibly_gzipped(path);
    Dataset data;
    data.source = path;

    const std::size_t end = bytes.size();
    std::size_t at = skip_header(bytes, path), line = 1;
    uint8_t row[kFields];
    while (at < end) {
        line++;
        const std::size_t stop = line_end(bytes, at);
        std::size_t content_end = stop;
        if (content_end > at && bytes[content_end - 1] == '\r') content_end--;
        if (content_end == at) {  // blank line: allowed only at the end
            at = stop + 1;
            if (at < end) throw LineError(path, line)("empty row");
            break;
        }
        parse_row(bytes.data() + at, bytes.data() + content_end, LineError(path, line), row);
        data.labels.push_back(row[0]);
        data.pixels.insert(data.pixels.end(), row + 1, row + kFields);
        at = stop + 1;
    }
    if (data.size() == 0) throw file_error(path, "no images after the header");
    return data;
}

}  // namespace tailor
