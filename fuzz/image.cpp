// decode_photo (PNG or JPEG, with EXIF) and prepare_photo on the input.
#include "tailor/image/prepare.h"
#include "tailor/util/error.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    try {
        const tailor::Photo photo =
            tailor::decode_photo("input", std::string(reinterpret_cast<const char *>(data), size));
        if (photo.grey.size() != static_cast<std::size_t>(photo.width) * photo.height) std::abort();
        if (tailor::prepare_photo(photo).size() != 784) std::abort();
    } catch (const tailor::Error &) {
    }
    return 0;
}
