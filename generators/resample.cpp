// resample: an image resized by area averaging (a box filter), the step of
// `tailor predict` that brings a photo's longest edge to 28 pixels.
//
//   resample  input (w, h), scale -> output (ow, oh)
//
// Output pixel (x, y) is the mean of the input over the square
// [x * scale, (x + 1) * scale) x [y * scale, (y + 1) * scale), partly covered
// input pixels weighted by the part covered; scale = input / output extent
// (the same on both axes: the aspect ratio is kept). Separable: along x, then
// along y. Works for enlarging too (scale < 1).
#include "layout.h"

using namespace Halide;

namespace {

class Resample : public Generator<Resample> {
public:
    Input<Buffer<float>> input{"input", 2};
    Input<float> scale{"scale"};
    Output<Buffer<float>> output{"output", 2};

    void generate() {
        // Input pixels an output pixel can touch: ceil(scale) + 1.
        RDom r(0, cast<int>(ceil(scale)) + 1, "r");
        Func clamped = BoundaryConditions::repeat_edge(input);
        columns(x, y) = sum(coverage(x, r) * clamped(first(x) + r, y)) / scale;
        output(x, y) = sum(coverage(y, r) * columns(x, first(y) + r)) / scale;
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            tailor::gpu_tile_2d(columns, x, y, 32);
            tailor::gpu_tile_2d(output, x, y, 32);
            columns.compute_root();
            return;
        }
        columns.compute_root().parallel(y, 16);
        output.parallel(y);
    }

private:
    // The first input pixel output pixel `o` touches, and how much of input
    // pixel first(o) + k lies in [o * scale, (o + 1) * scale).
    Expr first(Expr o) { return cast<int>(floor(o * scale)); }
    Expr coverage(Expr o, Expr k) {
        Expr start = cast<float>(first(o) + k);
        return max(0.0f, min(start + 1.0f, (o + 1) * scale) - max(start, o * scale));
    }

    Var x{"x"}, y{"y"};
    Func columns{"columns"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Resample, resample)
