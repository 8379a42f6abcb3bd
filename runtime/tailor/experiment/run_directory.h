// Where an experiment keeps its things, the same for every executor:
//   DIR/plan.json          the jobs, fixed when the experiment starts
//   DIR/runs/LABEL/        each job's `tailor train --out` directory
//   DIR/runs/LABEL/done    there once that run has ended well
#pragma once

#include "tailor/experiment/experiment.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace tailor {

std::filesystem::path run_directory(const std::filesystem::path &experiment, const Job &job);
// A run is done when it trained to its end or diverged (its marker
// "diverged" beside "done"): a rerun of the experiment keeps either.
bool run_is_done(const std::filesystem::path &experiment, const Job &job);
void mark_run_done(const std::filesystem::path &experiment, const Job &job);
void mark_run_diverged(const std::filesystem::path &experiment, const Job &job);

// `train ARGS --out RUN_DIR`: the command line of a job's run, less the
// binary and a --resume (added when its directory holds a checkpoint).
std::vector<std::string> train_command(const std::filesystem::path &experiment, const Job &job);

// A plan, a run record or an evaluation: bounded in size, one error line
// naming the file when it is not JSON.
nlohmann::json read_json_file(const std::filesystem::path &path);

// The jobs of the saved plan when there is one, else planned and saved.
std::vector<Job> load_or_plan(const ExperimentRequest &request, const std::filesystem::path &experiment,
                              std::ostream &out);

}  // namespace tailor
