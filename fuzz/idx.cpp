// load_idx on an image file and a label file cut from one input: its first
// two bytes (big-endian) say where the cut is. Either part may be gzip.
#include "scratch_file.h"

#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t cut = std::min<std::size_t>(size - 2, std::size_t(data[0]) << 8 | data[1]);
    const std::string images = fuzz::scratch().write("images", data + 2, cut);
    const std::string labels = fuzz::scratch().write("labels", data + 2 + cut, size - 2 - cut);
    try {
        const tailor::Dataset set = tailor::load_idx(images, labels);
        if (set.size() == 0 || set.pixels.size() != set.size() * tailor::kImagePixels) std::abort();
        for (uint8_t label : set.labels) {
            if (label >= tailor::kClasses) std::abort();
        }
    } catch (const tailor::Error &) {
    }
    return 0;
}
