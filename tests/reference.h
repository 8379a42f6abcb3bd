// Plain double-precision reference loops for every layer, in the kernels'
// layouts: activations (channel, x, y, batch) innermost first, conv weights
// (co, ci, kx, ky), dense weights (out, in). Written for clarity, not speed;
// the Halide kernels are checked against these, and these against finite
// differences. At the end, reference::Layer<Tag> picks a layer kind's loops
// by its tag: a new kind adds its loops and its specialisation here.
#pragma once

#include "dropout_hash.h"
#include "tailor/architectures.h"
#include "tailor/nn/shape.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace reference {

using Vec = std::vector<double>;

// The kernel size and pooling window, as the runtime defines them.
constexpr int K = tailor::kConvKernel, P = tailor::kPoolWindow;

// conv2d forward: x (ci,w,h,n), w (co,ci,K,K), b (co) -> y (co,w-K+1,h-K+1,n)
inline Vec conv2d_forward(const Vec &x, const Vec &w, const Vec &b, int W, int H, int CI, int CO, bool relu, int n) {
    const int OW = W - K + 1, OH = H - K + 1;
    Vec y(static_cast<std::size_t>(CO) * OW * OH * n);
    for (int s = 0; s < n; s++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int co = 0; co < CO; co++) {
                    double sum = b[co];
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++)
                            for (int ci = 0; ci < CI; ci++)
                                sum += w[((ky * K + kx) * CI + ci) * CO + co] *
                                       x[((static_cast<std::size_t>(s) * H + oy + ky) * W + ox + kx) * CI + ci];
                    y[((static_cast<std::size_t>(s) * OH + oy) * OW + ox) * CO + co] = relu ? std::max(sum, 0.0) : sum;
                }
    return y;
}

struct Conv2DGradients {
    Vec dx, dw, db;
};

// conv2d backward from the saved output y (ReLU's mask is y > 0).
inline Conv2DGradients conv2d_backward(const Vec &x, const Vec &w, const Vec &y, const Vec &dy, int W, int H, int CI,
                                       int CO, bool relu, int n) {
    const int OW = W - K + 1, OH = H - K + 1;
    Conv2DGradients g{Vec(x.size(), 0.0), Vec(w.size(), 0.0), Vec(CO, 0.0)};
    for (int s = 0; s < n; s++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int co = 0; co < CO; co++) {
                    const std::size_t o = ((static_cast<std::size_t>(s) * OH + oy) * OW + ox) * CO + co;
                    const double dz = (!relu || y[o] > 0) ? dy[o] : 0.0;
                    g.db[co] += dz;
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++)
                            for (int ci = 0; ci < CI; ci++) {
                                const std::size_t xi = ((static_cast<std::size_t>(s) * H + oy + ky) * W + ox + kx) * CI + ci;
                                const std::size_t wi = ((ky * K + kx) * CI + ci) * CO + co;
                                g.dw[wi] += dz * x[xi];
                                g.dx[xi] += dz * w[wi];
                            }
                }
    return g;
}

// maxpool PxP stride P: x (c,w,h,n) -> y (c,w/P,h/P,n)
inline Vec maxpool_forward(const Vec &x, int W, int H, int C, int n) {
    const int OW = W / P, OH = H / P;
    Vec y(static_cast<std::size_t>(C) * OW * OH * n);
    for (int s = 0; s < n; s++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    double m = -INFINITY;
                    for (int j = 0; j < P; j++)
                        for (int i = 0; i < P; i++)
                            m = std::max(m, x[((static_cast<std::size_t>(s) * H + P * oy + j) * W + P * ox + i) * C + c]);
                    y[((static_cast<std::size_t>(s) * OH + oy) * OW + ox) * C + c] = m;
                }
    return y;
}

// Routes each window's gradient to its first maximum in (0,0),(1,0),(0,1),(1,1) order.
inline Vec maxpool_backward(const Vec &x, const Vec &dy, int W, int H, int C, int n) {
    const int OW = W / P, OH = H / P;
    Vec dx(x.size(), 0.0);
    for (int s = 0; s < n; s++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    std::size_t best = 0;
                    double m = -INFINITY;
                    for (int j = 0; j < P; j++)
                        for (int i = 0; i < P; i++) {
                            const std::size_t xi = ((static_cast<std::size_t>(s) * H + P * oy + j) * W + P * ox + i) * C + c;
                            if (x[xi] > m) {
                                m = x[xi];
                                best = xi;
                            }
                        }
                    dx[best] += dy[((static_cast<std::size_t>(s) * OH + oy) * OW + ox) * C + c];
                }
    return dx;
}

// conv2d then maxpool, as the fused layer computes them: x (ci,w,h,n) ->
// the convolution's output (co,w-K+1,h-K+1,n) and the pooled map.
struct Conv2DMaxPoolOutputs {
    Vec convolution, pooled;
};

inline Conv2DMaxPoolOutputs conv2d_maxpool_forward(const Vec &x, const Vec &w, const Vec &b, int W, int H, int CI,
                                                   int CO, bool relu, int n) {
    Conv2DMaxPoolOutputs out;
    out.convolution = conv2d_forward(x, w, b, W, H, CI, CO, relu, n);
    out.pooled = maxpool_forward(out.convolution, W - K + 1, H - K + 1, CO, n);
    return out;
}

// The pair's backward pass from the pooled map's gradient: maxpool's
// routing, then conv2d's backward pass.
inline Conv2DGradients conv2d_maxpool_backward(const Vec &x, const Vec &w, const Vec &convolution, const Vec &d_pooled,
                                               int W, int H, int CI, int CO, bool relu, int n) {
    const Vec d_convolution = maxpool_backward(convolution, d_pooled, W - K + 1, H - K + 1, CO, n);
    return conv2d_backward(x, w, convolution, d_convolution, W, H, CI, CO, relu, n);
}

// dense: x (in,n), w (out,in), b (out) -> y (out,n)
inline Vec dense_forward(const Vec &x, const Vec &w, const Vec &b, int In, int Out, bool relu, int n) {
    Vec y(static_cast<std::size_t>(Out) * n);
    for (int s = 0; s < n; s++)
        for (int j = 0; j < Out; j++) {
            double sum = b[j];
            for (int k = 0; k < In; k++) sum += w[static_cast<std::size_t>(k) * Out + j] * x[static_cast<std::size_t>(s) * In + k];
            y[static_cast<std::size_t>(s) * Out + j] = relu ? std::max(sum, 0.0) : sum;
        }
    return y;
}

struct DenseGradients {
    Vec dx, dw, db;
};

inline DenseGradients dense_backward(const Vec &x, const Vec &w, const Vec &y, const Vec &dy, int In, int Out,
                                     bool relu, int n) {
    DenseGradients g{Vec(x.size(), 0.0), Vec(w.size(), 0.0), Vec(Out, 0.0)};
    for (int s = 0; s < n; s++)
        for (int j = 0; j < Out; j++) {
            const std::size_t o = static_cast<std::size_t>(s) * Out + j;
            const double dz = (!relu || y[o] > 0) ? dy[o] : 0.0;
            g.db[j] += dz;
            for (int k = 0; k < In; k++) {
                g.dw[static_cast<std::size_t>(k) * Out + j] += dz * x[static_cast<std::size_t>(s) * In + k];
                g.dx[static_cast<std::size_t>(s) * In + k] += dz * w[static_cast<std::size_t>(k) * Out + j];
            }
        }
    return g;
}

// Dropout's keep mask and scale, bit-compatible with the kernel's hash.
inline bool dropout_keeps(uint32_t seed, uint32_t step, uint32_t index, float rate) {
    const uint32_t bits = tailor::mix32(tailor::step_key(seed, step) ^ index);
    return (bits >> 8) >= static_cast<uint32_t>(rate * tailor::kDropoutResolution);
}

inline Vec dropout(const Vec &x, uint32_t seed, uint32_t step, float rate) {
    Vec y(x.size());
    const double scale = 1.0 / (1.0 - static_cast<double>(rate));
    for (std::size_t i = 0; i < x.size(); i++) {
        y[i] = dropout_keeps(seed, step, static_cast<uint32_t>(i), rate) ? x[i] * scale : 0.0;
    }
    return y;
}

// Gaussian noise with the kernel's Box-Muller draws: the uniforms are the
// same bits, the transcendental functions here in double.
inline Vec gaussian_noise(const Vec &x, uint32_t seed, uint32_t step, float stddev) {
    const uint32_t key = tailor::step_key(seed, step);
    Vec y(x.size());
    for (std::size_t i = 0; i < x.size(); i++) {
        const uint32_t index = static_cast<uint32_t>(i) * 2;
        const double u1 = ((tailor::mix32(key ^ index) >> 8) + 1) / static_cast<double>(tailor::kDropoutResolution);
        const double u2 = (tailor::mix32(key ^ (index + 1)) >> 8) / static_cast<double>(tailor::kDropoutResolution);
        y[i] = x[i] + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    return y;
}

// The augment kernel's pixel moves: x (c,w,h,n), one transform per image.
inline Vec augment(const Vec &x, const std::vector<tailor::ImageTransform> &transforms, int W, int H, int C,
                   int erase_size) {
    Vec y(x.size(), 0.0);
    for (std::size_t s = 0; s < transforms.size(); s++) {
        const auto &t = transforms[s];
        for (int py = 0; py < H; py++)
            for (int px = 0; px < W; px++) {
                const int sx = (t.flip ? W - 1 - px : px) - t.shift_x, sy = py - t.shift_y;
                const bool erased = t.erase && px >= t.erase_x && px < t.erase_x + erase_size && py >= t.erase_y &&
                                    py < t.erase_y + erase_size;
                if (erased || sx < 0 || sx >= W || sy < 0 || sy >= H) continue;
                for (int c = 0; c < C; c++) {
                    y[((s * H + py) * W + px) * C + c] = x[((s * H + sy) * W + sx) * C + c];
                }
            }
    }
    return y;
}

// One step of the weights' moving average.
inline Vec ema(const Vec &average, const Vec &parameters, double decay) {
    Vec out(average.size());
    for (std::size_t i = 0; i < out.size(); i++) out[i] = decay * average[i] + (1 - decay) * parameters[i];
    return out;
}

struct SoftmaxResult {
    Vec probabilities, loss, d_logits;  // d_logits of the batch's mean loss
};

// With label smoothing, the target is (1 - smoothing) onehot + smoothing / K.
inline SoftmaxResult softmax_cross_entropy(const Vec &logits, const std::vector<int32_t> &labels, int K, int n,
                                           double smoothing = 0) {
    SoftmaxResult r{Vec(logits.size()), Vec(n), Vec(logits.size())};
    for (int s = 0; s < n; s++) {
        const double *l = logits.data() + static_cast<std::size_t>(s) * K;
        const double m = *std::max_element(l, l + K);
        double sum = 0;
        for (int k = 0; k < K; k++) sum += std::exp(l[k] - m);
        r.loss[s] = 0;
        for (int k = 0; k < K; k++) {
            const double p = std::exp(l[k] - m) / sum;
            const double target = (k == labels[s] ? 1.0 - smoothing : 0.0) + smoothing / K;
            r.loss[s] -= target * std::log(p);
            r.probabilities[static_cast<std::size_t>(s) * K + k] = p;
            r.d_logits[static_cast<std::size_t>(s) * K + k] = (p - target) / n;
        }
    }
    return r;
}

// One Adam step (Keras form), in double.
inline void adam(Vec &p, const Vec &g, Vec &m, Vec &v, double lr, double b1, double b2, double eps, int t) {
    const double step = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (std::size_t i = 0; i < p.size(); i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= step * m[i] / (std::sqrt(v[i]) + eps);
    }
}

// ---- By layer kind --------------------------------------------------------
//
// Layer<Tag> for each layer kind (tailor::Conv2DTag, ...), as test_layers
// checks every layer of every architecture and test_network composes whole
// networks:
//   tolerance                          the kernels' allowed error (of the largest |value|)
//   forward(layer, params, x, n, training)
//                                      training: the step, or nullptr for inference
//   backward(layer, params, x, y, dy, n, step) -> LayerGradients
//                                      y: the forward output (ReLU's mask)
// params are the layer's tensors in its Params order, in double.

struct LayerGradients {
    Vec dx;
    std::vector<Vec> params;  // as the layer's Params
};

using Params = std::vector<Vec>;
using tailor::StepContext;

template <typename Tag>
struct Layer;

template <>
struct Layer<tailor::Conv2DTag> {
    static constexpr double tolerance = 1e-5;
    template <typename L>
    static Vec forward(const L &, const Params &p, const Vec &x, int n, const StepContext *) {
        return conv2d_forward(x, p[0], p[1], L::in.width, L::in.height, L::in.channels, L::out.channels, L::relu, n);
    }
    template <typename L>
    static LayerGradients backward(const L &, const Params &p, const Vec &x, const Vec &y, const Vec &dy, int n,
                                   const StepContext &) {
        auto g = conv2d_backward(x, p[0], y, dy, L::in.width, L::in.height, L::in.channels, L::out.channels, L::relu,
                                 n);
        return {g.dx, {g.dw, g.db}};
    }
};

// The pair's routing comes from the reference convolution (in double).
template <>
struct Layer<tailor::Conv2DMaxPoolTag> {
    static constexpr double tolerance = 1e-5;
    template <typename L>
    static Vec forward(const L &, const Params &p, const Vec &x, int n, const StepContext *) {
        return conv2d_maxpool_forward(x, p[0], p[1], L::in.width, L::in.height, L::in.channels, L::out.channels,
                                      L::relu, n)
            .pooled;
    }
    template <typename L>
    static LayerGradients backward(const L &, const Params &p, const Vec &x, const Vec &, const Vec &dy, int n,
                                   const StepContext &) {
        const Vec convolution =
            conv2d_forward(x, p[0], p[1], L::in.width, L::in.height, L::in.channels, L::out.channels, L::relu, n);
        auto g = conv2d_maxpool_backward(x, p[0], convolution, dy, L::in.width, L::in.height, L::in.channels,
                                         L::out.channels, L::relu, n);
        return {g.dx, {g.dw, g.db}};
    }
};

template <>
struct Layer<tailor::MaxPoolTag> {
    static constexpr double tolerance = 0;
    template <typename L>
    static Vec forward(const L &, const Params &, const Vec &x, int n, const StepContext *) {
        return maxpool_forward(x, L::in.width, L::in.height, L::in.channels, n);
    }
    template <typename L>
    static LayerGradients backward(const L &, const Params &, const Vec &x, const Vec &, const Vec &dy, int n,
                                   const StepContext &) {
        return {maxpool_backward(x, dy, L::in.width, L::in.height, L::in.channels, n), {}};
    }
};

template <>
struct Layer<tailor::DenseTag> {
    static constexpr double tolerance = 1e-5;
    template <typename L>
    static Vec forward(const L &, const Params &p, const Vec &x, int n, const StepContext *) {
        return dense_forward(x, p[0], p[1], L::in.channels, L::out.channels, L::relu, n);
    }
    template <typename L>
    static LayerGradients backward(const L &, const Params &p, const Vec &x, const Vec &y, const Vec &dy, int n,
                                   const StepContext &) {
        auto g = dense_backward(x, p[0], y, dy, L::in.channels, L::out.channels, L::relu, n);
        return {g.dx, {g.dw, g.db}};
    }
};

template <>
struct Layer<tailor::DropoutTag> {
    static constexpr double tolerance = 1e-6;
    template <typename L>
    static Vec forward(const L &layer, const Params &, const Vec &x, int, const StepContext *training) {
        return training ? dropout(x, tailor::layer_key(*training), training->step, layer.rate) : x;
    }
    // The same mask on the gradient: the exact derivative.
    template <typename L>
    static LayerGradients backward(const L &layer, const Params &, const Vec &, const Vec &, const Vec &dy, int,
                                   const StepContext &step) {
        return {dropout(dy, tailor::layer_key(step), step.step, layer.rate), {}};
    }
};

template <>
struct Layer<tailor::GaussianNoiseTag> {
    static constexpr double tolerance = 1e-5;
    template <typename L>
    static Vec forward(const L &layer, const Params &, const Vec &x, int, const StepContext *training) {
        return training ? gaussian_noise(x, tailor::layer_key(*training), training->step, layer.stddev) : x;
    }
    // The noise does not depend on the input: the gradient is the identity.
    template <typename L>
    static LayerGradients backward(const L &, const Params &, const Vec &, const Vec &, const Vec &dy, int,
                                   const StepContext &) {
        return {dy, {}};
    }
};

template <>
struct Layer<tailor::FlattenTag> {
    static constexpr double tolerance = 0;
    template <typename L>
    static Vec forward(const L &, const Params &, const Vec &x, int, const StepContext *) {
        return x;
    }
    template <typename L>
    static LayerGradients backward(const L &, const Params &, const Vec &, const Vec &, const Vec &dy, int,
                                   const StepContext &) {
        return {dy, {}};
    }
};

}  // namespace reference
