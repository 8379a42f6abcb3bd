// Running a model over a data set in inference mode, and writing what the
// report shows of it: accuracy, correct/incorrect counts, the confusion
// matrix, the classification report and per-image predictions.
#pragma once

#include "tailor/data/dataset.h"
#include "tailor/metrics/metrics.h"
#include "tailor/nn/model.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tailor {

struct Evaluation {
    ConfusionMatrix matrix{kClasses};
    double loss = 0;                  // mean cross-entropy
    std::vector<uint32_t> indices;    // which images, in order
    std::vector<int> truth;
    std::vector<int> predicted;
    std::vector<float> probabilities;  // classes per image
};

// Evaluates the images at `indices` (all of them when empty). With `tta`,
// each image's probabilities are the mean over those transforms of it.
Evaluation evaluate(Model &model, const Dataset &data, std::vector<uint32_t> indices = {},
                    const std::vector<ImageTransform> &tta = {});

// Prints the evaluation summary and writes, into `directory`:
// evaluation.txt, confusion_matrix.csv, classification_report.csv,
// predictions.csv (index,true,predicted,p0..p9) and evaluation.json.
void report_evaluation(const std::string &directory, const Evaluation &train, const Evaluation &test,
                       std::ostream &out);

std::vector<std::string> class_names();

}  // namespace tailor
