// One kernel on this machine: compiled (JIT, from the same generator source
// the build uses) with a candidate's schedule choices, checked against the
// hand schedule's outputs, and timed.
#pragma once

#include "kernel_kinds.h"

#include <map>
#include <optional>
#include <set>
#include <string>

namespace tune {

using Choices = std::map<std::string, int>;

struct Measurement {
    double milliseconds = 0;  // median per call
};

class KernelBench {
public:
    // Random inputs (fixed seed); runs the hand schedule once for reference.
    KernelBench(const std::string &generator, const Params &params, const KernelKind &kind,
                const Halide::Target &target, const std::string &target_key);

    // The hand schedule when `choices` is empty. Nothing (and why) when the
    // candidate does not compile, is a schedule already measured (the hand
    // one, or an earlier candidate's, its choices clamped to the same
    // values), or its outputs are not the hand schedule's, bit for bit: no
    // choice changes a summation order.
    std::optional<Measurement> measure(const Choices &choices, std::string &problem);

    // Times again a candidate measure() accepted.
    double time_again(const Choices &choices);

    // The `schedule` generator parameter for `choices`.
    std::string schedule_param(const Choices &choices) const;

private:
    Halide::Pipeline define(const Choices &choices);
    double time_calls(Halide::Pipeline &pipeline);
    bool outputs_match_reference() const;

    std::string generator_, target_key_;
    Params params_;
    Halide::Target target_;
    std::vector<BufferShape> input_shapes_;
    std::vector<Halide::Buffer<>> inputs_, outputs_, reference_;
    Halide::Pipeline hand_;   // compiled once
    Choices hand_effective_;  // the hand schedule's values of every choice
    std::set<Choices> seen_;  // the schedules measured
};

}  // namespace tune
