// Google Benchmark: cnn3's conv2 kernels (13x13x32 -> 64, ReLU) with the
// hand schedule the trainer links against the same generators scheduled by
// Halide 14's autoschedulers (Mullapudi2016, Adams2019, Li2018), at batch 32,
// 128 and 256. Reports GFLOP/s and peak_% as bench_training does.
//
//   build/bench/bench_schedules --benchmark_out=bench-results/schedules.json --benchmark_out_format=json
#include "conv2d_backward_data_13x13x32_to_64_relu_adams2019.h"
#include "conv2d_backward_data_13x13x32_to_64_relu_li2018.h"
#include "conv2d_backward_data_13x13x32_to_64_relu_mullapudi2016.h"
#include "conv2d_backward_weights_13x13x32_to_64_relu_adams2019.h"
#include "conv2d_backward_weights_13x13x32_to_64_relu_li2018.h"
#include "conv2d_backward_weights_13x13x32_to_64_relu_mullapudi2016.h"
#include "conv2d_forward_13x13x32_to_64_relu_adams2019.h"
#include "conv2d_forward_13x13x32_to_64_relu_li2018.h"
#include "conv2d_forward_13x13x32_to_64_relu_mullapudi2016.h"
#include "fma_peak.h"
#include "tailor/architectures.h"
#include "tailor/kernel_call.h"
#include "tailor/random.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

constexpr int kWidth = 13, kIn = 32, kOut = 64, kOutWidth = kWidth - 2;
using Hand = tailor::Conv2DKernels<kWidth, kWidth, kIn, kOut, true>;

using Forward = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *);
using BackwardData = Forward;
using BackwardWeights = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                halide_buffer_t *);

std::vector<float> random_values(std::size_t size, uint64_t seed) {
    tailor::SplitMix64 rng(seed);
    std::vector<float> values(size);
    for (auto &v : values) v = static_cast<float>(rng.uniform()) - 0.5f;
    return values;
}

// One layer's tensors at batch n, filled with random values.
struct Tensors {
    explicit Tensors(int n)
        : input(random_values(std::size_t{kIn} * kWidth * kWidth * n, 1)),
          weights(random_values(std::size_t{kOut} * kIn * 9, 2)),
          bias(random_values(kOut, 3)),
          output(random_values(std::size_t{kOut} * kOutWidth * kOutWidth * n, 4)),
          d_output(random_values(output.size(), 5)),
          d_input(input.size()),
          d_weights(weights.size()),
          d_bias(kOut) {}
    std::vector<float> input, weights, bias, output, d_output, d_input, d_weights, d_bias;
};

void report(benchmark::State &state, int n) {
    const double gflop = 2e-9 * kOutWidth * kOutWidth * kOut * kIn * 9 * n;
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["GFLOP/s"] = benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_%"] =
        benchmark::Counter(100 * gflop / bench::fma_peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
}

void forward(benchmark::State &state, Forward kernel) {
    const int n = static_cast<int>(state.range(0));
    Tensors t(n);
    for (auto _ : state) {
        tailor::check_kernel(kernel(tailor::view(t.input.data(), kIn, kWidth, kWidth, n),
                                    tailor::view(t.weights.data(), kOut, kIn, 3, 3), tailor::view(t.bias.data(), kOut),
                                    tailor::view(t.output.data(), kOut, kOutWidth, kOutWidth, n)),
                             "forward");
    }
    report(state, n);
}

void backward_data(benchmark::State &state, BackwardData kernel) {
    const int n = static_cast<int>(state.range(0));
    Tensors t(n);
    for (auto _ : state) {
        tailor::check_kernel(kernel(tailor::view(t.weights.data(), kOut, kIn, 3, 3),
                                    tailor::view(t.output.data(), kOut, kOutWidth, kOutWidth, n),
                                    tailor::view(t.d_output.data(), kOut, kOutWidth, kOutWidth, n),
                                    tailor::view(t.d_input.data(), kIn, kWidth, kWidth, n)),
                             "backward_data");
    }
    report(state, n);
}

void backward_weights(benchmark::State &state, BackwardWeights kernel) {
    const int n = static_cast<int>(state.range(0));
    Tensors t(n);
    for (auto _ : state) {
        tailor::check_kernel(kernel(tailor::view(t.input.data(), kIn, kWidth, kWidth, n),
                                    tailor::view(t.output.data(), kOut, kOutWidth, kOutWidth, n),
                                    tailor::view(t.d_output.data(), kOut, kOutWidth, kOutWidth, n),
                                    tailor::view(t.d_weights.data(), kOut, kIn, 3, 3),
                                    tailor::view(t.d_bias.data(), kOut)),
                             "backward_weights");
    }
    report(state, n);
}

template <typename Kernel>
void add(const std::string &pass, const std::string &schedule, void (*run)(benchmark::State &, Kernel),
         Kernel kernel) {
    benchmark::RegisterBenchmark(("conv2/" + pass + "/" + schedule).c_str(), run, kernel)
        ->Arg(32)
        ->Arg(128)
        ->Arg(256)
        ->UseRealTime();
}

}  // namespace

int main(int argc, char **argv) {
    add<Forward>("forward", "hand", forward, Hand::forward);
    add<Forward>("forward", "mullapudi2016", forward, conv2d_forward_13x13x32_to_64_relu_mullapudi2016);
    add<Forward>("forward", "adams2019", forward, conv2d_forward_13x13x32_to_64_relu_adams2019);
    add<Forward>("forward", "li2018", forward, conv2d_forward_13x13x32_to_64_relu_li2018);
    add<BackwardData>("backward_data", "hand", backward_data, Hand::backward_data);
    add<BackwardData>("backward_data", "mullapudi2016", backward_data,
                      conv2d_backward_data_13x13x32_to_64_relu_mullapudi2016);
    add<BackwardData>("backward_data", "adams2019", backward_data, conv2d_backward_data_13x13x32_to_64_relu_adams2019);
    add<BackwardData>("backward_data", "li2018", backward_data, conv2d_backward_data_13x13x32_to_64_relu_li2018);
    add<BackwardWeights>("backward_weights", "hand", backward_weights, Hand::backward_weights);
    add<BackwardWeights>("backward_weights", "mullapudi2016", backward_weights,
                         conv2d_backward_weights_13x13x32_to_64_relu_mullapudi2016);
    add<BackwardWeights>("backward_weights", "adams2019", backward_weights,
                         conv2d_backward_weights_13x13x32_to_64_relu_adams2019);
    add<BackwardWeights>("backward_weights", "li2018", backward_weights,
                         conv2d_backward_weights_13x13x32_to_64_relu_li2018);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
