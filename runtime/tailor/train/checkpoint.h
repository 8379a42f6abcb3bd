// Checkpoints: everything needed to continue a run bit for bit, or to
// evaluate it. Binary, little-endian, versioned, with a CRC-32 of the whole
// content at the end; written atomically.
//
//   "TAILORCK" | u32 version | settings (PFR fields) | u32 epochs done |
//   u64 optimizer step | tensor table (name, shape) | history |
//   parameters, Adam m, Adam v (f32 arrays) | [v2] averaged parameters (f32
//   array, empty without weight averaging) | u32 crc32 of all before
// Version 1 (before weight averaging and augmentation) still loads: its
// settings are the first kVersion1SettingFields, the others their defaults.
#pragma once

#include "tailor/nn/optimizer.h"
#include "tailor/run/history.h"
#include "tailor/nn/model.h"
#include "tailor/run/settings.h"

#include <string>
#include <vector>

namespace tailor {

constexpr uint32_t kCheckpointVersion = 2;

struct Checkpoint {
    TrainSettings settings;
    uint32_t epochs_done = 0;
    std::vector<TensorInfo> tensors;
    std::vector<EpochRecord> history;
    std::vector<float> parameters;
    AdamState adam;
    std::vector<float> averaged;  // the weights' moving average; empty without one

    // What classifies: the average when there is one.
    const std::vector<float> &classifying_parameters() const { return averaged.empty() ? parameters : averaged; }
};

void save_checkpoint(const std::string &path, const Checkpoint &checkpoint);

// Throws Error naming the file for anything unexpected: missing, wrong magic
// or version, bad checksum, truncated, inconsistent sizes.
Checkpoint load_checkpoint(const std::string &path);

// The first of the state's float sections (parameters, averaged parameters,
// Adam moments) holding NaN or infinity, or nullptr. Training never saves
// such a state, and load_checkpoint refuses one.
const char *non_finite_section(const Checkpoint &checkpoint);

// Throws unless the checkpoint's tensors are exactly the model's, and its
// weights keep every activation far inside float's range.
void check_compatible(const std::string &path, const Checkpoint &checkpoint, const Model &model);

// What of the state's parameters (or their average) could make the network
// of `tensors` overflow float (activation_bound.h), or empty. Training
// never saves such a state, and check_compatible refuses one.
std::string overflowing_section(const Checkpoint &checkpoint, const std::vector<TensorInfo> &tensors);

}  // namespace tailor
