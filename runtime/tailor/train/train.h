// The training loop: seeded split, per-epoch shuffle, mini-batches, Adam,
// Keras-style epoch lines, history and checkpoint after every epoch.
#pragma once

#include "tailor/data/dataset.h"
#include "tailor/run/history.h"
#include "tailor/nn/model.h"
#include "tailor/run/settings.h"
#include "tailor/run/split.h"

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

// A flag given on the command line, and how it sets its setting.
struct GivenFlag {
    std::string flag;  // e.g. "--lr"
    std::function<void(TrainSettings &)> set;
};

struct TrainRequest {
    TrainSettings settings;
    std::string out_directory;
    bool resume = false;
    std::optional<int64_t> epochs_override;  // with resume: train up to this many epochs in all
    // With resume: the flags given, which may repeat the run's settings (an
    // experiment passes them all again) but not change them.
    std::vector<GivenFlag> given_flags;
    std::optional<int64_t> stop_after;       // return after this many epochs in all, as a stopped run would
    bool progress_bar = false;               // redraw a bar while an epoch runs
};

struct TrainOutcome {
    std::unique_ptr<Model> model;
    TrainSettings settings;            // as used (from the checkpoint when resuming)
    std::vector<EpochRecord> history;
    std::vector<uint32_t> train_indices, validation_indices;
};

TrainOutcome train(const TrainRequest &request, const Dataset &data, std::ostream &out);

// With request.resume, what train() would refuse of the run's checkpoint
// (missing, corrupt, unusable by its model, or flags that change the run),
// refused before the data are read. Throws Error naming the file.
void check_resumable(const TrainRequest &request);

// The Keras-style summary table of a model.
std::string format_summary(const Model &model);

}  // namespace tailor
