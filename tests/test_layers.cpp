// Every layer kernel of every declared architecture, forward and backward,
// against the double-precision reference loops, and the reference backward
// passes against central finite differences.
#define BOOST_TEST_MODULE layers
#include "reference.h"
#include "support.h"

#include "HalideRuntime.h"
#include "tailor/nn/layers.h"

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

using Conv2DLayers = layers_of_kind<kConv2D>;
using MaxPoolLayers = layers_of_kind<kMaxPool>;
using DenseLayers = layers_of_kind<kDense>;
using DropoutLayers = layers_of_kind<kDropout>;
using GaussianNoiseLayers = layers_of_kind<kGaussianNoise>;

// Forward and backward of conv2d and dense share their structure: weights,
// bias, optional ReLU. `Ref` supplies the reference for the layer kind.
struct ConvReference {
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
            L layer;
            BoundParams<typename L::Params> p(11 + n), grads(0, true);
            const auto x = random_floats(L::in.size() * n, 100 + n);
            std::vector<float> y(L::out.size() * n), dx(L::in.size() * n);
            layer.forward(x.data(), y.data(), n, p.params, StepContext{});

            const Vec xd = to_double(x), w = to_double(p.storage[0]), b = to_double(p.storage[1]);
            expect_close(name + " forward output", y, Ref::template forward<L>(xd, w, b, n), 1e-5);

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
    Vec w = to_double(random_floats(L::in.channels * L::out.channels * (name == "conv2d" ? 9 : 1), 8, -0.5f, 0.5f));
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
            L layer;
            tailor::NoParams none;
            const auto x = random_floats(L::in.size() * n, 300 + n);
            std::vector<float> y(L::out.size() * n), dx(L::in.size() * n);
            layer.forward(x.data(), y.data(), n, none, StepContext{});
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

// A fused conv2d + maxpool pair (layers I and I + 1 of an architecture)
// against the reference of the two layers and against the two layers' own
// kernels. (Its sums are the same, but LLVM may contract or reorder them
// differently in the two kernels: the SSE4.1 variants differ in the last bit.)
template <typename Conv, typename Pool>
void check_conv2d_maxpool(const std::string &name) {
    using Fused = tailor::Conv2DMaxPool<Conv, Pool>;
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT(name << " batch " << n) {
            BoundParams<typename Conv::Params> p(21 + n), grads(0, true);
            const auto x = random_floats(Conv::in.size() * n, 700 + n);
            std::vector<float> y(Pool::out.size() * n);
            Fused::forward(x.data(), y.data(), nullptr, n, p.params, false);

            // The two layers' kernels: conv2d's output is the routing and
            // ReLU mask the reference uses.
            Conv conv;
            Pool pool;
            tailor::NoParams none;
            std::vector<float> conv_y(Conv::out.size() * n), pool_y(y.size());
            conv.forward(x.data(), conv_y.data(), n, p.params, StepContext{});
            pool.forward(conv_y.data(), pool_y.data(), n, none, StepContext{});
            expect_close(name + " forward against the separate kernels", y, to_double(pool_y), 1e-6);

            const Vec xd = to_double(x), w = to_double(p.storage[0]), b = to_double(p.storage[1]);
            const Vec conv_ref = reference::conv2d_forward(xd, w, b, Conv::in.width, Conv::in.height,
                                                           Conv::in.channels, Conv::out.channels, Conv::relu, n);
            expect_close(name + " forward output", y,
                         reference::maxpool_forward(conv_ref, Pool::in.width, Pool::in.height, Pool::in.channels, n),
                         1e-5);
            // Training's kernels against the reference of maxpool's and
            // conv2d's backward passes.
            const auto dy = random_floats(y.size(), 800 + n);
            const Vec conv_yd = to_double(conv_y);
            const Vec d_conv = reference::maxpool_backward(conv_yd, to_double(dy), Pool::in.width, Pool::in.height,
                                                           Pool::in.channels, n);
            const auto expected = reference::conv2d_backward(xd, w, conv_yd, d_conv, Conv::in.width, Conv::in.height,
                                                             Conv::in.channels, Conv::out.channels, Conv::relu, n);
            if constexpr (Fused::Kernels::recomputes) {
                Fused::backward(x.data(), y.data(), dy.data(), n, p.params, grads.params);
            } else {
                std::vector<float> y_argmax(y.size(), -1.0f), dx(x.size(), -1.0f);
                std::vector<uint8_t> argmax(y.size(), 255);
                Fused::forward(x.data(), y_argmax.data(), argmax.data(), n, p.params, true);
                expect_close(name + " training forward output", y_argmax, to_double(y), 0);
                // The stored argmax, against the window's first maximum.
                for (std::size_t i = 0; i < argmax.size(); i++) {
                    const std::size_t c = i % Pool::out.channels, pixel = i / Pool::out.channels;
                    const std::size_t px = pixel % Pool::out.width, py = pixel / Pool::out.width % Pool::out.height;
                    const std::size_t image = pixel / (Pool::out.width * Pool::out.height);
                    auto at = [&](std::size_t dx_, std::size_t dy_) {
                        return conv_y[((image * Pool::in.height + 2 * py + dy_) * Pool::in.width + 2 * px + dx_) *
                                          Pool::in.channels + c];
                    };
                    const float values[4] = {at(0, 0), at(1, 0), at(0, 1), at(1, 1)};
                    const int first = static_cast<int>(std::max_element(values, values + 4) - values);
                    if (argmax[i] != first) BOOST_FAIL(name << ": argmax " << int(argmax[i]) << " at " << i << ", expected " << first);
                }
                Fused::backward_weights_argmax(x.data(), y.data(), argmax.data(), dy.data(), n, grads.params);
                Fused::backward_data_argmax(y.data(), argmax.data(), dy.data(), dx.data(), n, p.params);
                expect_close(name + " backward d_input", dx, expected.dx, 1e-5);
            }
            expect_close(name + " backward d_weights", grads.storage[0], expected.dw, 1e-5);
            expect_close(name + " backward d_bias", grads.storage[1], expected.db, 1e-5);
        }
    }
}

// Every conv2d directly followed by a maxpool runs as a pair; a first one over
// one channel recomputes its convolution in training, the others store argmax.
BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_maxpool_kernels_match_reference, Arch, tailor::Architectures) {
    using Layers = typename Arch::Layers;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             using Conv = std::tuple_element_t<I, Layers>;
             using Pool = std::tuple_element_t<I + 1, Layers>;
             const std::string name = std::string(Arch::name) + " conv2d_maxpool at layer " + std::to_string(I);
             constexpr bool adjacent =
                 std::string_view(Conv::kind) == "Conv2D" && std::string_view(Pool::kind) == "MaxPooling2D";
             constexpr bool fused = tailor::fused_conv2d_maxpool<Conv, Pool>();
             BOOST_TEST(fused == adjacent, name << ": fused or not as declared");
             if constexpr (fused) {
                 using Fused = tailor::Conv2DMaxPool<Conv, Pool>;
                 BOOST_TEST(Fused::Kernels::recomputes == (I == 0 && Conv::in.channels == 1),
                            name << ": recomputes or not as declared");
                 check_conv2d_maxpool<Conv, Pool>(name);
             }
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<Layers> - 1>{});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dropout_kernel_matches_reference_mask, L, DropoutLayers) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("dropout batch " << n) {
            L layer;
            tailor::NoParams none;
            const StepContext step{true, 1234u, 77u, 5u};
            const auto x = random_floats(L::in.size() * n, 500 + n);
            std::vector<float> y(x.size()), dx(x.size());
            const float *out = layer.forward(x.data(), y.data(), n, none, step);
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
            BOOST_TEST(layer.forward(x.data(), y.data(), n, none, StepContext{}) == x.data());
        }
    }
}

BOOST_AUTO_TEST_CASE(dropout_drops_the_declared_fraction_and_depends_on_its_key) {
    using L = std::tuple_element_t<0, DropoutLayers>;
    L layer;
    tailor::NoParams none;
    const int n = 64;
    const std::vector<float> ones(L::in.size() * n, 1.0f);
    std::vector<float> a(ones.size()), b(ones.size()), c(ones.size());
    layer.forward(ones.data(), a.data(), n, none, StepContext{true, 1, 1, 0});
    layer.forward(ones.data(), b.data(), n, none, StepContext{true, 1, 2, 0});
    layer.forward(ones.data(), c.data(), n, none, StepContext{true, 1, 1, 0});
    const double dropped = std::count(a.begin(), a.end(), 0.0f) / static_cast<double>(a.size());
    BOOST_TEST(std::abs(dropped - layer.rate) < 0.01, "dropped fraction " << dropped << " vs rate " << layer.rate);
    BOOST_TEST((a != b), "another step must give another mask");
    BOOST_TEST((a == c), "the same key must give the same mask");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gaussian_noise_kernel_matches_reference, L, GaussianNoiseLayers) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("gaussian noise batch " << n) {
            L layer;
            tailor::NoParams none;
            const StepContext step{true, 4321u, 12u, 3u};
            const auto x = random_floats(L::in.size() * n, 700 + n);
            std::vector<float> y(x.size());
            BOOST_TEST(layer.forward(x.data(), y.data(), n, none, step) == y.data());
            expect_close("gaussian noise forward output", y,
                         reference::gaussian_noise(to_double(x), tailor::layer_key(step), step.step, layer.stddev), 1e-5);
            // The noise does not depend on the input, so the gradient is the
            // identity: backward hands d_output through untouched.
            const auto dy = random_floats(x.size(), 800 + n);
            BOOST_TEST(layer.backward(x.data(), y.data(), dy.data(), nullptr, n, none, none, step) == dy.data());
            BOOST_TEST(layer.forward(x.data(), y.data(), n, none, StepContext{}) == x.data(), "inference: identity");
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gaussian_noise_reference_gradient_is_the_identity, L, GaussianNoiseLayers) {
    const int n = 2;
    Vec x = to_double(random_floats(L::in.size() * n, 19));
    const Vec dy = to_double(random_floats(L::out.size() * n, 20));
    L layer;
    check_finite_differences("gaussian noise d_input", x, dy,
                             [&] { return dot(dy, reference::gaussian_noise(x, 5, 6, layer.stddev)); }, 6, 20);
}

BOOST_AUTO_TEST_CASE(gaussian_noise_has_zero_mean_and_the_declared_deviation) {
    using L = std::tuple_element_t<0, GaussianNoiseLayers>;
    L layer;
    tailor::NoParams none;
    const int n = 64;
    const std::vector<float> zeros(L::in.size() * n, 0.0f);
    std::vector<float> y(zeros.size());
    layer.forward(zeros.data(), y.data(), n, none, StepContext{true, 9, 9, 0});
    double sum = 0, squares = 0;
    for (float v : y) {
        sum += v;
        squares += double(v) * v;
    }
    const double mean = sum / y.size(), deviation = std::sqrt(squares / y.size() - mean * mean);
    BOOST_TEST(std::abs(mean) < 0.01 * layer.stddev * 10, "mean " << mean);
    BOOST_TEST(std::abs(deviation - layer.stddev) < 0.02 * layer.stddev, "deviation " << deviation);
}
