// read_run_record on the input as a run directory's run.json.
#include "scratch_file.h"

#include "tailor/run/run_record.h"
#include "tailor/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    fuzz::scratch().write("run.json", data, size);
    try {
        tailor::read_run_record(fuzz::scratch().path());
    } catch (const tailor::Error &) {
    }
    return 0;
}
