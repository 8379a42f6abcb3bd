// The training loop: seeded split, per-epoch shuffle, mini-batches, Adam,
// Keras-style epoch lines, history and checkpoint after every epoch.
#pragma once

#include "tailor/dataset.h"
#include "tailor/history.h"
#include "tailor/model.h"
#include "tailor/settings.h"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

struct TrainRequest {
    TrainSettings settings;
    std::string out_directory;
    bool resume = false;
    std::optional<int64_t> epochs_override;  // with resume: train up to this many epochs in all
    bool progress_bar = false;               // redraw a bar while an epoch runs
};

struct TrainOutcome {
    std::unique_ptr<Model> model;
    TrainSettings settings;            // as used (from the checkpoint when resuming)
    std::vector<EpochRecord> history;
    std::vector<uint32_t> train_indices, validation_indices;
};

// The 80/20 split of the training images actually used: the first
// settings.train_limit of the `available` ones (all when 0). "shuffled": a seeded
// permutation, validation taken from its end; "last": the last images in file
// order, as Keras's validation_split does. Training images keep their order
// (each epoch shuffles them anyway).
void split_indices(const TrainSettings &settings, std::size_t available, std::vector<uint32_t> &train,
                   std::vector<uint32_t> &validation);

TrainOutcome train(const TrainRequest &request, const Dataset &data, std::ostream &out);

// The Keras-style summary table of a model.
std::string format_summary(const Model &model);

}  // namespace tailor
