// Experiments: lists of training runs that answer the report's questions
// (its Tables 1-3) or search a grid, each run a `tailor train` process of its
// own, their results gathered into tables.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

// One training run of an experiment.
struct Job {
    std::string table;                   // the question it answers: "table1", "grid", ...
    std::string label;                   // unique; its run directory's name
    std::string architecture;
    std::string seed;                    // as passed, for the table
    std::string options;                 // what else differs, for the table
    std::vector<std::string> arguments;  // for `tailor train`
};

// The grid's axes; the empty ones are not searched.
struct GridAxes {
    std::vector<double> learning_rates, dropout_rates, label_smoothings, ema_decays;
    std::vector<int64_t> batches, shifts;
};

// Where --executor slurm sends the runs (sbatch's own options).
struct SlurmSettings {
    std::string partition;                      // empty: the cluster's default
    int cpus_per_task = 0;                      // 0: Slurm's default
    std::vector<std::string> sbatch_arguments;  // passed to sbatch as given
    bool wait = true;                           // false: submit and return
};

struct ExperimentRequest {
    std::vector<std::string> presets;  // table1, table2, table3, grid
    GridAxes grid;
    // A table of its own: every architecture with every seed ("custom").
    std::vector<std::string> architectures;
    std::vector<uint64_t> seeds;
    std::string recipe;      // --recipe for every run (empty: train's default)
    int64_t epochs = 0;      // epochs per run (0: the recipe's; the report's 50)
    int64_t limit = 0;       // training images per run (0: all)
    int64_t test_limit = 0;  // test images per run (0: all)
    std::vector<std::string> data;
    std::string out_directory;
    int jobs = 0;  // runs at once (0: one locally; on Slurm, as many as it schedules)
    std::string executor = "local";  // or "slurm"
    SlurmSettings slurm;
};

// The jobs of the requested presets. Runs "without a fixed seed" draw theirs
// here, once; the plan saved with the experiment keeps it for a resume.
std::vector<Job> plan_jobs(const ExperimentRequest &request);

// The jobs of a saved plan (plan.json), each label checked to be a plain
// directory name, no label twice.
std::vector<Job> read_plan(const std::string &path);

// Runs (or resumes) the experiment on its executor: finished jobs are kept,
// unfinished ones continue from their checkpoints. Writes one table per question as CSV
// (TABLE.csv, and TABLE-seeds.csv for runs repeated over seeds) and Markdown
// (TABLE.md) into the output directory and prints the Markdown. On Slurm
// without waiting, it returns once the runs are submitted (no tables yet).
void run_experiment(const ExperimentRequest &request, const std::string &tailor_binary, std::ostream &out);

// ---- Tables ------------------------------------------------------------------

struct JobResult {
    Job job;
    double train_accuracy = 0, test_accuracy = 0, val_accuracy = 0, seconds = 0;
    long correct = 0, incorrect = 0;
    bool has_test = false;
    bool diverged = false;  // no accuracies: the training stopped being finite
};

struct Summary {
    double mean = 0, stddev = 0, min = 0, max = 0;  // stddev: sample (n - 1)
};

Summary summarize(const std::vector<double> &values);

// Runs with the same architecture and options, differing only by seed.
struct SeedGroup {
    std::string name;
    std::size_t runs = 0;
    Summary train, test;
};
std::vector<SeedGroup> seed_groups(const std::vector<JobResult> &results);

// A table's rows and, when a group of runs differs only by seed, its
// mean ± std, min and max. CSV and Markdown.
std::string results_csv(const std::vector<JobResult> &results);
std::string results_markdown(const std::string &title, const std::vector<JobResult> &results);
std::string summary_csv(const std::vector<JobResult> &results);  // group,runs,train_mean,train_std,...

}  // namespace tailor
