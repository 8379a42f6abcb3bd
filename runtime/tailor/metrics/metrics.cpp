#include "tailor/metrics/metrics.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace tailor {

long ConfusionMatrix::total() const {
    long sum = 0;
    for (const auto &row : counts)
        for (long c : row) sum += c;
    return sum;
}

long ConfusionMatrix::correct() const {
    long sum = 0;
    for (int i = 0; i < classes(); i++) sum += counts[i][i];
    return sum;
}

double ConfusionMatrix::accuracy() const {
    const long n = total();
    return n == 0 ? 0.0 : static_cast<double>(correct()) / n;
}

namespace {

double ratio(double numerator, double denominator) { return denominator == 0 ? 0.0 : numerator / denominator; }

std::string format(const char *pattern, auto... values) {
    char text[256];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

}  // namespace

ClassificationReport classification_report(const ConfusionMatrix &matrix, const std::vector<std::string> &names) {
    ClassificationReport report;
    const int k = matrix.classes();
    report.total = matrix.total();
    report.accuracy = matrix.accuracy();
    report.macro_avg.name = "macro avg";
    report.weighted_avg.name = "weighted avg";
    for (int c = 0; c < k; c++) {
        long predicted = 0, actual = 0;
        for (int i = 0; i < k; i++) {
            predicted += matrix.counts[i][c];
            actual += matrix.counts[c][i];
        }
        ClassScores s;
        s.name = names[c];
        s.precision = ratio(matrix.counts[c][c], predicted);
        s.recall = ratio(matrix.counts[c][c], actual);
        s.f1 = ratio(2 * s.precision * s.recall, s.precision + s.recall);
        s.support = actual;
        report.classes.push_back(s);
        report.macro_avg.precision += s.precision / k;
        report.macro_avg.recall += s.recall / k;
        report.macro_avg.f1 += s.f1 / k;
        const double weight = ratio(actual, report.total);
        report.weighted_avg.precision += s.precision * weight;
        report.weighted_avg.recall += s.recall * weight;
        report.weighted_avg.f1 += s.f1 * weight;
    }
    report.macro_avg.support = report.weighted_avg.support = report.total;
    return report;
}

std::string format_classification_report(const ClassificationReport &report, int digits) {
    // scikit-learn: name column as wide as the longest name (at least
    // "weighted avg"), then four 9-wide columns each preceded by a space.
    std::size_t width = std::string("weighted avg").size();
    for (const auto &c : report.classes) width = std::max(width, c.name.size());
    width = std::max<std::size_t>(width, digits);
    const int w = static_cast<int>(width);
    std::string out = format("%*s  %9s %9s %9s %9s\n\n", w, "", "precision", "recall", "f1-score", "support");
    auto row = [&](const ClassScores &s) {
        return format("%*s  %9.*f %9.*f %9.*f %9ld\n", w, s.name.c_str(), digits, s.precision, digits, s.recall,
                      digits, s.f1, s.support);
    };
    for (const auto &c : report.classes) out += row(c);
    out += "\n";
    out += format("%*s  %9s %9s %9.*f %9ld\n", w, "accuracy", "", "", digits, report.accuracy, report.total);
    out += row(report.macro_avg);
    out += row(report.weighted_avg);
    return out;
}

std::string classification_report_csv(const ClassificationReport &report) {
    std::ostringstream out;
    out.precision(17);
    out << "label,precision,recall,f1-score,support\n";
    auto row = [&](const ClassScores &s) {
        out << '"' << s.name << "\"," << s.precision << ',' << s.recall << ',' << s.f1 << ',' << s.support << '\n';
    };
    for (const auto &c : report.classes) row(c);
    out << "\"accuracy\",,," << report.accuracy << ',' << report.total << '\n';
    row({"micro avg", report.accuracy, report.accuracy, report.accuracy, report.total});
    row(report.macro_avg);
    row(report.weighted_avg);
    return out.str();
}

std::string confusion_matrix_csv(const ConfusionMatrix &matrix, const std::vector<std::string> &names) {
    std::ostringstream out;
    out << "true\\predicted";
    for (const auto &name : names) out << ",\"" << name << '"';
    out << '\n';
    for (int t = 0; t < matrix.classes(); t++) {
        out << '"' << names[t] << '"';
        for (long c : matrix.counts[t]) out << ',' << c;
        out << '\n';
    }
    return out.str();
}

std::string format_confusion_matrix(const ConfusionMatrix &matrix, const std::vector<std::string> &names) {
    std::size_t width = std::string("true \\ predicted").size();
    for (const auto &name : names) width = std::max(width, name.size());
    const int w = static_cast<int>(width);
    std::string out = format("%-*s", w, "true \\ predicted");
    for (int c = 0; c < matrix.classes(); c++) out += format(" %5d", c);
    out += "\n";
    for (int t = 0; t < matrix.classes(); t++) {
        out += format("%-*s", w, (std::to_string(t) + " " + names[t]).c_str());
        for (long c : matrix.counts[t]) out += format(" %5ld", c);
        out += "\n";
    }
    return out;
}

}  // namespace tailor
