// The data loaders on small synthetic files: what they accept, and a clear
// one-line error naming the file for each malformed variant.
#define BOOST_TEST_MODULE data
#include "files.h"

#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

using files::ScratchDirectory;

namespace {

// Runs `load` and checks it throws tailor::Error whose one-line message names
// `file` and contains `problem`.
template <typename Load>
void expect_error(Load load, const std::string &file, const std::string &problem) {
    try {
        load();
        BOOST_ERROR("expected an error mentioning '" << problem << "'");
    } catch (const tailor::Error &e) {
        const std::string message = e.what();
        BOOST_TEST(message.find(file) != std::string::npos, "'" << message << "' names " << file);
        BOOST_TEST(message.find(problem) != std::string::npos, "'" << message << "' says " << problem);
        BOOST_TEST(message.find('\n') == std::string::npos, "'" << message << "' is one line");
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(idx_plain_and_gzip_load_identically) {
    ScratchDirectory dir;
    files::write_bytes(dir / "images", files::idx_images(5));
    files::write_bytes(dir / "labels", files::idx_labels(5));
    files::write_gzip(dir / "images.gz", files::idx_images(5));
    files::write_gzip(dir / "labels.gz", files::idx_labels(5));
    const auto plain = tailor::load_idx(dir / "images", dir / "labels");
    const auto gzipped = tailor::load_idx(dir / "images.gz", dir / "labels.gz");
    BOOST_TEST(plain.size() == 5u);
    BOOST_TEST((plain.pixels == gzipped.pixels));
    BOOST_TEST((plain.labels == gzipped.labels));
    BOOST_TEST(plain.labels[3] == 3);
    BOOST_TEST(plain.image(2)[10] == (2 * 7 + 10) % 256);
}

BOOST_AUTO_TEST_CASE(idx_errors_name_the_file_and_problem) {
    ScratchDirectory dir;
    const std::string images = dir / "images", labels = dir / "labels";
    files::write_bytes(labels, files::idx_labels(5));

    expect_error([&] { tailor::load_idx(dir / "missing", labels); }, dir / "missing", "no such file");

    files::write_bytes(images, files::idx_images(5, 28, 28, 0x801));
    expect_error([&] { tailor::load_idx(images, labels); }, images, "wrong magic number 0x00000801");

    files::write_bytes(images, files::idx_images(5, 32, 28));
    expect_error([&] { tailor::load_idx(images, labels); }, images, "images are 32x28, expected 28x28");

    auto truncated = files::idx_images(5);
    truncated.resize(truncated.size() - 100);
    files::write_bytes(images, truncated);
    expect_error([&] { tailor::load_idx(images, labels); }, images, "truncated");

    files::write_bytes(images, {0, 0, 8});
    expect_error([&] { tailor::load_idx(images, labels); }, images, "shorter than the 16-byte IDX header");

    auto extra = files::idx_images(5);
    extra.push_back(0);
    files::write_bytes(images, extra);
    expect_error([&] { tailor::load_idx(images, labels); }, images, "unexpected bytes");

    files::write_bytes(images, files::idx_images(6));
    expect_error([&] { tailor::load_idx(images, labels); }, labels, "has 5 labels but");

    files::write_bytes(images, files::idx_images(5));
    auto bad_label = files::idx_labels(5);
    bad_label[8 + 2] = 10;
    files::write_bytes(labels, bad_label);
    expect_error([&] { tailor::load_idx(images, labels); }, labels, "label 10 of item 2 is out of range 0-9");
}

BOOST_AUTO_TEST_CASE(truncated_and_corrupt_gzip_are_reported) {
    ScratchDirectory dir;
    const std::string labels = dir / "labels";
    files::write_bytes(labels, files::idx_labels(50));
    files::write_gzip(dir / "whole.gz", files::idx_images(50));
    auto bytes = files::read_bytes(dir / "whole.gz");

    auto cut = bytes;
    cut.resize(cut.size() / 2);
    files::write_bytes(dir / "cut.gz", cut);
    expect_error([&] { tailor::load_idx(dir / "cut.gz", labels); }, dir / "cut.gz", "truncated gzip");
    try {
        tailor::load_idx(dir / "cut.gz", labels);
        BOOST_ERROR("a truncated gzip file was accepted");
    } catch (const tailor::Error &e) {  // zlib's message names the file too
        const std::string message = e.what();
        BOOST_TEST(message.find(dir / "cut.gz", 1) == std::string::npos, "the path once: " << message);
    }

    auto corrupt = bytes;
    for (std::size_t i = 20; i < 60; i++) corrupt[i] ^= 0x5a;
    files::write_bytes(dir / "corrupt.gz", corrupt);
    expect_error([&] { tailor::load_idx(dir / "corrupt.gz", labels); }, dir / "corrupt.gz", "gzip");
}

BOOST_AUTO_TEST_CASE(idx_counts_are_checked_before_anything_is_read) {
    ScratchDirectory dir;
    const std::string images = dir / "images", labels = dir / "labels";
    files::write_bytes(images, files::idx_images(0));
    files::write_bytes(labels, files::idx_labels(0));
    expect_error([&] { tailor::load_idx(images, labels); }, images, "holds no images");

    // A header that claims more images than tailor reads is refused at once.
    auto huge = files::idx_images(1);
    huge[4] = 0x7f;
    files::write_bytes(images, huge);
    expect_error([&] { tailor::load_idx(images, labels); }, images, "more than tailor reads");
}

// The process's peak resident memory so far, in MiB.
long peak_memory_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

BOOST_AUTO_TEST_CASE(a_decompression_bomb_stops_after_what_the_header_promised) {
    // 3 images' worth of header, then 256 MiB of zeros compressed to about
    // 256 KiB: reading stops one byte past the 3 images.
    ScratchDirectory dir;
    const std::string bomb = dir / "bomb.gz", labels = dir / "labels";
    files::write_bytes(labels, files::idx_labels(3));
    {
        gzFile f = gzopen(bomb.c_str(), "wb9");
        const auto header = files::idx_images(3);
        gzwrite(f, header.data(), static_cast<unsigned>(header.size()));
        const std::vector<uint8_t> zeros(1 << 20, 0);
        for (int i = 0; i < 256; i++) gzwrite(f, zeros.data(), static_cast<unsigned>(zeros.size()));
        gzclose(f);
    }
    const long before = peak_memory_mib();
    expect_error([&] { tailor::load_idx(bomb, labels); }, bomb, "unexpected bytes after the 3 images");
    BOOST_TEST(peak_memory_mib() - before < 32, "peak memory grew by " << peak_memory_mib() - before << " MiB");

    // A header that promises a million images in a file that holds three:
    // memory follows the bytes that arrive, not the promise.
    constexpr uint32_t kPromised = 1000003;
    auto lying = files::idx_images(3);
    lying[4] = kPromised >> 24, lying[5] = (kPromised >> 16) & 0xff, lying[6] = (kPromised >> 8) & 0xff;
    lying[7] = kPromised & 0xff;
    files::write_gzip(dir / "lying.gz", lying);
    files::write_bytes(labels, files::idx_labels(kPromised));
    expect_error([&] { tailor::load_idx(dir / "lying.gz", labels); }, dir / "lying.gz", "truncated");
    BOOST_TEST(peak_memory_mib() - before < 32, "peak memory grew by " << peak_memory_mib() - before << " MiB");
}

BOOST_AUTO_TEST_CASE(csv_loads_kaggle_layout) {
    ScratchDirectory dir;
    files::write_text(dir / "train.csv", files::csv_header() + files::csv_row(3, 0) + files::csv_row(9, 5));
    std::string crlf = files::csv_header() + files::csv_row(1, 2);
    crlf.insert(crlf.size() - 1, "\r");
    files::write_text(dir / "crlf.csv", crlf);
    const auto data = tailor::load_csv(dir / "train.csv");
    BOOST_TEST(data.size() == 2u);
    BOOST_TEST(data.labels[1] == 9);
    BOOST_TEST(data.image(1)[0] == 5);
    BOOST_TEST(data.image(1)[783] == (5 + 783) % 256);
    BOOST_TEST(tailor::load_csv(dir / "crlf.csv").labels[0] == 1);
}

BOOST_AUTO_TEST_CASE(csv_as_spreadsheets_save_it) {
    // A UTF-8 byte-order mark, CRLF line ends and no final newline.
    ScratchDirectory dir;
    std::string text = "\xEF\xBB\xBF" + files::csv_header() + files::csv_row(4, 1) + files::csv_row(7, 2);
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) {
        text.insert(at, "\r");
    }
    text.erase(text.size() - 2);
    files::write_text(dir / "saved.csv", text);
    const auto data = tailor::load_csv(dir / "saved.csv");
    BOOST_TEST(data.size() == 2u);
    BOOST_TEST(data.labels[0] == 4);
    BOOST_TEST(data.labels[1] == 7);
    BOOST_TEST(data.image(1)[783] == (2 + 783) % 256, "the last pixel of the unterminated row");
}

BOOST_AUTO_TEST_CASE(csv_errors_name_the_file_line_and_problem) {
    ScratchDirectory dir;
    const std::string path = dir / "bad.csv";
    auto check = [&](const std::string &content, const std::string &problem) {
        files::write_text(path, content);
        expect_error([&] { tailor::load_csv(path); }, path, problem);
    };
    check("pixel1,pixel2\n", "expected the header");
    check("label,pixel1\n", "header has 2 columns, expected 785");
    check(files::csv_header(), "no images after the header");
    std::string short_row = files::csv_row(1, 0);
    short_row = short_row.substr(0, short_row.rfind(',')) + "\n";
    check(files::csv_header() + short_row, ":2: expected 785 values (label and 784 pixels), found 784");
    check(files::csv_header() + files::csv_row(1, 0) + "12" + files::csv_row(1, 0).substr(1),
          ":3: label 12 is out of range 0-9");
    std::string big_pixel = files::csv_row(1, 0);
    big_pixel.replace(2, 1, "300");
    check(files::csv_header() + big_pixel, "pixel value 300 in column 2 is out of range 0-255");
    std::string text_pixel = files::csv_row(1, 0);
    text_pixel.replace(2, 1, "x");
    check(files::csv_header() + text_pixel, "column 2 is not a non-negative integer");
    std::string negative = files::csv_row(1, 0);
    negative.replace(2, 1, "-4");
    check(files::csv_header() + negative, "column 2 is not a non-negative integer");
    check(files::csv_header() + files::csv_row(1, 0) + "\n" + files::csv_row(1, 0), ":3: empty row");
    check("", "is empty");
    check(files::csv_header() + std::string(100000, '1'), ":2: longer than 16384 bytes");
}

BOOST_AUTO_TEST_CASE(data_sources_choose_idx_directory_or_csv_pair) {
    ScratchDirectory dir;
    files::write_gzip(dir / "train-images-idx3-ubyte.gz", files::idx_images(4));
    files::write_gzip(dir / "train-labels-idx1-ubyte.gz", files::idx_labels(4));
    files::write_bytes(dir / "t10k-images-idx3-ubyte", files::idx_images(2));
    files::write_bytes(dir / "t10k-labels-idx1-ubyte", files::idx_labels(2));
    const auto split = tailor::load_data({dir.path.string()});
    BOOST_TEST(split.train.size() == 4u);
    BOOST_TEST(split.test.size() == 2u);

    files::write_text(dir / "a.csv", files::csv_header() + files::csv_row(0, 0));
    files::write_text(dir / "b.csv", files::csv_header() + files::csv_row(1, 0) + files::csv_row(2, 0));
    const auto csv = tailor::load_data({dir / "a.csv", dir / "b.csv"});
    BOOST_TEST(csv.train.size() == 1u);
    BOOST_TEST(csv.test.size() == 2u);

    expect_error([&] { tailor::load_data({dir / "nowhere"}); }, dir / "nowhere", "no such directory");
    expect_error([&] { tailor::load_data({dir / "a.csv"}); }, dir / "a.csv", "is not a directory");
    std::filesystem::remove(dir / "t10k-labels-idx1-ubyte");
    expect_error([&] { tailor::load_data({dir.path.string()}); }, "t10k-labels-idx1-ubyte", "no such file");
}
