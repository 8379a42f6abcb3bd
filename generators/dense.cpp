// dense: fully connected layer with bias and optional fused ReLU.
// Layout: activations (feature, batch), weights (out, in): Keras's kernel
// shape (in, out) in memory order.
//
//   dense_forward           input (in,n), weights (out,in), bias (out) -> output (out,n)
//   dense_slice_weights     weights (out,in) -> sliced (S,in,out/S), S = kDenseSlice
//   dense_forward_sliced    input (in,n), sliced, bias (S,out/S) -> output (S,out/S,n), for n < kSmallBatch
//   dense_backward_data     weights, output, d_output -> d_input (in,n)
//   dense_backward_weights  input, output, d_output   -> d_weights (out,in), d_bias (out)
#include "layout.h"
#include "schedule_choices.h"

using namespace Halide;

namespace {

// Samples per register tile in the forward and backward-data passes, by hand.
constexpr int kBatchTile = 4;
// The most samples a tuned tile may hold.
constexpr int kMostBatchTile = 16;

template <typename Self>
class DenseBase : public Generator<Self> {
public:
    GeneratorParam<int> inputs{"inputs", 1152};
    GeneratorParam<int> outputs{"outputs", 128};
    GeneratorParam<bool> relu{"relu", true};
    // Tuned schedule choices per target (schedule_choices.h); empty: by hand.
    GeneratorParam<std::string> schedule{"schedule", ""};

protected:
    int natural_vector() const { return this->get_target().template natural_vector_size<float>(); }
    tailor::ScheduleChoices schedule_choices() const {
        return tailor::ScheduleChoices(schedule.value(), this->get_target());
    }

    // d_output masked by ReLU's derivative, read from the saved output.
    template <typename OutputBuffer, typename GradBuffer>
    void define_pre_activation_gradient(Func &dz, OutputBuffer &output, GradBuffer &d_output) {
        Var j("j"), n("n");
        if (relu) {
            dz(j, n) = select(output(j, n) > 0.0f, d_output(j, n), 0.0f);
        } else {
            dz(j, n) = d_output(j, n);
        }
    }
};

class DenseForward : public DenseBase<DenseForward> {
public:
    Input<Buffer<float>> input{"input", 2};
    Input<Buffer<float>> weights{"weights", 2};
    Input<Buffer<float>> bias{"bias", 1};
    Output<Buffer<float>> output{"output", 2};

    void generate() {
        r = RDom(0, inputs, "r");
        sum(j, n) = bias(j);
        sum(j, n) += weights(j, r) * input(r, n);
        output(j, n) = relu ? max(sum(j, n), 0.0f) : sum(j, n);
        tailor::require_dense(input, {inputs, 0});
        tailor::require_dense(weights, {outputs, inputs}, false);
        tailor::require_dense(bias, {outputs}, false);
        tailor::require_dense(output, {outputs, 0});
    }

    // Choices: tile_vectors and batch_tile of the register tile;
    // image_tile_vectors, its vectors below batch_tile images (tuned at batch 1
    // for a layer without slices, which runs this kernel on one image).
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            sum.compute_at(output, tailor::gpu_tile_2d(output, j, n, outputs, &choices));
            choices.check_all_used();
            return;
        }
        // Register tile: output-feature vectors times a few batch columns.
        const int vec = std::min<int>(natural_vector(), outputs);
        const int tile_vectors =
            choices.count("tile_vectors", tailor::register_tile_vectors(get_target()), outputs / vec);
        const int j_tile = tailor::vector_tile(outputs, vec, tile_vectors);
        const int image_j_tile =
            tailor::vector_tile(outputs, vec, choices.count("image_tile_vectors", tile_vectors, outputs / vec));
        const int batch_tile = choices.count("batch_tile", kBatchTile, kMostBatchTile);
        Var jo("jo"), ji("ji"), no("no"), ni("ni");
        // Batches of at least a tile get a register tile across samples;
        // smaller ones one sample at a time, its blocks of outputs in
        // parallel.
        output.specialize(output.dim(1).extent() >= batch_tile)
            .split(j, jo, ji, j_tile, TailStrategy::ShiftInwards)
            .vectorize(ji, vec)
            .split(n, no, ni, batch_tile, TailStrategy::ShiftInwards)
            .reorder(ji, ni, jo, no)
            .parallel(no);
        output.split(j, jo, ji, image_j_tile, TailStrategy::ShiftInwards)
            .vectorize(ji, vec)
            .reorder(ji, jo, n)
            .parallel(jo);
        sum.compute_at(output, jo).vectorize(j, vec).unroll(j);
        sum.update().reorder(j, n, r).vectorize(j, vec).unroll(j).unroll(n);
        choices.check_all_used();
    }

private:
    Var j{"j"}, n{"n"};
    RDom r;
    Func sum{"sum"};
};

// The weights as the small-batch forward pass reads them: slices of
// kDenseSlice outputs, each slice's (S,in) weights contiguous. Split by
// outputs over the cores, the (out,in) layout has every task read a part of
// every row, and the prefetcher brings each core the rest of the rows too.
class DenseSliceWeights : public DenseBase<DenseSliceWeights> {
public:
    Input<Buffer<float>> weights{"weights", 2};
    Output<Buffer<float>> sliced{"sliced", 3};

    void generate() {
        if (!tailor::has_slices(outputs)) throw CompileError("dense_slice_weights: outputs must be several whole slices");
        sliced(i, k, s) = weights(s * tailor::kDenseSlice + i, k);
        tailor::require_dense(weights, {outputs, inputs}, false);
        tailor::require_dense(sliced, {tailor::kDenseSlice, inputs, outputs / tailor::kDenseSlice}, false);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            Var slice_inputs("slice_inputs");  // one launch for all the slices
            tailor::gpu_tile_2d(sliced.fuse(k, s, slice_inputs), i, slice_inputs, tailor::kDenseSlice);
            return;
        }
        sliced.vectorize(i, std::min(natural_vector(), tailor::kDenseSlice)).parallel(s);
    }

private:
    Var i{"i"}, k{"k"}, s{"s"};
};

// dense_forward's sums over the sliced weights, for batches below
// kSmallBatch: each task owns whole slices, and each output the same sum in
// the same order as dense_forward's. The bias and output are seen as
// (S,out/S) and (S,out/S,n), their memory unchanged.
class DenseForwardSliced : public DenseBase<DenseForwardSliced> {
public:
    Input<Buffer<float>> input{"input", 2};
    Input<Buffer<float>> sliced{"sliced", 3};
    Input<Buffer<float>> bias{"bias", 2};
    Output<Buffer<float>> output{"output", 3};

    void generate() {
        if (!tailor::has_slices(outputs)) throw CompileError("dense_forward_sliced: outputs must be several whole slices");
        r = RDom(0, inputs, "r");
        sum(i, s, n) = bias(i, s);
        sum(i, s, n) += sliced(i, r, s) * input(r, n);
        output(i, s, n) = relu ? max(sum(i, s, n), 0.0f) : sum(i, s, n);
        const int slices = outputs / tailor::kDenseSlice;
        tailor::require_dense(input, {inputs, 0});
        tailor::require_dense(sliced, {tailor::kDenseSlice, inputs, slices}, false);
        tailor::require_dense(bias, {tailor::kDenseSlice, slices}, false);
        tailor::require_dense(output, {tailor::kDenseSlice, slices, 0});
    }

    // Choices: task_slices, the slices of one task's register tile (tuned at
    // batch 1).
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        const int slices = outputs / tailor::kDenseSlice;
        Var so("so"), si("si"), tasks("tasks");
        if (get_target().has_gpu_feature()) {
            output.fuse(s, n, tasks);
            sum.compute_at(output, tailor::gpu_tile_2d(output, i, tasks, tailor::kDenseSlice, &choices));
            choices.check_all_used();
            return;
        }
        // By hand, dense_forward's register tile of outputs, in whole slices.
        const int vec = std::min(natural_vector(), tailor::kDenseSlice);
        const int hand_slices = std::max(1, tailor::register_tile_vectors(get_target()) * vec / tailor::kDenseSlice);
        const int task_slices = choices.count("task_slices", hand_slices, slices);
        output.split(s, so, si, task_slices, TailStrategy::ShiftInwards)
            .reorder(i, si, so, n)
            .fuse(so, n, tasks)
            .parallel(tasks)
            .vectorize(i, vec)
            .unroll(i)
            .unroll(si);
        sum.compute_at(output, tasks).vectorize(i, vec).unroll(i).unroll(s);
        sum.update().reorder(i, s, n, r).vectorize(i, vec).unroll(i).unroll(s);
        choices.check_all_used();
    }

private:
    Var i{"i"}, s{"s"}, n{"n"};
    RDom r;
    Func sum{"sum"};
};

class DenseBackwardData : public DenseBase<DenseBackwardData> {
public:
    Input<Buffer<float>> weights{"weights", 2};
    Input<Buffer<float>> output{"output", 2};
    Input<Buffer<float>> d_output{"d_output", 2};
    Output<Buffer<float>> d_input{"d_input", 2};

    void generate() {
        define_pre_activation_gradient(dz, output, d_output);
        weights_t(k, j) = weights(j, k);  // inputs innermost, so they vectorize
        r = RDom(0, outputs, "r");
        sum(k, n) = 0.0f;
        sum(k, n) += weights_t(k, r) * dz(r, n);
        d_input(k, n) = sum(k, n);
        tailor::require_dense(weights, {outputs, inputs}, false);
        tailor::require_dense(output, {outputs, 0});
        tailor::require_dense(d_output, {outputs, 0});
        tailor::require_dense(d_input, {inputs, 0});
    }

    // Choices: tile_vectors and batch_tile of the register tile.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            sum.compute_at(d_input, tailor::gpu_tile_2d(d_input, k, n, inputs, &choices));
            choices.check_all_used();
            return;
        }
        const int vec = std::min<int>(natural_vector(), inputs);
        const int k_tile = tailor::vector_tile(
            inputs, vec, choices.count("tile_vectors", tailor::register_tile_vectors(get_target()), inputs / vec));
        const int batch_tile = choices.count("batch_tile", kBatchTile, kMostBatchTile);
        // Each task owns a slab of inputs: it transposes the slab's weights
        // once, into its cache, and runs every sample's tiles over it.
        Var ko("ko"), ki("ki"), no("no"), ni("ni");
        d_input.split(k, ko, ki, k_tile, TailStrategy::ShiftInwards).vectorize(ki, vec);
        d_input.specialize(d_input.dim(1).extent() >= batch_tile)
            .split(n, no, ni, batch_tile, TailStrategy::ShiftInwards)
            .reorder(ki, ni, no, ko)
            .parallel(ko);
        d_input.split(n, no, ni, 1).reorder(ki, ni, no, ko).parallel(ko);
        weights_t.compute_at(d_input, ko).vectorize(k, vec);
        dz.compute_root();
        sum.compute_at(d_input, no).vectorize(k, vec).unroll(k);
        sum.update().reorder(k, n, r).vectorize(k, vec).unroll(k).unroll(n);
        choices.check_all_used();
    }

private:
    Var k{"k"}, j{"j"}, n{"n"};
    RDom r;
    Func dz{"dz"}, weights_t{"weights_t"}, sum{"sum"};
};

class DenseBackwardWeights : public DenseBase<DenseBackwardWeights> {
public:
    Input<Buffer<float>> input{"input", 2};
    Input<Buffer<float>> output{"output", 2};
    Input<Buffer<float>> d_output{"d_output", 2};
    Output<Buffer<float>> d_weights{"d_weights", 2};
    Output<Buffer<float>> d_bias{"d_bias", 1};

    void generate() {
        define_pre_activation_gradient(dz, output, d_output);
        r = RDom(0, input.dim(1).extent(), "r");
        sum(j, k) = 0.0f;
        sum(j, k) += dz(j, r) * input(k, r);
        d_weights(j, k) = sum(j, k);
        bias_sum(j) = 0.0f;
        bias_sum(j) += dz(j, r);
        d_bias(j) = bias_sum(j);
        tailor::require_dense(input, {inputs, 0});
        tailor::require_dense(output, {outputs, 0});
        tailor::require_dense(d_output, {outputs, 0});
        tailor::require_dense(d_weights, {outputs, inputs}, false);
        tailor::require_dense(d_bias, {outputs}, false);
    }

    // Choices: tile_vectors and tile_inputs of the register tile.
    void schedule() {
        if (get_auto_schedule()) return;
        tailor::ScheduleChoices choices = schedule_choices();
        if (get_target().has_gpu_feature()) {
            // One thread per weight and per bias, each summing the batch.
            sum.compute_at(d_weights, tailor::gpu_tile_2d(d_weights, j, k, outputs, &choices));
            bias_sum.compute_at(d_bias, tailor::gpu_tile_1d(d_bias, j, outputs));
            choices.check_all_used();
            return;
        }
        // Tasks own whole output elements: a fixed summation order per run.
        const int vec = std::min<int>(natural_vector(), outputs);
        const int j_tile = tailor::vector_tile(
            outputs, vec, choices.count("tile_vectors", tailor::register_tile_vectors(get_target()), outputs / vec));
        const int k_tile = choices.count("tile_inputs", std::min<int>(inputs, 4), inputs);
        Var jo("jo"), ji("ji"), ko("ko"), ki("ki");
        dz.compute_root().vectorize(Var("j"), vec);
        d_weights.split(j, jo, ji, j_tile, TailStrategy::ShiftInwards)
            .split(k, ko, ki, k_tile, TailStrategy::ShiftInwards)
            .reorder(ji, ki, jo, ko)
            .parallel(ko)
            .vectorize(ji, vec)
            .unroll(ki);
        sum.compute_at(d_weights, jo).vectorize(j, vec).unroll(j).unroll(k);
        sum.update().reorder(j, k, r).vectorize(j, vec).unroll(j).unroll(k);
        bias_sum.compute_at(d_bias, Var::outermost()).vectorize(j, vec);
        bias_sum.update().vectorize(j, vec);
        d_bias.vectorize(j, vec);
        choices.check_all_used();
    }

private:
    Var j{"j"}, k{"k"};
    RDom r;
    Func dz{"dz"}, sum{"sum"}, bias_sum{"bias_sum"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(DenseForward, dense_forward)
HALIDE_REGISTER_GENERATOR(DenseSliceWeights, dense_slice_weights)
HALIDE_REGISTER_GENERATOR(DenseForwardSliced, dense_forward_sliced)
HALIDE_REGISTER_GENERATOR(DenseBackwardData, dense_backward_data)
HALIDE_REGISTER_GENERATOR(DenseBackwardWeights, dense_backward_weights)
