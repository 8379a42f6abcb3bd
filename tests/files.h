// Small files written by tests: a scratch directory removed afterwards, and
// synthetic IDX and CSV data sets (optionally gzip'd).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace files {

struct ScratchDirectory {
    std::filesystem::path path;

    ScratchDirectory() {
        char pattern[] = "/tmp/tailor-test-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~ScratchDirectory() { std::filesystem::remove_all(path); }
    std::string operator/(const std::string &name) const { return (path / name).string(); }
};

inline void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

inline void write_text(const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
}

inline void write_gzip(const std::string &path, const std::vector<uint8_t> &bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}

inline std::vector<uint8_t> read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void put_u32(std::vector<uint8_t> &out, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// IDX image file: magic 0x803, count, 28, 28, then pixel (i, p) = (i * 7 + p) % 256.
inline std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows = 28, uint32_t cols = 28,
                                       uint32_t magic = 0x803) {
    std::vector<uint8_t> out;
    put_u32(out, magic);
    put_u32(out, count);
    put_u32(out, rows);
    put_u32(out, cols);
    for (uint32_t i = 0; i < count; i++)
        for (uint32_t p = 0; p < rows * cols; p++) out.push_back(static_cast<uint8_t>((i * 7 + p) % 256));
    return out;
}

// IDX label file: magic 0x801, count, then label i = i % 10.
inline std::vector<uint8_t> idx_labels(uint32_t count, uint32_t magic = 0x801) {
    std::vector<uint8_t> out;
    put_u32(out, magic);
    put_u32(out, count);
    for (uint32_t i = 0; i < count; i++) out.push_back(static_cast<uint8_t>(i % 10));
    return out;
}

inline std::string csv_header() {
    std::string header = "label";
    for (int p = 1; p <= 784; p++) header += ",pixel" + std::to_string(p);
    return header + "\n";
}

// One CSV row with the given label and pixel p = (seed + p) % 256.
inline std::string csv_row(int label, int seed) {
    std::string row = std::to_string(label);
    for (int p = 0; p < 784; p++) row += "," + std::to_string((seed + p) % 256);
    return row + "\n";
}

}  // namespace files
