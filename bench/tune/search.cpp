#include "search.h"

#include <cstdio>

namespace tune {
namespace {

// Every combination of the primary choices that fits the registers.
std::vector<Choices> grid(const KernelKind &kind, int registers) {
    std::vector<Choices> combinations = {{}};
    for (const Knob &knob : kind.primary) {
        std::vector<Choices> extended;
        for (const Choices &c : combinations) {
            for (int value : knob.values) {
                Choices next = c;
                next[knob.name] = value;
                extended.push_back(next);
            }
        }
        combinations = extended;
    }
    std::vector<Choices> fitting;
    for (const Choices &c : combinations) {
        if (!kind.fits || kind.fits(c, registers)) fitting.push_back(c);
    }
    return fitting;
}

std::string describe(const Choices &choices) {
    std::string text;
    for (const auto &[knob, value] : choices) text += (text.empty() ? "" : ",") + knob + ":" + std::to_string(value);
    return text.empty() ? "hand" : text;
}

}  // namespace

KernelResult search(KernelBench &bench, const KernelKind &kind, const Choices &base, int accumulator_registers,
                    std::chrono::steady_clock::time_point deadline, std::ostream &progress) {
    KernelResult result;
    std::string problem;
    const auto hand = bench.measure({}, problem);
    if (!hand) throw std::runtime_error("the hand schedule does not run: " + problem);
    result.hand = result.best = *hand;
    Choices best_choices;
    if (!base.empty()) {  // every candidate keeps it; it is the one to beat
        const auto m = bench.measure(base, problem);
        if (m) result.best = *m;
        best_choices = base;
        char line[160];
        std::snprintf(line, sizeof line, "  from %s: %.1f us%s\n", describe(base).c_str(),
                      1e3 * (m ? *m : *hand).milliseconds, m ? "" : " (the hand schedule)");
        progress << line;
    }
    auto consider = [&](const Choices &candidate) {
        if (std::chrono::steady_clock::now() >= deadline) return;
        Choices choices = base;
        for (const auto &[knob, value] : candidate) choices[knob] = value;
        const auto m = bench.measure(choices, problem);
        result.candidates++;
        char line[160];
        if (m) {
            std::snprintf(line, sizeof line, "  %-48s %9.1f us  (hand %.1f)\n", describe(choices).c_str(),
                          1e3 * m->milliseconds, 1e3 * result.hand.milliseconds);
        } else {
            std::snprintf(line, sizeof line, "  %-48s rejected: %.80s\n", describe(choices).c_str(), problem.c_str());
        }
        progress << line << std::flush;
        if (m && m->milliseconds < result.best.milliseconds) {
            result.best = *m;
            best_choices = choices;
        }
    };
    if (!kind.primary.empty()) {
        for (const Choices &choices : grid(kind, accumulator_registers)) consider(choices);
    }
    for (const Knob &knob : kind.secondary) {
        const Choices from = best_choices;  // the best so far: the grid's, the base, or (empty) the hand schedule
        for (int value : knob.values) {
            Choices next = from;
            next[knob.name] = value;
            consider(next);
        }
    }
    result.choices = best_choices;
    return result;
}

}  // namespace tune
