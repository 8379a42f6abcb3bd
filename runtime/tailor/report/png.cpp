#include "tailor/report/png.h"

#include "tailor/util/atomic_file.h"
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

#include <png.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace tailor {

std::string encode_png(const GreyImage &image) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) throw Error("libpng: cannot create a PNG writer");
    std::string bytes;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw Error("libpng: cannot encode an image");
    }
    png_set_write_fn(
        png, &bytes,
        [](png_structp p, png_bytep data, png_size_t size) {
            static_cast<std::string *>(png_get_io_ptr(p))->append(reinterpret_cast<const char *>(data), size);
        },
        nullptr);
    png_set_IHDR(png, info, image.width, image.height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < image.height; y++) {
        png_write_row(png, const_cast<png_bytep>(image.pixels.data() + static_cast<std::size_t>(y) * image.width));
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return bytes;
}

void write_png(const std::string &path, const GreyImage &image) { write_file_atomically(path, encode_png(image)); }

GreyImage read_png(const std::string &path) {
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path.c_str())) {
        throw file_error(path, std::string("not a readable PNG: ") + image.message);
    }
    image.format = PNG_FORMAT_GRAY;
    GreyImage result;
    result.width = static_cast<int>(image.width);
    result.height = static_cast<int>(image.height);
    result.pixels.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, result.pixels.data(), 0, nullptr)) {
        throw file_error(path, std::string("corrupt PNG: ") + image.message);
    }
    return result;
}

GreyImage image_grid(const std::vector<const uint8_t *> &images, int columns, int scale, int gap) {
    const int count = static_cast<int>(images.size());
    const int rows = count == 0 ? 0 : (count + columns - 1) / columns;
    const int cell = kImageSide * scale;
    GreyImage grid;
    grid.width = columns * cell + (columns + 1) * gap;
    grid.height = rows * cell + (rows + 1) * gap;
    grid.pixels.assign(static_cast<std::size_t>(grid.width) * grid.height, 255);
    for (int i = 0; i < count; i++) {
        const int x0 = gap + (i % columns) * (cell + gap), y0 = gap + (i / columns) * (cell + gap);
        for (int y = 0; y < cell; y++)
            for (int x = 0; x < cell; x++) {
                const uint8_t ink = images[i][(y / scale) * kImageSide + x / scale];
                grid.pixels[static_cast<std::size_t>(y0 + y) * grid.width + x0 + x] = 255 - ink;
            }
    }
    return grid;
}

}  // namespace tailor
