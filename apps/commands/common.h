// What several subcommands share: the --data option, the list of known
// architectures for help texts, and the final evaluation of a model.
#pragma once

#include "tailor/data/dataset.h"
#include "tailor/nn/model.h"
#include "tailor/run/settings.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>

#include <string>
#include <vector>

namespace tailor::commands {

// "cnn3|cnn2|...", as the help texts list them.
std::string known_architectures();

void add_data_option(CLI::App &command, std::vector<std::string> &data);

// Checks of real-valued flags that, unlike CLI::Range and CLI::PositiveNumber,
// also refuse nan and inf.
CLI::Validator finite_range(double min, double max);
CLI::Validator finite_positive();
// A whole number from 0 to `max`, in decimal (CLI11 alone wraps -1,
// saturates larger values and reads 010 as octal); and a path that is not
// empty.
CLI::Validator whole_number(uint64_t max);
CLI::Validator non_empty_path();

// Evaluates on the run's training split (the images it learned from, as the
// report's "train accuracy" does) and on the test set, whose images are each
// averaged over the test-time transforms `tta` when there are any; prints
// and writes it all.
void evaluate_and_report(Model &model, const DataSplit &data, const TrainSettings &settings,
                         const std::string &directory, const std::vector<ImageTransform> &tta = {});

}  // namespace tailor::commands
