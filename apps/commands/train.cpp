// tailor train: train a network, then evaluate it and write its report.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/report/report.h"
#include "tailor/train/train.h"

#include <unistd.h>

#include <iostream>

namespace tailor::commands {

CLI::App &add_train_command(CLI::App &app, TrainOptions &options) {
    TrainSettings &settings = options.settings;
    auto &command = *app.add_subcommand("train", "Train a network, then evaluate it on the test set");
    command.add_option("--arch", settings.architecture, "Architecture: " + known_architectures())
        ->capture_default_str();
    options.epochs_option = command.add_option("--epochs", settings.epochs, "Epochs to train")
                                ->capture_default_str()
                                ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    command.add_option("--batch", settings.batch, "Mini-batch size")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    command.add_option("--lr", settings.learning_rate, "Adam learning rate")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command.add_option("--lr-schedule", settings.lr_schedule,
                       "constant (Keras's default), or cosine: decays the rate to 0 over the epochs")
        ->capture_default_str()
        ->check(CLI::IsMember({"constant", "cosine"}));
    command.add_option("--dropout", settings.dropout_rate,
                       "Rate of every dropout layer (default: as the architecture declares, 0.2)")
        ->check(CLI::Range(0.0, 0.95));
    command.add_option("--noise-stddev", settings.noise_stddev,
                       "Deviation of every Gaussian noise layer (default: as declared, 0.1 in cnn3-noise)")
        ->check(CLI::Range(0.0, 10.0));
    command.add_option("--seed", settings.seed, "Seed of the split, shuffles, initial weights and dropout")
        ->capture_default_str();
    command.add_option("--validation-split", settings.validation_fraction,
                       "Fraction of the training images held out for validation")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.9));
    command.add_option("--validation-from", settings.validation_order,
                       "shuffled: a seeded random sample; last: the last images, as Keras's validation_split")
        ->capture_default_str()
        ->check(CLI::IsMember({"shuffled", "last"}));
    command.add_option("--limit", settings.train_limit,
                       "Use only the first N training images (0: all); the evaluation uses the same N")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    command.add_option("--test-limit", settings.test_limit, "Evaluate on the first N test images (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    add_data_option(command, options.data_sources);
    command.add_option("--out", options.out_directory, "Run directory (checkpoint, history, evaluation)")
        ->default_str("runs/<arch>");
    command.add_flag("--resume", options.resume, "Continue from the run directory's last checkpoint");
    command.add_flag("--skip-test", options.skip_test,
                     "Do not evaluate on the test set at the end (for model selection on validation only)");
    return command;
}

void run_train(const TrainOptions &options) {
    const TrainSettings &settings = options.settings;
    const std::string out_directory =
        options.out_directory.empty() ? "runs/" + settings.architecture : options.out_directory;
    make_model(settings.architecture, 1);  // an unknown --arch fails before the data loads
    const DataSplit data = load_data(options.data_sources);
    TrainRequest request;
    request.settings = settings;
    request.out_directory = out_directory;
    request.resume = options.resume;
    if (options.resume && options.epochs_option->count() > 0) request.epochs_override = settings.epochs;
    request.progress_bar = isatty(STDOUT_FILENO);
    TrainOutcome outcome = train(request, data.train, std::cout);
    if (!options.skip_test) {
        evaluate_and_report(*outcome.model, data, outcome.settings, out_directory);
        write_report(out_directory, data, kernel_target(), std::cout);
    }
}

}  // namespace tailor::commands
