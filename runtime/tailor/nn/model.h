// The architecture-independent face of a network: what the trainer, the
// evaluator and the checkpoint code need, behind a virtual interface so they
// are compiled once, not once per architecture.
#pragma once

#include "tailor/nn/augment.h"
#include "tailor/nn/optimizer.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tailor {

// One row of the Keras-style summary.
struct LayerSummary {
    std::string name;   // e.g. "conv2d_1"
    std::string kind;   // e.g. "Conv2D"
    std::vector<int> output_shape;  // Keras order (height, width, channels), batch left out
    std::size_t parameters = 0;
    bool relu = false;  // followed by a ReLU (Keras's activation="relu")
};

// A trainable tensor's place in the flat parameter array.
struct TensorInfo {
    std::string name;  // e.g. "conv2d_1/weights"
    std::vector<int> shape;
    std::size_t offset = 0;
};

// The result of a forward pass over a batch.
struct BatchResult {
    double loss_sum = 0;  // summed over the batch's samples
    int correct = 0;
};

// What a training step does besides the declared layers.
struct TrainingOptions {
    float label_smoothing = 0;  // of the loss's targets (training only)
    int erase_size = 0;         // the side of the square an ImageTransform erases
};

class Model {
public:
    virtual ~Model() = default;

    virtual std::string name() const = 0;
    virtual int input_size() const = 0;  // floats per image
    virtual int classes() const = 0;
    virtual int max_batch() const = 0;
    virtual std::vector<LayerSummary> summary() const = 0;
    virtual std::vector<TensorInfo> tensors() const = 0;

    // All parameters and their gradients, each one flat array (brought back
    // from the device first in a GPU build).
    virtual std::span<const float> parameters() = 0;
    virtual std::span<const float> gradients() = 0;
    virtual void set_parameters(std::span<const float> values) = 0;

    // Adam's moment estimates, flat like the parameters (zero at first).
    virtual void read_optimizer_state(std::vector<float> &m, std::vector<float> &v) = 0;
    virtual void set_optimizer_state(std::span<const float> m, std::span<const float> v) = 0;
    // Applies Adam update number `step` (from 1) with the current gradients.
    virtual void apply_adam(const AdamSettings &settings, uint64_t step) = 0;

    // Overrides the declared rate of every dropout layer and deviation of
    // every Gaussian noise layer; a negative value keeps the declaration's.
    virtual void set_regularization(double dropout_rate, double noise_stddev) = 0;

    virtual void set_training_options(const TrainingOptions &options) = 0;

    // Glorot-uniform weights and zero biases, from `seed`.
    virtual void initialize(uint64_t seed) = 0;

    // Forward pass in training mode and backward pass: fills gradients()
    // with the gradient of the batch's mean loss, and adds the batch's loss
    // and correct count to running totals kept beside the network. With
    // transforms (one per image), the augment kernel moves the images first.
    virtual void train_step(const float *images, const int32_t *labels, const ImageTransform *transforms, int n,
                            uint32_t seed, uint32_t step) = 0;
    // The totals since the last call (reading them is the only copy back from
    // the device a GPU run makes while training), and starts them again.
    virtual BatchResult take_training_totals() = 0;

    // Forward pass in inference mode (no dropout), of the images as given or,
    // with transforms, as the augment kernel moves them. Writes n x classes
    // probabilities; labels may be null, then loss and correct are 0.
    virtual BatchResult predict(const float *images, const int32_t *labels, const ImageTransform *transforms, int n,
                                float *probabilities) = 0;

    // The exponential moving average of the parameters, flat like them:
    // average = decay * average + (1 - decay) * parameters.
    virtual void update_average(double decay) = 0;
    virtual std::span<const float> averaged_parameters() = 0;
    virtual void set_averaged_parameters(std::span<const float> values) = 0;
};

std::unique_ptr<Model> make_model(const std::string &architecture, int max_batch);

// The batch to size a network for when it will see at most `images` at a
// time: `batch`, or fewer for less data, rounded up to a multiple of 256.
// The rounding keeps an evaluation bit for bit the one in chunks of `batch`
// (the kernels tile and vectorize over a chunk's images: in chunks of a
// multiple of 256 each image has the place it has in chunks of `batch`, as
// in `evaluate`'s default chunks; in chunks of 46, some probabilities
// differ in their last digits).
int network_batch(int64_t batch, std::size_t images);
std::vector<std::string> architecture_names();

}  // namespace tailor
