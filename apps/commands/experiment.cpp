// tailor experiment: the report's experiments (or a grid search), each run a
// `tailor train` process of its own, tabulated.
#include "commands/commands.h"
#include "commands/common.h"

#include "tailor/experiment/executors.h"
#include "tailor/nn/model.h"
#include "tailor/run/recipes.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/directory_lock.h"
#include "tailor/util/error.h"
#include "tailor/util/stop_signals.h"

#include <filesystem>
#include <iostream>

namespace tailor::commands {

CLI::App &add_experiment_command(CLI::App &app, ExperimentRequest &request) {
    auto &command =
        *app.add_subcommand("experiment", "Run the report's experiments (or a grid search) and tabulate them");
    command
        .add_option("--preset", request.presets,
                    "table1 (cnn1/cnn2/cnn3), table2 (5 seeds, no seed, noise, validation_split), "
                    "table3 (cnn3 vs mlp), grid")
        ->check(CLI::IsMember({"table1", "table2", "table3", "grid"}));
    command.add_option("--arch", request.architectures, "A table of these architectures...")->delimiter(',');
    command.add_option("--seeds", request.seeds, "...each trained with each of these seeds")
        ->delimiter(',')
        ->transform(whole_number(std::numeric_limits<uint64_t>::max()));
    command.add_option("--grid-lr", request.grid.learning_rates, "Grid: learning rates, e.g. 0.001,0.0005")
        ->delimiter(',')
        ->check(finite_positive());
    command.add_option("--grid-batch", request.grid.batches, "Grid: batch sizes, e.g. 32,128")
        ->delimiter(',')
        ->check(CLI::Range(int64_t{1}, int64_t{8192}));
    command.add_option("--grid-dropout", request.grid.dropout_rates, "Grid: dropout rates, e.g. 0.2,0.4")
        ->delimiter(',')
        ->check(finite_range(0.0, 0.95));
    command.add_option("--grid-smoothing", request.grid.label_smoothings, "Grid: label smoothing, e.g. 0,0.1")
        ->delimiter(',')
        ->check(finite_range(0.0, 0.99));
    command.add_option("--grid-shift", request.grid.shifts, "Grid: augmentation shifts in pixels, e.g. 0,1,2")
        ->delimiter(',')
        ->check(CLI::Range(int64_t{0}, int64_t{8}));
    command.add_option("--grid-ema", request.grid.ema_decays, "Grid: weight-average decays, e.g. 0,0.999")
        ->delimiter(',')
        ->check(finite_range(0.0, 0.99999));
    command.add_option("--recipe", request.recipe, "Every run's recipe (tailor train --help); default: report")
        ->check(CLI::IsMember(recipe_names()));
    command.add_option("--epochs", request.epochs, "Epochs per run (default: the recipe's; the report's 50)")
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    command.add_option("--limit", request.limit, "Training images per run (0: all)")
        ->capture_default_str()
        ->transform(whole_number(std::numeric_limits<int64_t>::max()));
    command.add_option("--test-limit", request.test_limit, "Test images per run (0: all)")
        ->capture_default_str()
        ->transform(whole_number(std::numeric_limits<int64_t>::max()));
    add_data_option(command, request.data);
    command.add_option("--out", request.out_directory, "Experiment directory; rerun to resume")
        ->default_str("runs/experiment")
        ->check(non_empty_path());
    command
        .add_option("--jobs", request.jobs,
                    "Runs at once (default: 1; on Slurm, as many as it schedules); locally each is pinned to its "
                    "share of the cores")
        ->check(CLI::Range(1, 100000));
    command.add_option("--executor", request.executor, "Where the runs go: local (default) or slurm (a job array)")
        ->check(CLI::IsMember({"local", "slurm"}));
    command.add_option("--partition", request.slurm.partition, "Slurm: the partition (default: the cluster's)");
    command.add_option("--cpus-per-task", request.slurm.cpus_per_task, "Slurm: cores per run (default: Slurm's)")
        ->check(CLI::Range(1, 4096));
    command.add_option("--sbatch-arg", request.slurm.sbatch_arguments,
                       "Slurm: an argument for sbatch, as given (repeat it), e.g. --sbatch-arg=--time=30")
        ->allow_extra_args(false);
    command.add_flag("!--no-wait", request.slurm.wait,
                     "Slurm: submit and return; the same command again collects, and resubmits failed runs");
    return command;
}

void run_experiment_command(ExperimentRequest request) {
    if (request.out_directory.empty()) request.out_directory = "runs/experiment";
    for (const auto &arch : request.architectures) make_model(arch, 1);  // unknown names fail first
    if (!request.architectures.empty() && request.seeds.empty()) throw Error("--arch needs --seeds");
    if (request.executor == "local") {
        if (request.jobs > 64) throw Error("--jobs: at most 64 runs at once on one machine");
        const bool slurm_only = !request.slurm.partition.empty() || request.slurm.cpus_per_task > 0 ||
                                !request.slurm.sbatch_arguments.empty() || !request.slurm.wait;
        if (slurm_only) throw Error("--partition, --cpus-per-task, --sbatch-arg and --no-wait need --executor slurm");
    }
    // A bad request fails before the directory is made; a resume reads its plan.
    if (!std::filesystem::exists(std::filesystem::path(request.out_directory) / "plan.json")) plan_jobs(request);
    if (request.executor == "slurm") check_slurm_answers();
    const DirectoryLock lock(request.out_directory);
    // Its own files only: each run cleans its directory when it starts, and a
    // run on another Slurm node has a process id that means nothing here.
    remove_abandoned_temporaries(request.out_directory, 1);
    catch_stop_signals();
    // Each run is this same binary, started again as `tailor train`.
    run_experiment(request, std::filesystem::read_symlink("/proc/self/exe").string(), std::cout);
}

}  // namespace tailor::commands
