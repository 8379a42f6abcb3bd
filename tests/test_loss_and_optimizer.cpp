// The fused softmax + cross-entropy kernel and the Adam kernel against their
// double-precision references.
#define BOOST_TEST_MODULE loss_and_optimizer
#include "reference.h"
#include "support.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/nn/optimizer.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>

using namespace support;

namespace {

constexpr int kClasses = 10;

struct KernelSoftmax {
    std::vector<float> probabilities, loss, d_logits;
    std::vector<float> totals{0.5f, 2.0f};  // running (loss sum, correct count), updated in place
};

KernelSoftmax run_softmax(std::vector<float> logits, std::vector<int32_t> labels, int n, float smoothing = 0) {
    KernelSoftmax r{std::vector<float>(kClasses * n), std::vector<float>(n), std::vector<float>(kClasses * n)};
    auto totals = tailor::view(r.totals.data(), 2);
    tailor::check_kernel(tailor::SoftmaxCrossEntropyKernels<kClasses>::forward_backward(
                             tailor::view(logits.data(), kClasses, n), tailor::view(labels.data(), n), 1.0f / n,
                             smoothing, totals, tailor::view(r.probabilities.data(), kClasses, n),
                             tailor::view(r.loss.data(), n), tailor::view(r.d_logits.data(), kClasses, n), totals),
                         "softmax_cross_entropy");
    return r;
}

std::vector<int32_t> random_labels(int n, uint64_t seed) {
    tailor::SplitMix64 rng(seed);
    std::vector<int32_t> labels(n);
    for (auto &l : labels) l = static_cast<int32_t>(rng.below(kClasses));
    return labels;
}

}  // namespace

// Without label smoothing and with it.
BOOST_DATA_TEST_CASE(softmax_cross_entropy_matches_reference, boost::unit_test::data::make({0.0f, 0.1f}), smoothing) {
    for (int n : kBatchSizes) {
        BOOST_TEST_CONTEXT("batch " << n << ", label smoothing " << smoothing) {
            const auto logits = random_floats(kClasses * n, 20 + n, -4.0f, 4.0f);
            const auto labels = random_labels(n, 30 + n);
            const auto got = run_softmax(logits, labels, n, smoothing);
            const auto want = reference::softmax_cross_entropy(to_double(logits), labels, kClasses, n, smoothing);
            expect_close("probabilities", got.probabilities, want.probabilities, 1e-6);
            expect_close("loss", got.loss, want.loss, 1e-5);
            expect_close("d_logits", got.d_logits, want.d_logits, 1e-6);
            double loss_sum = 0.5, correct = 2;
            for (int i = 0; i < n; i++) {
                const auto p = want.probabilities.begin() + i * kClasses;
                loss_sum += want.loss[i];
                correct += std::max_element(p, p + kClasses) - p == labels[i];
            }
            expect_close("totals", got.totals, {loss_sum, correct}, 1e-5);
        }
    }
}

BOOST_AUTO_TEST_CASE(softmax_cross_entropy_is_stable_for_large_logits) {
    std::vector<float> logits(kClasses, 0.0f);
    logits[3] = 1000.0f;
    logits[7] = -1000.0f;
    const auto got = run_softmax(logits, {7}, 1);
    BOOST_TEST(std::isfinite(got.loss[0]));
    BOOST_TEST(got.loss[0] == 2000.0f, "loss " << got.loss[0]);
    BOOST_TEST(got.probabilities[3] == 1.0f);
}

BOOST_DATA_TEST_CASE(softmax_cross_entropy_gradient_matches_finite_differences,
                     boost::unit_test::data::make({0.0, 0.1}), smoothing) {
    const int n = 4;
    Vec logits = to_double(random_floats(kClasses * n, 40, -3.0f, 3.0f));
    const auto labels = random_labels(n, 41);
    const auto result = reference::softmax_cross_entropy(logits, labels, kClasses, n, smoothing);
    check_finite_differences("d_logits", logits, result.d_logits, [&] {
        const auto r = reference::softmax_cross_entropy(logits, labels, kClasses, n, smoothing);
        double mean = 0;
        for (double l : r.loss) mean += l / n;
        return mean;
    }, 5, 40);
}

BOOST_AUTO_TEST_CASE(adam_kernel_matches_reference_over_several_steps) {
    const std::size_t size = 10007;  // not a multiple of any vector width
    auto params = random_floats(size, 50);
    std::vector<float> moment1(size, 0.0f), moment2(size, 0.0f);
    Vec p = to_double(params), m(size, 0.0), v(size, 0.0);
    const tailor::AdamSettings settings;
    for (int t = 1; t <= 3; t++) {
        const auto grads = random_floats(size, 60 + t, -0.1f, 0.1f);
        tailor::adam_update(settings, tailor::adam_step_size(settings, t), params.data(), grads.data(),
                            moment1.data(), moment2.data(), size);
        reference::adam(p, to_double(grads), m, v, settings.learning_rate, settings.beta1, settings.beta2,
                        settings.epsilon, t);
        expect_close("parameters after step " + std::to_string(t), params, p, 1e-6);
        expect_close("m after step " + std::to_string(t), moment1, m, 1e-6);
        expect_close("v after step " + std::to_string(t), moment2, v, 1e-6);
    }
}

// In a GPU build a DeviceArray's values stay on the device across kernel calls
// and reach the host only when synced; a CPU build works on the host itself.
BOOST_AUTO_TEST_CASE(device_arrays_keep_results_on_the_device_until_synced) {
    const std::size_t size = 100;
    std::vector<float> params(size, 1.0f), grads(size, 0.5f), m(size, 0.0f), v(size, 0.0f);
    tailor::DeviceArray on_device[] = {{params.data(), size * sizeof(float)},
                                       {grads.data(), size * sizeof(float)},
                                       {m.data(), size * sizeof(float)},
                                       {v.data(), size * sizeof(float)}};
    const tailor::AdamSettings settings;
    for (uint64_t step = 1; step <= 2; step++) {
        tailor::adam_update(settings, tailor::adam_step_size(settings, step), params.data(), grads.data(), m.data(),
                            v.data(), size);
    }
    if (tailor::gpu_interface()) BOOST_TEST(params[0] == 1.0f, "the host copy is untouched before a sync");
    on_device[0].sync_to_host();
    // Two steps of lr 0.001 against a constant positive gradient.
    BOOST_TEST(std::abs(params[0] - (1.0f - 2 * 0.001f)) < 1e-5, "parameter " << params[0]);
    BOOST_TEST(params[size - 1] == params[0]);
}

BOOST_AUTO_TEST_CASE(ema_kernel_matches_reference) {
    const std::size_t size = 10007;
    auto average = random_floats(size, 60), parameters = random_floats(size, 61);
    Vec expected = to_double(average);
    for (double decay : {0.5, 0.9, 0.999}) {
        tailor::ema_update(average.data(), parameters.data(), size, decay);
        expected = reference::ema(expected, to_double(parameters), decay);
        expect_close("average after decay " + std::to_string(decay), average, expected, 1e-6);
    }
}
