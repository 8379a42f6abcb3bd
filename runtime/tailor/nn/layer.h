// The layer contract: what every layer of an architecture's generated layer
// list implements, fused or not, so that Network<Arch> runs them all in one
// uniform loop. (A layer kind's files: docs/architecture.md.)
//
//   using Tag                     its kind (Conv2DTag, ...): what tests and
//                                 benchmarks select layers by
//   static constexpr Shape in, out
//                                 per-sample shapes of its input and output
//   static constexpr std::array<LayerRow, K> rows
//                                 the Keras layers it stands for, in order:
//                                 the summary's rows and the tensors' names
//                                 (its Params belong to the first)
//   static constexpr bool computes_input_gradient
//                                 false only for a layer that must come first
//   using Params                  a struct of Tensors (walked with Boost.PFR),
//                                 or NoParams
//   explicit L(int max_batch)     allocates the state its backward pass reads
//
//   const float *forward(x, y, n, params)
//       inference; returns the output: y, or x when it passes x through
//   const float *forward_train(x, y, n, params, step)
//       training; may keep state (for the same batch) for its own backward
//   const float *backward(x, y, dy, dx, n, params, grads, step)
//       after forward_train on the same x: fills grads and returns the input
//       gradient (dx, or dy when it passes dy through); dx == nullptr skips it
//   void parameters_changed()   (optional)
//       called before a forward pass when the parameters changed since the
//       last one, for a layer that derives state from them (the Winograd
//       weights of conv2d_maxpool and conv2d, dense's sliced weights)
//
// x, y, dy and dx hold n samples of `in` or `out`, channels innermost (see
// shape.h); the network owns them, a layer owns only its own state (which
// must survive a move: the network builds its layers in a std::tuple).
// A random layer keeps its rate in a member `rate` (dropout's) or `stddev`
// (noise's): --dropout and --noise-stddev override those by name.
#pragma once

#include "tailor/nn/kernel_call.h"
#include "tailor/nn/shape.h"
#include "tailor/nn/tensor.h"

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tailor {

// One row of the Keras-style summary that a layer stands for.
struct LayerRow {
    const char *kind;        // Keras's class name, e.g. "Conv2D"
    const char *keras_name;  // Keras's name stem, e.g. "conv2d" (numbered per model: conv2d_1, ...)
    Shape out;
    bool relu = false;  // a ReLU after it, as Keras's activation="relu"
};

// Per-step facts a random layer needs: the run's seed, the optimiser step and
// the layer's row in the summary (so two dropout layers draw apart).
struct StepContext {
    uint32_t seed = 0;
    uint32_t step = 0;
    uint32_t layer_index = 0;
};

// The seed of a random layer's stream: the run's seed and the layer's index,
// so two dropout (or noise) layers never draw the same numbers.
inline uint32_t layer_key(const StepContext &step) { return step.seed ^ (step.layer_index * 0x9e3779b9u); }

struct NoParams {};

// A declared real number (a dropout rate, a noise deviation) as a template
// argument: digits / 10^decimals, e.g. Decimal{2, 1} for 0.2 (Clang 14 takes
// no float template arguments). value() rounds as the literal 0.2f does: both
// are exact in float, and float division rounds correctly.
struct Decimal {
    int32_t digits;
    int32_t decimals;

    constexpr float value() const {
        float scale = 1;
        for (int32_t i = 0; i < decimals; i++) scale *= 10;
        return static_cast<float>(digits) / scale;
    }
};
static_assert(Decimal{2, 1}.value() == 0.2f && Decimal{125, 3}.value() == 0.125f && Decimal{1, 0}.value() == 1.0f);

// The contract above, checked where Network instantiates a layer.
template <typename L>
concept Layer = requires(L layer, const float *x, float *y, int n, const typename L::Params &p,
                         typename L::Params &grads, const StepContext &step) {
    typename L::Tag;
    requires std::same_as<std::remove_cv_t<decltype(L::in)>, Shape>;
    requires std::same_as<std::remove_cv_t<decltype(L::out)>, Shape>;
    { L::rows.size() } -> std::convertible_to<std::size_t>;
    { L::computes_input_gradient } -> std::convertible_to<bool>;
    requires std::constructible_from<L, int>;
    { layer.forward(x, y, n, p) } -> std::same_as<const float *>;
    { layer.forward_train(x, y, n, p, step) } -> std::same_as<const float *>;
    { layer.backward(x, x, x, y, n, p, grads, step) } -> std::same_as<const float *>;
};

}  // namespace tailor
