#include "kernel_kinds.h"

#include "tailor/nn/shape.h"  // kConvKernel, kPoolWindow, kConvWinogradBatch, kDenseSlice

#include <algorithm>
#include <numeric>

namespace tune {
namespace {

using Halide::Float;
using Halide::UInt;

std::vector<int> range(int first, int last) {
    std::vector<int> values(std::max(0, last - first + 1));
    std::iota(values.begin(), values.end(), first);
    return values;
}

int param(const Params &params, const char *name) { return std::stoi(params.at(name)); }

// The choices' product of the named counts, times `per`, within the registers.
bool product_fits(const std::map<std::string, int> &choices, const char *a, const char *b, int per, int registers) {
    return choices.at(a) * choices.at(b) * per <= registers;
}

bool tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_columns", 1, registers);
}
// A tile of rows of columns.
bool map_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_columns", c.at("tile_rows"), registers);
}
// Each pooled column holds a 2x2 window of sums per vector.
bool pooled_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_columns", tailor::kPoolWindow * tailor::kPoolWindow, registers);
}
// At least one row of taps per tile.
bool gradient_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_in_channels", tailor::kConvKernel, registers);
}
// A window-by-window gradient's tile: input-channel vectors x a row or all of the taps.
bool window_gradient_tile_fits(const std::map<std::string, int> &c, int registers) {
    const int taps = c.at("all_taps") ? tailor::kConvKernel * tailor::kConvKernel : tailor::kConvKernel;
    return c.at("tile_vectors") * taps <= registers;
}

// Out-channel vectors x in channels, one register each.
bool channel_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_in_channels", 1, registers);
}
bool image_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_images", 1, registers);
}
bool batch_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "batch_tile", 1, registers);
}
bool input_tile_fits(const std::map<std::string, int> &c, int registers) {
    return product_fits(c, "tile_vectors", "tile_inputs", 1, registers);
}

std::vector<int> powers_of_two(int most) {
    std::vector<int> values;
    for (int v = 1; v <= most; v *= 2) values.push_back(v);
    return values;
}

// Vectors of `channels` a tile may hold: up to 4, as many as fit.
std::vector<int> vector_counts(int channels, int vector_width) {
    return range(1, std::clamp(channels / std::max(1, vector_width), 1, 4));
}

// Those of vector_counts that divide the channels' vectors evenly.
std::vector<int> dividing_vector_counts(int channels, int vector_width) {
    std::vector<int> counts;
    const int vectors = std::max(1, channels / std::max(1, vector_width));
    for (int count : vector_counts(channels, vector_width)) {
        if (vectors % count == 0) counts.push_back(count);
    }
    return counts;
}

// An element-wise kernel's buffers and scalars (its generator's Inputs, in
// order), and its choices: the parallel blocks, then wider vectors.
bool elementwise_kind(const std::string &generator, long elements, KernelKind &kind) {
    const BufferShape array{Float(32), {static_cast<int>(elements)}}, seed{UInt(32), {}, 0, 7},
        step{UInt(32), {}, 0, 3};
    const BufferShape non_negative{Float(32), {static_cast<int>(elements)}, 0.0f};
    auto scalar = [](double value) { return BufferShape{Float(32), {}, 0, value}; };
    if (generator == "dropout") {
        kind.inputs = {array, seed, step, scalar(0.2)};
        kind.outputs = {array};
    } else if (generator == "gaussian_noise") {
        kind.inputs = {array, seed, step, scalar(0.1)};
        kind.outputs = {array};
    } else if (generator == "adam") {  // parameters, gradients, m, v; step size, beta1, beta2, epsilon
        kind.inputs = {array, array, array, non_negative, scalar(1e-3), scalar(0.9), scalar(0.999), scalar(1e-7)};
        kind.outputs = {array, array, array};
    } else if (generator == "ema") {
        kind.inputs = {array, array, scalar(0.999)};
        kind.outputs = {array};
    } else {
        return false;
    }
    kind.primary = {{"block_vectors", {16, 32, 64, 128, 256, 512, 1024, 2048}}};
    kind.secondary = {{"lane_vectors", {1, 2, 4}}};
    return true;
}

// A dense layer's kernels: activations (feature, batch), weights (out, in).
bool dense_kind(const std::string &generator, const Params &params, int batch, int vector_width,
                KernelKind &kind) {
    const int in = param(params, "inputs"), out = param(params, "outputs");
    const BufferShape input{Float(32), {in, batch}}, weights{Float(32), {out, in}}, bias{Float(32), {out}},
        output{Float(32), {out, batch}};
    const Knob batch_tile{"batch_tile", range(1, 16)};
    if (generator == "dense_forward") {
        // A layer with slices runs dense_forward_sliced on one image, not
        // this: its one-sample path then serves 4 to batch_tile - 1 images
        // only, by hand.
        std::vector<Knob> one_image;
        if (!tailor::has_slices(out)) one_image.push_back({"image_tile_vectors", vector_counts(out, vector_width)});
        kind = {{input, weights, bias}, {output}, {{"tile_vectors", vector_counts(out, vector_width)}, batch_tile},
                {}, one_image, batch_tile_fits};
    } else if (generator == "dense_forward_sliced") {
        const int slices = out / tailor::kDenseSlice;
        const BufferShape sliced{Float(32), {tailor::kDenseSlice, in, slices}},
            sliced_bias{Float(32), {tailor::kDenseSlice, slices}},
            sliced_output{Float(32), {tailor::kDenseSlice, slices, batch}};
        kind = {{input, sliced, sliced_bias}, {sliced_output}, {}, {}, {{"task_slices", range(1, std::min(slices, 4))}},
                nullptr};
        kind.small_batches_only = true;
    } else if (generator == "dense_backward_data") {
        kind = {{weights, output, output}, {input}, {{"tile_vectors", vector_counts(in, vector_width)}, batch_tile},
                {}, {}, batch_tile_fits};
    } else if (generator == "dense_backward_weights") {
        kind = {{input, output, output}, {weights, bias},
                {{"tile_vectors", vector_counts(out, vector_width)}, {"tile_inputs", range(1, std::min(in, 16))}}, {},
                {}, input_tile_fits};
    } else {
        return false;
    }
    return true;
}

// Whole warps, within CUDA's 1,024 threads per block.
bool gpu_block_fits(const std::map<std::string, int> &c, int) {
    const int threads = c.at("gpu_block_x") * c.at("gpu_block_y");
    return threads >= 32 && threads <= 1024;
}

// The CPU choices of a convolution or dense kernel.
bool cpu_kernel_kind(const std::string &generator, const Params &params, int batch, int vector_width,
                     KernelKind &kind) {
    if (generator.rfind("dense", 0) == 0) return dense_kind(generator, params, batch, vector_width, kind);
    if (generator.rfind("conv2d", 0) != 0) return false;
    const int w = param(params, "width"), h = param(params, "height");
    const int ci = param(params, "in_channels"), co = param(params, "out_channels");
    const int k = tailor::kConvKernel, ow = w - k + 1, oh = h - k + 1;
    const int pw = ow / tailor::kPoolWindow, ph = oh / tailor::kPoolWindow;
    const BufferShape input{Float(32), {ci, w, h, batch}}, weights{Float(32), {co, ci, k, k}},
        bias{Float(32), {co}}, output{Float(32), {co, ow, oh, batch}}, pooled{Float(32), {co, pw, ph, batch}},
        argmax{UInt(8), {co, pw, ph, batch}};
    const Knob co_vectors{"tile_vectors", vector_counts(co, vector_width)};
    const Knob all_taps{"all_taps", {0, 1}};
    const Knob in_channel_tile{"tile_in_channels", range(1, std::min(ci, 4))};
    const Knob image_tasks{"image_tasks", powers_of_two(64)};
    if (generator == "conv2d_forward") {
        kind = {{input, weights, bias},
                {output},
                {co_vectors, {"tile_columns", range(1, ow)}, {"tile_rows", range(1, std::min(oh, 4))}},
                {},
                {image_tasks},
                map_tile_fits};
    } else if (generator == "conv2d_backward_data") {
        kind = {{weights, output, output},
                {input},
                {{"tile_vectors", vector_counts(ci, vector_width)}, {"tile_columns", range(1, w)}},
                {{"unroll_rows", {0, 1}}, {"dz_per_image", {0, 1}}},
                {},
                tile_fits};
    } else if (generator == "conv2d_maxpool_backward_data_argmax") {  // by hand on a CPU: a GPU's block only
        kind = {{weights, argmax, pooled, pooled}, {input}, {}, {}, {}, nullptr};
    } else if (generator == "conv2d_backward_weights") {
        kind = {{input, output, output}, {weights, bias}, {co_vectors, in_channel_tile}, {all_taps}, {},
                gradient_tile_fits};
    } else if (generator == "conv2d_maxpool_backward_weights_routed") {
        kind = {{input, argmax, pooled, pooled}, {weights, bias}, {co_vectors, in_channel_tile}, {all_taps}, {},
                gradient_tile_fits};
    } else if (generator == "conv2d_maxpool_backward_weights_argmax") {
        kind = {{input, argmax, pooled, pooled}, {weights, bias},
                {{"tile_vectors", dividing_vector_counts(ci, vector_width)}, all_taps}, {}, {},
                window_gradient_tile_fits};
    } else if (generator == "conv2d_maxpool_forward_winograd" || generator == "conv2d_maxpool_forward_winograd_argmax") {
        const BufferShape transformed{Float(32), {co, ci, 4, 4}};
        kind = {{input, transformed, bias}, {pooled}, {co_vectors, {"tile_columns", range(1, pw)}},
                {{"whole_images", {0, 1}}}, {{"image_halves", {0, 1}}}, tile_fits};
        if (generator == "conv2d_maxpool_forward_winograd_argmax") kind.outputs.push_back(argmax);
    } else if (generator == "conv2d_forward_winograd") {
        if (batch < tailor::kConvWinogradBatch) return false;  // never run on fewer images
        const BufferShape transformed{Float(32), {co, ci, 5, 5}};
        kind = {{input, transformed, bias},
                {output},
                {co_vectors, {"tile_images", range(1, tailor::kConvWinogradBatch)}},
                {{"task_chunks", powers_of_two(8)}},
                {},
                image_tile_fits};
    } else if (generator == "conv2d_backward_data_winograd") {
        if (batch < tailor::kConvWinogradBatch) return false;
        kind = {{weights, output, output},
                {input},
                {{"tile_vectors", dividing_vector_counts(ci, vector_width)},
                 {"tile_images", range(1, tailor::kConvWinogradBatch)}},
                {{"task_chunks", powers_of_two(8)}},
                {},
                image_tile_fits};
    } else if (generator == "conv2d_backward_weights_winograd") {
        if (batch < tailor::kConvWinogradBatch) return false;
        kind = {{input, output, output}, {weights, bias},
                {co_vectors, {"tile_in_channels", range(1, std::min(ci, 16))}}, {}, {}, channel_tile_fits};
    } else if (generator == "conv2d_maxpool_forward" || generator == "conv2d_maxpool_forward_argmax") {
        kind = {{input, weights, bias}, {pooled}, {co_vectors, {"tile_columns", range(1, pw)}}, {}, {image_tasks},
                pooled_tile_fits};
        if (generator == "conv2d_maxpool_forward_argmax") kind.outputs.push_back(argmax);
    } else {
        return false;
    }
    return true;
}

}  // namespace

bool kernel_kind(const std::string &generator, const Params &params, int batch, long elements, int vector_width,
                 bool gpu, KernelKind &kind) {
    if (elementwise_kind(generator, elements, kind)) return !gpu;  // a GPU's: one thread per element, by hand
    if (!cpu_kernel_kind(generator, params, batch, vector_width, kind)) return false;
    if (!gpu && kind.primary.empty() && kind.secondary.empty() && kind.small_batch.empty()) return false;
    if (gpu) {
        kind.primary = {{"gpu_block_x", powers_of_two(128)}, {"gpu_block_y", powers_of_two(32)}};
        kind.secondary.clear();
        kind.small_batch.clear();
        kind.fits = gpu_block_fits;
    }
    return true;
}

}  // namespace tune
