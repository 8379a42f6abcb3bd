// The report page: everything the report this project grew from shows, from
// a finished run, as one report.html that opens offline, with each figure as
// its own PNG and each table as CSV in the run directory.
#pragma once

#include "tailor/data/dataset.h"

#include <ostream>
#include <string>

namespace tailor {

// Reads the run directory (run.json, predictions.csv) and the data set, and
// writes RUN/report.html and RUN/report/*; the page names `kernel_target`,
// the Halide target of the kernels that trained it. Returns report.html's path. Charts
// need gnuplot; without it the page says so and keeps its tables and grids.
std::string write_report(const std::string &run_directory, const DataSplit &data, const std::string &kernel_target,
                         std::ostream &out);

}  // namespace tailor
