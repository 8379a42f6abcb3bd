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

// One buffer of a call: its element type and extents (innermost first).
struct BufferShape {
    Halide::Type type;
    std::vector<int> extents;
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
    // Whether a candidate is worth compiling (e.g. its accumulators fit the registers).
    bool (*fits)(const std::map<std::string, int> &choices, int accumulator_registers) = nullptr;
};

// The kind of `generator` for these parameters, or false when it has no
// schedule choices (element-wise kernels, pooling, the loss). On a GPU
// (`gpu`) every such kernel's choices are its thread block.
bool kernel_kind(const std::string &generator, const Params &params, int batch, int vector_width, bool gpu,
                 KernelKind &kind);

}  // namespace tune
