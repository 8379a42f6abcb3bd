// Google Benchmark: every layer of every architecture forward and backward
// (conv2d, dense and the fused conv2d + maxpool: kernel by kernel), a whole
// training step (kernels + Adam) and inference, at several batch
// sizes. Conv and dense layers report GFLOP/s (2 flops per multiply-add) and
// peak_%, the share of the machine's FMA peak (machine/fma_peak, measured
// here on all hardware threads). A pair's Winograd forward (inference), and
// a conv2d's inference, count the direct convolution's multiply-adds: an
// effective rate, beside the pair's forward_direct and the conv2d's forward.
//
//   build/bench/bench_training --benchmark_out=bench.json --benchmark_out_format=json
#include "fma_peak.h"
#include "random_values.h"
#include "tailor/architectures.h"
#include "tailor/nn/network.h"
#include "tailor/nn/optimizer.h"
#include "tailor/train/evaluate.h"
#include "tailor/util/random.h"

#include <benchmark/benchmark.h>

#include <boost/pfr.hpp>

#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

namespace {

template <typename L, typename Tag>
constexpr bool is_kind = std::is_same_v<typename L::Tag, Tag>;

const std::vector<int> kBatches = {1, 32, 128, 256};

using bench::Floats;
using bench::random_values;

// Multiply-adds per image of a layer's forward pass (backward-data and
// backward-weights each cost the same).
template <typename L>
double macs_per_image() {
    constexpr double taps = tailor::kConvKernel * tailor::kConvKernel;
    if constexpr (is_kind<L, tailor::Conv2DTag>) {
        return double(L::out.size()) * L::in.channels * taps;
    } else if constexpr (is_kind<L, tailor::Conv2DMaxPoolTag>) {
        // The convolution over the pixels the windows cover.
        constexpr int window = tailor::kPoolWindow * tailor::kPoolWindow;
        return double(L::out.size()) * window * L::in.channels * taps;
    } else if constexpr (is_kind<L, tailor::DenseTag>) {
        return double(L::in.channels) * L::out.channels;
    } else {
        return 0;
    }
}

// Images/s, and GFLOP/s and peak_% of `macs` multiply-adds per image.
void report_flops(benchmark::State &state, int n, double macs) {
    state.SetItemsProcessed(state.iterations() * n);
    const double gflop = 2e-9 * macs * n;
    if (gflop == 0) return;
    state.counters["GFLOP/s"] = benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_%"] =
        benchmark::Counter(100 * gflop / bench::fma_peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
}

// For conv and dense layers, GFLOP/s and its share of the machine's
// measured FMA peak.
template <typename L>
void report_flops(benchmark::State &state, int n) {
    report_flops(state, n, macs_per_image<L>());
}

template <typename L>
struct LayerFixture {
    L layer;
    typename L::Params params, grads;
    std::vector<Floats> storage;
    Floats x, y, dy, dx;

    explicit LayerFixture(int n) : layer(n) {
        for (auto *p : {&params, &grads}) {
            boost::pfr::for_each_field(*p, [&](tailor::Tensor &t) {
                storage.push_back(random_values(t.size(), storage.size()));
                t.data = storage.back().data();
            });
        }
        x = random_values(L::in.size() * n, 1);
        y.assign(L::out.size() * n, 0.0f);
        dy = random_values(L::out.size() * n, 2);
        dx.assign(L::in.size() * n, 0.0f);
    }
};

template <typename L>
void layer_forward(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    const tailor::StepContext step{1, 1, 0};
    for (auto _ : state) {
        benchmark::DoNotOptimize(f.layer.forward_train(f.x.data(), f.y.data(), n, f.params, step));
    }
    report_flops<L>(state, n);
}

// Inference's forward pass of a conv2d with Winograd kernels: Winograd's
// from tailor::kConvWinogradBatch images (GFLOP/s counts the direct
// multiply-adds, an effective rate), the direct sums below.
template <typename L>
void layer_inference(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    for (auto _ : state) benchmark::DoNotOptimize(f.layer.forward(f.x.data(), f.y.data(), n, f.params));
    report_flops<L>(state, n);
}

template <typename L>
void layer_backward(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    const tailor::StepContext step{1, 1, 0};
    f.layer.forward_train(f.x.data(), f.y.data(), n, f.params, step);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            f.layer.backward(f.x.data(), f.y.data(), f.dy.data(), f.dx.data(), n, f.params, f.grads, step));
    }
    state.SetItemsProcessed(state.iterations() * n);
}

// The two halves of a weighted layer's backward pass, each one kernel: a
// convolution's as training runs them (Winograd's where they apply), or
// (Direct) its direct sums; a dense layer's kernels.
template <typename L, bool Data, bool Direct = false>
void weighted_backward_half(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    f.layer.forward_train(f.x.data(), f.y.data(), n, f.params, {});
    for (auto _ : state) {
        if constexpr (is_kind<L, tailor::Conv2DTag>) {
            if constexpr (Data && Direct) {
                f.layer.backward_data_direct(f.y.data(), f.dy.data(), f.dx.data(), n, f.params);
            } else if constexpr (Data) {
                f.layer.backward_data(f.y.data(), f.dy.data(), f.dx.data(), n, f.params);
            } else if constexpr (Direct) {
                f.layer.backward_weights_direct(f.x.data(), f.y.data(), f.dy.data(), n, f.grads);
            } else {
                f.layer.backward_weights(f.x.data(), f.y.data(), f.dy.data(), n, f.grads);
            }
        } else {
            auto x = tailor::view(f.x.data(), L::in.channels, n), y = tailor::view(f.y.data(), L::out.channels, n);
            auto dy = tailor::view(f.dy.data(), L::out.channels, n), dx = tailor::view(f.dx.data(), L::in.channels, n);
            if constexpr (Data) {
                tailor::check_kernel(L::Kernels::backward_data(L::weights(f.params.weights.data), y, dy, dx),
                                     "backward_data");
            } else {
                tailor::check_kernel(L::Kernels::backward_weights(x, y, dy, L::weights(f.grads.weights.data),
                                                                  tailor::view(f.grads.bias.data, L::out.channels)),
                                     "backward_weights");
            }
        }
    }
    report_flops<L>(state, n);
}

// The kernels of a fused conv2d + maxpool layer (tailor::Conv2DMaxPool) one
// by one.
enum class PairPass { forward, forward_direct, forward_argmax, backward_weights, backward_data };

template <typename L, PairPass Pass>
void conv2d_maxpool(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    f.layer.forward_train(f.x.data(), f.y.data(), n, f.params, {});
    for (auto _ : state) {
        if constexpr (Pass == PairPass::forward) {
            f.layer.forward(f.x.data(), f.y.data(), n, f.params);
        } else if constexpr (Pass == PairPass::forward_direct) {
            f.layer.forward_direct(f.x.data(), f.y.data(), n, f.params);
        } else if constexpr (Pass == PairPass::forward_argmax) {
            f.layer.parameters_changed();  // as after every training step: the weights' transform too
            f.layer.forward_train(f.x.data(), f.y.data(), n, f.params, {});
        } else if constexpr (Pass == PairPass::backward_weights) {
            f.layer.backward_weights(f.x.data(), f.y.data(), f.dy.data(), n, f.grads);
        } else {
            f.layer.backward_data(f.y.data(), f.dy.data(), f.dx.data(), n, f.params);
        }
    }
    report_flops(state, n, macs_per_image<L>());
}

template <typename Arch>
void train_step(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    tailor::Network<Arch> network(n);
    network.initialize(1);
    const auto images = random_values(Arch::input.size() * n, 3);
    std::vector<int32_t> labels(n);
    for (int i = 0; i < n; i++) labels[i] = i % Arch::classes;
    uint32_t step = 0;
    for (auto _ : state) {
        network.train_step(images.data(), labels.data(), nullptr, n, 7, step);
        network.apply_adam({}, ++step);
    }
    state.SetItemsProcessed(state.iterations() * n);
}

template <typename Arch>
void inference(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    tailor::Network<Arch> network(n);
    network.initialize(1);
    const auto images = random_values(Arch::input.size() * n, 3);
    std::vector<float> probabilities(static_cast<std::size_t>(n) * Arch::classes);
    for (auto _ : state) {
        network.predict(images.data(), nullptr, nullptr, n, probabilities.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

// The evaluator over the real 10,000-image test set, as `tailor evaluate`
// runs it: batching, byte-to-float conversion, kernels and metrics.
template <typename Arch>
void test_set_evaluation(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    const tailor::Dataset test = tailor::load_data({}).test;
    tailor::Network<Arch> network(n);
    network.initialize(1);
    for (auto _ : state) benchmark::DoNotOptimize(tailor::evaluate(network, test, {}));
    state.SetItemsProcessed(state.iterations() * test.size());
}

// A layer's benchmarks, named arch/row/pass (a fused layer's rows joined by
// "+"): each weighted layer's kernels one by one, every other layer's forward
// (as training runs it) and backward pass.
template <typename L>
std::vector<benchmark::internal::Benchmark *> register_layer(const std::string &prefix) {
    std::vector<benchmark::internal::Benchmark *> added;
    auto add = [&](const char *pass, auto function) {
        added.push_back(benchmark::RegisterBenchmark((prefix + pass).c_str(), function));
    };
    if constexpr (is_kind<L, tailor::Conv2DTag> || is_kind<L, tailor::DenseTag>) {
        add("forward", layer_forward<L>);
        if constexpr (is_kind<L, tailor::Conv2DTag>) {
            if constexpr (L::Kernels::winograd) add("inference", layer_inference<L>);
        }
        add("backward_data", weighted_backward_half<L, true>);
        add("backward_weights", weighted_backward_half<L, false>);
        if constexpr (is_kind<L, tailor::Conv2DTag>) {
            if constexpr (L::Kernels::winograd_backward) {
                add("backward_data_direct", weighted_backward_half<L, true, true>);
                add("backward_weights_direct", weighted_backward_half<L, false, true>);
            }
        }
    } else if constexpr (is_kind<L, tailor::Conv2DMaxPoolTag>) {
        add("forward", conv2d_maxpool<L, PairPass::forward>);
        add("forward_argmax", conv2d_maxpool<L, PairPass::forward_argmax>);
        if constexpr (L::first) {
            add("backward", conv2d_maxpool<L, PairPass::backward_weights>);
        } else {
            add("forward_direct", conv2d_maxpool<L, PairPass::forward_direct>);
            add("backward_weights", conv2d_maxpool<L, PairPass::backward_weights>);
            add("backward_data", conv2d_maxpool<L, PairPass::backward_data>);
        }
    } else if constexpr (!is_kind<L, tailor::FlattenTag>) {
        add("forward", layer_forward<L>);
        add("backward", layer_backward<L>);
    }
    return added;
}

template <typename Arch>
void register_architecture() {
    using Layers = typename Arch::Layers;
    const std::string arch = Arch::name;
    const auto rows = tailor::Network<Arch>(1).summary();
    std::size_t row = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             using L = std::tuple_element_t<I, Layers>;
             std::string name;
             for (std::size_t r = 0; r < L::rows.size(); r++) name += (r ? "+" : "") + rows[row++].name;
             for (auto *b : register_layer<L>(arch + "/" + name + "/")) {
                 for (int n : kBatches) b->Arg(n);
                 b->UseRealTime();
             }
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<Layers>>{});
    auto *step = benchmark::RegisterBenchmark((arch + "/train_step").c_str(), train_step<Arch>);
    auto *infer = benchmark::RegisterBenchmark((arch + "/inference").c_str(), inference<Arch>);
    for (int n : kBatches) {
        step->Arg(n);
        infer->Arg(n);
    }
    step->UseRealTime();
    infer->UseRealTime();
    if (std::filesystem::exists(tailor::kDefaultDataDirectory)) {
        benchmark::RegisterBenchmark((arch + "/test_set_evaluation").c_str(), test_set_evaluation<Arch>)
            ->Arg(256)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
}

}  // namespace

// The peak itself, as a benchmark of its own, so the JSON carries it (and
// the clock it ran at). It is measured before the benchmarks start; the
// time this reports is only the lookup.
void fma_peak(benchmark::State &state) {
    const bench::FmaPeak &peak = bench::fma_peak();
    for (auto _ : state) benchmark::DoNotOptimize(peak.gflops);
    state.counters["GFLOP/s"] = peak.gflops;
    state.counters["clock_GHz"] = peak.clock_ghz;
    state.counters["flop/cycle/thread"] = peak.flops_per_cycle;
    state.counters["threads"] = peak.threads;
    state.SetLabel(peak.isa);
}

int main(int argc, char **argv) {
    benchmark::RegisterBenchmark("machine/fma_peak", fma_peak)->Iterations(1);
    std::apply([](auto... arch) { (register_architecture<decltype(arch)>(), ...); }, tailor::Architectures{});
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    bench::fma_peak();  // on an idle machine, before any kernel's threads
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
