// The 2x2 window of max pooling, shared by maxpool.cpp and conv2d_maxpool.cpp.
// a, b are the window's top row, d, e its bottom row.
#pragma once

#include "Halide.h"

namespace tailor {

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

}  // namespace tailor
