// Shape of one sample's activation: channels innermost, then x, then y.
// A flattened activation is {features, 1, 1}. Only the standard library:
// the generators include it too.
#pragma once

#include <cstddef>

namespace tailor {

struct Shape {
    int channels = 1;
    int width = 1;
    int height = 1;

    constexpr std::size_t size() const {
        return static_cast<std::size_t>(channels) * width * height;
    }
    constexpr bool flat() const { return width == 1 && height == 1; }
};

// The one kernel size of every conv2d and window of every maxpool, defined
// here for the generators, the runtime, the tests, the benchmarks and the
// architecture compiler (cmake/TailorArchitectureParser.cmake reads these lines).
inline constexpr int kConvKernel = 3;
inline constexpr int kPoolWindow = 2;

// From this batch on, a conv2d with Winograd kernels infers by them
// (generators/conv2d_winograd.cpp: its register tile holds at most this many
// images); smaller batches, one image above all, read fewer weights directly.
inline constexpr int kConvWinogradBatch = 8;

// Batches of fewer images than this (single-image inference) are split
// within each image, so that one image keeps every core busy; larger ones
// give each task whole rows of images, or a register tile across images.
inline constexpr int kSmallBatch = 4;

// Outputs per slice of a dense layer's weights as its small-batch forward pass
// reads them (generators/dense.cpp, dense_slice_weights): each slice's
// weights are contiguous, so a task's reads stay within its own slices,
// and so does what the prefetcher brings in. The architecture compiler reads
// this line too.
inline constexpr int kDenseSlice = 16;

// Whether a dense layer of `outputs` has sliced weights: several whole slices
// (cmake/layers/dense.cmake chooses its kernels by the same rule).
constexpr bool has_slices(int outputs) { return outputs % kDenseSlice == 0 && outputs / kDenseSlice > 1; }

// A "valid" convolution with `filters` outputs, stride 1.
constexpr Shape conv2d_output(Shape in, int filters) {
    return {filters, in.width - kConvKernel + 1, in.height - kConvKernel + 1};
}
// Max pooling, stride = window: an odd last row or column is dropped.
constexpr Shape maxpool_output(Shape in) { return {in.channels, in.width / kPoolWindow, in.height / kPoolWindow}; }

}  // namespace tailor
