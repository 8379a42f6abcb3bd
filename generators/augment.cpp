// augment: the geometric and occlusion augmentation of a training batch,
// one transform per image, and the test-time transforms of `evaluate --tta`.
//
//   augment  input (c,w,h,n), transforms (6,n), erase_size -> output (c,w,h,n)
//
// Transform of image n: (shift_x, shift_y, flip, erase, erase_x, erase_y).
// output(c, x, y) = input(c, fx - shift_x, y - shift_y), where fx is x
// mirrored (w - 1 - x) when flip is set, and 0 (the background) where that
// falls outside the image or inside the erased square [erase_x, erase_x +
// erase_size) x [erase_y, erase_y + erase_size) when erase is set. The
// trainer draws the transforms from (seed, epoch, image index), counter-based
// like dropout (runtime/tailor/run/augmentation.h); this kernel only moves
// pixels, on the device in a GPU build.
#include "layout.h"

using namespace Halide;

namespace {

class Augment : public Generator<Augment> {
public:
    GeneratorParam<int> width{"width", 28};
    GeneratorParam<int> height{"height", 28};
    GeneratorParam<int> channels{"channels", 1};

    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<int32_t>> transforms{"transforms", 2};
    Input<int32_t> erase_size{"erase_size"};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        Expr flip = transforms(2, n) != 0;
        Expr source_x = select(flip, width - 1 - x, x) - transforms(0, n);
        Expr source_y = y - transforms(1, n);
        Expr inside = source_x >= 0 && source_x < width && source_y >= 0 && source_y < height;
        Expr erase_x = transforms(4, n), erase_y = transforms(5, n);
        Expr erased = transforms(3, n) != 0 && x >= erase_x && x < erase_x + erase_size && y >= erase_y &&
                      y < erase_y + erase_size;
        Expr pixel = input(c, clamp(source_x, 0, width - 1), clamp(source_y, 0, height - 1), n);
        output(c, x, y, n) = select(inside && !erased, pixel, 0.0f);

        tailor::require_dense(input, {channels, width, height, 0});
        tailor::require_dense(transforms, {6, 0});
        tailor::require_dense(output, {channels, width, height, 0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            Var xy("xy");
            output.fuse(x, y, xy);
            tailor::gpu_tile_2d(output, xy, n, int(width) * int(height));
            return;
        }
        // A row of an image at a time, images in parallel; the gather's
        // indices differ per image, so vectors run along the row.
        const int vec = get_target().natural_vector_size<float>();
        output.reorder(c, x, y, n).parallel(n);
        if (channels == 1) output.vectorize(x, std::min<int>(vec, width), TailStrategy::GuardWithIf);
    }

private:
    Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Augment, augment)
