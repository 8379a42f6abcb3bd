// The two ways an experiment's runs are carried out: as processes on this
// machine, or as a Slurm job array. Each runs the jobs not yet done (see
// run_directory.h) and keeps those a previous attempt finished.
#pragma once

#include "tailor/experiment/experiment.h"

#include <sys/types.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

// At most `slots` runs at once, each pinned to its share of the cores; the
// first failure stops new runs from starting and is thrown once the others end.
void run_jobs_locally(const std::vector<Job> &jobs, const std::filesystem::path &experiment, int slots,
                      const std::string &tailor_binary, std::ostream &out);

// Submits the unfinished jobs that are not already queued or running as one
// job array (split where the cluster's MaxArraySize requires), at most
// `at_once` tasks running at a time (0: as Slurm schedules them). Returns
// true once every job is done; false when it returned without waiting.
bool run_jobs_on_slurm(const std::vector<Job> &jobs, const std::filesystem::path &experiment,
                       const SlurmSettings &slurm, int at_once, const std::string &tailor_binary, std::ostream &out);

// One array the Slurm executor submitted: its task i trains the run
// labelled labels[i].
struct SlurmSubmission {
    std::string tag;     // its Slurm comment
    std::string job_id;  // empty until sbatch answered (or the tag was found)
    std::vector<std::string> labels;
};

// The record of an experiment's submissions (DIR/slurm/submissions.json);
// none when the file does not exist. One error line when it is not one.
std::vector<SlurmSubmission> read_slurm_submissions(const std::filesystem::path &path);

// Throws the one-line reason when Slurm's commands are missing or its
// controller does not answer: checked before anything is written.
void check_slurm_answers();

// Whether runs this experiment submitted to Slurm are still queued or
// running (false where there is no Slurm to ask).
bool slurm_runs_active(const std::filesystem::path &experiment);

// `tailor ARGS` as a process of this machine, its output to `log`, pinned to
// `cores`, each kernel using as many threads as it has cores.
pid_t start_process(const std::string &binary, const std::vector<std::string> &args,
                    const std::filesystem::path &log, const std::vector<int> &cores);

// The process's exit status (128 + signal when killed).
int wait_for(pid_t pid);

}  // namespace tailor
