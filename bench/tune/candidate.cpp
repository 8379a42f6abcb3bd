#include "candidate.h"

#include "schedule_choices.h"
#include "tailor/nn/parallel_for.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace tune {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5;
constexpr auto kRound = std::chrono::milliseconds(40);

// A scalar input has no buffer (an empty one stands in).
Halide::Buffer<> random_buffer(const BufferShape &shape, std::mt19937 &rng) {
    if (shape.extents.empty()) return {};
    Halide::Buffer<> buffer(shape.type, shape.extents);
    const std::size_t count = buffer.number_of_elements();
    if (shape.type == Halide::UInt(8)) {  // a window's argmax: 0 to 3
        auto *values = static_cast<uint8_t *>(buffer.data());
        std::uniform_int_distribution<int> position(0, 3);
        for (std::size_t i = 0; i < count; i++) values[i] = static_cast<uint8_t>(position(rng));
    } else {
        auto *values = static_cast<float *>(buffer.data());
        std::uniform_real_distribution<float> value(shape.low, 1.0f);
        for (std::size_t i = 0; i < count; i++) values[i] = value(rng);
    }
    buffer.set_host_dirty();  // written through data(): a GPU target must copy it over
    return buffer;
}

// A scalar input as a run-time parameter holding its value, as the AOT
// kernels take it (a constant would let the JIT fold it into the code).
Halide::Expr scalar_parameter(const BufferShape &shape) {
    if (shape.type == Halide::UInt(32)) {
        Halide::Param<uint32_t> parameter;
        parameter.set(static_cast<uint32_t>(shape.value));
        return parameter;
    }
    Halide::Param<float> parameter;
    parameter.set(static_cast<float>(shape.value));
    return parameter;
}

// A JIT pipeline's parallel loop on tailor::parallel_for, whose user
// context is the same pointer untyped.
int parallel_for_jit(Halide::JITUserContext *context, int (*task)(Halide::JITUserContext *, int, uint8_t *), int min,
                     int size, uint8_t *closure) {
    return tailor::parallel_for(context, reinterpret_cast<int (*)(void *, int, uint8_t *)>(task), min, size, closure);
}

}  // namespace

KernelBench::KernelBench(const std::string &generator, const Params &params, const KernelKind &kind,
                         const Halide::Target &target, const std::string &target_key)
    : generator_(generator), target_key_(target_key), params_(params), target_(target), input_shapes_(kind.inputs) {
    std::mt19937 rng(7);
    for (const auto &shape : kind.inputs) inputs_.push_back(random_buffer(shape, rng));
    for (const auto &shape : kind.outputs) outputs_.emplace_back(shape.type, shape.extents);
    hand_ = define({});
    hand_effective_ = tailor::ScheduleChoices::effective_values();
    hand_.realize(Halide::Realization(outputs_), target_);
    for (auto &output : outputs_) {
        output.copy_to_host();
        reference_.push_back(output.copy());
    }
}

std::string KernelBench::schedule_param(const Choices &choices) const {
    std::string encoded;
    for (const auto &[knob, value] : choices) {
        encoded += (encoded.empty() ? target_key_ + "@" : ",") + knob + ":" + std::to_string(value);
    }
    return encoded;
}

Halide::Pipeline KernelBench::define(const Choices &choices) {
    using namespace Halide::Internal;
    Halide::Internal::GeneratorParamsMap params;
    for (const auto &[name, value] : params_) params[name] = value;
    if (!choices.empty()) params["schedule"] = schedule_param(choices);
    std::vector<std::vector<StubInput>> inputs;
    for (std::size_t i = 0; i < inputs_.size(); i++) {
        const BufferShape &shape = input_shapes_[i];
        if (!shape.extents.empty()) {
            inputs.push_back(GeneratorStub::to_stub_input_vector(StubInputBuffer<>(inputs_[i])));
        } else {
            inputs.push_back(GeneratorStub::to_stub_input_vector(scalar_parameter(shape)));
        }
    }
    const std::string name = generator_;
    GeneratorStub stub(Halide::GeneratorContext(target_),
                       [name](const Halide::GeneratorContext &c) { return GeneratorRegistry::create(name, c); },
                       params, inputs);
    std::vector<Halide::Func> outputs;
    for (const auto &output : stub.get_names().outputs) {
        for (const auto &f : stub.get_outputs(output)) outputs.push_back(f);
    }
    // Compiled by its first realize: a candidate found to repeat a schedule
    // already measured never is. Its loops run on the AOT kernels' threads.
    Halide::Pipeline pipeline(outputs);
    pipeline.jit_handlers().custom_do_par_for = parallel_for_jit;
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
        for (auto &output : outputs_) output.device_sync();  // a GPU's calls finish asynchronously
        rounds.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count() / calls);
    }
    std::nth_element(rounds.begin(), rounds.begin() + kRounds / 2, rounds.end());
    return rounds[kRounds / 2];
}

bool KernelBench::outputs_match_reference() const {
    for (std::size_t b = 0; b < outputs_.size(); b++) {
        const auto *got = static_cast<const uint8_t *>(outputs_[b].data());
        const auto *want = static_cast<const uint8_t *>(reference_[b].data());
        if (!std::equal(got, got + outputs_[b].size_in_bytes(), want)) return false;
    }
    return true;
}

std::optional<Measurement> KernelBench::measure(const Choices &choices, std::string &problem) {
    try {
        Halide::Pipeline pipeline = choices.empty() ? hand_ : define(choices);
        const Choices effective = tailor::ScheduleChoices::effective_values();
        if (!choices.empty() && effective == hand_effective_) {
            problem = "the hand schedule's own values";
            return std::nullopt;
        }
        if (!choices.empty() && !seen_.insert(effective).second) {
            problem = "the same schedule as an earlier candidate";
            return std::nullopt;
        }
        // Zeros, on the device too, so that an element a candidate leaves
        // unwritten shows.
        for (auto &output : outputs_) {
            output.copy_to_host();
            std::fill_n(static_cast<uint8_t *>(output.data()), output.size_in_bytes(), 0);
            output.set_host_dirty();
        }
        pipeline.realize(Halide::Realization(outputs_), target_);
        for (auto &output : outputs_) output.copy_to_host();
        if (!outputs_match_reference()) {
            problem = "outputs differ from the hand schedule's";
            return std::nullopt;
        }
        return Measurement{time_calls(pipeline)};
    } catch (const Halide::Error &e) {
        problem = e.what();
        problem = problem.substr(0, problem.find('\n'));
        return std::nullopt;
    }
}

double KernelBench::time_again(const Choices &choices) {
    Halide::Pipeline pipeline = choices.empty() ? hand_ : define(choices);
    return time_calls(pipeline);
}

}  // namespace tune
