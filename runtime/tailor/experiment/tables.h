// An experiment's results, read back from its run directories and written
// as one table per question (CSV, Markdown, and all of them on one page).
#pragma once

#include "tailor/experiment/experiment.h"

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

// The results a finished run left in its directory.
JobResult collect_run(const Job &job, const std::filesystem::path &run_dir);

// Each table's results, the tables in the order the plan first names them.
struct Tables {
    std::vector<std::string> order;
    std::map<std::string, std::vector<JobResult>> results;
};
Tables collect_tables(const std::vector<Job> &jobs, const std::filesystem::path &experiment);

// TABLE.csv, TABLE-seeds.csv and TABLE.md per table and report.html, into
// the experiment directory; the Markdown is printed too.
void write_tables(const Tables &tables, const std::filesystem::path &experiment, std::ostream &out);

}  // namespace tailor
