// tailor: train and evaluate the report's Fashion-MNIST networks.
//
//   tailor train    [--arch cnn3|cnn2|cnn1|cnn3-noise|mlp] [--epochs N] [--batch B] [--lr 0.001] [--seed S]
//                   [--data DIR | --data TRAIN.csv TEST.csv] [--out DIR] [--resume]
//   tailor evaluate --checkpoint FILE [--data ...] [--out DIR]
//   tailor predict  --checkpoint FILE [--top K] [--format text|csv|json] IMAGE_OR_DIR...
//   tailor export   --checkpoint FILE --onnx model.onnx
//   tailor experiment --preset table1|table2|table3|grid ... [--epochs N] [--jobs N] [--out DIR]
//   tailor report   --run DIR [--data ...]
//   tailor summary  [--arch NAME]
//
// Each subcommand lives in commands/<name>.cpp; this file parses and dispatches.
#include "commands/commands.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/util/error.h"
#include "tailor/util/stop_signals.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>

namespace {

using namespace tailor::commands;

int run(int argc, char **argv) {
    CLI::App app{"tailor: train and evaluate the Fashion-MNIST networks of the report, every layer a Halide kernel"};
    app.set_version_flag("--version", std::string("tailor ") + TAILOR_VERSION + " (kernels: " +
                                          tailor::kernel_variant() + ")");
    app.require_subcommand(1);

    // Added in the order `tailor --help` lists them.
    TrainOptions train;
    EvaluateOptions evaluate;
    PredictOptions predict;
    ExportOptions export_options;
    tailor::ExperimentRequest experiment;
    ReportOptions report;
    SummaryOptions summary;
    const CLI::App &train_command = add_train_command(app, train);
    const CLI::App &evaluate_command = add_evaluate_command(app, evaluate);
    const CLI::App &predict_command = add_predict_command(app, predict);
    const CLI::App &export_command = add_export_command(app, export_options);
    const CLI::App &experiment_command = add_experiment_command(app, experiment);
    const CLI::App &report_command = add_report_command(app, report);
    const CLI::App &summary_command = add_summary_command(app, summary);

    // CLI11 answers an unknown first word with "A subcommand is required".
    if (argc > 1 && argv[1][0] != '-') {
        std::string names;
        bool known = false;
        for (const CLI::App *command : {&train_command, &evaluate_command, &predict_command, &export_command,
                                        &experiment_command, &report_command, &summary_command}) {
            names += (names.empty() ? "" : ", ") + command->get_name();
            known = known || command->get_name() == argv[1];
        }
        if (!known) {
            const std::string word = argv[1][0] == '\0' ? "\"\"" : tailor::one_line(argv[1]);
            std::cerr << "tailor: error: " << word << ": no such command (commands: " << names
                      << "; see tailor --help)\n";
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        std::cerr << "tailor: error: " << tailor::one_line(e.what()) << " (see tailor --help)\n";
        return 2;
    }

    // require_subcommand(1): exactly one of these was given.
    if (train_command) run_train(train);
    if (evaluate_command) run_evaluate(evaluate);
    if (predict_command) return run_predict(predict);
    if (export_command) run_export(export_options);
    if (experiment_command) run_experiment_command(experiment);
    if (report_command) run_report(report);
    if (summary_command) run_summary(summary);
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    // A file-size limit (ulimit -f) makes a write fail with EFBIG, which is
    // reported, instead of killing tailor mid-write.
    std::signal(SIGXFSZ, SIG_IGN);
    try {
        return run(argc, argv);
    } catch (const tailor::Interrupted &e) {
        std::cerr << "tailor: " << e.what() << "\n";
        return 128 + e.signal();
    } catch (const tailor::Diverged &e) {
        std::cerr << "tailor: error: " << tailor::one_line(e.what()) << "\n";
        return tailor::kDivergedExitStatus;
    } catch (const tailor::Error &e) {
        std::cerr << "tailor: error: " << tailor::one_line(e.what()) << "\n";
        return 1;
    } catch (const std::filesystem::filesystem_error &e) {
        const std::string where = e.path1().empty() ? std::string(e.what()) : e.path1().string() + ": " + e.code().message();
        std::cerr << "tailor: error: " << tailor::one_line(where) << "\n";
        return 1;
    } catch (const std::exception &e) {
        std::cerr << "tailor: error: " << tailor::one_line(e.what()) << "\n";
        return 1;
    }
}
