#include "tailor/image/decode.h"

#include "tailor/util/error.h"
#include "tailor/util/read_file.h"

#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

namespace tailor {
namespace {

// Larger files are not photos tailor classifies.
constexpr std::size_t kMaxPhotoBytes = std::size_t{64} << 20;

void check_dimensions(const std::string &path, std::size_t width, std::size_t height) {
    if (width == 0 || height == 0 || width > kMaxPhotoSide || height > kMaxPhotoSide ||
        width * height > kMaxPhotoPixels) {
        throw file_error(path, "claims " + std::to_string(width) + "x" + std::to_string(height) +
                                   " pixels: none, or more than tailor decodes (" + std::to_string(kMaxPhotoPixels) +
                                   ", at most " + std::to_string(kMaxPhotoSide) + " a side)");
    }
}

// ---- PNG: libpng's simplified API reports errors in `message`, never exits.

Photo decode_png(const std::string &path, const std::string &bytes) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    std::unique_ptr<png_image, void (*)(png_image *)> guard(&image, png_image_free);
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
        throw file_error(path, std::string("not a readable PNG image (") + image.message + ")");
    }
    check_dimensions(path, image.width, image.height);
    image.format = PNG_FORMAT_GA;  // 8-bit grey and alpha, whatever the file holds
    std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
        throw file_error(path, std::string("corrupt or truncated PNG image (") + image.message + ")");
    }
    Photo photo{static_cast<int>(image.width), static_cast<int>(image.height), {}};
    photo.grey.resize(static_cast<std::size_t>(photo.width) * photo.height);
    for (std::size_t i = 0; i < photo.grey.size(); i++) {
        const float grey = pixels[2 * i] / 255.0f, alpha = pixels[2 * i + 1] / 255.0f;
        photo.grey[i] = grey * alpha + (1 - alpha);  // over white
    }
    return photo;
}

// ---- JPEG: libjpeg calls error_exit on any error (and here on any warning),
// which must not return: it jumps back to the setjmp of the call in
// progress. The functions that call setjmp hold nothing that needs
// destroying.

struct JpegErrors {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
    auto *errors = reinterpret_cast<JpegErrors *>(info->err);
    info->err->format_message(info, errors->message);
    std::longjmp(errors->jump, 1);
}

// A warning (corrupt or missing data) fails the decode at once.
void jpeg_note(j_common_ptr info, int level) {
    if (level < 0) jpeg_fail(info);
}

// A progressive JPEG of a few MiB can hold millions of scans, each a pass
// over the whole image: more than any encoder writes is refused (the limit
// libjpeg-turbo's TJFLAG_LIMITSCANS uses).
constexpr int kMaxScans = 500;

void jpeg_progress(j_common_ptr info) {
    const auto *decompress = reinterpret_cast<j_decompress_ptr>(info);
    if (decompress->input_scan_number > kMaxScans) {
        auto *errors = reinterpret_cast<JpegErrors *>(info->err);
        std::snprintf(errors->message, sizeof errors->message, "more than %d scans", kMaxScans);
        std::longjmp(errors->jump, 1);
    }
}

struct JpegReader {
    jpeg_decompress_struct info;
    JpegErrors errors;
    jpeg_progress_mgr progress;
};

bool create_jpeg_reader(JpegReader &reader) {
    reader.info.err = jpeg_std_error(&reader.errors.manager);
    reader.errors.manager.error_exit = jpeg_fail;
    reader.errors.manager.emit_message = jpeg_note;
    if (setjmp(reader.errors.jump)) return false;
    jpeg_create_decompress(&reader.info);
    reader.progress.progress_monitor = jpeg_progress;
    reader.info.progress = &reader.progress;
    return true;
}

bool read_jpeg_header(JpegReader &reader, const std::string &bytes) {
    if (setjmp(reader.errors.jump)) return false;
    jpeg_mem_src(&reader.info, reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size());
    jpeg_save_markers(&reader.info, JPEG_APP0 + 1, 0xffff);  // EXIF
    jpeg_read_header(&reader.info, TRUE);
    reader.info.out_color_space = JCS_GRAYSCALE;
    return true;
}

bool read_jpeg_pixels(JpegReader &reader, uint8_t *pixels) {
    if (setjmp(reader.errors.jump)) return false;
    jpeg_start_decompress(&reader.info);
    while (reader.info.output_scanline < reader.info.output_height) {
        JSAMPROW row = pixels + static_cast<std::size_t>(reader.info.output_scanline) * reader.info.output_width;
        jpeg_read_scanlines(&reader.info, &row, 1);
    }
    jpeg_finish_decompress(&reader.info);
    return true;
}

// EXIF's orientation tag (1 = upright), from the saved APP1 marker.
int exif_orientation(const jpeg_decompress_struct &info) {
    for (jpeg_saved_marker_ptr m = info.marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
        std::unique_ptr<ExifData, void (*)(ExifData *)> exif(exif_data_new_from_data(m->data, m->data_length),
                                                             exif_data_unref);
        if (!exif) return 1;
        ExifEntry *entry = exif_data_get_entry(exif.get(), EXIF_TAG_ORIENTATION);
        if (!entry || entry->format != EXIF_FORMAT_SHORT || entry->size < 2) return 1;
        const int orientation = exif_get_short(entry->data, exif_data_get_byte_order(exif.get()));
        return orientation >= 1 && orientation <= 8 ? orientation : 1;
    }
    return 1;
}

// The image as EXIF orientation `o` says to display it.
Photo oriented(const Photo &in, int o) {
    if (o == 1) return in;
    const bool swaps = o >= 5;
    Photo out{swaps ? in.height : in.width, swaps ? in.width : in.height, {}};
    out.grey.resize(in.grey.size());
    const int w = in.width, h = in.height;
    for (int y = 0; y < out.height; y++)
        for (int x = 0; x < out.width; x++) {
            int sx = x, sy = y;
            switch (o) {
                case 2: sx = w - 1 - x; break;
                case 3: sx = w - 1 - x, sy = h - 1 - y; break;
                case 4: sy = h - 1 - y; break;
                case 5: sx = y, sy = x; break;
                case 6: sx = y, sy = h - 1 - x; break;
                case 7: sx = w - 1 - y, sy = h - 1 - x; break;
                case 8: sx = w - 1 - y, sy = x; break;
            }
            out.grey[static_cast<std::size_t>(y) * out.width + x] = in.at(sx, sy);
        }
    return out;
}

Photo decode_jpeg(const std::string &path, const std::string &bytes) {
    JpegReader reader{};
    if (!create_jpeg_reader(reader)) {
        jpeg_destroy_decompress(&reader.info);
        throw file_error(path, std::string("cannot decode JPEG: ") + reader.errors.message);
    }
    std::unique_ptr<jpeg_decompress_struct, void (*)(jpeg_decompress_struct *)> guard(&reader.info,
                                                                                      jpeg_destroy_decompress);
    if (!read_jpeg_header(reader, bytes)) {
        throw file_error(path, std::string("not a readable JPEG image (") + reader.errors.message + ")");
    }
    check_dimensions(path, reader.info.image_width, reader.info.image_height);
    // Saved markers last only until jpeg_finish_decompress.
    const int orientation = exif_orientation(reader.info);
    std::vector<uint8_t> pixels(static_cast<std::size_t>(reader.info.image_width) * reader.info.image_height);
    if (!read_jpeg_pixels(reader, pixels.data())) {
        throw file_error(path, std::string("corrupt or truncated JPEG image (") + reader.errors.message + ")");
    }
    Photo photo{static_cast<int>(reader.info.output_width), static_cast<int>(reader.info.output_height), {}};
    photo.grey.resize(pixels.size());
    for (std::size_t i = 0; i < pixels.size(); i++) photo.grey[i] = pixels[i] / 255.0f;
    return oriented(photo, orientation);
}

}  // namespace

Photo decode_photo(const std::string &path, const std::string &bytes) {
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return decode_png(path, bytes);
    if (bytes.size() >= 3 && std::memcmp(bytes.data(), "\xFF\xD8\xFF", 3) == 0) return decode_jpeg(path, bytes);
    throw file_error(path, "not a PNG or JPEG image");
}

Photo decode_photo(const std::string &path) {
    return decode_photo(path, read_small_file(path, kMaxPhotoBytes, "a photo"));
}

}  // namespace tailor
