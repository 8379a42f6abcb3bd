// softmax_cross_entropy: softmax over classes fused with the sparse
// categorical cross-entropy loss and its gradient.
//
//   softmax_cross_entropy  logits (k,n), labels (n), scale ->
//                          probabilities (k,n), loss (n), d_logits (k,n)
//
// Stable: the row maximum is subtracted before exp, and the loss is
// log(sum exp(l - max)) + max - l[label], never log of a rounded probability.
// d_logits = (probabilities - onehot(label)) * scale, where the runtime passes
// scale = 1/batch so the gradient is that of the batch's mean loss.
#include "layout.h"

using namespace Halide;

namespace {

class SoftmaxCrossEntropy : public Generator<SoftmaxCrossEntropy> {
public:
    GeneratorParam<int> classes{"classes", 10};

    Input<Buffer<float>> logits{"logits", 2};
    Input<Buffer<int32_t>> labels{"labels", 1};
    Input<float> scale{"scale"};
    Output<Buffer<float>> probabilities{"probabilities", 2};
    Output<Buffer<float>> loss{"loss", 1};
    Output<Buffer<float>> d_logits{"d_logits", 2};

    void generate() {
        RDom r(0, classes, "r");
        row_max(n) = maximum(logits(r, n));
        exponentials(k, n) = exp(logits(k, n) - row_max(n));
        row_sum(n) = sum(exponentials(r, n));
        probabilities(k, n) = exponentials(k, n) / row_sum(n);
        Expr label = clamp(labels(n), 0, classes - 1);
        loss(n) = log(row_sum(n)) + row_max(n) - logits(label, n);
        d_logits(k, n) = (probabilities(k, n) - select(k == labels(n), 1.0f, 0.0f)) * scale;

        tailor::require_dense(logits, {classes, 0});
        tailor::require_dense(labels, {0});
        tailor::require_dense(probabilities, {classes, 0});
        tailor::require_dense(loss, {0});
        tailor::require_dense(d_logits, {classes, 0});
    }

    void schedule() {
        if (get_auto_schedule()) return;
        // Ten classes per sample is too little work to split; samples go in
        // parallel blocks, each computing its row statistics once.
        Var no("no"), ni("ni");
        for (Func f : {Func(probabilities), Func(loss), Func(d_logits)}) {
            f.compute_root().split(n, no, ni, 64, TailStrategy::GuardWithIf).parallel(no);
        }
        row_max.compute_root();
        exponentials.compute_root();
        row_sum.compute_root();
    }

private:
    Var k{"k"}, n{"n"};
    Func row_max{"row_max"}, exponentials{"exponentials"}, row_sum{"row_sum"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(SoftmaxCrossEntropy, softmax_cross_entropy)
