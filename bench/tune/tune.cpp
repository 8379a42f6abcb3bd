// bench/tune: searches the schedule choices of an architecture's kernels on
// this machine and writes them as a record the build reads
// (cmake -DTAILOR_SCHEDULES=FILE; schedules/default.json by default).
//
//   build/bench/tune --arch cnn3 [--kernel PATTERN] [--seconds 1800] [--out tuned.json] [--target KEY]
//                    [--features F] [--machine NAME] [--batch 128]
//
// Each kernel is compiled (JIT) from the same generator source as the build,
// for the build's Halide target that this CPU runs best (or --target, or
// CUDA on this machine's GPU), at batch 128; each
// candidate's outputs are checked against the hand schedule's before it is
// timed. A candidate is kept only when, timed again alternately with the
// hand schedule, it is at least 3% faster. Then the choices of how a small
// batch is split across cores are searched at batch 1, from those found,
// and kept on the same terms (the record's batch_1 entry); batch-128
// choices that cost one image more than they gain are given up.
#include "candidate.h"
#include "kernel_kinds.h"
#include "search.h"

#include "schedule_choices.h"
#include "tailor/nn/shape.h"  // kSmallBatch
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fnmatch.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kKeepIfFaster = 0.97;  // tuned / hand, timed again

// The kernel list and records are a few KiB; far larger is not one.
constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;

json read_json(const std::string &path) {
    const std::string text = tailor::read_small_file(path, kMaxJsonBytes, "a JSON file");
    try {
        return json::parse(text);
    } catch (const json::exception &e) {
        throw tailor::file_error(path, std::string("not JSON: ") + e.what());
    }
}

std::string cpu_name() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    }
    return "unknown CPU";
}

std::string today() {
    char date[16];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
    return date;
}

// Whether this CPU has every instruction set `target` assumes (its other
// features, such as no_asserts, do not matter here).
bool cpu_runs(const Halide::Target &target, const Halide::Target &host) {
    using T = Halide::Target;
    if (target.arch != host.arch || target.bits != host.bits) return false;
    for (T::Feature isa : {T::SSE41, T::AVX, T::AVX2, T::FMA, T::FMA4, T::F16C, T::AVX512, T::AVX512_KNL,
                           T::AVX512_Skylake, T::AVX512_Cannonlake, T::AVX512_SapphireRapids, T::ARMv7s, T::ARMFp16,
                           T::ARMDotProd, T::ARMv81a, T::SVE, T::SVE2}) {
        if (target.has_feature(isa) && !host.has_feature(isa)) return false;
    }
    return true;
}

// The build's Halide targets this CPU runs, best first (the build lists
// them so), with the build's features, ready for JIT.
std::vector<Halide::Target> runnable_targets(const json &list) {
    const Halide::Target host = Halide::get_host_target();
    const std::string features = list.at("features");
    std::vector<Halide::Target> runnable;
    for (const auto &name : list.at("targets")) {
        std::string full = name.get<std::string>() == "host" ? host.to_string() : name.get<std::string>();
        if (!features.empty()) full += "-" + features;
        const Halide::Target target(full);
        if (target.has_gpu_feature()) throw std::runtime_error("this build's kernels are GPU kernels; tune tunes CPU ones");
        if (cpu_runs(target, host)) runnable.push_back(target.with_feature(Halide::Target::JIT));
    }
    return runnable;
}

// The target to tune: the one with this key, else the best this CPU runs;
// with key cuda, CUDA kernels on this machine's GPU, with `features` (e.g.
// cuda_capability_86) added. OpenCL is not tuned: Debian's PoCL loads
// another LLVM into the process than the JIT's, and crashes.
Halide::Target pick_target(const json &list, const std::string &key, const std::string &features) {
    if (key == "cuda") {
        const std::string host = Halide::get_host_target().to_string();
        return Halide::Target(host + "-cuda" + (features.empty() ? "" : "-" + features))
            .with_feature(Halide::Target::JIT);
    }
    if (key == "opencl") throw std::runtime_error("--target opencl: not tuned (PoCL and Halide's JIT clash)");
    const auto runnable = runnable_targets(list);
    std::string keys;
    for (const auto &target : runnable) {
        if (key.empty() || tailor::schedule_target_key(target) == key) return target;
        keys += " " + tailor::schedule_target_key(target);
    }
    if (runnable.empty()) throw std::runtime_error("none of the build's targets runs on this CPU");
    throw std::runtime_error("--target " + key + ": not one this build has and this CPU runs (it runs:" + keys + ")");
}

// Two schedules timed again, alternately, three times each: the medians.
std::pair<double, double> confirm(tune::KernelBench &bench, const tune::Choices &before, const tune::Choices &after) {
    std::vector<double> first, second;
    for (int i = 0; i < 3; i++) {
        first.push_back(bench.time_again(before));
        second.push_back(bench.time_again(after));
    }
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    return {first[1], second[1]};
}

// What the architecture calls an element-wise kernel on at this batch (0:
// not one).
long kernel_elements(const json &list, const std::string &arch, const std::string &name, int batch) {
    const json &elements = list.at("elements").at(arch);
    if (!elements.contains(name)) return 0;
    const json &entry = elements.at(name);
    return entry.contains("per_image") ? entry.at("per_image").get<long>() * batch : entry.at("per_call").get<long>();
}

using Deadline = Clock::time_point;

Deadline after_seconds(double seconds) {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// The Halide target tuned, its record key, and its accumulator registers.
struct TuningTarget {
    Halide::Target target;
    std::string key;
    int registers;
};

// The small-batch choices searched at batch 1 from `base` (the choices
// found at the tuned batch, `base_gain` times faster there than the hand
// schedule): kept if, timed again alternately with `base` at batch 1, they
// are at least 3% faster; and the record's batch_1 entry. Where what is
// kept is slower for one image than the hand schedule by a larger ratio
// than base_gain, the hand schedule is kept instead: one-image inference
// counts as much as training. At least a second for it: enough for a
// candidate after the hand schedule and `base` are timed (later kernels'
// shares shrink by any overrun).
tune::Choices tune_one_image(const json &kernel, const tune::KernelKind &kind, const tune::Choices &base,
                             double base_gain, const TuningTarget &tuning, double seconds, json &entry) {
    tune::KernelKind one;  // (kernels with small-batch choices are not element-wise: no elements)
    tune::kernel_kind(kernel.at("generator"), kernel.at("params"), 1, 0, tuning.target.natural_vector_size<float>(),
                      tuning.target.has_gpu_feature(), one);
    one.primary.clear();
    one.secondary = kind.small_batch;
    std::cout << "  at batch 1:\n";
    tune::KernelBench bench(kernel.at("generator"), kernel.at("params"), one, tuning.target, tuning.key);
    const tune::KernelResult result = tune::search(bench, one, base, tuning.registers,
                                                   after_seconds(std::max(1.0, seconds)), std::cout);
    tune::Choices kept = base;
    double kept_ms = result.best.milliseconds;  // base's (or the hand schedule's) when nothing beat it
    if (result.choices != base) {
        const auto [base_ms, tuned_ms] = confirm(bench, base, result.choices);
        const bool faster = tuned_ms < kKeepIfFaster * base_ms;
        if (faster) kept = result.choices;
        kept_ms = faster ? tuned_ms : base_ms;
    }
    double hand_ms = result.hand.milliseconds;
    if (!base.empty()) {
        double one_image_ms = 0;
        std::tie(hand_ms, one_image_ms) = confirm(bench, {}, kept);
        if (one_image_ms > base_gain * hand_ms) {
            std::cout << "  -> the hand schedule: " << bench.schedule_param(kept) << " is " << one_image_ms / hand_ms
                      << "x slower for one image, " << base_gain << "x faster at the tuned batch\n";
            kept.clear();
        } else {
            kept_ms = one_image_ms;
        }
    }
    std::cout << "  -> at batch 1: " << (kept.empty() ? "hand schedule" : bench.schedule_param(kept)) << ": "
              << (kept.empty() ? hand_ms : kept_ms) << " ms, hand " << hand_ms << " ms (" << result.candidates
              << " candidates)\n";
    entry["batch_1"] = {
        {"tuned_ms", kept.empty() ? hand_ms : kept_ms}, {"hand_ms", hand_ms}, {"candidates", result.candidates}};
    return kept;
}

// The kernels' large buffers stay in the heap from call to call, as they do
// in the trainer: in this process, after the compiler's frees, glibc would
// hand each call fresh pages from the system (page faults in every call).
void keep_buffers_in_heap() {
    constexpr int kLargest = 32 << 20;  // glibc's largest allowed threshold
    mallopt(M_MMAP_THRESHOLD, kLargest);
    mallopt(M_TRIM_THRESHOLD, 2 * kLargest);
}

}  // namespace

int main(int argc, char **argv) {
    CLI::App app{"Tunes the schedule choices of an architecture's kernels on this machine"};
    std::string arch = "cnn3", pattern = "*", out = "tuned.json", list_path = TAILOR_KERNEL_LIST;
    double seconds = 1800;
    int batch = 128;
    app.add_option("--arch", arch, "The architecture whose kernels to tune")->capture_default_str();
    app.add_option("--kernel", pattern, "Only kernels whose names match this glob, e.g. 'conv2d_*13x13*'")
        ->capture_default_str();
    app.add_option("--seconds", seconds, "Time budget for all of them")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--out", out, "The record to write (merged into it when it exists)")->capture_default_str();
    app.add_option("--batch", batch, "Images per call")->capture_default_str()->check(CLI::Range(1, 4096));
    app.add_option("--kernels", list_path, "The build's kernel list")->capture_default_str();
    std::string target_key;
    app.add_option("--target", target_key,
                   "The build's target to tune, by its record key (x86-avx512, x86-avx2, x86-sse41), or cuda "
                   "(this machine's GPU); default: the best this CPU runs");
    std::string features;
    app.add_option("--features", features, "With --target cuda: Halide target features to add, e.g. cuda_capability_86");
    std::string machine = cpu_name();
    app.add_option("--machine", machine, "The machine, as the record names it (e.g. the GPU's model)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    keep_buffers_in_heap();

    try {
        const json list = read_json(list_path);
        if (!list.at("architectures").contains(arch)) throw std::runtime_error("unknown architecture '" + arch + "'");
        const Halide::Target target = pick_target(list, target_key, features);
        const std::string key = tailor::schedule_target_key(target);
        const int vector_width = target.natural_vector_size<float>();
        const TuningTarget tuning{target, key, key == "x86-avx512" || key == "arm-64" ? 28 : 12};
        struct Tunable {
            std::string name;
            tune::KernelKind kind;
            int batch;  // `batch`, or 1 for a kernel that runs only on small batches
        };
        std::vector<Tunable> kernels;
        for (const auto &name : list.at("architectures").at(arch)) {
            const json &kernel = list.at("kernels").at(name.get<std::string>());
            tune::KernelKind kind;
            const tune::Params params = kernel.at("params");
            const long elements = kernel_elements(list, arch, name, batch);
            if (fnmatch(pattern.c_str(), name.get<std::string>().c_str(), 0) == 0 &&
                tune::kernel_kind(kernel.at("generator"), params, batch, elements, vector_width,
                                  target.has_gpu_feature(), kind)) {
                int kernel_batch = batch;
                if (kind.small_batches_only && batch >= tailor::kSmallBatch) {
                    kernel_batch = 1;
                    tune::kernel_kind(kernel.at("generator"), params, kernel_batch, 0, vector_width,
                                      target.has_gpu_feature(), kind);
                }
                if (kernel_batch < tailor::kSmallBatch) {  // searched at this batch, with the rest
                    kind.secondary.insert(kind.secondary.end(), kind.small_batch.begin(), kind.small_batch.end());
                    kind.small_batch.clear();
                }
                kernels.push_back({name, kind, kernel_batch});
            }
        }
        if (kernels.empty()) throw std::runtime_error("no kernel of " + arch + " with schedule choices matches");
        json record = std::filesystem::exists(out) ? read_json(out) : json{{"kernels", json::object()}};
        if (!record.contains("description")) {
            record["description"] = "Tuned schedule choices (bench/tune); kernels and targets not named here keep "
                                    "their hand schedules.";
        }
        std::cout << "Tuning " << kernels.size() << " kernels of " << arch << " for " << target.to_string() << " ("
                  << machine << "), " << seconds << " s at most\n";
        const auto start = Clock::now();
        for (std::size_t i = 0; i < kernels.size(); i++) {
            const auto &[name, kind, kernel_batch] = kernels[i];
            const json &kernel = list.at("kernels").at(name);
            // An equal share of what is left, for this kernel and each after
            // it; a fifth of it at batch 1 where the kernel has choices there.
            const double left = seconds - std::chrono::duration<double>(Clock::now() - start).count();
            const double share = left / (kernels.size() - i);
            const double one_image_share = kind.small_batch.empty() ? 0 : 0.2 * share;
            const Deadline main_deadline = after_seconds(share - one_image_share);
            std::cout << "[" << i + 1 << "/" << kernels.size() << "] " << name << "\n" << std::flush;
            tune::KernelBench bench(kernel.at("generator"), kernel.at("params"), kind, target, key);
            const tune::KernelResult result =
                tune::search(bench, kind, {}, tuning.registers, main_deadline, std::cout);
            double hand_ms = result.hand.milliseconds, tuned_ms = hand_ms;
            tune::Choices kept;
            if (result.candidates == 0) {  // out of time: an earlier record's entry stays
                std::cout << "  -> not searched (no time left)\n";
                continue;
            }
            if (!result.choices.empty()) {
                std::tie(hand_ms, tuned_ms) = confirm(bench, {}, result.choices);
                if (tuned_ms < kKeepIfFaster * hand_ms) kept = result.choices;
            }
            std::cout << "  -> " << (kept.empty() ? "hand schedule" : bench.schedule_param(kept)) << ": "
                      << (kept.empty() ? hand_ms : tuned_ms) << " ms, hand " << hand_ms << " ms ("
                      << result.candidates << " candidates)\n";
            json entry = {{"arch", arch},
                          {"candidates", result.candidates},
                          {"tuned_ms", kept.empty() ? hand_ms : tuned_ms},
                          {"hand_ms", hand_ms},
                          {"batch", kernel_batch},
                          {"halide_target", target.to_string()},
                          {"machine", machine},
                          {"date", today()}};
            if (const long elements = kernel_elements(list, arch, name, kernel_batch)) entry["elements"] = elements;
            if (!kind.small_batch.empty()) {
                kept = tune_one_image(kernel, kind, kept, hand_ms / tuned_ms, tuning, one_image_share, entry);
                if (kept.empty()) entry["tuned_ms"] = hand_ms;
            }
            entry["choices"] = kept;
            record["kernels"][name][key] = entry;
            // After each kernel: a stopped run keeps what it found.
            tailor::write_file_atomically(out, record.dump(2) + "\n");
        }
        std::cout << "Written: " << out << " (" << std::chrono::duration<double>(Clock::now() - start).count()
                  << " s); build with it: cmake -B build -DTAILOR_SCHEDULES=" << std::filesystem::absolute(out).string()
                  << "\n";
    } catch (const std::exception &e) {
        // Halide's errors run on for lines (a missing CUDA driver lists
        // every symbol it lacks); the first says what went wrong.
        const std::string message = e.what();
        std::cerr << "tune: error: " << message.substr(0, message.find('\n')) << "\n";
        return 1;
    }
    return 0;
}
