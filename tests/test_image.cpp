// Photos for tailor predict: PNG in each colour type, JPEG, EXIF orientation,
// broken and oversized files; the resample kernel against a plain loop; and
// the preparation of a photo into a 28x28 input.
#define BOOST_TEST_MODULE image
#include "files.h"

#include "kernel_resample.h"
#include "tailor/image/prepare.h"
#include "tailor/nn/kernel_call.h"
#include "tailor/util/error.h"
#include "tailor/util/random.h"

#include <boost/test/unit_test.hpp>
#include <png.h>

#include <cmath>

namespace {

// A PNG of `pixels` (laid out as `format` says) through libpng's writer.
std::string png_of(int width, int height, png_uint_32 format, const void *pixels, const void *colormap = nullptr,
                   int colors = 0) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = format;
    image.colormap_entries = colors;
    png_alloc_size_t size = 0;
    BOOST_REQUIRE(png_image_write_get_memory_size(image, size, 0, pixels, 0, colormap));
    std::string bytes(size, '\0');
    BOOST_REQUIRE(png_image_write_to_memory(&image, bytes.data(), &size, 0, pixels, 0, colormap));
    bytes.resize(size);
    return bytes;
}

// A 6x4 ramp of grey levels, 0 at the top left, 230 at the bottom right.
std::vector<uint8_t> ramp() {
    std::vector<uint8_t> grey(24);
    for (int i = 0; i < 24; i++) grey[i] = static_cast<uint8_t>(i * 10);
    return grey;
}

void expect_ramp(const tailor::Photo &photo, const std::string &what) {
    BOOST_TEST_CONTEXT(what) {
        BOOST_TEST_REQUIRE(photo.width == 6);
        BOOST_TEST_REQUIRE(photo.height == 4);
        for (int i = 0; i < 24; i++) BOOST_TEST(std::abs(photo.grey[i] - i * 10 / 255.0f) < 1.5f / 255, "pixel " << i);
    }
}

void expect_error(const std::string &bytes, const std::string &problem) {
    try {
        tailor::decode_photo("photo", bytes);
        BOOST_ERROR("accepted; expected: " << problem);
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()).find("photo: " + problem) == 0, e.what());
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(png_in_every_colour_type_decodes_to_the_same_grey) {
    const auto grey = ramp();
    expect_ramp(tailor::decode_photo("grey", png_of(6, 4, PNG_FORMAT_GRAY, grey.data())), "8-bit grey");
    std::vector<uint8_t> rgb, palette_indices;
    for (uint8_t g : grey) rgb.insert(rgb.end(), {g, g, g});
    expect_ramp(tailor::decode_photo("rgb", png_of(6, 4, PNG_FORMAT_RGB, rgb.data())), "RGB");
    for (int i = 0; i < 24; i++) palette_indices.push_back(static_cast<uint8_t>(i));
    expect_ramp(tailor::decode_photo("palette", png_of(6, 4, PNG_FORMAT_RGB_COLORMAP, palette_indices.data(),
                                                       rgb.data(), 24)),
                "palette");
    std::vector<uint16_t> deep;  // 16-bit: the same levels, each byte repeated
    for (uint8_t g : grey) deep.push_back(static_cast<uint16_t>(g * 257));
    const auto sixteen = tailor::decode_photo("16-bit", png_of(6, 4, PNG_FORMAT_GRAY | PNG_FORMAT_FLAG_LINEAR, deep.data()));
    BOOST_TEST(sixteen.width == 6);
    for (int i = 1; i < 24; i++) BOOST_TEST(sixteen.grey[i] > sixteen.grey[i - 1], "16-bit levels keep their order");
}

BOOST_AUTO_TEST_CASE(transparent_pixels_count_as_a_light_background) {
    std::vector<uint8_t> rgba(24 * 4, 0);  // transparent black...
    rgba[4 * 5 + 3] = 255;                // ...but pixel 5, opaque black
    const auto photo = tailor::decode_photo("rgba", png_of(6, 4, PNG_FORMAT_RGBA, rgba.data()));
    BOOST_TEST(photo.grey[0] == 1.0f);
    BOOST_TEST(photo.grey[5] == 0.0f);
}

BOOST_AUTO_TEST_CASE(broken_and_oversized_files_are_one_line_errors) {
    const auto grey = ramp();
    const std::string png = png_of(6, 4, PNG_FORMAT_GRAY, grey.data());
    expect_error("GIF89a....", "not a PNG or JPEG image");
    expect_error(png.substr(0, 40), "not a readable PNG image");
    expect_error(png.substr(0, png.size() - 20), "corrupt or truncated PNG image");
    // The IHDR of a 100000 x 100000 image, with its checksum right.
    std::string bomb = png.substr(0, 33);
    for (int at : {16, 20}) bomb.replace(at, 4, std::string("\x00\x01\x86\xa0", 4));
    const uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef *>(bomb.data() + 12), 17));
    for (int i = 0; i < 4; i++) bomb[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
    expect_error(bomb + png.substr(33), "claims 100000x100000 pixels");
    expect_error(std::string("\xFF\xD8\xFF\xE0", 4), "not a readable JPEG image");
}

BOOST_AUTO_TEST_CASE(resample_kernel_matches_a_plain_box_filter) {
    // 37x23 to 28x17 (scale 37/28) and 5x4 to 28x22 (enlarged), against
    // the area average in double precision.
    for (const auto [w, h, ow, oh] : {std::array{37, 23, 28, 17}, std::array{5, 4, 28, 22}}) {
        tailor::SplitMix64 rng(w * 100 + h);
        tailor::KernelMemory<float> in(w * h), out(ow * oh);
        for (auto &v : in) v = static_cast<float>(rng.uniform());
        const double scale = static_cast<double>(w) / ow;
        tailor::check_kernel(tailor::kernels::resample(tailor::view(in.data(), w, h), static_cast<float>(scale),
                                                       tailor::view(out.data(), ow, oh)),
                             "resample");
        const auto overlap = [](double a0, double a1, double b0, double b1) {
            return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
        };
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double sum = 0;
                for (int sy = 0; sy < h + 2; sy++)
                    for (int sx = 0; sx < w + 2; sx++) {
                        const double weight = overlap(sx, sx + 1, x * scale, (x + 1) * scale) *
                                              overlap(sy, sy + 1, y * scale, (y + 1) * scale);
                        sum += weight * in[std::min(sy, h - 1) * w + std::min(sx, w - 1)];
                    }
                BOOST_TEST(std::abs(out[y * ow + x] - sum / (scale * scale)) < 1e-5,
                           w << "x" << h << " output (" << x << ", " << y << ")");
            }
    }
}

BOOST_AUTO_TEST_CASE(a_data_set_image_survives_inversion_enlargement_and_a_canvas) {
    // A 28x28 "product": a rectangle with a gradient up to full intensity (as
    // every data set image reaches), on black.
    tailor::Photo original{28, 28, std::vector<float>(784, 0.0f)};
    for (int y = 0; y < 28; y++)
        for (int x = 6; x < 22; x++) original.grey[y * 28 + x] = 0.46f + 0.02f * y;
    BOOST_TEST((tailor::prepare_photo(original) == original.grey), "taken as it is");

    tailor::Photo inverted = original;
    for (auto &v : inverted.grey) v = 1 - v;
    const auto back = tailor::prepare_photo(inverted);
    for (int i = 0; i < 784; i++) BOOST_TEST(std::abs(back[i] - original.grey[i]) < 1e-5, "inverted pixel " << i);

    // Three times larger (each pixel a 3x3 block), dark on white, off-centre.
    tailor::Photo photo{130, 100, std::vector<float>(130 * 100, 1.0f)};
    for (int y = 0; y < 84; y++)
        for (int x = 0; x < 84; x++) photo.grey[(y + 9) * 130 + x + 31] = 1 - original.grey[(y / 3) * 28 + x / 3];
    const auto prepared = tailor::prepare_photo(photo);
    double difference = 0;
    for (int i = 0; i < 784; i++) difference += std::abs(prepared[i] - original.grey[i]) / 784;
    BOOST_TEST(difference < 0.03, "mean difference " << difference);
}
