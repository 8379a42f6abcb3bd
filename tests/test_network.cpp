// Whole networks: the gradients a Network<Arch> computes for a batch (every
// layer's kernels, dropout included) against the same network composed from
// the double-precision reference layers. This checks the wiring: layer order,
// flatten order, per-layer dropout keys and the loss's scaling.
#define BOOST_TEST_MODULE network
#include "reference.h"
#include "support.h"

#include "tailor/nn/network.h"


using namespace support;
using tailor::StepContext;

namespace {

using support::is_kind;

// Random layers keep a `rate` or a `stddev` (layer.h).
template <typename L>
constexpr bool is_random = requires(L layer) { layer.rate; } || requires(L layer) { layer.stddev; };

// The reference forward and backward of one layer (reference::Layer of its
// kind); params holds its tensors (weights then bias) in double.
template <typename L>
Vec reference_forward(const std::vector<Vec> &params, const Vec &x, int n, const StepContext *training,
                      const L &layer) {
    return reference::Layer<typename L::Tag>::forward(layer, params, x, n, training);
}

template <typename L>
Vec reference_backward(const std::vector<Vec> &params, std::vector<Vec> &grads, const Vec &x, const Vec &y,
                       const Vec &dy, int n, const StepContext &step, const L &layer) {
    auto g = reference::Layer<typename L::Tag>::backward(layer, params, x, y, dy, n, step);
    grads = g.params;
    return g.dx;
}

// Layer I's first row in the summary (as Network numbers them): its tensors'
// name and its random stream's index.
template <typename Layers, std::size_t I>
constexpr uint32_t first_row() {
    return []<std::size_t... J>(std::index_sequence<J...>) {
        return (0u + ... + static_cast<uint32_t>(std::tuple_element_t<J, Layers>::rows.size()));
    }(std::make_index_sequence<I>{});
}

// Each layer's tensors, in double, in the order the network lays them out.
template <typename Arch>
std::vector<std::vector<Vec>> layer_parameters(tailor::Network<Arch> &network) {
    using Layers = typename Arch::Layers;
    const auto tensors = network.tensors();
    const auto values = network.parameters();
    const auto summary = network.summary();
    std::vector<std::vector<Vec>> params(std::tuple_size_v<Layers>);
    std::size_t t = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             const std::string prefix = summary[first_row<Layers, I>()].name + "/";
             while (t < tensors.size() && tensors[t].name.rfind(prefix, 0) == 0) {
                 std::size_t size = 1;
                 for (int d : tensors[t].shape) size *= d;
                 params[I].push_back(to_double(values.data() + tensors[t].offset, size));
                 t++;
             }
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<Layers>>{});
    return params;
}

template <typename Arch>
void check_network_gradients() {
    using Layers = typename Arch::Layers;
    constexpr std::size_t kLayers = std::tuple_size_v<Layers>;
    const int n = 3;
    const uint32_t seed = 99, step_number = 4;

    tailor::Network<Arch> network(n);
    network.initialize(2024);
    const auto images = random_floats(Arch::input.size() * n, 1, 0.0f, 1.0f);
    const std::vector<int32_t> labels = {3, 0, 9};
    network.train_step(images.data(), labels.data(), nullptr, n, seed, step_number);
    const auto result = network.take_training_totals();

    const auto tensors = network.tensors();
    const auto params = layer_parameters(network);

    std::vector<Vec> activations(kLayers + 1);
    activations[0] = to_double(images);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             const StepContext step{seed, step_number, first_row<Layers, I>()};
             activations[I + 1] = reference_forward(params[I], activations[I], n, &step,
                                                    std::tuple_element_t<I, Layers>(n));
         }()),
         ...);
    }(std::make_index_sequence<kLayers>{});
    const auto loss = reference::softmax_cross_entropy(activations[kLayers], labels, Arch::classes, n);
    double loss_sum = 0;
    for (double l : loss.loss) loss_sum += l;
    BOOST_TEST(std::abs(result.loss_sum - loss_sum) <= 1e-4 * std::max(1.0, loss_sum),
               "loss " << result.loss_sum << " vs reference " << loss_sum);

    std::vector<std::vector<Vec>> grads(kLayers);
    Vec gradient = loss.d_logits;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((gradient = reference_backward<std::tuple_element_t<kLayers - 1 - I, Layers>>(
              params[kLayers - 1 - I], grads[kLayers - 1 - I], activations[kLayers - 1 - I],
              activations[kLayers - I], gradient, n,
              StepContext{seed, step_number, first_row<Layers, kLayers - 1 - I>()},
              std::tuple_element_t<kLayers - 1 - I, Layers>(n))),
         ...);
    }(std::make_index_sequence<kLayers>{});

    const auto computed = network.gradients();
    std::size_t t = 0;
    for (std::size_t i = 0; i < kLayers; i++) {
        for (const Vec &expected : grads[i]) {
            expect_close(std::string(Arch::name) + " gradient of " + tensors[t].name,
                         computed.data() + tensors[t].offset, expected, 1e-4);
            t++;
        }
    }
    BOOST_TEST(t == tensors.size(), "every tensor's gradient was checked");
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(network_gradients_match_composed_reference, Arch, tailor::Architectures) {
    check_network_gradients<Arch>();
}

// Inference (its own path: dropout and noise off) against the reference layers: probabilities, loss and correct count.
BOOST_AUTO_TEST_CASE_TEMPLATE(predictions_match_composed_reference, Arch, tailor::Architectures) {
    using Layers = typename Arch::Layers;
    const int n = 5;
    tailor::Network<Arch> network(n);
    network.initialize(77);
    const auto images = random_floats(Arch::input.size() * n, 4, 0.0f, 1.0f);
    const std::vector<int32_t> labels = {0, 3, 5, 7, 9};
    std::vector<float> probabilities(static_cast<std::size_t>(n) * Arch::classes);
    const auto result = network.predict(images.data(), labels.data(), nullptr, n, probabilities.data());

    const auto params = layer_parameters(network);
    Vec activation = to_double(images);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             using L = std::tuple_element_t<I, Layers>;
             activation = reference_forward<L>(params[I], activation, n, nullptr, L(n));
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<Layers>>{});
    const auto expected = reference::softmax_cross_entropy(activation, labels, Arch::classes, n);
    expect_close(std::string(Arch::name) + " probabilities", probabilities, expected.probabilities, 1e-5);
    double loss_sum = 0;
    int correct = 0;
    for (int s = 0; s < n; s++) {
        loss_sum += expected.loss[s];
        const double *p = expected.probabilities.data() + static_cast<std::size_t>(s) * Arch::classes;
        correct += static_cast<int>(std::max_element(p, p + Arch::classes) - p) == labels[s];
    }
    BOOST_TEST(std::abs(result.loss_sum - loss_sum) <= 1e-4 * std::max(1.0, loss_sum));
    BOOST_TEST(result.correct == correct);
}

// Inference follows every change of the parameters (a layer that derives
// state from them is told: the Winograd weights of conv2d_maxpool and of
// conv2d from kConvWinogradBatch images, a dense layer's sliced weights below
// kSmallBatch): after new parameters and after a training step, a network
// predicts what a fresh one with the same parameters predicts, bit for bit.
BOOST_AUTO_TEST_CASE_TEMPLATE(inference_follows_changed_parameters, Arch, tailor::Architectures) {
    for (const int n : {1, tailor::kConvWinogradBatch}) {
        BOOST_TEST_CONTEXT(Arch::name << ", " << n << " images") {
            const auto images = random_floats(Arch::input.size() * n, 8, 0.0f, 1.0f);
            std::vector<int32_t> labels(n);
            for (int i = 0; i < n; i++) labels[i] = (i + 1) % Arch::classes;
            auto predict = [&](tailor::Network<Arch> &network) {
                std::vector<float> probabilities(static_cast<std::size_t>(n) * Arch::classes);
                network.predict(images.data(), nullptr, nullptr, n, probabilities.data());
                return probabilities;
            };
            auto fresh_prediction = [&](std::span<const float> parameters) {
                tailor::Network<Arch> fresh(n);
                fresh.set_parameters(parameters);
                return predict(fresh);
            };
            tailor::Network<Arch> network(n);
            network.initialize(1);
            const auto first = predict(network);
            network.initialize(2);
            const std::vector<float> second(network.parameters().begin(), network.parameters().end());
            BOOST_TEST(predict(network) == fresh_prediction(second));
            BOOST_TEST(predict(network) != first);
            network.train_step(images.data(), labels.data(), nullptr, n, 3, 1);
            network.apply_adam(tailor::AdamSettings{0.01, 0.9, 0.999, 1e-7}, 1);
            const std::vector<float> trained(network.parameters().begin(), network.parameters().end());
            BOOST_TEST(predict(network) == fresh_prediction(trained));
            BOOST_TEST(trained != second);
            network.set_parameters(second);
            BOOST_TEST(predict(network) == fresh_prediction(second));
        }
    }
}

// Training's forward passes run the same transformed weights: after
// initialize, an Adam step and set_parameters, a step's gradients equal a
// fresh network's with those parameters.
BOOST_AUTO_TEST_CASE_TEMPLATE(training_follows_changed_parameters, Arch, tailor::Architectures) {
    const int n = tailor::kConvWinogradBatch;
    const auto images = random_floats(Arch::input.size() * n, 9, 0.0f, 1.0f);
    std::vector<int32_t> labels(n);
    for (int i = 0; i < n; i++) labels[i] = (i + 3) % Arch::classes;
    auto step_gradients = [&](tailor::Network<Arch> &network) {
        network.train_step(images.data(), labels.data(), nullptr, n, 4, 2);
        return std::vector<float>(network.gradients().begin(), network.gradients().end());
    };
    auto fresh_gradients = [&](std::span<const float> parameters) {
        tailor::Network<Arch> fresh(n);
        fresh.set_parameters(parameters);
        return step_gradients(fresh);
    };
    tailor::Network<Arch> network(n);
    network.initialize(1);
    const auto first = step_gradients(network);
    network.initialize(2);
    const std::vector<float> second(network.parameters().begin(), network.parameters().end());
    BOOST_TEST(step_gradients(network) == fresh_gradients(second));
    BOOST_TEST(step_gradients(network) != first);
    network.apply_adam(tailor::AdamSettings{0.01, 0.9, 0.999, 1e-7}, 1);
    const std::vector<float> trained(network.parameters().begin(), network.parameters().end());
    BOOST_TEST(step_gradients(network) == fresh_gradients(trained));
    network.set_parameters(second);
    BOOST_TEST(step_gradients(network) == fresh_gradients(second));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(same_seed_gives_bit_identical_gradients, Arch, tailor::Architectures) {
    const int n = 8;
    tailor::Network<Arch> a(n), b(n);
    a.initialize(5);
    b.initialize(5);
    const auto images = random_floats(Arch::input.size() * n, 3, 0.0f, 1.0f);
    const std::vector<int32_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
    a.train_step(images.data(), labels.data(), nullptr, n, 11, 1);
    b.train_step(images.data(), labels.data(), nullptr, n, 11, 1);
    BOOST_TEST(std::equal(a.gradients().begin(), a.gradients().end(), b.gradients().begin()));
    BOOST_TEST(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
}

BOOST_AUTO_TEST_CASE(glorot_uniform_initialisation_has_keras_bounds) {
    using Arch = std::tuple_element_t<0, tailor::Architectures>;
    tailor::Network<Arch> network(1);
    network.initialize(1);
    const auto values = network.parameters();
    for (const auto &t : network.tensors()) {
        std::size_t size = 1;
        for (int d : t.shape) size *= d;
        const float *v = values.data() + t.offset;
        if (t.name.ends_with("/bias")) {
            BOOST_TEST(std::all_of(v, v + size, [](float x) { return x == 0.0f; }), t.name << " starts at zero");
            continue;
        }
        // Conv kernels (co,ci,K,K): fans are ci*K*K and co*K*K; dense (out,in): in and out.
        const bool conv = t.shape.size() == 4;
        const double taps = conv ? tailor::kConvKernel * tailor::kConvKernel : 1;
        const double fan_in = t.shape[1] * taps, fan_out = t.shape[0] * taps;
        const double limit = std::sqrt(6.0 / (fan_in + fan_out));
        const auto [low, high] = std::minmax_element(v, v + size);
        BOOST_TEST(*low >= -limit);
        BOOST_TEST(*high <= limit);
        BOOST_TEST(*high - *low > 1.8 * limit, t.name << " spans its range");
    }
}

// With every dropout rate and noise deviation overridden to zero, nothing in
// a step is random: two different step keys give the same gradients. With
// the declared values they differ wherever the network has such layers.
BOOST_AUTO_TEST_CASE_TEMPLATE(regularization_overrides_reach_every_layer, Arch, tailor::Architectures) {
    const int n = 4;
    const auto images = random_floats(Arch::input.size() * n, 8, 0.0f, 1.0f);
    const std::vector<int32_t> labels = {1, 2, 3, 4};
    auto gradients = [&](double rate, double stddev, uint32_t step) {
        tailor::Network<Arch> network(n);
        network.initialize(3);
        network.set_regularization(rate, stddev);
        network.train_step(images.data(), labels.data(), nullptr, n, 17, step);
        return std::vector<float>(network.gradients().begin(), network.gradients().end());
    };
    BOOST_TEST((gradients(0.0, 0.0, 1) == gradients(0.0, 0.0, 2)));
    const bool random_layers = []<std::size_t... I>(std::index_sequence<I...>) {
        return (is_random<std::tuple_element_t<I, typename Arch::Layers>> || ...);
    }(std::make_index_sequence<std::tuple_size_v<typename Arch::Layers>>{});
    BOOST_TEST((gradients(-1, -1, 1) != gradients(-1, -1, 2)) == random_layers);
}
