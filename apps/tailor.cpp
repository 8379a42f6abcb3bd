// tailor: train and evaluate the report's Fashion-MNIST networks.
//
//   tailor train    [--arch cnn3|cnn2|cnn1|cnn3-noise|mlp] [--epochs N] [--batch B] [--lr 0.001] [--seed S]
//                   [--data DIR | --data TRAIN.csv TEST.csv] [--out DIR] [--resume]
//   tailor evaluate --checkpoint FILE [--data ...] [--out DIR]
//   tailor experiment --preset table1|table2|table3|grid ... [--epochs N] [--jobs N] [--out DIR]
//   tailor report   --run DIR [--data ...]
//   tailor summary  [--arch NAME]
#include "tailor/train/checkpoint.h"
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"
#include "tailor/train/evaluate.h"
#include "tailor/experiment/experiment.h"
#include "tailor/nn/kernel_call.h"
#include "tailor/report/report.h"
#include "tailor/train/train.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <numeric>

namespace {

using namespace tailor;

std::string known_architectures() {
    std::string list;
    for (const auto &name : architecture_names()) list += (list.empty() ? "" : "|") + name;
    return list;
}

void add_data_option(CLI::App &command, std::vector<std::string> &data) {
    command
        .add_option("--data", data,
                    "A directory of IDX files (gzip'd or not), or two Kaggle CSV files: TRAIN TEST "
                    "(default: " + std::string(kDefaultDataDirectory) + ")")
        ->expected(1, 2);
}

// Evaluates on the run's training split (the images it learned from, as the
// report's "train accuracy" does) and on the test set; prints and writes it all.
void evaluate_and_report(Model &model, const DataSplit &data, const TrainSettings &settings,
                         const std::string &directory) {
    std::vector<uint32_t> train_indices, validation_indices, test_indices;
    split_indices(settings, data.train.size(), train_indices, validation_indices);
    if (settings.test_limit > 0) {
        test_indices.resize(std::min<std::size_t>(settings.test_limit, data.test.size()));
        std::iota(test_indices.begin(), test_indices.end(), 0u);
    }
    std::cout << "\nEvaluating " << model.name() << "\n";
    const Evaluation train = evaluate(model, data.train, train_indices);
    const Evaluation test = evaluate(model, data.test, test_indices);
    report_evaluation(directory, train, test, std::cout);
    std::cout << "\nResults in " << directory << "/\n";
}

// A run's own checkpoint.tlr is evaluated into its run directory; any other
// checkpoint (best.tlr, a copy) into a folder named after it beside it, so
// the run's final evaluation is never overwritten.
std::string default_evaluation_directory(const std::string &checkpoint_path) {
    const std::filesystem::path path(checkpoint_path);
    const std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
    return (path.stem() == "checkpoint" ? parent : parent / path.stem()).string();
}

int run(int argc, char **argv) {
    CLI::App app{"tailor: train and evaluate the Fashion-MNIST networks of the report, every layer a Halide kernel"};
    app.set_version_flag("--version", std::string("tailor ") + TAILOR_VERSION + " (kernels: " +
                                          tailor::kernel_variant() + ")");
    app.require_subcommand(1);

    TrainSettings settings;
    std::vector<std::string> data_sources;
    std::string out_directory;
    bool resume = false;

    auto *train_command = app.add_subcommand("train", "Train a network, then evaluate it on the test set");
    train_command->add_option("--arch", settings.architecture, "Architecture: " + known_architectures())
        ->capture_default_str();
    auto *epochs_option = train_command->add_option("--epochs", settings.epochs, "Epochs to train")
                              ->capture_default_str()
                              ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    train_command->add_option("--batch", settings.batch, "Mini-batch size")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    train_command->add_option("--lr", settings.learning_rate, "Adam learning rate")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    train_command->add_option("--lr-schedule", settings.lr_schedule,
                              "constant (Keras's default), or cosine: decays the rate to 0 over the epochs")
        ->capture_default_str()
        ->check(CLI::IsMember({"constant", "cosine"}));
    train_command->add_option("--dropout", settings.dropout_rate,
                              "Rate of every dropout layer (default: as the architecture declares, 0.2)")
        ->check(CLI::Range(0.0, 0.95));
    train_command->add_option("--noise-stddev", settings.noise_stddev,
                              "Deviation of every Gaussian noise layer (default: as declared, 0.1 in cnn3-noise)")
        ->check(CLI::Range(0.0, 10.0));
    train_command->add_option("--seed", settings.seed, "Seed of the split, shuffles, initial weights and dropout")
        ->capture_default_str();
    train_command->add_option("--validation-split", settings.validation_fraction,
                              "Fraction of the training images held out for validation")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.9));
    train_command->add_option("--validation-from", settings.validation_split,
                              "shuffled: a seeded random sample; last: the last images, as Keras's validation_split")
        ->capture_default_str()
        ->check(CLI::IsMember({"shuffled", "last"}));
    train_command->add_option("--limit", settings.train_limit,
                              "Use only the first N training images (0: all); the evaluation uses the same N")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    train_command->add_option("--test-limit", settings.test_limit, "Evaluate on the first N test images (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    add_data_option(*train_command, data_sources);
    train_command->add_option("--out", out_directory, "Run directory (checkpoint, history, evaluation)")
        ->default_str("runs/<arch>");
    train_command->add_flag("--resume", resume, "Continue from the run directory's last checkpoint");
    bool skip_test = false;
    train_command->add_flag("--skip-test", skip_test,
                            "Do not evaluate on the test set at the end (for model selection on validation only)");

    std::string checkpoint_path;
    int64_t evaluate_batch = 256;
    auto *evaluate_command = app.add_subcommand("evaluate", "Evaluate a checkpoint on the train and test sets");
    evaluate_command->add_option("--checkpoint", checkpoint_path, "Checkpoint file (checkpoint.tlr)")->required();
    add_data_option(*evaluate_command, data_sources);
    evaluate_command->add_option("--out", out_directory, "Where to write the results")
        ->default_str("the run directory for checkpoint.tlr, else DIR/<name> beside the checkpoint");
    evaluate_command->add_option("--batch", evaluate_batch, "Images per forward pass")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));

    ExperimentRequest experiment;
    auto *experiment_command =
        app.add_subcommand("experiment", "Run the report's experiments (or a grid search) and tabulate them");
    experiment_command
        ->add_option("--preset", experiment.presets,
                     "table1 (cnn1/cnn2/cnn3), table2 (5 seeds, no seed, noise, validation_split), "
                     "table3 (cnn3 vs mlp), grid")
        ->check(CLI::IsMember({"table1", "table2", "table3", "grid"}));
    experiment_command->add_option("--arch", experiment.architectures, "A table of these architectures...")
        ->delimiter(',');
    experiment_command->add_option("--seeds", experiment.seeds, "...each trained with each of these seeds")
        ->delimiter(',');
    experiment_command->add_option("--grid-lr", experiment.grid.learning_rates, "Grid: learning rates, e.g. 0.001,0.0005")
        ->delimiter(',')
        ->check(CLI::PositiveNumber);
    experiment_command->add_option("--grid-batch", experiment.grid.batches, "Grid: batch sizes, e.g. 32,128")
        ->delimiter(',')
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    experiment_command->add_option("--grid-dropout", experiment.grid.dropout_rates, "Grid: dropout rates, e.g. 0.2,0.4")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 0.95));
    experiment_command->add_option("--epochs", experiment.epochs, "Epochs per run (the report: 50)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    experiment_command->add_option("--limit", experiment.limit, "Training images per run (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    experiment_command->add_option("--test-limit", experiment.test_limit, "Test images per run (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    add_data_option(*experiment_command, experiment.data);
    experiment_command->add_option("--out", experiment.out_directory, "Experiment directory; rerun to resume")
        ->default_str("runs/experiment");
    experiment_command->add_option("--jobs", experiment.jobs, "Runs at once, each pinned to its share of the cores")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));

    std::string report_run;
    auto *report_command = app.add_subcommand("report", "Write a run's report.html (figures, tables, settings)");
    report_command->add_option("--run", report_run, "The run directory")->required();
    add_data_option(*report_command, data_sources);

    auto *summary_command = app.add_subcommand("summary", "Print an architecture's layers, as Keras's summary()");
    summary_command->add_option("--arch", settings.architecture, "Architecture: " + known_architectures())
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        std::cerr << "tailor: error: " << e.what() << " (see tailor --help)\n";
        return 2;
    }

    if (*summary_command) {
        std::cout << format_summary(*make_model(settings.architecture, 1));
        return 0;
    }

    if (*report_command) {
        write_report(report_run, load_data(data_sources), kernel_target(), std::cout);
        return 0;
    }

    if (*experiment_command) {
        if (experiment.out_directory.empty()) experiment.out_directory = "runs/experiment";
        for (const auto &arch : experiment.architectures) make_model(arch, 1);  // unknown names fail first
        if (!experiment.architectures.empty() && experiment.seeds.empty()) throw Error("--arch needs --seeds");
        run_experiment(experiment, std::filesystem::read_symlink("/proc/self/exe").string(), std::cout);
        return 0;
    }

    if (*train_command) {
        if (out_directory.empty()) out_directory = "runs/" + settings.architecture;
        make_model(settings.architecture, 1);  // an unknown --arch fails before the data loads
        const DataSplit data = load_data(data_sources);
        TrainRequest request;
        request.settings = settings;
        request.out_directory = out_directory;
        request.resume = resume;
        if (resume && epochs_option->count() > 0) request.epochs_override = settings.epochs;
        request.progress_bar = isatty(STDOUT_FILENO);
        TrainOutcome outcome = train(request, data.train, std::cout);
        if (!skip_test) {
            evaluate_and_report(*outcome.model, data, outcome.settings, out_directory);
            write_report(out_directory, data, kernel_target(), std::cout);
        }
        return 0;
    }

    // evaluate
    const Checkpoint checkpoint = load_checkpoint(checkpoint_path);
    auto model = make_model(checkpoint.settings.architecture, static_cast<int>(evaluate_batch));
    model->set_regularization(checkpoint.settings.dropout_rate, checkpoint.settings.noise_stddev);
    check_compatible(checkpoint_path, checkpoint, *model);
    model->set_parameters(checkpoint.parameters);
    if (out_directory.empty()) out_directory = default_evaluation_directory(checkpoint_path);
    const DataSplit data = load_data(data_sources);
    std::error_code error;
    std::filesystem::create_directories(out_directory, error);
    if (error) throw file_error(out_directory, "cannot create the output directory: " + error.message());
    std::cout << "Checkpoint " << checkpoint_path << ": " << checkpoint.settings.architecture << " after "
              << checkpoint.epochs_done << " epochs\n";
    evaluate_and_report(*model, data, checkpoint.settings, out_directory);
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    try {
        return run(argc, argv);
    } catch (const tailor::Error &e) {
        std::cerr << "tailor: error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "tailor: error: " << e.what() << "\n";
        return 1;
    }
}
