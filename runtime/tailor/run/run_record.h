// run.json: a run's settings, size and per-epoch history, rewritten after
// every epoch; the report page and experiments read it back.
#pragma once

#include "tailor/run/history.h"
#include "tailor/run/settings.h"

#include <cstddef>
#include <string>
#include <vector>

namespace tailor {

struct RunRecord {
    TrainSettings settings;
    std::size_t parameters = 0;
    std::vector<EpochRecord> history;
};

// Writes DIRECTORY/run.json atomically.
void write_run_record(const std::string &directory, const TrainSettings &settings, std::size_t parameters,
                      const std::vector<EpochRecord> &history);
// Reads DIRECTORY/run.json; settings it lacks keep their defaults. Throws
// Error naming the file when it is missing or not a run record.
RunRecord read_run_record(const std::string &directory);

}  // namespace tailor
