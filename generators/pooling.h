// The 2x2 windows of max pooling, shared by maxpool.cpp and conv2d_maxpool.cpp.
// In window_max and window_first_max, a, b are a window's top row and d, e
// its bottom row.
#pragma once

#include "Halide.h"
#include "tailor/nn/shape.h"  // kPoolWindow

namespace tailor {

static_assert(kPoolWindow == 2, "the window functions below are written for 2x2 windows");

inline Halide::Expr window_max(const Halide::Expr &a, const Halide::Expr &b, const Halide::Expr &d,
                               const Halide::Expr &e) {
    return max(max(a, b), max(d, e));
}

// Index 0..3 of the window's first maximum in the order a, b, d, e: where
// the backward pass routes the window's gradient.
inline Halide::Expr window_first_max(const Halide::Expr &a, const Halide::Expr &b, const Halide::Expr &d,
                                     const Halide::Expr &e) {
    using Halide::select;
    const Halide::Expr top = select(b > a, 1, 0), top_value = max(a, b);
    const Halide::Expr bottom = select(e > d, 3, 2), bottom_value = max(d, e);
    return select(bottom_value > top_value, bottom, top);
}

// Where input pixel (x, y) sits in the 2x2 windows of a pooled map of
// pooled_width x pooled_height: its window (clamped inside), its position
// 0..3 there in window_first_max's order, and whether a window covers it at
// all (an odd last row or column is dropped).
struct WindowPosition {
    Halide::Expr x, y, position, inside;
};

inline WindowPosition window_position(const Halide::Expr &x, const Halide::Expr &y, int pooled_width,
                                      int pooled_height) {
    const Halide::Expr window_x = x / kPoolWindow, window_y = y / kPoolWindow;
    return {min(window_x, pooled_width - 1), min(window_y, pooled_height - 1), (x % 2) + 2 * (y % 2),
            window_x < pooled_width && window_y < pooled_height};
}

}  // namespace tailor
