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

}  // namespace

Dataset load_csv(const std::string &path) {
    const std::vector<uint8_t> bytes = read_possibly_gzipped(path);
    Dataset data;
    data.source = path;

    std::size_t at = 0, line = 1;
    const std::size_t end = bytes.size();
    auto line_end = [&](std::size_t from) {
        while (from < end && bytes[from] != '\n') from++;
        return from;
    };

    // Header: the first field must be "label" and there must be 785 fields.
    {
        const std::size_t stop = line_end(at);
        std::string header(bytes.begin() + at, bytes.begin() + stop);
        if (!header.empty() && header.back() == '\r') header.pop_back();
        if (header.rfind("label,", 0) != 0) {
            throw LineError(path, line)("expected the header \"label,pixel1,...,pixel784\"");
        }
        const std::size_t fields = 1 + std::count(header.begin(), header.end(), ',');
        if (fields != kFields) {
            throw LineError(path, line)("header has " + std::to_string(fields) + " columns, expected 785");
        }
        at = stop + 1;
    }

    uint8_t row[kFields];
    while (at < end) {
        line++;
        const std::size_t stop = line_end(at);
        std::size_t content_end = stop;
        if (content_end > at && bytes[content_end - 1] == '\r') content_end--;
        if (content_end == at) {  // blank line: allowed only at the end
            at = stop + 1;
            if (at < end) throw LineError(path, line)("empty row");
            break;
        }
        const LineError error(path, line);
        int field = 0;
        std::size_t p = at;
        for (;;) {
            if (field == kFields) throw error("more than 785 values in the row");
            unsigned value = 0;
            int digits = 0;
            while (p < content_end && bytes[p] >= '0' && bytes[p] <= '9') {
                value = value * 10 + (bytes[p] - '0');
                if (++digits > 4) throw error("value in column " + std::to_string(field + 1) + " is too long");
                p++;
            }
            if (digits == 0 || (p < content_end && bytes[p] != ',')) {
                throw error("column " + std::to_string(field + 1) + " is not a non-negative integer");
            }
            if (field == 0 && value >= kClasses) {
                throw error("label " + std::to_string(value) + " is out of range 0-9");
            }
            if (field > 0 && value > 255) {
                throw error("pixel value " + std::to_string(value) + " in column " + std::to_string(field + 1) +
                            " is out of range 0-255");
            }
            row[field++] = static_cast<uint8_t>(value);
            if (p == content_end) break;
            p++;  // the comma
        }
        if (field != kFields) {
            throw error("expected 785 values (label and 784 pixels), found " + std::to_string(field));
        }
        data.labels.push_back(row[0]);
        data.pixels.insert(data.pixels.end(), row + 1, row + kFields);
        at = stop + 1;
    }
    if (data.size() == 0) throw file_error(path, "no images after the header");
    return data;
}

}  // namespace tailor
