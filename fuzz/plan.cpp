// read_plan on the input as an experiment's plan.json.
#include "scratch_file.h"

#include "tailor/experiment/experiment.h"
#include "tailor/util/error.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    const std::string path = fuzz::scratch().write("plan.json", data, size);
    try {
        for (const tailor::Job &job : tailor::read_plan(path)) {
            if (job.label.empty() || job.label.find('/') != std::string::npos) std::abort();
        }
    } catch (const tailor::Error &) {
    }
    return 0;
}
