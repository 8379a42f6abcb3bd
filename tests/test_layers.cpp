// Every layer kernel of every declared architecture, forward and backward,
// against the double-precision reference loops, and the reference backward
// passes against central finite differences.
#define BOOST_TEST_MODULE layers
#include "reference.h"
#include "support.h"

#include "HalideRuntime.h"
#include "tailor/architectures.h"

#include <cstdlib>
#include <string>

using namespace support;
using tailor::StepContext;

namespace {

// TAILOR_TEST_CPU=avx2 or sse41 hides the newer x86 features from Halide's
// multi-target wrapper, so the kernels run their AVX2+FMA or SSE4.1 variant
// (ctest runs this suite once per variant).
std::string forced_cpu;

int can_use_forced_cpu(int count, const uint64_t *features) {
    auto has = [&](halide_target_feature_t f) { return f / 64 < count && (features[f / 64] >> (f % 64)) & 1; };
    const bool avx512 = has(halide_target_feature_avx512) || has(halide_target_feature_avx512_skylake);
    const bool avx = has(halide_target_feature_avx) || has(halide_target_feature_avx2) ||
                     has(halide_target_feature_fma) || has(halide_target_feature_f16c);
    if (avx512 || (forced_cpu == "sse41" && avx)) return 0;
    return halide_default_can_use_target_features(count, features);
}

struct ForcedCpu {
    ForcedCpu() {
        const char *name = std::getenv("TAILOR_TEST_CPU");
        if (!name) return;
        forced_cpu = name;
        if (forced_cpu != "avx2" && forced_cpu != "sse41") throw std::runtime_error("TAILOR_TEST_CPU: avx2 or sse41");
        halide_set_custom_can_use_target_features(can_use_forced_cpu);
        const std::string expected = forced_cpu == "avx2" ? "AVX2+FMA" : "SSE4.1";
        if (tailor::kernel_variant().find(expected) == std::string::npos) {
            throw std::runtime_error("kernels run " + tailor::kernel_variant() + ", not " + expected);
        }
        BOOST_TEST_MESSAGE("kernels: " << tailor::kernel_variant());
    }
};
BOOST_TEST_GLOBAL_FIXTURE(ForcedCpu);

}  // namespace

using Conv2DLayers = layers_with_tag<tailor::Conv2DTag>;
using MaxPoolLayers = layers_with_tag<tailor::MaxPoolTag>;
using Conv2DMaxPoolLayers = layers_with_tag<tailor::Conv2DMaxPoolTag>;
using DenseLayers = layers_with_tag<tailor::DenseTag>;
using DropoutLayers = layers_with_tag<tailor::DropoutTag>;
using GaussianNoiseLayers = layers_with_tag<tailor::GaussianNoiseTag>;

// Forward and backward of conv2d and dense share their structure: weights,
// bias, optional ReLU. `Ref` supplies the reference for the layer kind.
struct ConvReference {
    static constexpr int kTaps = tailor::kConvKernel * tailor::kConvKernel;
    template <typename L>
    static Vec forward(const Vec &x, const Vec &w, const Vec &b, int n) {
        return reference::conv2d_forward(x, w, b, L::in.width, L::in.height, L::in.channels, L::out.channels,
                                         L::relu, n);
    }
    template <typename L>
    static auto backward(const Vec &x, const Vec &w, const Vec &y, const Vec &dy, int n) {
        return reference::conv2d_backward(x, w, y, dy, L::in.width, L::in.height, L::in.channels, L::out.channels,
                                          L::relu, n);
    }
};

struct DenseReference {
    static constexpr int kTaps = 1;
    template <typename L>
    static Vec forward(const Vec &x, const Vec &w, const Vec &b, int n) {
        return reference::dense_forward(x, w, b, L::in.channels, L::out.channels, L::relu, n);
    }
    template <typename L>
    static auto backward(const Vec &x, const Vec &w, const Vec &y, const Vec &dy, int n) {
        return reference::dense_backward(x, w, y, dy, L::in.channels, L::out.channels, L::relu, n);
    }
};

template <typename L, typename Ref>
void check_weighted_layer(const std::string &name) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT(name << " batch " << n) {
            L layer(n);
            BoundParams<typename L::Params> p(11 + n), grads(0, true);
            const auto x = random_floats(L::in.size() * n, 100 + n);
            std::vector<float> y(L::out.size() * n), y_train(y.size()), dx(L::in.size() * n);
            layer.forward(x.data(), y.data(), n, p.params);

            const Vec xd = to_double(x), w = to_double(p.storage[0]), b = to_double(p.storage[1]);
            expect_close(name + " forward output", y, Ref::template forward<L>(xd, w, b, n), 1e-5);
            layer.forward_train(x.data(), y_train.data(), n, p.params, StepContext{});
            expect_close(name + " training forward output", y_train, to_double(y), 0);

            const auto dy = random_floats(L::out.size() * n, 200 + n);
            layer.backward(x.data(), y.data(), dy.data(), dx.data(), n, p.params, grads.params, StepContext{});
            // The reference reads ReLU's mask from the kernel's own output, so
            // both agree on which units were active.
            const Vec yd = to_double(y), dyd = to_double(dy);
            const auto expected = Ref::template backward<L>(xd, w, yd, dyd, n);
            expect_close(name + " backward d_input", dx, expected.dx, 1e-5);
            expect_close(name + " backward d_weights", grads.storage[0], expected.dw, 1e-5);
            expect_close(name + " backward d_bias", grads.storage[1], expected.db, 1e-5);
        }
    }
}

// The reference backward pass against finite differences of
// loss = sum(dy * forward(x, w, b)), all in double.
template <typename L, typename Ref>
void check_weighted_layer_gradients(const std::string &name) {
    const int n = 2;
    Vec x = to_double(random_floats(L::in.size() * n, 7));
    Vec w = to_double(random_floats(L::in.channels * L::out.channels * Ref::kTaps, 8, -0.5f, 0.5f));
    Vec b = to_double(random_floats(L::out.channels, 9, -0.1f, 0.1f));
    const Vec dy = to_double(random_floats(L::out.size() * n, 10));
    const Vec y = Ref::template forward<L>(x, w, b, n);
    const auto g = Ref::template backward<L>(x, w, y, dy, n);
    auto loss = [&] { return dot(dy, Ref::template forward<L>(x, w, b, n)); };
    check_finite_differences(name + " d_input", x, g.dx, loss, 1);
    check_finite_differences(name + " d_weights", w, g.dw, loss, 2);
    check_finite_differences(name + " d_bias", b, g.db, loss, 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_kernels_match_reference, L, Conv2DLayers) {
    check_weighted_layer<L, ConvReference>("conv2d");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_reference_gradients_match_finite_differences, L, Conv2DLayers) {
    check_weighted_layer_gradients<L, ConvReference>("conv2d");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dense_kernels_match_reference, L, DenseLayers) {
    check_weighted_layer<L, DenseReference>("dense");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dense_reference_gradients_match_finite_differences, L, DenseLayers) {
    check_weighted_layer_gradients<L, DenseReference>("dense");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(maxpool_kernels_match_reference, L, MaxPoolLayers) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("maxpool batch " << n) {
            L layer(n);
            tailor::NoParams none;
            const auto x = random_floats(L::in.size() * n, 300 + n);
            std::vector<float> y(L::out.size() * n), dx(L::in.size() * n);
            layer.forward_train(x.data(), y.data(), n, none, StepContext{});
            const Vec xd = to_double(x);
            expect_close("maxpool forward output", y,
                         reference::maxpool_forward(xd, L::in.width, L::in.height, L::in.channels, n), 0);
            const auto dy = random_floats(L::out.size() * n, 400 + n);
            layer.backward(x.data(), y.data(), dy.data(), dx.data(), n, none, none, StepContext{});
            expect_close("maxpool backward d_input", dx,
                         reference::maxpool_backward(xd, to_double(dy), L::in.width, L::in.height, L::in.channels, n),
                         0);
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(maxpool_reference_gradient_matches_finite_differences, L, MaxPoolLayers) {
    const int n = 2;
    Vec x = to_double(random_floats(L::in.size() * n, 17));
    const Vec dy = to_double(random_floats(L::out.size() * n, 18));
    const Vec dx = reference::maxpool_backward(x, dy, L::in.width, L::in.height, L::in.channels, n);
    check_finite_differences("maxpool d_input", x, dx, [&] {
        return dot(dy, reference::maxpool_forward(x, L::in.width, L::in.height, L::in.channels, n));
    }, 4, 40);
}

// Each stored argmax names its window's first maximum in the reference
// convolution's output.
template <typename L>
void check_argmax(const std::string &name, std::span<const uint8_t> argmax, const Vec &convolution) {
    constexpr tailor::Shape conv = tailor::conv2d_output(L::in, L::out.channels);
    for (std::size_t i = 0; i < argmax.size(); i++) {
        const std::size_t c = i % L::out.channels, pixel = i / L::out.channels;
        const std::size_t px = pixel % L::out.width, py = pixel / L::out.width % L::out.height;
        const std::size_t image = pixel / (L::out.width * L::out.height);
        auto at = [&](std::size_t dx, std::size_t dy) {
            return convolution[((image * conv.height + 2 * py + dy) * conv.width + 2 * px + dx) * conv.channels + c];
        };
        const double values[4] = {at(0, 0), at(1, 0), at(0, 1), at(1, 1)};
        const int first = static_cast<int>(std::max_element(values, values + 4) - values);
        if (argmax[i] != first) {
            BOOST_FAIL(name << ": argmax " << int(argmax[i]) << " at " << i << ", expected " << first);
        }
    }
}

// A fused conv2d + maxpool layer against the reference of the two layers:
// inference and training outputs, the stored argmax, and the gradients (no
// input gradient where it recomputes, as it then comes first).
BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_maxpool_kernels_match_reference, L, Conv2DMaxPoolLayers) {
    const std::string name = L::recomputes ? "conv2d_maxpool (recomputing)" : "conv2d_maxpool (argmax)";
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT(name << " " << L::in.width << "x" << L::in.height << "x" << L::in.channels << " batch "
                                << n) {
            L layer(n);
            BoundParams<typename L::Params> p(21 + n), grads(0, true);
            const auto x = random_floats(L::in.size() * n, 700 + n);
            std::vector<float> y(L::out.size() * n), y_train(y.size(), -1.0f), dx(x.size(), -1.0f);
            layer.forward(x.data(), y.data(), n, p.params);
            const Vec xd = to_double(x), w = to_double(p.storage[0]), b = to_double(p.storage[1]);
            const auto expected_y = reference::conv2d_maxpool_forward(xd, w, b, L::in.width, L::in.height,
                                                                      L::in.channels, L::out.channels, L::relu, n);
            expect_close(name + " forward output", y, expected_y.pooled, 1e-5);
            layer.forward_train(x.data(), y_train.data(), n, p.params, StepContext{});
            expect_close(name + " training forward output", y_train, to_double(y), 0);
            if constexpr (!L::recomputes) check_argmax<L>(name, layer.argmax(), expected_y.convolution);

            const auto dy = random_floats(y.size(), 800 + n);
            const auto expected = reference::conv2d_maxpool_backward(xd, w, expected_y.convolution, to_double(dy),
                                                                     L::in.width, L::in.height, L::in.channels,
                                                                     L::out.channels, L::relu, n);
            float *d_input = L::computes_input_gradient ? dx.data() : nullptr;
            BOOST_TEST(layer.backward(x.data(), y.data(), dy.data(), d_input, n, p.params, grads.params,
                                      StepContext{}) == d_input);
            if (d_input) expect_close(name + " backward d_input", dx, expected.dx, 1e-5);
            expect_close(name + " backward d_weights", grads.storage[0], expected.dw, 1e-5);
            expect_close(name + " backward d_bias", grads.storage[1], expected.db, 1e-5);
        }
    }
}

// The architecture compiler fuses every conv2d directly followed by a
// maxpool: none is left as two layers.
BOOST_AUTO_TEST_CASE_TEMPLATE(every_conv2d_followed_by_maxpool_is_fused, Arch, tailor::Architectures) {
    using Layers = typename Arch::Layers;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             constexpr bool unfused = is_kind<std::tuple_element_t<I, Layers>, tailor::Conv2DTag> &&
                                      is_kind<std::tuple_element_t<I + 1, Layers>, tailor::MaxPoolTag>;
             BOOST_TEST(!unfused, Arch::name << ": layers " << I << " and " << I + 1
                                             << " are an unfused conv2d + maxpool");
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<Layers> - 1>{});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dropout_kernel_matches_reference_mask, L, DropoutLayers) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("dropout batch " << n) {
            L layer(n);
            tailor::NoParams none;
            const StepContext step{1234u, 77u, 5u};
            const auto x = random_floats(L::in.size() * n, 500 + n);
            std::vector<float> y(x.size()), dx(x.size());
            const float *out = layer.forward_train(x.data(), y.data(), n, none, step);
            BOOST_TEST(out == y.data());
            const Vec expected = reference::dropout(to_double(x), tailor::layer_key(step), step.step, layer.rate);
            expect_close("dropout forward output", y, expected, 1e-6);
            for (std::size_t i = 0; i < y.size(); i++) {
                if ((y[i] == 0.0f) != (expected[i] == 0.0)) {
                    BOOST_FAIL("dropout mask differs from the reference at element " << i);
                }
            }
            // Backward applies the same mask to the gradient: the exact
            // derivative of the forward pass.
            const auto dy = random_floats(x.size(), 600 + n);
            layer.backward(x.data(), y.data(), dy.data(), dx.data(), n, none, none, step);
            expect_close("dropout backward d_input", dx,
                         reference::dropout(to_double(dy), tailor::layer_key(step), step.step, layer.rate), 1e-6);
            // Inference passes the input through untouched.
            BOOST_TEST(layer.forward(x.data(), y.data(), n, none) == x.data());
        }
    }
}

BOOST_AUTO_TEST_CASE(dropout_drops_the_declared_fraction_and_depends_on_its_key) {
    using L = std::tuple_element_t<0, DropoutLayers>;
    L layer(1);
    tailor::NoParams none;
    const int n = 64;
    const std::vector<float> ones(L::in.size() * n, 1.0f);
    std::vector<float> a(ones.size()), b(ones.size()), c(ones.size());
    layer.forward_train(ones.data(), a.data(), n, none, StepContext{1, 1, 0});
    layer.forward_train(ones.data(), b.data(), n, none, StepContext{1, 2, 0});
    layer.forward_train(ones.data(), c.data(), n, none, StepContext{1, 1, 0});
    const double dropped = std::count(a.begin(), a.end(), 0.0f) / static_cast<double>(a.size());
    BOOST_TEST(std::abs(dropped - layer.rate) < 0.01, "dropped fraction " << dropped << " vs rate " << layer.rate);
    BOOST_TEST((a != b), "another step must give another mask");
    BOOST_TEST((a == c), "the same key must give the same mask");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gaussian_noise_kernel_matches_reference, L, GaussianNoiseLayers) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("gaussian noise batch " << n) {
            L layer(n);
            tailor::NoParams none;
            const StepContext step{4321u, 12u, 3u};
            const auto x = random_floats(L::in.size() * n, 700 + n);
            std::vector<float> y(x.size());
            BOOST_TEST(layer.forward_train(x.data(), y.data(), n, none, step) == y.data());
            expect_close("gaussian noise forward output", y,
                         reference::gaussian_noise(to_double(x), tailor::layer_key(step), step.step, layer.stddev), 1e-5);
            // The noise does not depend on the input, so the gradient is the
            // identity: backward hands d_output through untouched.
            const auto dy = random_floats(x.size(), 800 + n);
            BOOST_TEST(layer.backward(x.data(), y.data(), dy.data(), nullptr, n, none, none, step) == dy.data());
            BOOST_TEST(layer.forward(x.data(), y.data(), n, none) == x.data(), "inference: identity");
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gaussian_noise_reference_gradient_is_the_identity, L, GaussianNoiseLayers) {
    const int n = 2;
    Vec x = to_double(random_floats(L::in.size() * n, 19));
    const Vec dy = to_double(random_floats(L::out.size() * n, 20));
    L layer(1);
    check_finite_differences("gaussian noise d_input", x, dy,
                             [&] { return dot(dy, reference::gaussian_noise(x, 5, 6, layer.stddev)); }, 6, 20);
}

BOOST_AUTO_TEST_CASE(gaussian_noise_has_zero_mean_and_the_declared_deviation) {
    using L = std::tuple_element_t<0, GaussianNoiseLayers>;
    L layer(1);
    tailor::NoParams none;
    const int n = 64;
    const std::vector<float> zeros(L::in.size() * n, 0.0f);
    std::vector<float> y(zeros.size());
    layer.forward_train(zeros.data(), y.data(), n, none, StepContext{9, 9, 0});
    double sum = 0, squares = 0;
    for (float v : y) {
        sum += v;
        squares += double(v) * v;
    }
    const double mean = sum / y.size(), deviation = std::sqrt(squares / y.size() - mean * mean);
    BOOST_TEST(std::abs(mean) < 0.01 * layer.stddev * 10, "mean " << mean);
    BOOST_TEST(std::abs(deviation - layer.stddev) < 0.02 * layer.stddev, "deviation " << deviation);
}
