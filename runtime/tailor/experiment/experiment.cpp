// An experiment from plan to tables: the plan (plan.cpp, run_directory.cpp),
// its runs on an executor (local_executor.cpp, slurm_executor.cpp), their
// results as tables (tables.cpp).
#include "tailor/experiment/experiment.h"

#include "tailor/experiment/executors.h"
#include "tailor/experiment/run_directory.h"
#include "tailor/experiment/tables.h"
#include "tailor/util/error.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <thread>

namespace tailor {
namespace fs = std::filesystem;

namespace {

// The grid's best run that did not diverge, by validation accuracy alone,
// meets the test set once (in its run's test/ folder), with all the cores.
void test_best_grid_run(std::vector<JobResult> &grid, const fs::path &dir, const ExperimentRequest &request,
                        const std::string &tailor_binary) {
    auto best = std::max_element(grid.begin(), grid.end(), [](const JobResult &a, const JobResult &b) {
        return a.diverged || (!b.diverged && a.val_accuracy < b.val_accuracy);
    });
    if (best->diverged) return;  // every run diverged
    const fs::path best_dir = run_directory(dir, best->job);
    if (!fs::exists(best_dir / "test" / "evaluation.json")) {
        std::vector<std::string> args = {"evaluate", "--checkpoint", (best_dir / "checkpoint.tlr").string(), "--out",
                                         (best_dir / "test").string()};
        if (!request.data.empty()) {
            args.push_back("--data");
            args.insert(args.end(), request.data.begin(), request.data.end());
        }
        std::vector<int> all(std::max(1u, std::thread::hardware_concurrency()));
        std::iota(all.begin(), all.end(), 0);
        if (wait_for(start_process(tailor_binary, args, best_dir / "test.log", all)) != 0) {
            throw Error("evaluating the grid's best run failed; see " + (best_dir / "test.log").string());
        }
    }
    *best = collect_run(best->job, best_dir);
}

}  // namespace

void run_experiment(const ExperimentRequest &request, const std::string &tailor_binary, std::ostream &out) {
    const fs::path dir(request.out_directory);
    const std::vector<Job> jobs = load_or_plan(request, dir, out);
    if (request.executor == "slurm") {
        if (!run_jobs_on_slurm(jobs, dir, request.slurm, request.jobs, tailor_binary, out)) return;
    } else {
        if (slurm_runs_active(dir)) {
            throw file_error(dir.string(), "runs of this experiment are queued or running on Slurm; wait for them "
                                           "with --executor slurm, or cancel them (scancel) first");
        }
        run_jobs_locally(jobs, dir, std::max(1, request.jobs), tailor_binary, out);
    }
    Tables tables = collect_tables(jobs, dir);
    if (tables.results.count("grid")) test_best_grid_run(tables.results["grid"], dir, request, tailor_binary);
    write_tables(tables, dir, out);
}

}  // namespace tailor
