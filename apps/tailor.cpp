// tailor: train and evaluate the report's Fashion-MNIST networks.
//
//   tailor train    [--arch cnn3|cnn2|cnn1|cnn3-noise|mlp] [--epochs N] [--batch B] [--lr 0.001] [--seed S]
//                   [--data DIR | --data TRAIN.csv TEST.csv] [--out DIR] [--resume]
//   tailor evaluate --checkpoint FILE [--data ...] [--out DIR]
//   tailor summary  [--arch NAME]
#include "tailor/checkpoint.h"
#include "tailor/dataset.h"
#include "tailor/error.h"
#include "tailor/evaluate.h"
#include "tailor/train.h"

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
    const std::size_t used = settings.train_limit > 0
                                 ? std::min<std::size_t>(settings.train_limit, data.train.size())
                                 : data.train.size();
    std::vector<uint32_t> train_indices, validation_indices, test_indices;
    split_indices(settings.seed, used, settings.validation_fraction, train_indices, validation_indices);
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
    app.set_version_flag("--version", std::string("tailor ") + TAILOR_VERSION);
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
        evaluate_and_report(*outcome.model, data, outcome.settings, out_directory);
        return 0;
    }

    // evaluate
    const Checkpoint checkpoint = load_checkpoint(checkpoint_path);
    auto model = make_model(checkpoint.settings.architecture, static_cast<int>(evaluate_batch));
    model->set_regularization(checkpoint.settings.dropout_rate, checkpoint.settings.noise_stddev);
    check_compatible(checkpoint_path, checkpoint, *model);
    std::copy(checkpoint.parameters.begin(), checkpoint.parameters.end(), model->parameters().begin());
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
