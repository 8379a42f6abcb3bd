// Augmentation: the augment kernel against the reference loop on transforms
// that reach every edge case, the trainer's counter-based draws, and
// test-time augmentation.
#define BOOST_TEST_MODULE augmentation
#include "reference.h"
#include "support.h"

#include "tailor/run/augmentation.h"
#include "tailor/train/evaluate.h"
#include "tailor/util/error.h"

#include <array>
#include <cmath>

using namespace support;
using tailor::ImageTransform;

namespace {

using Image = std::tuple_element_t<0, tailor::Architectures>;  // every architecture takes 28x28x1
constexpr tailor::Shape kIn = Image::input;

std::vector<float> run_augment(const std::vector<float> &images, const std::vector<ImageTransform> &transforms,
                               int erase_size) {
    const int n = static_cast<int>(transforms.size());
    std::vector<float> out(images.size(), -1.0f);
    const auto *values = reinterpret_cast<const int32_t *>(transforms.data());
    tailor::check_kernel(Image::Augment::augment(tailor::view(images.data(), kIn.channels, kIn.width, kIn.height, n),
                                                 tailor::view(values, 6, n), erase_size,
                                                 tailor::view(out.data(), kIn.channels, kIn.width, kIn.height, n)),
                         "augment");
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(augment_kernel_matches_reference) {
    const std::vector<ImageTransform> transforms = {
        {},                       // identity
        {0, 0, 1, 0, 0, 0},       // mirror
        {3, -2, 0, 0, 0, 0},      // shift
        {-28, 0, 0, 0, 0, 0},     // shifted entirely out
        {0, 0, 0, 1, 10, 12},     // erased inside
        {0, 0, 0, 1, -4, 24},     // erased across two edges
        {2, 1, 1, 1, 5, 5},       // all at once
        {-1, -1, 1, 1, 27, -7},   // erased off the image
    };
    const int n = static_cast<int>(transforms.size());
    for (int erase_size : {0, 1, 8}) {
        BOOST_TEST_CONTEXT("erase size " << erase_size) {
            const auto images = random_floats(kIn.size() * n, 1, 0.01f, 1.0f);
            const auto got = run_augment(images, transforms, erase_size);
            expect_close("augmented images", got,
                         reference::augment(to_double(images), transforms, kIn.width, kIn.height, kIn.channels,
                                            erase_size),
                         0);
        }
    }
}

BOOST_AUTO_TEST_CASE(draws_are_counter_based_and_within_range) {
    tailor::TrainSettings s;
    s.seed = 9;
    s.augment_shift = 2;
    s.augment_flip = 0.5;
    s.erase_size = 8;
    s.erase_probability = 0.25;
    const int images = 20000;
    std::array<int, 5> shifts{};
    int flips = 0, erased = 0, same_next_epoch = 0;
    for (uint32_t i = 0; i < images; i++) {
        const ImageTransform t = tailor::draw_transform(s, 3, i, 28, 28);
        const ImageTransform again = tailor::draw_transform(s, 3, i, 28, 28);
        BOOST_REQUIRE(t.shift_x == again.shift_x && t.flip == again.flip && t.erase_y == again.erase_y);
        BOOST_REQUIRE(std::abs(t.shift_x) <= 2 && std::abs(t.shift_y) <= 2);
        BOOST_REQUIRE(t.erase_x >= -4 && t.erase_x < 24 && t.erase_y >= -4 && t.erase_y < 24);
        shifts[t.shift_x + 2]++;
        flips += t.flip;
        erased += t.erase;
        const ImageTransform next = tailor::draw_transform(s, 4, i, 28, 28);
        same_next_epoch += next.shift_x == t.shift_x && next.shift_y == t.shift_y && next.flip == t.flip;
    }
    for (int count : shifts) BOOST_TEST(std::abs(count / double(images) - 0.2) < 0.02, "shift share " << count);
    BOOST_TEST(std::abs(flips / double(images) - 0.5) < 0.02, "flips " << flips);
    BOOST_TEST(std::abs(erased / double(images) - 0.25) < 0.02, "erased " << erased);
    BOOST_TEST(same_next_epoch / double(images) < 0.15, "another epoch draws anew: " << same_next_epoch);
}

// Turning an option on or off leaves the other options' draws as they were.
BOOST_AUTO_TEST_CASE(options_draw_independently) {
    tailor::TrainSettings shift_only;
    shift_only.augment_shift = 3;
    tailor::TrainSettings with_flip = shift_only;
    with_flip.augment_flip = 0.5;
    with_flip.erase_size = 4;
    with_flip.erase_probability = 1;
    for (uint32_t i = 0; i < 1000; i++) {
        const auto a = tailor::draw_transform(shift_only, 0, i, 28, 28);
        const auto b = tailor::draw_transform(with_flip, 0, i, 28, 28);
        BOOST_REQUIRE(a.shift_x == b.shift_x && a.shift_y == b.shift_y);
        BOOST_REQUIRE(a.flip == 0 && a.erase == 0 && b.erase == 1);
    }
    BOOST_TEST(!tailor::augments(tailor::TrainSettings{}));
    BOOST_TEST(tailor::augments(shift_only));
}

BOOST_AUTO_TEST_CASE(test_time_transform_sets) {
    BOOST_TEST(tailor::tta_transforms("none").empty());
    BOOST_TEST(tailor::tta_transforms("flip").size() == 2u);
    BOOST_TEST(tailor::tta_transforms("shift").size() == 5u);
    const auto all = tailor::tta_transforms("all");
    BOOST_TEST(all.size() == 10u);
    BOOST_TEST(std::count_if(all.begin(), all.end(), [](const ImageTransform &t) { return t.flip; }) == 5);
    BOOST_CHECK_THROW(tailor::tta_transforms("rotate"), tailor::Error);
}

// Test-time augmentation: each image's probabilities are the mean over the
// transforms of the network's probabilities for the transformed image.
BOOST_AUTO_TEST_CASE(test_time_augmentation_averages_the_transformed_images) {
    const int images = 6;
    tailor::Dataset data, mirrored;
    tailor::SplitMix64 rng(5);
    for (int i = 0; i < images; i++) {
        for (int p = 0; p < tailor::kImagePixels; p++) data.pixels.push_back(static_cast<uint8_t>(rng.below(256)));
        data.labels.push_back(static_cast<uint8_t>(i % tailor::kClasses));
    }
    mirrored = data;
    for (int i = 0; i < images; i++) {
        for (int y = 0; y < tailor::kImageSide; y++)
            for (int x = 0; x < tailor::kImageSide; x++) {
                const std::size_t row = (static_cast<std::size_t>(i) * tailor::kImageSide + y) * tailor::kImageSide;
                mirrored.pixels[row + x] = data.pixels[row + tailor::kImageSide - 1 - x];
            }
    }
    auto model = tailor::make_model("cnn3", 4);
    model->initialize(3);
    const auto plain = tailor::evaluate(*model, data);
    const auto identity = tailor::evaluate(*model, data, {}, {ImageTransform{}});
    BOOST_TEST((identity.probabilities == plain.probabilities), "one identity transform changes nothing");
    const auto of_mirrored = tailor::evaluate(*model, mirrored);
    const auto averaged = tailor::evaluate(*model, data, {}, tailor::tta_transforms("flip"));
    Vec expected(plain.probabilities.size());
    for (std::size_t i = 0; i < expected.size(); i++) {
        expected[i] = (plain.probabilities[i] + double(of_mirrored.probabilities[i])) / 2;
    }
    expect_close("flip-averaged probabilities", averaged.probabilities, expected, 1e-6);
}
