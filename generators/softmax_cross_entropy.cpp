// softmax_cross_entropy: softmax over classes fused with the sparse
// categorical cross-entropy loss and its gradient.
//
//   softmax_cross_entropy  logits (k,n), labels (n), scale, smoothing, totals (2) ->
//                          probabilities (k,n), loss (n), d_logits (k,n), new_totals (2)
//
// Label smoothing: the target is q = (1 - smoothing) onehot(label) +
// smoothing / classes (smoothing 0: the plain sparse cross-entropy, bit for
// bit). Stable: the row maximum is subtracted before exp, and the loss is
// log(sum exp(l - max)) + max - sum_k q_k l_k, never log of a rounded
// probability. d_logits = (probabilities - q) * scale, where the runtime
// passes scale = 1/batch so the gradient is that of the batch's mean loss.
// new_totals = totals + (summed loss, correct predictions) over the batch: the
// trainer passes one array as both, so a GPU run keeps its running metrics on
// the device and reads them back only now and then. A prediction is the first
// class of highest probability, as the host's std::max_element picks it.
#include "layout.h"

using namespace Halide;

namespace {

class SoftmaxCrossEntropy : public Generator<SoftmaxCrossEntropy> {
public:
    GeneratorParam<int> classes{"classes", 10};

    Input<Buffer<float>> logits{"logits", 2};
    Input<Buffer<int32_t>> labels{"labels", 1};
    Input<float> scale{"scale"};
    Input<float> smoothing{"smoothing"};
    Input<Buffer<float>> totals{"totals", 1};
    Output<Buffer<float>> probabilities{"probabilities", 2};
    Output<Buffer<float>> loss{"loss", 1};
    Output<Buffer<float>> d_logits{"d_logits", 2};
    Output<Buffer<float>> new_totals{"new_totals", 1};

    void generate() {
        RDom r(0, classes, "r");
        row_max(n) = maximum(logits(r, n));
        exponentials(k, n) = exp(logits(k, n) - row_max(n));
        row_sum(n) = sum(exponentials(r, n));
        probabilities(k, n) = exponentials(k, n) / row_sum(n);
        Expr label = clamp(labels(n), 0, classes - 1);
        Expr spread = smoothing / classes;
        logit_sum(n) = sum(logits(r, n));
        loss(n) = log(row_sum(n)) + row_max(n) - ((1.0f - smoothing) * logits(label, n) + spread * logit_sum(n));
        d_logits(k, n) = (probabilities(k, n) - select(k == labels(n), 1.0f - smoothing + spread, spread)) * scale;
        predicted(n) = argmax(probabilities(r, n))[0];
        RDom b(0, logits.dim(1).extent(), "b");
        Expr correct = select(predicted(b) == labels(b), 1.0f, 0.0f);
        new_totals(t) = totals(t) + select(t == 0, sum(loss(b)), sum(correct));

        tailor::require_dense(logits, {classes, 0});
        tailor::require_dense(labels, {0});
        tailor::require_dense(probabilities, {classes, 0});
        tailor::require_dense(loss, {0});
        tailor::require_dense(d_logits, {classes, 0});
        tailor::require_dense(totals, {2}, false);
        tailor::require_dense(new_totals, {2}, false);
    }

    void schedule() {
        if (get_auto_schedule()) return;
        if (get_target().has_gpu_feature()) {
            // A thread per sample for the row statistics, one per element
            // for the outputs; exp is recomputed rather than stored.
            row_max.compute_root();
            row_sum.compute_root();
            logit_sum.compute_root();
            for (Func f : {row_max, row_sum, logit_sum, Func(loss)}) tailor::gpu_tile_1d(f, n, tailor::kEstimatedBatch);
            tailor::gpu_tile_1d(new_totals, t, 2);
            for (Func f : {Func(probabilities), Func(d_logits)}) tailor::gpu_tile_2d(f, k, n, classes);
            return;
        }
        // Ten classes per sample is too little work to split; samples go in
        // parallel blocks, each computing its row statistics once.
        Var no("no"), ni("ni");
        for (Func f : {Func(probabilities), Func(loss), Func(d_logits)}) {
            f.compute_root().split(n, no, ni, 64, TailStrategy::GuardWithIf).parallel(no);
        }
        row_max.compute_root();
        exponentials.compute_root();
        row_sum.compute_root();
        logit_sum.compute_root();
    }

private:
    Var k{"k"}, n{"n"}, t{"t"};
    Func row_max{"row_max"}, exponentials{"exponentials"}, row_sum{"row_sum"}, logit_sum{"logit_sum"};
    Func predicted{"predicted"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(SoftmaxCrossEntropy, softmax_cross_entropy)
