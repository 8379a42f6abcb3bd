#include "tailor/train/evaluate.h"

#include "tailor/util/atomic_file.h"
#include "tailor/data/batches.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

namespace tailor {

std::vector<std::string> class_names() { return {std::begin(kClassNames), std::end(kClassNames)}; }

namespace {

// Buffers of test-time augmentation, sized once for the model's batch.
struct TtaScratch {
    std::vector<float> one;
    std::vector<double> sum;
    std::vector<ImageTransform> transforms;
};

// One batch's probabilities into `probabilities`; returns its summed loss.
// With test-time transforms, the mean of the probabilities over them, and
// the cross-entropy of that mean.
double predict_batch(Model &model, const float *images, const int32_t *labels, int n,
                     const std::vector<ImageTransform> &tta, TtaScratch &scratch, float *probabilities) {
    if (tta.empty()) return model.predict(images, labels, nullptr, n, probabilities).loss_sum;
    const int classes = model.classes();
    const std::size_t size = static_cast<std::size_t>(n) * classes;
    std::vector<float> &one = scratch.one;
    std::vector<double> &sum = scratch.sum;
    std::fill_n(sum.begin(), size, 0.0);
    for (const ImageTransform &transform : tta) {
        std::fill_n(scratch.transforms.begin(), n, transform);
        model.predict(images, labels, scratch.transforms.data(), n, one.data());
        for (std::size_t i = 0; i < size; i++) sum[i] += one[i];
    }
    double loss_sum = 0;
    for (int s = 0; s < n; s++) {
        for (int c = 0; c < classes; c++) {
            const std::size_t i = static_cast<std::size_t>(s) * classes + c;
            probabilities[i] = static_cast<float>(sum[i] / tta.size());
        }
        loss_sum -= std::log(std::max(probabilities[static_cast<std::size_t>(s) * classes + labels[s]], 1e-30f));
    }
    return loss_sum;
}

}  // namespace

Evaluation evaluate(Model &model, const Dataset &data, std::vector<uint32_t> indices,
                    const std::vector<ImageTransform> &tta) {
    Evaluation result;
    if (indices.empty()) {
        indices.resize(data.size());
        std::iota(indices.begin(), indices.end(), 0u);
    }
    const int classes = model.classes(), batch = model.max_batch();
    std::vector<float> images(static_cast<std::size_t>(batch) * model.input_size());
    std::vector<int32_t> labels(batch);
    result.probabilities.resize(indices.size() * classes);
    result.predicted.resize(indices.size());
    result.truth.resize(indices.size());
    double loss_sum = 0;
    TtaScratch scratch{std::vector<float>(static_cast<std::size_t>(batch) * classes),
                       std::vector<double>(static_cast<std::size_t>(batch) * classes),
                       std::vector<ImageTransform>(batch)};
    for (std::size_t start = 0; start < indices.size(); start += batch) {
        const int n = static_cast<int>(std::min<std::size_t>(batch, indices.size() - start));
        fill_batch(data, indices.data() + start, n, images.data(), labels.data());
        float *probabilities = result.probabilities.data() + start * classes;
        loss_sum += predict_batch(model, images.data(), labels.data(), n, tta, scratch, probabilities);
        for (int i = 0; i < n; i++) {
            const float *p = probabilities + static_cast<std::size_t>(i) * classes;
            const int predicted = static_cast<int>(std::max_element(p, p + classes) - p);
            result.truth[start + i] = labels[i];
            result.predicted[start + i] = predicted;
            result.matrix.add(labels[i], predicted);
        }
    }
    result.loss = indices.empty() ? 0.0 : loss_sum / indices.size();
    result.indices = std::move(indices);
    return result;
}

namespace {

std::string predictions_csv(const Evaluation &e) {
    std::string out = "index,true,predicted";
    for (int c = 0; c < kClasses; c++) out += ",p" + std::to_string(c);
    out += "\n";
    char field[32];
    for (std::size_t i = 0; i < e.indices.size(); i++) {
        out += std::to_string(e.indices[i]) + "," + std::to_string(e.truth[i]) + "," + std::to_string(e.predicted[i]);
        for (int c = 0; c < kClasses; c++) {
            std::snprintf(field, sizeof field, ",%.6g", e.probabilities[i * kClasses + c]);
            out += field;
        }
        out += "\n";
    }
    return out;
}

nlohmann::json summary_json(const Evaluation &e) {
    return {{"images", e.matrix.total()},     {"correct", e.matrix.correct()},
            {"incorrect", e.matrix.total() - e.matrix.correct()},
            {"accuracy", e.matrix.accuracy()}, {"loss", e.loss}};
}

std::string summary_line(const char *name, const Evaluation &e) {
    char line[160];
    std::snprintf(line, sizeof line, "%-5s accuracy %.4f  loss %.4f  correct %ld  incorrect %ld  (of %ld images)\n",
                  name, e.matrix.accuracy(), e.loss, e.matrix.correct(), e.matrix.total() - e.matrix.correct(),
                  e.matrix.total());
    return line;
}

}  // namespace

void report_evaluation(const std::string &directory, const Evaluation &train, const Evaluation &test,
                       std::ostream &out) {
    const auto names = class_names();
    const ClassificationReport report = classification_report(test.matrix, names);
    std::string text = summary_line("train", train) + summary_line("test", test);
    text += "\nConfusion matrix (test set; rows: true class, columns: predicted class)\n";
    text += format_confusion_matrix(test.matrix, names);
    text += "\nClassification report (test set)\n";
    text += format_classification_report(report);
    out << text << std::flush;

    const std::filesystem::path dir(directory);
    const nlohmann::json json = {{"train", summary_json(train)}, {"test", summary_json(test)}};
    write_files_atomically({{(dir / "evaluation.txt").string(), text},
                            {(dir / "confusion_matrix.csv").string(), confusion_matrix_csv(test.matrix, names)},
                            {(dir / "classification_report.csv").string(), classification_report_csv(report)},
                            {(dir / "predictions.csv").string(), predictions_csv(test)},
                            {(dir / "evaluation.json").string(), json.dump(2) + "\n"}});
}

}  // namespace tailor
