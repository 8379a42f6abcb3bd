// tailor evaluate: evaluate a checkpoint on the train and test sets.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/run/augmentation.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace tailor::commands {
namespace {

// A run's own checkpoint.tlr is evaluated into its run directory; any other
// checkpoint (best.tlr, a copy) into a folder named after it beside it, so
// the run's final evaluation is never overwritten.
std::string default_evaluation_directory(const std::string &checkpoint_path) {
    const std::filesystem::path path(checkpoint_path);
    const std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
    return (path.stem() == "checkpoint" ? parent : parent / path.stem()).string();
}

}  // namespace

CLI::App &add_evaluate_command(CLI::App &app, EvaluateOptions &options) {
    auto &command = *app.add_subcommand("evaluate", "Evaluate a checkpoint on the train and test sets");
    command.add_option("--checkpoint", options.checkpoint_path, "Checkpoint file (checkpoint.tlr)")->required();
    add_data_option(command, options.data_sources);
    command.add_option("--out", options.out_directory, "Where to write the results")
        ->default_str("the run directory for checkpoint.tlr, else DIR/<name> beside the checkpoint")
        ->check(non_empty_path());
    command.add_option("--batch", options.batch, "Images per forward pass")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    command.add_option("--tta", options.tta,
                       "Test-time augmentation of the test set, probabilities averaged: none; flip (each image "
                       "and its mirror); shift (and its four 1-pixel shifts); all (both: 10)")
        ->default_str("as the run that wrote the checkpoint, e.g. none")
        ->check(CLI::IsMember(kTtaNames));
    return command;
}

void run_evaluate(const EvaluateOptions &options) {
    const Checkpoint checkpoint = load_checkpoint(options.checkpoint_path);
    // Before the data are read: a checkpoint no model can use costs no wait.
    check_compatible(options.checkpoint_path, checkpoint, *make_model(checkpoint.settings.architecture, 1));
    const DataSplit data = load_data(options.data_sources);
    // A batch larger than both sets allocates for no image.
    auto model = make_model(checkpoint.settings.architecture,
                            network_batch(options.batch, std::max(data.train.size(), data.test.size())));
    model->set_regularization(checkpoint.settings.dropout_rate, checkpoint.settings.noise_stddev);
    model->set_parameters(checkpoint.classifying_parameters());
    const std::string out_directory = options.out_directory.empty()
                                          ? default_evaluation_directory(options.checkpoint_path)
                                          : options.out_directory;
    std::error_code error;
    std::filesystem::create_directories(out_directory, error);
    if (error) throw file_error(out_directory, "cannot create the output directory: " + error.message());
    std::cout << "Checkpoint " << options.checkpoint_path << ": " << checkpoint.settings.architecture << " after "
              << checkpoint.epochs_done << " epochs\n";
    const std::string tta = options.tta.empty() ? checkpoint.settings.tta : options.tta;
    evaluate_and_report(*model, data, checkpoint.settings, out_directory, tta_transforms(tta));
}

}  // namespace tailor::commands
