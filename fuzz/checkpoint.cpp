// load_checkpoint on the input, then on the input with its checksum made
// right (so that mutations get past the CRC to the fields), then, for what
// loads, check_compatible against the architecture it names.
#include "scratch_file.h"

#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"

#include <zlib.h>

#include <cstring>
#include <vector>

namespace {

void load(const std::string &path) {
    try {
        const tailor::Checkpoint c = tailor::load_checkpoint(path);
        if (c.adam.m.size() != c.parameters.size() || c.history.size() != c.epochs_done) std::abort();
        const auto model = tailor::make_model(c.settings.architecture, 1);
        tailor::check_compatible(path, c, *model);
    } catch (const tailor::Error &) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    load(fuzz::scratch().write("input.tlr", data, size));
    if (size < 12) return 0;
    std::vector<uint8_t> fixed(data, data + size);
    const uint32_t crc = static_cast<uint32_t>(crc32(0L, fixed.data(), static_cast<uInt>(size - 4)));
    std::memcpy(fixed.data() + size - 4, &crc, 4);
    load(fuzz::scratch().write("fixed.tlr", fixed.data(), size));
    return 0;
}
