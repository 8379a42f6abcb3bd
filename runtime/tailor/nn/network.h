// Network<Arch>: an architecture's layers (generated from its declaration)
// wired into a Model: one loop over layers that each keep the layer contract
// (layer.h), whatever they fuse. Activations and gradients live in buffers allocated once
// for the largest batch; a step allocates nothing. In a GPU build every one of
// them, and the parameters and optimiser state, stays on the device: a
// training step sends the batch up and brings nothing back.
#pragma once

#include "tailor/nn/optimizer.h"
#include "tailor/util/error.h"
#include "tailor/nn/layer.h"
#include "tailor/nn/model.h"
#include "tailor/util/random.h"

#include <boost/pfr.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
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
    using Loss = typename Arch::Loss;
    using ParamsTuple = decltype([]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<typename Layer<I>::Params...>{};
    }(std::make_index_sequence<kLayers>{}));

    static_assert(Layer<0>::in.size() == Arch::input.size(), "first layer must take the input");
    static_assert(Layer<kLayers - 1>::out.size() == static_cast<std::size_t>(Arch::classes),
                  "last layer must produce one value per class");
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return ((Layer<I>::out.size() == Layer<I + 1>::in.size()) && ...);
    }(std::make_index_sequence<kLayers - 1>{}), "each layer must take its predecessor's output");

    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return (tailor::Layer<Layer<I>> && ...);
    }(std::make_index_sequence<kLayers>{}), "every layer keeps the layer contract (layer.h)");
    static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
        return ((I == 0 || Layer<I>::computes_input_gradient) && ...);
    }(std::make_index_sequence<kLayers>{}), "a layer that computes no input gradient must come first");

    // Whether layer I's input gradient is needed: some layer before it has
    // parameters (mlp's first dense follows only a flatten).
    template <std::size_t I>
    static constexpr bool needs_input_gradient() {
        return []<std::size_t... J>(std::index_sequence<J...>) {
            return ((boost::pfr::tuple_size_v<typename Layer<J>::Params> > 0) || ...);
        }(std::make_index_sequence<I>{});
    }

    static constexpr uint64_t kInitStream = 1;

    // Layer I's first row in the summary: where its tensors are named, and
    // the index that keys its random stream.
    template <std::size_t I>
    static constexpr uint32_t first_row() {
        return []<std::size_t... J>(std::index_sequence<J...>) {
            return (0u + ... + static_cast<uint32_t>(Layer<J>::rows.size()));
        }(std::make_index_sequence<I>{});
    }

public:
    explicit Network(int max_batch) : max_batch_(max_batch), layers_(make_layers(max_batch)) {
        std::size_t total = 0;
        for_each_tensor(params_, [&](Tensor &t) { total += t.size(); });
        for (auto *arena : arenas()) arena->allocate(total);
        bind(params_, parameters_.values);
        bind(grads_, gradients_.values);
        for (auto *arena : arenas()) {
            for_each_tensor(params_, [&](Tensor &t) { arena->add_tensor(t.data - parameters_.values.data(), t.size()); });
        }
        for_each_layer([&]<std::size_t I>() {
            outputs_[I].assign(Layer<I>::out.size() * max_batch);
            input_gradients_[I].assign(needs_input_gradient<I>() ? Layer<I>::in.size() * max_batch : 0);
        });
        images_.assign(Arch::input.size() * max_batch);
        augmented_.assign(Arch::input.size() * max_batch);
        transforms_.assign(max_batch);
        labels_.assign(max_batch);
        probabilities_.assign(Arch::classes * max_batch);
        d_logits_.assign(Arch::classes * max_batch);
        losses_.assign(max_batch);
        training_totals_.assign(2);
        prediction_totals_.assign(2);
    }

    std::string name() const override { return Arch::name; }
    int input_size() const override { return static_cast<int>(Arch::input.size()); }
    int classes() const override { return Arch::classes; }
    int max_batch() const override { return max_batch_; }
    std::span<const float> parameters() override { return parameters_.read(); }
    std::span<const float> gradients() override { return gradients_.read(); }
    void set_parameters(std::span<const float> values) override {
        parameters_.write(values);
        parameters_changed_ = true;
    }

    void read_optimizer_state(std::vector<float> &m, std::vector<float> &v) override {
        const auto first = first_moments_.read(), second = second_moments_.read();
        m.assign(first.begin(), first.end());
        v.assign(second.begin(), second.end());
    }
    void set_optimizer_state(std::span<const float> m, std::span<const float> v) override {
        first_moments_.write(m);
        second_moments_.write(v);
    }

    // One kernel call per tensor, each on that tensor's own device arrays.
    void apply_adam(const AdamSettings &settings, uint64_t step) override {
        parameters_changed_ = true;
        const double step_size = adam_step_size(settings, step);
        for_each_tensor(params_, [&](Tensor &t) {
            const std::size_t offset = t.data - parameters_.values.data();
            adam_update(settings, step_size, t.data, gradients_.values.data() + offset,
                        first_moments_.values.data() + offset, second_moments_.values.data() + offset, t.size());
        });
    }

    std::vector<LayerSummary> summary() const override {
        std::vector<LayerSummary> rows;
        std::map<std::string, int> counts;  // Keras numbers layers per kind: conv2d_1, conv2d_2, ...
        for_each_layer([&]<std::size_t I>() {
            std::size_t parameters = 0;
            boost::pfr::for_each_field(std::get<I>(params_), [&](const Tensor &t) { parameters += t.size(); });
            for (const LayerRow &layer_row : Layer<I>::rows) {
                LayerSummary row;
                row.name = std::string(layer_row.keras_name) + "_" + std::to_string(++counts[layer_row.keras_name]);
                row.kind = layer_row.kind;
                row.relu = layer_row.relu;
                const Shape out = layer_row.out;
                row.output_shape =
                    out.flat() ? std::vector<int>{out.channels} : std::vector<int>{out.height, out.width, out.channels};
                row.parameters = &layer_row == &Layer<I>::rows.front() ? parameters : 0;
                rows.push_back(row);
            }
        });
        return rows;
    }

    std::vector<TensorInfo> tensors() const override {
        std::vector<TensorInfo> list;
        const auto rows = summary();
        for_each_layer([&]<std::size_t I>() {
            boost::pfr::for_each_field(std::get<I>(params_), [&](const Tensor &t) {
                list.push_back({rows[first_row<I>()].name + "/" + t.name, t.shape,
                                static_cast<std::size_t>(t.data - parameters_.values.data())});
            });
        });
        return list;
    }

    void set_training_options(const TrainingOptions &options) override { options_ = options; }

    void update_average(double decay) override {
        for_each_tensor(params_, [&](Tensor &t) {
            const std::size_t offset = t.data - parameters_.values.data();
            ema_update(averages_.values.data() + offset, t.data, t.size(), decay);
        });
    }
    std::span<const float> averaged_parameters() override { return averages_.read(); }
    void set_averaged_parameters(std::span<const float> values) override { averages_.write(values); }

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
        parameters_.host_changed();
        parameters_changed_ = true;
    }

    void train_step(const float *images, const int32_t *labels, const ImageTransform *transforms, int n,
                    uint32_t seed, uint32_t step) override {
        StepContext context{seed, step, 0};
        forward(images, labels, transforms, n, &context, training_totals_);
        const float *gradient = d_logits_.data();
        for_each_layer_reversed([&]<std::size_t I>() {
            context.layer_index = first_row<I>();
            float *d_input = needs_input_gradient<I>() ? input_gradients_[I].data() : nullptr;
            gradient = std::get<I>(layers_).backward(activations_[I], activations_[I + 1], gradient, d_input, n,
                                                     std::get<I>(params_), std::get<I>(grads_), context);
        });
    }

    BatchResult take_training_totals() override {
        const auto totals = training_totals_.read();
        const BatchResult result{totals[0], static_cast<int>(totals[1])};
        training_totals_.write(std::array{0.0f, 0.0f});
        return result;
    }

    BatchResult predict(const float *images, const int32_t *labels, const ImageTransform *transforms, int n,
                        float *probabilities) override {
        forward(images, labels, transforms, n, nullptr, prediction_totals_);
        const float *all = probabilities_.read().data();
        const auto losses = losses_.read();
        std::copy_n(all, static_cast<std::size_t>(n) * Arch::classes, probabilities);
        BatchResult result;
        if (!labels) return result;
        for (int i = 0; i < n; i++) {
            result.loss_sum += losses[i];
            const float *p = all + static_cast<std::size_t>(i) * Arch::classes;
            result.correct += static_cast<int>(std::max_element(p, p + Arch::classes) - p) == labels[i];
        }
        return result;
    }

private:
    // The layer contract's optional hook, for layers that derive state from
    // their parameters.
    void tell_layers_parameters_changed() {
        for_each_layer([&]<std::size_t I>() {
            auto &layer = std::get<I>(layers_);
            if constexpr (requires { layer.parameters_changed(); }) layer.parameters_changed();
        });
        parameters_changed_ = false;
    }

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

    static void bind(ParamsTuple &params, KernelMemory<float> &values) {
        std::size_t offset = 0;
        for_each_tensor(params, [&](Tensor &t) {
            t.data = values.data() + offset;
            offset += t.size();
        });
    }

    // A flat array over every parameter tensor (the checkpoint's order) whose
    // tensors are each their own device array, as each kernel sees one.
    struct TensorArena {
        // Contiguous, as checkpoints store it: a tensor is aligned when the
        // sizes before it are multiples of 16 floats, as all are in cnn3.
        KernelMemory<float> values;
        std::vector<std::unique_ptr<DeviceArray>> tensors;

        void allocate(std::size_t size) { values.assign(size, 0.0f); }
        void add_tensor(std::size_t offset, std::size_t size) {
            tensors.push_back(std::make_unique<DeviceArray>(values.data() + offset, size * sizeof(float)));
        }
        std::span<const float> read() {
            for (auto &t : tensors) t->sync_to_host();
            return values;
        }
        void host_changed() {
            for (auto &t : tensors) t->host_changed();
        }
        void write(std::span<const float> from) {
            if (from.size() != values.size()) throw Error("parameter array of the wrong size");
            std::copy(from.begin(), from.end(), values.begin());
            host_changed();
        }
    };

    // Runs the augment kernel (with transforms), every layer (in training
    // mode when `training` is given), then softmax + cross-entropy (and its
    // gradient, which train_step consumes), adding the batch's loss and
    // correct count to `totals`. Without labels (pure inference) the kernel
    // reads a row of zeros and only the probabilities are used.
    void forward(const float *images, const int32_t *labels, const ImageTransform *transforms, int n,
                 StepContext *training, DeviceVector<float> &totals) {
        if (n < 1 || n > max_batch_) {
            throw Error("a batch of " + std::to_string(n) + " images for a network sized for " +
                        std::to_string(max_batch_));
        }
        std::copy_n(images, static_cast<std::size_t>(n) * Arch::input.size(), images_.data());
        images_.host_changed();
        if (labels) {
            std::copy_n(labels, n, labels_.data());
        } else {
            std::fill_n(labels_.data(), n, 0);
        }
        labels_.host_changed();
        activations_[0] = transforms ? augment(transforms, n) : images_.data();
        if (parameters_changed_) tell_layers_parameters_changed();
        for_each_layer([&]<std::size_t I>() {
            auto &layer = std::get<I>(layers_);
            const float *x = activations_[I];
            float *y = outputs_[I].data();
            if (training) {
                training->layer_index = first_row<I>();
                activations_[I + 1] = layer.forward_train(x, y, n, std::get<I>(params_), *training);
            } else {
                activations_[I + 1] = layer.forward(x, y, n, std::get<I>(params_));
            }
        });
        auto totals_view = view(totals.data(), 2);
        const float smoothing = training ? options_.label_smoothing : 0.0f;
        check_kernel(Loss::Kernels::forward_backward(view(activations_[kLayers], Arch::classes, n),
                                                     view(labels_.data(), n), 1.0f / static_cast<float>(n),
                                                     smoothing, totals_view,
                                                     view(probabilities_.data(), Arch::classes, n),
                                                     view(losses_.data(), n), view(d_logits_.data(), Arch::classes, n),
                                                     totals_view),
                     "softmax_cross_entropy");
    }

    const float *augment(const ImageTransform *transforms, int n) {
        std::copy_n(transforms, n, transforms_.data());
        transforms_.host_changed();
        constexpr Shape in = Arch::input;
        auto images = view(images_.data(), in.channels, in.width, in.height, n);
        auto moved = view(augmented_.data(), in.channels, in.width, in.height, n);
        const auto *transform_values = reinterpret_cast<const int32_t *>(transforms_.data());
        check_kernel(Arch::Augment::augment(images, view(transform_values, 6, n), options_.erase_size, moved),
                     "augment");
        return augmented_.data();
    }

    std::array<TensorArena *, 5> arenas() {
        return {&parameters_, &gradients_, &first_moments_, &second_moments_, &averages_};
    }

    static Layers make_layers(int max_batch) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) { return Layers{Layer<I>(max_batch)...}; }(
            std::make_index_sequence<kLayers>{});
    }

    int max_batch_;
    Layers layers_;
    ParamsTuple params_, grads_;
    TensorArena parameters_, gradients_, first_moments_, second_moments_, averages_;
    TrainingOptions options_;
    std::array<DeviceVector<float>, kLayers> outputs_, input_gradients_;
    std::array<const float *, kLayers + 1> activations_{};
    DeviceVector<float> images_, augmented_, probabilities_, d_logits_, losses_;
    DeviceVector<ImageTransform> transforms_;
    DeviceVector<int32_t> labels_;
    // The loss kernel's running (loss, correct) sums: training reads its own
    // every few steps; predictions' are never read, since predict sums on the
    // host from the probabilities it copies back anyway.
    DeviceVector<float> training_totals_, prediction_totals_;
    bool parameters_changed_ = true;  // since the layers were last told
};

}  // namespace tailor
