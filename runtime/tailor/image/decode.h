// Photos for `tailor predict`: PNG (through libpng's simplified API) and
// JPEG (libjpeg, its EXIF orientation through libexif) decoded to grey.
// Neither library may exit the process or allocate before the dimensions
// are checked: each error is an Error naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

// A decoded image in grey levels 0 (black) to 1 (white), row-major, upright
// (EXIF orientation applied); transparent pixels are composited over white,
// so a transparent background counts as a light one.
struct Photo {
    int width = 0, height = 0;
    std::vector<float> grey;

    float at(int x, int y) const { return grey[static_cast<std::size_t>(y) * width + x]; }
};

// The most pixels a photo may have (a 64-megapixel camera's): a header
// claiming more is refused before anything is allocated.
constexpr std::size_t kMaxPhotoPixels = std::size_t{1} << 26;
// The longest side a photo may have (JPEG's own limit): resizing a thin
// strip costs its long side squared, so a 1x1000000 PNG is refused too.
constexpr std::size_t kMaxPhotoSide = 65535;

// PNG or JPEG, told apart by their first bytes, not by the file's name.
Photo decode_photo(const std::string &path);

// The same from bytes already read; `path` names them in errors.
Photo decode_photo(const std::string &path, const std::string &bytes);

}  // namespace tailor
