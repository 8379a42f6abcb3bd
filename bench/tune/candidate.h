// One kernel on this machine: compiled (JIT, from the same generator source
// the build uses) with a candidate's schedule choices, checked against the
// hand schedule's outputs, and timed.
#pragma once

#include "kernel_kinds.h"

#include <map>
#include <optional>
#include <string>

namespace tune {

using Choices = std::map<std::string, int>;

struct Measurement {
    double milliseconds = 0;      // median per call
    double max_difference = 0;    // against the hand schedule, relative to its largest magnitude
};

class KernelBench {
public:
    // Random inputs (fixed seed); runs the hand schedule once for reference.
    KernelBench(const std::string &generator, const Params &params, const KernelKind &kind,
                const Halide::Target &target, const std::string &target_key);

    // The hand schedule when `choices` is empty. Nothing when the candidate
    // does not compile, or its outputs differ from the hand schedule's.
    std::optional<Measurement> measure(const Choices &choices, std::string &problem);

    // Whether `choices` are the hand schedule's own values.
    bool same_as_hand(const Choices &choices) const;

    // The `schedule` generator parameter for `choices`.
    std::string schedule_param(const Choices &choices) const;

private:
    Halide::Pipeline compile(const Choices &choices);
    double time_calls(Halide::Pipeline &pipeline);
    double difference_from_reference() const;

    std::string generator_, target_key_;
    Params params_;
    Halide::Target target_;
    std::vector<Halide::Buffer<>> inputs_, outputs_, reference_;
    Choices hand_choices_;
};

}  // namespace tune
