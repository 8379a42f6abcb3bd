// The search over one kernel's schedule choices: the grid of its primary
// choices (those that fit the registers), then each secondary choice in turn
// from the best so far, within a time budget. Every candidate keeps the
// `base` choices (an earlier search's, at another batch) unless it sets them.
#pragma once

#include "candidate.h"

#include <chrono>
#include <ostream>

namespace tune {

struct KernelResult {
    Measurement hand, best;
    Choices choices;    // the best candidate's (base included); empty when the hand schedule is best
    int candidates = 0;  // compiled and timed
};

KernelResult search(KernelBench &bench, const KernelKind &kind, const Choices &base, int accumulator_registers,
                    std::chrono::steady_clock::time_point deadline, std::ostream &progress);

}  // namespace tune
