// What a training run is configured with. Boost.PFR walks these fields for the
// checkpoint, the run's JSON record and the run header, so adding a setting
// means adding a field and its name below, nothing else.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/pfr.hpp>

namespace tailor {

struct TrainSettings {
    std::string architecture = "cnn3";
    int64_t epochs = 50;
    int64_t batch = 32;
    double learning_rate = 0.001;
    std::string lr_schedule = "constant";  // or cosine, linear, onecycle (step_learning_rate)
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
    // Since checkpoint version 2 (a version-1 checkpoint has the defaults):
    std::string recipe = "report";  // the group of defaults the run started from (recipes.h)
    double warmup_epochs = 0;       // the rate rises linearly from 0 over these epochs
    double label_smoothing = 0;     // of the loss's one-hot targets
    double ema_decay = 0;           // of the weights' moving average, which evaluation uses; 0: none
    int64_t augment_shift = 0;      // random translation by up to this many pixels each way
    double augment_flip = 0;        // probability of a horizontal mirror
    int64_t erase_size = 0;         // random erasing: a square of this side ...
    double erase_probability = 0;   // ... in this share of the images
    std::string tta = "none";       // test-time augmentation of the final evaluation (augmentation.h)
};

// Field names, in declaration order (Boost 1.81's PFR cannot reflect names).
// validation_order keeps its old key "validation_split": run.json must not change and old runs must load.
inline constexpr std::array<const char *, 24> kTrainSettingNames = {
    "architecture",  "epochs",          "batch",         "learning_rate",       "lr_schedule",
    "beta1",         "beta2",           "epsilon",       "seed",                "dropout_rate",
    "noise_stddev",  "validation_fraction", "validation_split", "train_limit", "test_limit",
    "recipe",        "warmup_epochs",   "label_smoothing", "ema_decay",         "augment_shift",
    "augment_flip",  "erase_size",      "erase_probability", "tta"};
// The fields a version-1 checkpoint stores: the first 15.
inline constexpr std::size_t kVersion1SettingFields = 15;

// Independent random streams derived from the run's seed.
enum RunStream : uint64_t {
    kSplitStream = 2,
    kShuffleStream = 3,
    kDropoutStream = 4,
    kInitStream = 5,
    kAugmentStream = 6
};

// The learning rate of step `step` (0-based) of epoch `epoch` (0-based) of
// `steps` per epoch, under the settings' schedule and warm-up; a pure
// function of its position, so a resumed run follows the same schedule.
//   constant  lr
//   cosine    lr * (1 + cos(pi * epoch / epochs)) / 2, per epoch
//   linear    lr * (1 - t), t the share of all steps done
//   onecycle  from lr/25 up to lr over the first 30% of the steps, then
//             down to lr/25e4 along a cosine (PyTorch's OneCycleLR defaults)
// Warm-up multiplies it by the share of the warm-up's steps done.
double step_learning_rate(const TrainSettings &settings, int64_t epoch, std::size_t step, std::size_t steps);
inline const std::vector<std::string> kLearningRateSchedules = {"constant", "cosine", "linear", "onecycle"};

// Throws Error for a setting out of its range (one line naming the flag).
void check_settings(const TrainSettings &settings);

// Each field as text, in kTrainSettingNames's order; numbers to `precision`
// significant digits (17: every double told apart).
std::vector<std::string> setting_texts(const TrainSettings &settings, int precision = 6);
static_assert(boost::pfr::tuple_size_v<TrainSettings> == kTrainSettingNames.size(),
              "every TrainSettings field needs a name");

}  // namespace tailor
