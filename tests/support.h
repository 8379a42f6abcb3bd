// Helpers shared by the tests: random tensors, bound layer parameters,
// tolerant comparisons that say which tensor and element failed, and
// central finite differences.
#pragma once

#include "tailor/architectures.h"
#include "tailor/util/random.h"
#include "tailor/nn/tensor.h"

#include <boost/pfr.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace support {

using Vec = std::vector<double>;

inline std::vector<float> random_floats(std::size_t size, uint64_t seed, float low = -1.0f, float high = 1.0f) {
    tailor::SplitMix64 rng(seed);
    std::vector<float> values(size);
    for (auto &v : values) v = low + (high - low) * static_cast<float>(rng.uniform());
    return values;
}

inline Vec to_double(const float *values, std::size_t size) { return Vec(values, values + size); }
inline Vec to_double(const std::vector<float> &values) { return to_double(values.data(), values.size()); }

// A layer's Params with storage of its own, filled with random values.
template <typename Params>
struct BoundParams {
    Params params;
    std::vector<std::vector<float>> storage;

    explicit BoundParams(uint64_t seed, bool zero = false) {
        boost::pfr::for_each_field(params, [&](tailor::Tensor &t) {
            storage.push_back(zero ? std::vector<float>(t.size(), 0.0f)
                                   : random_floats(t.size(), seed + storage.size(), -0.5f, 0.5f));
            t.data = storage.back().data();
        });
    }
};

// Checks |actual - expected| <= tolerance * max(1, max |expected|) everywhere
// and reports the worst element by name.
inline void expect_close(const std::string &name, const float *actual, const Vec &expected, double tolerance) {
    double scale = 1.0, worst = 0.0;
    std::size_t worst_index = 0;
    for (double e : expected) scale = std::max(scale, std::abs(e));
    for (std::size_t i = 0; i < expected.size(); i++) {
        const double error = std::abs(actual[i] - expected[i]);
        if (!(error <= worst) || std::isnan(actual[i])) {
            worst = std::isnan(actual[i]) ? INFINITY : error;
            worst_index = i;
        }
    }
    BOOST_TEST(worst <= tolerance * scale, name << ": element " << worst_index << " is " << actual[worst_index]
                                                << ", expected " << expected[worst_index] << " (error " << worst
                                                << ", allowed " << tolerance * scale << ")");
}

inline void expect_close(const std::string &name, const std::vector<float> &actual, const Vec &expected,
                         double tolerance) {
    BOOST_TEST_REQUIRE(actual.size() == expected.size(), name << ": size " << actual.size() << " vs " << expected.size());
    expect_close(name, actual.data(), expected, tolerance);
}

// Compares an analytic gradient with central differences of `loss` on a
// seeded sample of elements of `values` (all of them when it is small).
inline void check_finite_differences(const std::string &name, Vec &values, const Vec &analytic,
                                     const std::function<double()> &loss, uint64_t seed, int samples = 10) {
    constexpr double kStep = 1e-6;
    tailor::SplitMix64 rng(seed);
    const bool all = values.size() <= static_cast<std::size_t>(samples);
    const std::size_t count = all ? values.size() : samples;
    for (std::size_t s = 0; s < count; s++) {
        const std::size_t i = all ? s : rng.below(values.size());
        const double saved = values[i];
        values[i] = saved + kStep;
        const double up = loss();
        values[i] = saved - kStep;
        const double down = loss();
        values[i] = saved;
        const double numeric = (up - down) / (2 * kStep);
        BOOST_TEST(std::abs(numeric - analytic[i]) <= 1e-6 + 1e-5 * std::abs(numeric),
                   name << "[" << i << "]: analytic " << analytic[i] << " vs finite difference " << numeric);
    }
}

inline double dot(const Vec &a, const Vec &b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); i++) sum += a[i] * b[i];
    return sum;
}

// ---- Every layer type of every declared architecture, by kind --------------

template <typename... Tuples>
using concat_t = decltype(std::tuple_cat(std::declval<Tuples>()...));

template <typename Tuple>
struct all_layers;
template <typename... Archs>
struct all_layers<std::tuple<Archs...>> {
    using type = concat_t<typename Archs::Layers...>;
};

template <typename T, typename Tuple>
struct contains;
template <typename T, typename... Ts>
struct contains<T, std::tuple<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

// The distinct layer types with tag `Tag` (tailor::Conv2DTag, ...) in `Tuple`.
template <typename Tag, typename Tuple>
struct filter_by_tag;
template <typename Tag>
struct filter_by_tag<Tag, std::tuple<>> {
    using type = std::tuple<>;
};
template <typename Tag, typename T, typename... Rest>
struct filter_by_tag<Tag, std::tuple<T, Rest...>> {
    using rest = typename filter_by_tag<Tag, std::tuple<Rest...>>::type;
    using type = std::conditional_t<std::is_same_v<typename T::Tag, Tag> && !contains<T, rest>::value,
                                    concat_t<std::tuple<T>, rest>, rest>;
};

// The distinct layer types of one kind across all architectures, as a
// std::tuple for BOOST_AUTO_TEST_CASE_TEMPLATE.
template <typename Tag>
using layers_with_tag = typename filter_by_tag<Tag, typename all_layers<tailor::Architectures>::type>::type;

// The distinct types in `Tuple`.
template <typename Tuple>
struct unique;
template <>
struct unique<std::tuple<>> {
    using type = std::tuple<>;
};
template <typename T, typename... Rest>
struct unique<std::tuple<T, Rest...>> {
    using rest = typename unique<std::tuple<Rest...>>::type;
    using type = std::conditional_t<contains<T, rest>::value, rest, concat_t<std::tuple<T>, rest>>;
};

// Every distinct layer type of every declared architecture.
using AllLayers = typename unique<typename all_layers<tailor::Architectures>::type>::type;

// Whether layer type L is of the kind `Tag`.
template <typename L, typename Tag>
inline constexpr bool is_kind = std::is_same_v<typename L::Tag, Tag>;

// Batch sizes every kernel is checked at: one image, an odd size, one past
// the register tiles' width, and conv2d's Winograd (from
// tailor::kConvWinogradBatch): tasks of its register tile's 8 images, and
// one past its tasks of 16, each with a shifted last task.
inline const std::vector<int> kBatchSizes = {1, 3, 6, 9, 17};

}  // namespace support
