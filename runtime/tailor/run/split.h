// Which of the training file's images a run trains on and which it validates on.
#pragma once

#include "tailor/run/settings.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tailor {

// The 80/20 split of the training images actually used: the first
// settings.train_limit of the `available` ones (all when 0). "shuffled": a seeded
// permutation, validation taken from its end; "last": the last images in file
// order, as Keras's validation_split does. Training images keep their order
// (each epoch shuffles them anyway).
void split_indices(const TrainSettings &settings, std::size_t available, std::vector<uint32_t> &train,
                   std::vector<uint32_t> &validation);

}  // namespace tailor
