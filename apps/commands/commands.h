// The subcommands of the tailor program, one file each. add_*_command declares
// a subcommand and its options on the app, bound to the caller's options
// struct; run_* does the work once the command line has parsed.
#pragma once

#include "tailor/experiment/experiment.h"
#include "tailor/run/settings.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tailor::commands {

struct TrainOptions {
    TrainSettings settings;  // as parsed; run_train starts from the recipe and takes the flags given
    struct GivenSetting {
        std::string flag;
        std::function<void(TrainSettings &to, const TrainSettings &parsed)> take;  // when the flag was given
    };
    std::vector<GivenSetting> given_settings;
    std::vector<std::string> data_sources;
    std::string out_directory;
    bool resume = false;
    bool skip_test = false;
    const CLI::Option *epochs_option = nullptr;  // with --resume, a given --epochs extends the run
};
CLI::App &add_train_command(CLI::App &app, TrainOptions &options);
void run_train(const TrainOptions &options);

struct EvaluateOptions {
    std::string checkpoint_path;
    std::vector<std::string> data_sources;
    std::string out_directory;
    int64_t batch = 256;
    std::string tta;  // empty: as the checkpoint's run evaluates
};
CLI::App &add_evaluate_command(CLI::App &app, EvaluateOptions &options);
void run_evaluate(const EvaluateOptions &options);

struct PredictOptions {
    std::string checkpoint_path;
    int top = 3;
    std::string format = "text";
    std::vector<std::string> inputs;  // files and directories
};
CLI::App &add_predict_command(CLI::App &app, PredictOptions &options);
// Returns the exit status: non-zero when some image could not be read.
int run_predict(const PredictOptions &options);

struct ExportOptions {
    std::string checkpoint_path;
    std::string onnx_path;
};
CLI::App &add_export_command(CLI::App &app, ExportOptions &options);
void run_export(const ExportOptions &options);

CLI::App &add_experiment_command(CLI::App &app, ExperimentRequest &request);
void run_experiment_command(ExperimentRequest request);

struct ReportOptions {
    std::string run_directory;
    std::vector<std::string> data_sources;
};
CLI::App &add_report_command(CLI::App &app, ReportOptions &options);
void run_report(const ReportOptions &options);

struct SummaryOptions {
    std::string architecture = TrainSettings{}.architecture;
};
CLI::App &add_summary_command(CLI::App &app, SummaryOptions &options);
void run_summary(const SummaryOptions &options);

}  // namespace tailor::commands
