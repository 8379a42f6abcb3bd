#include "candidate.h"

#include "schedule_choices.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace tune {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5;
constexpr auto kRound = std::chrono::milliseconds(40);

Halide::Buffer<> random_buffer(const BufferShape &shape, std::mt19937 &rng) {
    Halide::Buffer<> buffer(shape.type, shape.extents);
    const std::size_t count = buffer.number_of_elements();
    if (shape.type == Halide::UInt(8)) {  // a window's argmax: 0 to 3
        auto *values = static_cast<uint8_t *>(buffer.data());
        std::uniform_int_distribution<int> position(0, 3);
        for (std::size_t i = 0; i < count; i++) values[i] = static_cast<uint8_t>(position(rng));
    } else {
        auto *values = static_cast<float *>(buffer.data());
        std::uniform_real_distribution<float> value(-1.0f, 1.0f);
        for (std::size_t i = 0; i < count; i++) values[i] = value(rng);
    }
    return buffer;
}

}  // namespace

KernelBench::KernelBench(const std::string &generator, const Params &params, const KernelKind &kind,
                         const Halide::Target &target, const std::string &target_key)
    : generator_(generator), target_key_(target_key), params_(params), target_(target) {
    std::mt19937 rng(7);
    for (const auto &shape : kind.inputs) inputs_.push_back(random_buffer(shape, rng));
    for (const auto &shape : kind.outputs) outputs_.emplace_back(shape.type, shape.extents);
    Halide::Pipeline hand = compile({});
    hand_choices_ = tailor::ScheduleChoices::hand_values();
    hand.realize(Halide::Realization(outputs_), target_);
    for (const auto &output : outputs_) reference_.push_back(output.copy());
}

std::string KernelBench::schedule_param(const Choices &choices) const {
    std::string encoded;
    for (const auto &[knob, value] : choices) {
        encoded += (encoded.empty() ? target_key_ + "@" : ",") + knob + ":" + std::to_string(value);
    }
    return encoded;
}

Halide::Pipeline KernelBench::compile(const Choices &choices) {
    using namespace Halide::Internal;
    Halide::Internal::GeneratorParamsMap params;
    for (const auto &[name, value] : params_) params[name] = value;
    if (!choices.empty()) params["schedule"] = schedule_param(choices);
    std::vector<std::vector<StubInput>> inputs;
    for (const auto &input : inputs_) inputs.push_back(GeneratorStub::to_stub_input_vector(StubInputBuffer<>(input)));
    const std::string name = generator_;
    GeneratorStub stub(Halide::GeneratorContext(target_),
                       [name](const Halide::GeneratorContext &c) { return GeneratorRegistry::create(name, c); },
                       params, inputs);
    std::vector<Halide::Func> outputs;
    for (const auto &output : stub.get_names().outputs) {
        for (const auto &f : stub.get_outputs(output)) outputs.push_back(f);
    }
    Halide::Pipeline pipeline(outputs);
    pipeline.compile_jit(target_);
    return pipeline;
}

double KernelBench::time_calls(Halide::Pipeline &pipeline) {
    Halide::Realization realization(outputs_);
    pipeline.realize(realization, target_);  // warm: caches, thread pool
    std::vector<double> rounds;
    for (int r = 0; r < kRounds; r++) {
        long calls = 0;
        const auto start = Clock::now();
        while (Clock::now() - start < kRound) {
            pipeline.realize(realization, target_);
            calls++;
        }
        rounds.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count() / calls);
    }
    std::nth_element(rounds.begin(), rounds.begin() + kRounds / 2, rounds.end());
    return rounds[kRounds / 2];
}

double KernelBench::difference_from_reference() const {
    double worst = 0;
    for (std::size_t b = 0; b < outputs_.size(); b++) {
        const std::size_t count = outputs_[b].number_of_elements();
        if (outputs_[b].type() == Halide::UInt(8)) {
            const auto *got = static_cast<const uint8_t *>(outputs_[b].data());
            const auto *want = static_cast<const uint8_t *>(reference_[b].data());
            if (!std::equal(got, got + count, want)) return INFINITY;
            continue;
        }
        const auto *got = static_cast<const float *>(outputs_[b].data());
        const auto *want = static_cast<const float *>(reference_[b].data());
        double scale = 0, difference = 0;
        for (std::size_t i = 0; i < count; i++) {
            scale = std::max(scale, std::fabs(double(want[i])));
            difference = std::max(difference, std::fabs(double(got[i]) - want[i]));
        }
        if (!std::isfinite(difference)) return INFINITY;
        worst = std::max(worst, difference / std::max(scale, 1e-30));
    }
    return worst;
}

bool KernelBench::same_as_hand(const Choices &choices) const {
    for (const auto &[knob, value] : choices) {
        const auto hand = hand_choices_.find(knob);
        if (hand == hand_choices_.end() || hand->second != value) return false;
    }
    return true;
}

std::optional<Measurement> KernelBench::measure(const Choices &choices, std::string &problem) {
    try {
        Halide::Pipeline pipeline = compile(choices);
        for (auto &output : outputs_) std::fill_n(static_cast<uint8_t *>(output.data()), output.size_in_bytes(), 0);
        pipeline.realize(Halide::Realization(outputs_), target_);
        Measurement m;
        m.max_difference = difference_from_reference();
        // Another summation order may round differently; more is a wrong schedule.
        if (!(m.max_difference <= 1e-5)) {
            problem = "outputs differ from the hand schedule's (" + std::to_string(m.max_difference) + ")";
            return std::nullopt;
        }
        m.milliseconds = time_calls(pipeline);
        return m;
    } catch (const Halide::Error &e) {
        problem = e.what();
        problem = problem.substr(0, problem.find('\n'));
        return std::nullopt;
    }
}

}  // namespace tune
