// load_csv on the input as a file.
#include "scratch_file.h"

#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    const std::string path = fuzz::scratch().write("data.csv", data, size);
    try {
        const tailor::Dataset set = tailor::load_csv(path);
        if (set.size() == 0 || set.pixels.size() != set.size() * tailor::kImagePixels) std::abort();
        for (uint8_t label : set.labels) {
            if (label >= tailor::kClasses) std::abort();
        }
    } catch (const tailor::Error &) {
    }
    return 0;
}
