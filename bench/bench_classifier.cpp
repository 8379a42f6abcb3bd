// The inference library's latency (tailor/classifier.h): one image, as a
// program classifying photos one at a time calls it, and batches of 64; and
// the cost of a parallel loop itself.
//   build/bench/bench_classifier [--benchmark_filter=...]
#include "tailor/classifier.h"
#include "tailor/nn/parallel_for.h"
#include "tailor/train/checkpoint.h"

#include "random_values.h"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

namespace {

// A checkpoint of an untrained network (latency does not depend on the values).
std::string untrained_checkpoint(const std::string &architecture) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("bench-" + architecture + "-" + std::to_string(getpid()) + ".tlr"))
            .string();
    auto model = tailor::make_model(architecture, 1);
    model->initialize(1);
    tailor::Checkpoint c;
    c.settings.architecture = architecture;
    c.tensors = model->tensors();
    const auto weights = model->parameters();
    c.parameters.assign(weights.begin(), weights.end());
    c.adam.m.assign(c.parameters.size(), 0.0f);
    c.adam.v = c.adam.m;
    tailor::save_checkpoint(path, c);
    return path;
}

void classify(benchmark::State &state, const std::string &architecture) {
    const std::string path = untrained_checkpoint(architecture);
    const tailor::Classifier classifier(path);
    std::filesystem::remove(path);
    const int n = static_cast<int>(state.range(0));
    const auto images = bench::random_values(static_cast<std::size_t>(n) * 784, 3);
    std::vector<float> probabilities(static_cast<std::size_t>(n) * 10);
    for (auto _ : state) {
        classifier.classify(images.data(), n, probabilities.data());
        benchmark::DoNotOptimize(probabilities.data());
    }
    // Seconds per image (printed with an SI prefix: "21u" is 21 us).
    state.counters["per_image"] =
        benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// What one parallel loop of N empty iterations costs: the hand-offs
// between the threads that every kernel's loop pays.
void parallel_loop(benchmark::State &state) {
    const int size = static_cast<int>(state.range(0));
    for (auto _ : state) {
        tailor::parallel_for(nullptr, [](void *, int, uint8_t *) { return 0; }, 0, size, nullptr);
    }
}

}  // namespace

BENCHMARK(parallel_loop)->Arg(2)->Arg(8)->Arg(32);
BENCHMARK_CAPTURE(classify, cnn3, std::string("cnn3"))->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(classify, mlp, std::string("mlp"))->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
