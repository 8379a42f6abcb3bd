// Network<Arch>: an architecture's layers (generated from its declaration)
// wired into a Model. Activations and gradients live in buffers allocated once
// for the largest batch; a step allocates nothing.
#pragma once

#include "tailor/layers.h"
#include "tailor/model.h"
#include "tailor/random.h"

#include <boost/pfr.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tailor {

template <typename Arch>
class Network final : public Model {
    using Layers = typename Arch::Layers;
    static constexpr std::size_t kLayers = std::tuple_size_v<Layers>;
    template <std::size_t I>
    using Layer = std::tuple_element_t<I, Layers>;
    using ParamsTuple = decltype([]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<typename Layer<I>::Params...>{};
    }(std::make_index_sequence<kLayers>{}));

    static_assert(Layer<0>::in.size() == Arch::input.size(), "first layer must take the input");
    static_assert(Layer<kLayers - 1>::out.size() == static_cast<std::size_t>(Arch::classes),
                  "last layer must produce one value per class");
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return ((Layer<I>::out.size() == Layer<I + 1>::in.size()) && ...);
    }(std::make_index_sequence<kLayers - 1>{}), "each layer must take its predecessor's output");

    static constexpr uint64_t kInitStream = 1;

public:
    explicit Network(int max_batch) : max_batch_(max_batch) {
        std::size_t total = 0;
        for_each_tensor(params_, [&](Tensor &t) { total += t.size(); });
        parameter_values_.assign(total, 0.0f);
        gradient_values_.assign(total, 0.0f);
        bind(params_, parameter_values_);
        bind(grads_, gradient_values_);
        for_each_layer([&]<std::size_t I>() {
            outputs_[I].assign(Layer<I>::out.size() * max_batch, 0.0f);
            input_gradients_[I].assign(I == 0 ? 0 : Layer<I>::in.size() * max_batch, 0.0f);
        });
        probabilities_.assign(Arch::classes * max_batch, 0.0f);
        d_logits_.assign(Arch::classes * max_batch, 0.0f);
        losses_.assign(max_batch, 0.0f);
        no_labels_.assign(max_batch, 0);
    }

    std::string name() const override { return Arch::name; }
    int input_size() const override { return static_cast<int>(Arch::input.size()); }
    int classes() const override { return Arch::classes; }
    int max_batch() const override { return max_batch_; }
    std::span<float> parameters() override { return parameter_values_; }
    std::span<float> gradients() override { return gradient_values_; }

    std::vector<LayerSummary> summary() const override {
        std::vector<LayerSummary> rows;
        std::map<std::string, int> counts;  // Keras numbers layers per kind: conv2d_1, conv2d_2, ...
        for_each_layer([&]<std::size_t I>() {
            using L = Layer<I>;
            LayerSummary row;
            row.name = std::string(L::keras_name) + "_" + std::to_string(++counts[L::keras_name]);
            row.kind = L::kind;
            row.output_shape = L::out.flat() ? std::vector<int>{L::out.channels}
                                             : std::vector<int>{L::out.height, L::out.width, L::out.channels};
            boost::pfr::for_each_field(std::get<I>(params_), [&](const Tensor &t) { row.parameters += t.size(); });
            rows.push_back(row);
        });
        return rows;
    }

    std::vector<TensorInfo> tensors() const override {
        std::vector<TensorInfo> list;
        const auto rows = summary();
        for_each_layer([&]<std::size_t I>() {
            boost::pfr::for_each_field(std::get<I>(params_), [&](const Tensor &t) {
                list.push_back({rows[I].name + "/" + t.name, t.shape,
                                static_cast<std::size_t>(t.data - parameter_values_.data())});
            });
        });
        return list;
    }

    void set_regularization(double dropout_rate, double noise_stddev) override {
        std::apply(
            [&](auto &...layer) {
                (([&] {
                     if constexpr (requires { layer.rate; }) {
                         if (dropout_rate >= 0) layer.rate = static_cast<float>(dropout_rate);
                     }
                     if constexpr (requires { layer.stddev; }) {
                         if (noise_stddev >= 0) layer.stddev = static_cast<float>(noise_stddev);
                     }
                 }()),
                 ...);
            },
            layers_);
    }

    // Keras's defaults: Glorot-uniform weights, zero biases. Each tensor
    // draws from its own stream, so adding a layer does not shift the others.
    void initialize(uint64_t seed) override {
        uint64_t index = 0;
        for_each_tensor(params_, [&](Tensor &t) {
            SplitMix64 rng(derive_seed(seed, kInitStream, index++));
            const double limit = t.init == Init::glorot_uniform ? std::sqrt(6.0 / (t.fan_in + t.fan_out)) : 0.0;
            for (std::size_t i = 0; i < t.size(); i++) {
                t.data[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * limit);
            }
        });
    }

    BatchResult train_step(const float *images, const int32_t *labels, int n, uint32_t seed,
                           uint32_t step) override {
        StepContext context{true, seed, step, 0};
        const BatchResult result = forward(images, labels, n, context);
        const float *gradient = d_logits_.data();
        for_each_layer_reversed([&]<std::size_t I>() {
            context.layer_index = I;
            float *d_input = I == 0 ? nullptr : input_gradients_[I].data();
            gradient = std::get<I>(layers_).backward(activations_[I], activations_[I + 1], gradient, d_input, n,
                                                     std::get<I>(params_), std::get<I>(grads_), context);
        });
        return result;
    }

    BatchResult predict(const float *images, const int32_t *labels, int n, float *probabilities) override {
        const BatchResult result = forward(images, labels, n, StepContext{});
        std::copy_n(probabilities_.data(), static_cast<std::size_t>(n) * Arch::classes, probabilities);
        return result;
    }

private:
    template <typename F>
    static void for_each_layer(F &&f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(), ...); }
        (std::make_index_sequence<kLayers>{});
    }

    template <typename F>
    static void for_each_layer_reversed(F &&f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<kLayers - 1 - I>(), ...); }
        (std::make_index_sequence<kLayers>{});
    }

    template <typename F>
    static void for_each_tensor(ParamsTuple &params, F &&f) {
        std::apply([&](auto &...layer_params) { (boost::pfr::for_each_field(layer_params, f), ...); }, params);
    }

    static void bind(ParamsTuple &params, std::vector<float> &values) {
        std::size_t offset = 0;
        for_each_tensor(params, [&](Tensor &t) {
            t.data = values.data() + offset;
            offset += t.size();
        });
    }

    // Runs every layer, then softmax + cross-entropy (and its gradient, which
    // train_step consumes). Without labels (pure inference) the kernel reads
    // a row of zeros and only the probabilities are used.
    BatchResult forward(const float *images, const int32_t *labels, int n, StepContext context) {
        activations_[0] = images;
        for_each_layer([&]<std::size_t I>() {
            context.layer_index = I;
            activations_[I + 1] =
                std::get<I>(layers_).forward(activations_[I], outputs_[I].data(), n, std::get<I>(params_), context);
        });
        Halide::Runtime::Buffer<int32_t> label_view(const_cast<int32_t *>(labels ? labels : no_labels_.data()), n);
        using Loss = SoftmaxCrossEntropyKernels<Arch::classes>;
        check_kernel(Loss::forward_backward(view(activations_[kLayers], Arch::classes, n), label_view,
                                            1.0f / static_cast<float>(n),
                                            view(probabilities_.data(), Arch::classes, n), view(losses_.data(), n),
                                            view(d_logits_.data(), Arch::classes, n)),
                     "softmax_cross_entropy");
        BatchResult result;
        if (!labels) return result;
        for (int i = 0; i < n; i++) {
            result.loss_sum += losses_[i];
            const float *p = probabilities_.data() + static_cast<std::size_t>(i) * Arch::classes;
            result.correct += static_cast<int>(std::max_element(p, p + Arch::classes) - p) == labels[i];
        }
        return result;
    }


    int max_batch_;
    Layers layers_;
    ParamsTuple params_, grads_;
    std::vector<float> parameter_values_, gradient_values_;
    std::array<std::vector<float>, kLayers> outputs_, input_gradients_;
    std::array<const float *, kLayers + 1> activations_{};
    std::vector<float> probabilities_, d_logits_, losses_;
    std::vector<int32_t> no_labels_;
};

}  // namespace tailor
