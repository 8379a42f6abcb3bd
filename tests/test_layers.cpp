// Every layer kernel of every declared architecture, forward and backward,
// against the double-precision reference loops (reference::Layer<Tag>), and
// the reference backward passes against central finite differences; then
// what only some kinds have (argmax, dropout's rate, noise's moments).
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

using Conv2DMaxPoolLayers = layers_with_tag<tailor::Conv2DMaxPoolTag>;
using DropoutLayers = layers_with_tag<tailor::DropoutTag>;
using GaussianNoiseLayers = layers_with_tag<tailor::GaussianNoiseTag>;

namespace {

// A layer type's name in messages: its Keras rows, its input shape.
template <typename L>
std::string layer_name() {
    std::string name;
    for (const auto &row : L::rows) name += (name.empty() ? "" : "+") + std::string(row.keras_name);
    return name + " " + std::to_string(L::in.width) + "x" + std::to_string(L::in.height) + "x" +
           std::to_string(L::in.channels);
}

std::vector<Vec> to_double(const std::vector<std::vector<float>> &tensors) {
    std::vector<Vec> values;
    for (const auto &t : tensors) values.push_back(support::to_double(t));
    return values;
}

// The name of tensor i of a layer's Params.
template <typename Params>
std::string tensor_name(std::size_t i) {
    Params params;
    std::string name;
    std::size_t index = 0;
    boost::pfr::for_each_field(params, [&](const tailor::Tensor &t) {
        if (index++ == i) name = t.name;
    });
    return name;
}

}  // namespace

// Every layer of every declared architecture, kernel against reference:
// inference, training's forward pass (dropout and noise drawn from the same
// key) and the backward pass from that output.
BOOST_AUTO_TEST_CASE_TEMPLATE(layer_kernels_match_reference, L, AllLayers) {
    using Ref = reference::Layer<typename L::Tag>;
    const std::string name = layer_name<L>();
    const StepContext step{1234u, 77u, 5u};
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT(name << " batch " << n) {
            L layer(n);
            BoundParams<typename L::Params> p(11 + n), grads(0, true);
            const auto params = to_double(p.storage);
            const auto x = random_floats(L::in.size() * n, 100 + n);
            const Vec xd = support::to_double(x);
            std::vector<float> y(L::out.size() * n), y_train(y.size()), dx(x.size(), -1.0f);
            expect_close(name + " forward output", layer.forward(x.data(), y.data(), n, p.params),
                         Ref::forward(layer, params, xd, n, nullptr), Ref::tolerance);
            if constexpr (requires { layer.forward_direct(x.data(), y.data(), n, p.params); }) {
                layer.forward_direct(x.data(), y.data(), n, p.params);  // (a pair's forward may be Winograd's)
                expect_close(name + " direct forward output", y.data(), Ref::forward(layer, params, xd, n, nullptr),
                             Ref::tolerance);
            }
            if constexpr (requires { layer.forward_whole(x.data(), y.data(), n, p.params); }) {
                // (a dense forward may read sliced weights: the same sums, in the same order)
                const std::vector<float> forward_output = y;
                layer.forward_whole(x.data(), y.data(), n, p.params);
                expect_close(name + " whole-weights forward output", y.data(),
                             Ref::forward(layer, params, xd, n, nullptr), Ref::tolerance);
                BOOST_TEST((y == forward_output), name << ": the forward output is not the whole-weights one");
            }
            const float *out = layer.forward_train(x.data(), y_train.data(), n, p.params, step);
            const Vec out_d = support::to_double(out, y.size());
            expect_close(name + " training forward output", out, Ref::forward(layer, params, xd, n, &step),
                         Ref::tolerance);

            const auto dy = random_floats(y.size(), 200 + n);
            float *d_input = L::computes_input_gradient ? dx.data() : nullptr;
            const float *d_out =
                layer.backward(x.data(), out, dy.data(), d_input, n, p.params, grads.params, step);
            const auto expected = Ref::backward(layer, params, xd, out_d, support::to_double(dy), n, step);
            if (d_input) expect_close(name + " backward d_input", d_out, expected.dx, Ref::tolerance);
            BOOST_TEST_REQUIRE(expected.params.size() == grads.storage.size());
            auto expect_parameter_gradients = [&](const std::string &pass) {
                for (std::size_t i = 0; i < grads.storage.size(); i++) {
                    expect_close(name + " " + pass + " d_" + tensor_name<typename L::Params>(i), grads.storage[i],
                                 expected.params[i], Ref::tolerance);
                }
            };
            expect_parameter_gradients("backward");
            if constexpr (requires { layer.backward_data_direct(out, dy.data(), dx.data(), n, p.params); }) {
                // (a conv2d's backward may be Winograd's)
                layer.backward_data_direct(out, dy.data(), dx.data(), n, p.params);
                expect_close(name + " direct backward d_input", dx.data(), expected.dx, Ref::tolerance);
                layer.backward_weights_direct(x.data(), out, dy.data(), n, grads.params);
                expect_parameter_gradients("direct backward");
            }
        }
    }
}

// Every reference backward pass against central finite differences of
// loss = sum(dy * forward(x, params)) in training mode, all in double.
BOOST_AUTO_TEST_CASE_TEMPLATE(layer_references_match_finite_differences, L, AllLayers) {
    using Ref = reference::Layer<typename L::Tag>;
    const std::string name = layer_name<L>();
    const int n = 2;
    const StepContext step{5u, 6u, 7u};
    L layer(n);
    BoundParams<typename L::Params> p(8);
    auto params = to_double(p.storage);
    Vec x = support::to_double(random_floats(L::in.size() * n, 7));
    const Vec dy = support::to_double(random_floats(L::out.size() * n, 10));
    auto forward = [&] { return Ref::forward(layer, params, x, n, &step); };
    const auto g = Ref::backward(layer, params, x, forward(), dy, n, step);
    auto loss = [&] { return dot(dy, forward()); };
    check_finite_differences(name + " d_input", x, g.dx, loss, 1, 20);
    for (std::size_t i = 0; i < params.size(); i++) {
        check_finite_differences(name + " d_" + tensor_name<typename L::Params>(i), params[i], g.params[i], loss,
                                 2 + i, 20);
    }
}

// Each stored argmax names its window's first maximum in the reference
// convolution's output.
BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_maxpool_argmax_is_the_first_maximum, L, Conv2DMaxPoolLayers) {
    const int n = 3;
    L layer(n);
    BoundParams<typename L::Params> p(31);
    const auto x = random_floats(L::in.size() * n, 900);
    std::vector<float> y(L::out.size() * n);
    layer.forward_train(x.data(), y.data(), n, p.params, StepContext{});
    const auto params = to_double(p.storage);
    const Vec convolution = reference::conv2d_forward(support::to_double(x), params[0], params[1], L::in.width,
                                                      L::in.height, L::in.channels, L::out.channels, L::relu, n);
    constexpr tailor::Shape conv = tailor::conv2d_output(L::in, L::out.channels);
    static_assert(tailor::kPoolWindow == 2, "the window below is 2x2");
    const auto argmax = layer.argmax();
    for (std::size_t i = 0; i < L::out.size() * n; i++) {
        const std::size_t c = i % L::out.channels, pixel = i / L::out.channels;
        const std::size_t px = pixel % L::out.width, py = pixel / L::out.width % L::out.height;
        const std::size_t image = pixel / (L::out.width * L::out.height);
        auto at = [&](std::size_t dx, std::size_t dy) {
            return convolution[((image * conv.height + 2 * py + dy) * conv.width + 2 * px + dx) * conv.channels +
                               c];
        };
        const double values[4] = {at(0, 0), at(1, 0), at(0, 1), at(1, 1)};
        const int first = static_cast<int>(std::max_element(values, values + 4) - values);
        if (argmax[i] != first) {
            BOOST_FAIL(layer_name<L>() << ": argmax " << int(argmax[i]) << " at " << i << ", expected " << first);
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
