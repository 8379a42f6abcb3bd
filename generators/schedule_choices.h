// The choices a schedule leaves to tuning (bench/tune, schedules/*.json):
// each a named integer, the hand value unless the generator's `schedule`
// parameter sets it for the target being compiled. One parameter serves an
// x86 build's several targets (Halide compiles each with the same
// parameters), so it holds an entry per target:
//   schedule=x86-avx512@tile_vectors:2,tile_columns:11+x86-avx2@tile_vectors:1
// (no spaces or semicolons, so that it passes through CMake unchanged).
// A GPU target's kernels have their thread block as choices: gpu_block_x
// and gpu_block_y (layout.h's gpu_block).
#pragma once

#include "Halide.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tailor {

// The name a record files a target's choices under: "x86-avx512",
// "x86-avx2", "x86-sse41", "arm-64", "arm-32", "cuda", "opencl".
inline std::string schedule_target_key(const Halide::Target &target) {
    using T = Halide::Target;
    if (target.has_feature(T::CUDA)) return "cuda";
    if (target.has_feature(T::OpenCL)) return "opencl";
    if (target.arch == T::X86) {
        if (target.has_feature(T::AVX512)) return "x86-avx512";
        if (target.has_feature(T::AVX2)) return "x86-avx2";
        return "x86-sse41";
    }
    return std::string(target.arch == T::ARM ? "arm-" : "other-") + std::to_string(target.bits);
}

class ScheduleChoices {
public:
    // `encoded`: the generator's `schedule` parameter (may be empty).
    ScheduleChoices(const std::string &encoded, const Halide::Target &target) {
        effective_values().clear();
        const std::string key = schedule_target_key(target);
        for (const std::string &entry : split(encoded, '+')) {
            const std::size_t at = entry.find('@');
            if (at == std::string::npos) fail("'" + entry + "' has no TARGET@");
            if (!known_target_key(entry.substr(0, at))) fail("'" + entry.substr(0, at) + "' is not a target key");
            if (entry.substr(0, at) == key) parse_knobs(entry.substr(at + 1));
        }
    }

    // A count (a tile size): the tuned value for this target, else `hand`,
    // within 1..most (what the schedule can use).
    int count(const std::string &knob, int hand, int most) {
        return record(knob, std::clamp(value_or(knob, hand), 1, std::max(1, most)));
    }

    // A yes-or-no choice: the tuned value (0 or not) for this target, else `hand`.
    bool flag(const std::string &knob, bool hand) { return record(knob, value_or(knob, hand) != 0) != 0; }

    // A choice this kernel's shape leaves without effect: accepted, ignored.
    void unused(const std::string &knob) { record(knob, 0); }

    // What a choice came to, where several of its values give one schedule
    // (bench/tune then times that schedule once).
    void settle(const std::string &knob, int outcome) { record(knob, outcome); }

    // The values the kernel this process scheduled last used, tuned or by
    // hand: bench/tune, which compiles the generators itself, tells by them
    // which candidates are one schedule.
    static std::map<std::string, int> &effective_values() {
        static std::map<std::string, int> values;
        return values;
    }

    static bool known_target_key(const std::string &key) {
        for (const char *known : {"x86-avx512", "x86-avx2", "x86-sse41", "arm-64", "arm-32", "cuda", "opencl"}) {
            if (key == known) return true;
        }
        return false;
    }

    // Every knob set for this target was read: a misspelt one fails the
    // build instead of being ignored. Called at the end of schedule().
    void check_all_used() const {
        for (const auto &[knob, value] : values_) {
            if (!used_.count(knob)) fail("this kernel has no choice '" + knob + "'");
        }
    }

private:
    int value_or(const std::string &knob, int hand) {
        used_.insert(knob);
        const auto it = values_.find(knob);
        return it == values_.end() ? hand : static_cast<int>(it->second);
    }

    int record(const std::string &knob, int value) {
        used_.insert(knob);
        effective_values()[knob] = value;
        return value;
    }

    // A bad record stops the build, naming the entry.
    [[noreturn]] static void fail(const std::string &problem) { throw Halide::CompileError("schedule: " + problem); }

    // The fields of `text` between separators.
    static std::vector<std::string> split(const std::string &text, char separator) {
        std::vector<std::string> fields;
        for (std::size_t start = 0; start < text.size();) {
            const std::size_t end = std::min(text.find(separator, start), text.size());
            fields.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        return fields;
    }

    void parse_knobs(const std::string &knobs) {
        for (const std::string &knob : split(knobs, ',')) {
            const std::size_t colon = knob.find(':');
            if (colon == std::string::npos) fail("'" + knob + "' is not NAME:VALUE");
            const std::string digits = knob.substr(colon + 1);
            char *rest = nullptr;
            const long value = std::strtol(digits.c_str(), &rest, 10);
            if (digits.empty() || !std::isdigit(static_cast<unsigned char>(digits[0])) || *rest != '\0' ||
                value > 4096 || values_.count(knob.substr(0, colon))) {
                fail(knob + " is not a count from 0 to 4096 given once");
            }
            values_[knob.substr(0, colon)] = value;
        }
    }

    std::map<std::string, long> values_;
    std::set<std::string> used_;
};

}  // namespace tailor
