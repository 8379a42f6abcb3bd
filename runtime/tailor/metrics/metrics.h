// Classification metrics computed the way scikit-learn does.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace tailor {

// counts[true][predicted]
struct ConfusionMatrix {
    std::vector<std::vector<long>> counts;

    explicit ConfusionMatrix(int classes) : counts(classes, std::vector<long>(classes, 0)) {}
    void add(int truth, int predicted) { counts[truth][predicted]++; }
    int classes() const { return static_cast<int>(counts.size()); }
    long total() const;
    long correct() const;
    double accuracy() const;
};

struct ClassScores {
    std::string name;
    double precision = 0, recall = 0, f1 = 0;
    long support = 0;
};

// Per-class rows, then "macro avg" and "weighted avg"; accuracy separately.
// A zero denominator gives 0, as scikit-learn's zero_division default does.
struct ClassificationReport {
    std::vector<ClassScores> classes;
    ClassScores macro_avg, weighted_avg;
    double accuracy = 0;
    long total = 0;
};

ClassificationReport classification_report(const ConfusionMatrix &matrix, const std::vector<std::string> &names);

// The text scikit-learn's classification_report prints, column for column.
std::string format_classification_report(const ClassificationReport &report, int digits = 4);

// CSV: label,precision,recall,f1-score,support with accuracy, micro avg
// (equal to accuracy for single-label data), macro avg and weighted avg rows.
std::string classification_report_csv(const ClassificationReport &report);

// CSV with a header row of predicted class names and one row per true class.
std::string confusion_matrix_csv(const ConfusionMatrix &matrix, const std::vector<std::string> &names);

// The matrix as an aligned text table.
std::string format_confusion_matrix(const ConfusionMatrix &matrix, const std::vector<std::string> &names);

}  // namespace tailor
