// read_slurm_submissions on the input as an experiment's slurm/submissions.json.
#include "scratch_file.h"

#include "tailor/experiment/executors.h"
#include "tailor/util/error.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    const std::string path = fuzz::scratch().write("submissions.json", data, size);
    try {
        for (const tailor::SlurmSubmission &s : tailor::read_slurm_submissions(path)) {
            const bool digits = std::all_of(s.job_id.begin(), s.job_id.end(), [](unsigned char c) {
                return std::isdigit(c);
            });
            if (!digits) std::abort();  // a job id goes into scancel's and squeue's arguments
        }
    } catch (const tailor::Error &) {
    }
    return 0;
}
