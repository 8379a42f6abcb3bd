// tailor train: train a network, then evaluate it and write its report.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/report/report.h"
#include "tailor/run/augmentation.h"
#include "tailor/run/recipes.h"
#include "tailor/train/train.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/directory_lock.h"
#include "tailor/util/stop_signals.h"

#include <unistd.h>

#include <iostream>

namespace tailor::commands {

namespace {

// An option bound to one TrainSettings field, which run_train takes from the
// command line only when it was given, and otherwise from the recipe.
template <typename T>
CLI::Option *setting(CLI::App &command, TrainOptions &options, const std::string &flag, T TrainSettings::*field,
                     const std::string &help) {
    CLI::Option *option = command.add_option(flag, options.settings.*field, help);
    options.given_settings.push_back({flag, [option, field](TrainSettings &to, const TrainSettings &from) {
                                          if (option->count() > 0) to.*field = from.*field;
                                      }});
    return option;
}

void add_recipe_options(CLI::App &command, TrainOptions &options) {
    setting(command, options, "--recipe", &TrainSettings::recipe,
            "Defaults to start from; flags given override them. report: the report's Keras recipe (the "
            "default). best, the highest accuracy: " + describe_recipe("best") + ". fast, the shortest budget "
            "to 0.925: " + describe_recipe("fast"))
        ->capture_default_str()
        ->check(CLI::IsMember(recipe_names()));
    setting(command, options, "--warmup", &TrainSettings::warmup_epochs,
            "Epochs over which the rate rises linearly from 0")
        ->capture_default_str()
        ->check(finite_range(0.0, 1000.0));
    setting(command, options, "--label-smoothing", &TrainSettings::label_smoothing,
            "Share of each one-hot target spread over all classes")
        ->capture_default_str()
        ->check(finite_range(0.0, 0.99));
    setting(command, options, "--ema", &TrainSettings::ema_decay,
            "Decay of the weights' moving average, which validation, test and best.tlr use (0: off)")
        ->capture_default_str()
        ->check(finite_range(0.0, 0.99999));
    setting(command, options, "--shift", &TrainSettings::augment_shift,
            "Augmentation: translate each training image by up to N pixels each way (zero-padded)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{0}, int64_t{8}));
    setting(command, options, "--flip", &TrainSettings::augment_flip,
            "Augmentation: probability of mirroring a training image")
        ->capture_default_str()
        ->check(finite_range(0.0, 1.0));
    setting(command, options, "--erase-size", &TrainSettings::erase_size,
            "Augmentation: side of the square random erasing blanks (with --erase)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{0}, int64_t{28}));
    setting(command, options, "--erase", &TrainSettings::erase_probability,
            "Augmentation: probability of erasing a square of --erase-size")
        ->capture_default_str()
        ->check(finite_range(0.0, 1.0));
    setting(command, options, "--tta", &TrainSettings::tta,
            "Test-time augmentation of the final evaluation (as tailor evaluate --tta): none, flip, shift, all")
        ->capture_default_str()
        ->check(CLI::IsMember(kTtaNames));
}

}  // namespace

CLI::App &add_train_command(CLI::App &app, TrainOptions &options) {
    auto &command = *app.add_subcommand("train", "Train a network, then evaluate it on the test set");
    setting(command, options, "--arch", &TrainSettings::architecture, "Architecture: " + known_architectures())
        ->capture_default_str();
    options.epochs_option = setting(command, options, "--epochs", &TrainSettings::epochs, "Epochs to train")
                                ->capture_default_str()
                                ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    setting(command, options, "--batch", &TrainSettings::batch, "Mini-batch size")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    setting(command, options, "--lr", &TrainSettings::learning_rate, "Adam learning rate")
        ->capture_default_str()
        ->check(finite_positive());
    setting(command, options, "--lr-schedule", &TrainSettings::lr_schedule,
            "constant (Keras's default); cosine: decays the rate to 0 over the epochs; linear: to 0 step by step; "
            "onecycle: up from lr/25 over 30% of the steps, then down along a cosine")
        ->capture_default_str()
        ->check(CLI::IsMember(kLearningRateSchedules));
    setting(command, options, "--dropout", &TrainSettings::dropout_rate,
            "Rate of every dropout layer (default: as the architecture declares, 0.2)")
        ->check(finite_range(0.0, 0.95));
    setting(command, options, "--noise-stddev", &TrainSettings::noise_stddev,
            "Deviation of every Gaussian noise layer (default: as declared, 0.1 in cnn3-noise)")
        ->check(finite_range(0.0, 10.0));
    setting(command, options, "--seed", &TrainSettings::seed,
            "Seed of the split, shuffles, initial weights, dropout and augmentation")
        ->capture_default_str()
        ->transform(whole_number(std::numeric_limits<uint64_t>::max()));
    setting(command, options, "--validation-split", &TrainSettings::validation_fraction,
            "Fraction of the training images held out for validation")
        ->capture_default_str()
        ->check(finite_range(0.0, 0.9));
    setting(command, options, "--validation-from", &TrainSettings::validation_order,
            "shuffled: a seeded random sample; last: the last images, as Keras's validation_split")
        ->capture_default_str()
        ->check(CLI::IsMember({"shuffled", "last"}));
    setting(command, options, "--limit", &TrainSettings::train_limit,
            "Use only the first N training images (0: all); the evaluation uses the same N")
        ->capture_default_str()
        ->transform(whole_number(std::numeric_limits<int64_t>::max()));
    setting(command, options, "--test-limit", &TrainSettings::test_limit, "Evaluate on the first N test images (0: all)")
        ->capture_default_str()
        ->transform(whole_number(std::numeric_limits<int64_t>::max()));
    add_recipe_options(command, options);
    add_data_option(command, options.data_sources);
    command.add_option("--out", options.out_directory, "Run directory (checkpoint, history, evaluation)")
        ->default_str("runs/<arch>")
        ->check(non_empty_path());
    command.add_flag("--resume", options.resume, "Continue from the run directory's last checkpoint");
    command.add_flag("--skip-test", options.skip_test,
                     "Do not evaluate on the test set at the end (for model selection on validation only)");
    return command;
}

void run_train(const TrainOptions &options) {
    TrainSettings settings = recipe_settings(options.settings.recipe);
    for (const auto &given : options.given_settings) given.take(settings, options.settings);
    const std::string out_directory =
        options.out_directory.empty() ? "runs/" + settings.architecture : options.out_directory;
    make_model(settings.architecture, 1);  // an unknown --arch fails before the data loads
    TrainRequest request;
    request.settings = settings;
    request.out_directory = out_directory;
    request.resume = options.resume;
    if (options.resume && options.epochs_option->count() > 0) request.epochs_override = settings.epochs;
    if (options.resume) {
        for (const auto &given : options.given_settings) {
            request.given_flags.push_back({given.flag, [&](TrainSettings &to) { given.take(to, options.settings); }});
        }
        // A directory another command holds is refused as busy, even before
        // that command's first checkpoint, and not as one without a checkpoint.
        refuse_if_held(out_directory);
        check_resumable(request);  // and a checkpoint that cannot go on, before the data loads
    } else {
        check_settings(settings);  // and bad settings before the directory is made
    }
    const DataSplit data = load_data(options.data_sources);  // bad data fails before the directory is made
    const DirectoryLock lock(out_directory);
    remove_abandoned_temporaries(out_directory);
    catch_stop_signals();
    request.progress_bar = isatty(STDOUT_FILENO);
    TrainOutcome outcome = train(request, data.train, std::cout);
    if (options.skip_test) return;
    // Training has finished: a stop signal from here on skips the rest.
    std::string data_flags;
    for (const auto &source : options.data_sources) data_flags += (data_flags.empty() ? " --data " : " ") + source;
    const auto stop_if_asked = [&](const std::string &left, const std::string &command) {
        if (const int signal = stop_signal()) {
            throw Interrupted(signal, std::string("stopped by ") + signal_name(signal) + " after training, before " +
                                          left + "; the run is whole: " + command + data_flags);
        }
    };
    stop_if_asked("the evaluation", "tailor evaluate --checkpoint " + out_directory + "/checkpoint.tlr");
    evaluate_and_report(*outcome.model, data, outcome.settings, out_directory, tta_transforms(outcome.settings.tta));
    stop_if_asked("the report", "tailor report --run " + out_directory);
    write_report(out_directory, data, kernel_target(), std::cout);
}

}  // namespace tailor::commands
