// Google Benchmark: every layer of every architecture forward and backward,
// a whole training step (kernels + Adam) and inference, at several batch
// sizes. Conv and dense layers report GFLOP/s (2 flops per multiply-add).
//
//   build/bench/bench_training --benchmark_out=bench.json --benchmark_out_format=json
#include "tailor/adam.h"
#include "tailor/architectures.h"
#include "tailor/network.h"
#include "tailor/random.h"

#include <benchmark/benchmark.h>

#include <boost/pfr.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

const std::vector<int> kBatches = {1, 32, 128, 256};

std::vector<float> random_values(std::size_t size, uint64_t seed) {
    tailor::SplitMix64 rng(seed);
    std::vector<float> values(size);
    for (auto &v : values) v = static_cast<float>(rng.uniform()) - 0.5f;
    return values;
}

// Multiply-adds per image of a layer's forward pass (backward-data and
// backward-weights each cost the same).
template <typename L>
double macs_per_image() {
    constexpr std::string_view kind = L::kind;
    if constexpr (kind == "Conv2D") {
        return double(L::out.size()) * L::in.channels * 9;
    } else if constexpr (kind == "Dense") {
        return double(L::in.channels) * L::out.channels;
    } else {
        return 0;
    }
}

template <typename L>
struct LayerFixture {
    L layer;
    typename L::Params params, grads;
    std::vector<std::vector<float>> storage;
    std::vector<float> x, y, dy, dx;

    explicit LayerFixture(int n) {
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
    const tailor::StepContext step{true, 1, 1, 0};
    for (auto _ : state) {
        benchmark::DoNotOptimize(f.layer.forward(f.x.data(), f.y.data(), n, f.params, step));
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["GFLOP/s"] =
        benchmark::Counter(2e-9 * macs_per_image<L>() * n, benchmark::Counter::kIsIterationInvariantRate);
}

// The first layer of a network computes no input gradient (there is nothing
// to pass it to), as in training.
template <typename L, bool FirstLayer>
void layer_backward(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    LayerFixture<L> f(n);
    const tailor::StepContext step{true, 1, 1, 0};
    f.layer.forward(f.x.data(), f.y.data(), n, f.params, step);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            f.layer.backward(f.x.data(), f.y.data(), f.dy.data(), FirstLayer ? nullptr : f.dx.data(), n, f.params,
                             f.grads, step));
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["GFLOP/s"] = benchmark::Counter((FirstLayer ? 2e-9 : 4e-9) * macs_per_image<L>() * n,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

template <typename Arch>
void train_step(benchmark::State &state) {
    const int n = static_cast<int>(state.range(0));
    tailor::Network<Arch> network(n);
    network.initialize(1);
    tailor::AdamState adam;
    const auto images = random_values(Arch::input.size() * n, 3);
    std::vector<int32_t> labels(n);
    for (int i = 0; i < n; i++) labels[i] = i % Arch::classes;
    uint32_t step = 0;
    for (auto _ : state) {
        network.train_step(images.data(), labels.data(), n, 7, step++);
        tailor::adam_update({}, adam, network.parameters(), network.gradients());
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
        network.predict(images.data(), nullptr, n, probabilities.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

template <typename Arch>
void register_architecture() {
    const std::string arch = Arch::name;
    const auto rows = tailor::Network<Arch>(1).summary();
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (([&] {
             using L = std::tuple_element_t<I, typename Arch::Layers>;
             if constexpr (std::string_view(L::kind) != "Flatten") {
                 for (const char *pass : {"forward", "backward"}) {
                     auto *b = benchmark::RegisterBenchmark((arch + "/" + rows[I].name + "/" + pass).c_str(),
                                                            pass[0] == 'f' ? layer_forward<L> : layer_backward<L, I == 0>);
                     for (int n : kBatches) b->Arg(n);
                     b->UseRealTime();
                 }
             }
         }()),
         ...);
    }(std::make_index_sequence<std::tuple_size_v<typename Arch::Layers>>{});
    auto *step = benchmark::RegisterBenchmark((arch + "/train_step").c_str(), train_step<Arch>);
    auto *infer = benchmark::RegisterBenchmark((arch + "/inference").c_str(), inference<Arch>);
    for (int n : kBatches) {
        step->Arg(n);
        infer->Arg(n);
    }
    step->UseRealTime();
    infer->UseRealTime();
}

}  // namespace

int main(int argc, char **argv) {
    std::apply([](auto... arch) { (register_architecture<decltype(arch)>(), ...); }, tailor::Architectures{});
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
