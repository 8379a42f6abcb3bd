// The Kaggle CSV layout of Fashion-MNIST: header "label,pixel1,...,pixel784",
// then one image per row: its label and 784 pixel values. Read a line at a
// time, each line at most kMaxLine bytes, so memory follows the rows read.
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace tailor {
namespace {

constexpr int kFields = 1 + kImagePixels;
// The longest row or header a spreadsheet writes, with room to spare
// ("pixel784," is 9 bytes a column).
constexpr std::size_t kMaxLine = 16 * 1024;
constexpr char kByteOrderMark[] = "\xEF\xBB\xBF";

class LineError {
public:
    LineError(const std::string &path, std::size_t line) : prefix_(path + ":" + std::to_string(line)) {}
    Error operator()(const std::string &problem) const { return Error(prefix_ + ": " + problem); }

private:
    std::string prefix_;
};

// The file's lines, one at a time, without their "\n" or "\r\n".
class LineReader {
public:
    explicit LineReader(const std::string &path) : file_(path) {}

    // The next line into `line` (false at the end of the file).
    bool next(std::string &line) {
        line.clear();
        if (at_ == end_ && !refill()) return false;
        for (;;) {
            const char *start = buffer_ + at_, *stop = static_cast<const char *>(std::memchr(start, '\n', end_ - at_));
            const std::size_t take = stop ? static_cast<std::size_t>(stop - start) : end_ - at_;
            if (line.size() + take > kMaxLine) {
                throw LineError(file_.path(), number_ + 1)("longer than " + std::to_string(kMaxLine) +
                                                           " bytes: not a row of this data set");
            }
            line.append(start, take);
            at_ += take;
            if (stop) {
                at_++;
                break;
            }
            if (!refill()) break;  // the last line, without a final newline
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        number_++;
        return true;
    }
    std::size_t number() const { return number_; }
    const std::string &path() const { return file_.path(); }

private:
    bool refill() {
        at_ = 0;
        end_ = file_.read_some(reinterpret_cast<uint8_t *>(buffer_), sizeof buffer_);
        return end_ > 0;
    }
    InputFile file_;
    char buffer_[1 << 16];
    std::size_t at_ = 0, end_ = 0, number_ = 0;
};

// Checks the header: the first field must be "label" and there must be 785
// fields. A UTF-8 byte-order mark before it is skipped.
void check_header(std::string header, const std::string &path) {
    if (header.rfind(kByteOrderMark, 0) == 0) header.erase(0, 3);
    if (header.rfind("label,", 0) != 0) {
        throw LineError(path, 1)("expected the header \"label,pixel1,...,pixel784\"");
    }
    const std::size_t fields = 1 + std::count(header.begin(), header.end(), ',');
    if (fields != kFields) {
        throw LineError(path, 1)("header has " + std::to_string(fields) + " columns, expected 785");
    }
}

// A row's label and 784 pixels, each checked for its range.
void parse_row(const std::string &text, const LineError &error, uint8_t (&row)[kFields]) {
    const char *p = text.data(), *end = p + text.size();
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
    LineReader lines(path);
    Dataset data;
    data.source = path;
    std::string line;
    if (!lines.next(line)) throw file_error(path, "is empty, expected the header \"label,pixel1,...,pixel784\"");
    check_header(line, path);

    uint8_t row[kFields];
    bool blank = false;  // a blank line is allowed only at the end
    while (lines.next(line)) {
        const LineError error(path, lines.number());
        if (blank) throw LineError(path, lines.number() - 1)("empty row");
        if (line.empty()) {
            blank = true;
            continue;
        }
        if (data.size() == kMaxImages) throw error("more than " + std::to_string(kMaxImages) + " images");
        parse_row(line, error, row);
        data.labels.push_back(row[0]);
        data.pixels.insert(data.pixels.end(), row + 1, row + kFields);
    }
    if (data.size() == 0) throw file_error(path, "no images after the header");
    return data;
}

}  // namespace tailor
