// Charts drawn by gnuplot (Debian's gnuplot-nox) from generated scripts:
// axes, ticks and text come from a real plotting tool, not from our pixels.
#pragma once

#include "tailor/run/history.h"
#include "tailor/metrics/metrics.h"

#include <array>
#include <string>
#include <vector>

namespace tailor {

bool gnuplot_available();

// Images per class for each part of the data: a clustered bar chart.
void plot_class_counts(const std::string &png, const std::vector<std::string> &names,
                       const std::vector<std::array<long, 3>> &counts);  // train, validation, test

// Loss and accuracy per epoch, training and validation, best epoch marked.
void plot_training_curves(const std::string &png, const std::vector<EpochRecord> &history, int best_epoch);

// The confusion matrix as a heatmap with its counts.
void plot_confusion_matrix(const std::string &png, const ConfusionMatrix &matrix,
                           const std::vector<std::string> &names);

}  // namespace tailor
