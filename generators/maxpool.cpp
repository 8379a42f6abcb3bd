// maxpool: 2x2 windows, stride 2, "valid" (an odd last row or column is dropped,
// as Keras does). Layout (channel, x, y, batch).
//
//   maxpool_forward   input (c,w,h,n) -> output (c,w/2,h/2,n)
//   maxpool_backward  input, d_output (c,w/2,h/2,n) -> d_input (c,w,h,n)
//
// The backward pass routes each window's gradient to one input: the first
// maximum in the order (0,0), (1,0), (0,1), (1,1). The window's argmax is
// recomputed from the input, so the forward pass stores no indices.
#include "layout.h"
#include "pooling.h"

using namespace Halide;

namespace {

template <typename Self>
class MaxPoolBase : public Generator<Self> {
public:
    GeneratorParam<int> width{"width", 26};
    GeneratorParam<int> height{"height", 26};
    GeneratorParam<int> channels{"channels", 32};

protected:
    int out_width() const { return width / tailor::kPoolWindow; }
    int out_height() const { return height / tailor::kPoolWindow; }
    int channel_vector() const {
        return std::min<int>(channels, this->get_target().template natural_vector_size<float>());
    }
};

class MaxPoolForward : public MaxPoolBase<MaxPoolForward> {
public:
    Input<Buffer<float>> input{"input", 4};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        output(c, x, y, n) = tailor::window_max(input(c, 2 * x, 2 * y, n), input(c, 2 * x + 1, 2 * y, n),
                                                input(c, 2 * x, 2 * y + 1, n), input(c, 2 * x + 1, 2 * y + 1, n));
        tailor::require_dense(input, {channels, width, height, 0});
        tailor::require_dense(output, {channels, out_width(), out_height(), 0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            tailor::gpu_tile_channels_columns(output, c, x, y, n, channels, out_width());
            return;
        }
        Var yn("yn");
        output.fuse(y, n, yn).parallel(yn).vectorize(c, channel_vector());
    }

private:
    Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
};

class MaxPoolBackward : public MaxPoolBase<MaxPoolBackward> {
public:
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> d_output{"d_output", 4};
    Output<Buffer<float>> d_input{"d_input", 4};

    void generate() {
        argmax(c, px, py, n) = tailor::window_first_max(input(c, 2 * px, 2 * py, n), input(c, 2 * px + 1, 2 * py, n),
                                                        input(c, 2 * px, 2 * py + 1, n),
                                                        input(c, 2 * px + 1, 2 * py + 1, n));

        const auto w = tailor::window_position(x, y, out_width(), out_height());
        d_input(c, x, y, n) = select(w.inside && argmax(c, w.x, w.y, n) == w.position, d_output(c, w.x, w.y, n), 0.0f);

        tailor::require_dense(input, {channels, width, height, 0});
        tailor::require_dense(d_output, {channels, out_width(), out_height(), 0});
        tailor::require_dense(d_input, {channels, width, height, 0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            tailor::gpu_tile_channels_columns(d_input, c, x, y, n, channels, width);  // argmax inline
            return;
        }
        Var yn("yn");
        argmax.compute_at(d_input, yn).vectorize(c, channel_vector());
        d_input.fuse(y, n, yn).parallel(yn).vectorize(c, channel_vector());
    }

private:
    Var c{"c"}, x{"x"}, y{"y"}, n{"n"}, px{"px"}, py{"py"};
    Func argmax{"argmax"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(MaxPoolForward, maxpool_forward)
HALIDE_REGISTER_GENERATOR(MaxPoolBackward, maxpool_backward)
