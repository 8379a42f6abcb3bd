// What the tuner knows of each tunable generator: the buffers one call of
// the kernel reads and writes (from its shape parameters and a batch), and
// the schedule choices it exposes with the values worth trying.
#pragma once

#include "Halide.h"

#include <map>
#include <string>
#include <vector>

namespace tune {

using Params = std::map<std::string, std::string>;  // a kernel's generator parameters

// One input or output of a call: a buffer, its element type and extents
// (innermost first), filled with random values from `low` to 1; or, with
// no extents, a scalar of that type with `value`.
struct BufferShape {
    Halide::Type type;
    std::vector<int> extents;
    float low = -1.0f;
    double value = 0;
};

// One schedule choice and the values the search tries.
struct Knob {
    std::string name;
    std::vector<int> values;
};

struct KernelKind {
    std::vector<BufferShape> inputs, outputs;  // in the generator's Input<>/Output<> order; a Tuple output's
                                               // elements one after the other
    std::vector<Knob> primary;    // searched together, as a grid
    std::vector<Knob> secondary;  // then one at a time, from the grid's best
    std::vector<Knob> small_batch;  // then one at a time at batch 1 (how one image is split across cores)
    // Whether a candidate is worth compiling (e.g. its accumulators fit the registers).
    bool (*fits)(const std::map<std::string, int> &choices, int accumulator_registers) = nullptr;
    bool small_batches_only = false;  // the runtime calls it below kSmallBatch only: tuned at batch 1
};

// The kind of `generator` for these parameters, or false when it has no
// schedule choices (pooling, the loss, augmentation) or, on a GPU (`gpu`),
// none there: a GPU kernel's choices are its thread block. An element-wise
// kernel runs on `elements` (the architecture's, for this batch).
bool kernel_kind(const std::string &generator, const Params &params, int batch, long elements, int vector_width,
                 bool gpu, KernelKind &kind);

}  // namespace tune
