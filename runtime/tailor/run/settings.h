// What a training run is configured with. Boost.PFR walks these fields for the
// checkpoint, the run's JSON record and the run header, so adding a setting
// means adding a field and its name below, nothing else.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <boost/pfr.hpp>

namespace tailor {

struct TrainSettings {
    std::string architecture = "cnn3";
    int64_t epochs = 50;
    int64_t batch = 32;
    double learning_rate = 0.001;
    std::string lr_schedule = "constant";  // or "cosine": lr * (1 + cos(pi * epoch / epochs)) / 2
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-7;
    uint64_t seed = 42;
    double dropout_rate = -1;  // every dropout layer's rate; negative: as declared
    double noise_stddev = -1;  // every Gaussian noise layer's deviation; negative: as declared
    double validation_fraction = 0.2;
    std::string validation_order = "shuffled";  // or "last": the file's last images, as Keras's validation_split
    int64_t train_limit = 0;  // use only the first N training images; 0 = all
    int64_t test_limit = 0;   // evaluate only the first N test images; 0 = all
};

// Field names, in declaration order (Boost 1.81's PFR cannot reflect names).
// validation_order keeps its old key "validation_split": run.json must not change and old runs must load.
inline constexpr std::array<const char *, 15> kTrainSettingNames = {
    "architecture", "epochs",       "batch",        "learning_rate",       "lr_schedule",
    "beta1",        "beta2",        "epsilon",      "seed",                "dropout_rate",
    "noise_stddev", "validation_fraction", "validation_split", "train_limit", "test_limit"};

// Independent random streams derived from the run's seed.
enum RunStream : uint64_t { kSplitStream = 2, kShuffleStream = 3, kDropoutStream = 4, kInitStream = 5 };

// The learning rate of an epoch (0-based) under the settings' schedule. A
// pure function of the epoch, so a resumed run follows the same schedule.
double epoch_learning_rate(const TrainSettings &settings, int64_t epoch);
static_assert(boost::pfr::tuple_size_v<TrainSettings> == kTrainSettingNames.size(),
              "every TrainSettings field needs a name");

}  // namespace tailor
