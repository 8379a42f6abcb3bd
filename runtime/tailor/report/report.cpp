#include "tailor/report/report.h"

#include "tailor/util/atomic_file.h"
#include "tailor/report/charts.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"
#include "tailor/util/html.h"
#include "tailor/metrics/metrics.h"
#include "tailor/report/png.h"
#include "tailor/run/settings.h"
#include "tailor/run/run_record.h"
#include "tailor/run/split.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Prediction {
    uint32_t index = 0;
    int truth = 0, predicted = 0;
    float confidence = 0;  // probability of the predicted class
};

// A row per test image (at most kMaxImages), each under 160 bytes (an
// index, two labels and ten probabilities of six digits); larger is not tailor's.
constexpr std::size_t kMaxPredictionsBytes = kMaxImages * 160;

std::vector<Prediction> read_predictions(const std::string &path) {
    if (!std::filesystem::exists(path)) throw file_error(path, "no such file (evaluate the run first)");
    std::istringstream in(read_small_file(path, kMaxPredictionsBytes, "a predictions file"));
    std::vector<Prediction> predictions;
    std::string line;
    std::getline(in, line);
    if (line.rfind("index,true,predicted,p0", 0) != 0) throw file_error(path, "has no index,true,predicted header");
    std::size_t number = 1;
    while (std::getline(in, line)) {
        number++;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        Prediction p;
        unsigned long long index = 0;
        float probabilities[kClasses];
        int end = 0;
        const int fields = std::sscanf(line.c_str(), "%llu,%d,%d,%f,%f,%f,%f,%f,%f,%f,%f,%f,%f%n", &index, &p.truth,
                                       &p.predicted, &probabilities[0], &probabilities[1], &probabilities[2],
                                       &probabilities[3], &probabilities[4], &probabilities[5], &probabilities[6],
                                       &probabilities[7], &probabilities[8], &probabilities[9], &end);
        const bool probable =
            std::all_of(probabilities, probabilities + kClasses, [](float q) { return q >= 0 && q <= 1; });
        const bool whole = static_cast<std::size_t>(end) == line.size() && std::isdigit(uint8_t(line[0]));
        if (fields != 3 + kClasses || !whole ||
            p.truth < 0 || p.truth >= kClasses || p.predicted < 0 || p.predicted >= kClasses || !probable) {
            throw file_error(path, "line " + std::to_string(number) + " is not index,true,predicted,p0..p9");
        }
        // The evaluator writes the test images in order.
        if (index != predictions.size()) {
            throw file_error(path, "line " + std::to_string(number) + " is of test image " + std::to_string(index) +
                                       ", expected " + std::to_string(predictions.size()));
        }
        p.index = static_cast<uint32_t>(index);
        p.confidence = probabilities[p.predicted];
        predictions.push_back(p);
    }
    if (predictions.empty()) throw file_error(path, "holds no predictions");
    return predictions;
}

std::string base64(const std::string &bytes) {
    static const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
    }
    if (i < bytes.size()) {
        uint32_t v = uint8_t(bytes[i]) << 16;
        if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string fixed(double value, int digits = 4) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

// A tile per image, embedded, with its caption; wrong ones marked.
std::string tile_grid(const Dataset &test, const std::vector<Prediction> &shown,
                      const std::vector<std::string> &names) {
    std::string html = "<div class=\"tiles\">\n";
    for (const auto &p : shown) {
        const bool wrong = p.truth != p.predicted;
        const GreyImage tile = image_grid({test.image(p.index)}, 1, 3, 0);
        html += std::string("<figure class=\"") + (wrong ? "wrong" : "right") + "\"><img alt=\"test image " +
                std::to_string(p.index) + "\" src=\"data:image/png;base64," + base64(encode_png(tile)) +
                "\"><figcaption>true: " + html_escape(names[p.truth]) + "<br>predicted: " +
                html_escape(names[p.predicted]) + (wrong ? " &#10007;" : "") + "<br>p = " + fixed(p.confidence, 3) +
                "</figcaption></figure>\n";
    }
    return html + "</div>\n";
}

std::string figure(const std::string &file, const std::string &alt, bool available) {
    if (!available) return "<p class=\"note\">(" + html_escape(alt) + ": not drawn, gnuplot is not installed)</p>\n";
    return "<p><img src=\"report/" + file + "\" alt=\"" + html_escape(alt) + "\"></p>\n";
}

std::string csv_quoted(const std::string &text) { return "\"" + text + "\""; }

// The run's predictions: of the first images of the test set given, as
// many as the run evaluates.
std::vector<Prediction> read_run_predictions(const fs::path &run, const RunRecord &record, const Dataset &test) {
    const std::string path = (run / "predictions.csv").string();
    auto predictions = read_predictions(path);
    const std::size_t evaluated =
        record.settings.test_limit > 0 ? std::min<std::size_t>(record.settings.test_limit, test.size()) : test.size();
    if (predictions.size() != evaluated) {
        throw file_error(path, "holds " + std::to_string(predictions.size()) + " predictions, but the run evaluates " +
                                   std::to_string(evaluated) +
                                   " images of the test set given (is --data the run's own?)");
    }
    return predictions;
}

// Images per class: train, validation, test.
using ClassCounts = std::vector<std::array<long, 3>>;

// What the page shows, gathered (and its figures and tables written) first.
struct ReportContent {
    explicit ReportContent(const RunRecord &record) : run(record) {}

    const RunRecord &run;
    std::vector<std::string> names = std::vector<std::string>(std::begin(kClassNames), std::end(kClassNames));
    ConfusionMatrix matrix{kClasses};
    ClassificationReport report;
    std::vector<uint32_t> train_indices, validation_indices;
    ClassCounts counts;
    std::string sample_rows;  // the page's table of sample images, one row per class
    std::vector<Prediction> first, mistakes;  // the first test images; the most confident mistakes
    int best_epoch = 0;                        // 1-based; 0: no history
    bool charts = false;                       // gnuplot drew them
};

// 1. The data: images per class in each part (class_counts.csv), sample
// training images per class (sample_images.png, and a row each on the page).
void write_data_figures(ReportContent &c, const DataSplit &data, const std::vector<Prediction> &predictions,
                        const fs::path &figures) {
    c.counts.assign(kClasses, {0, 0, 0});
    for (uint32_t i : c.train_indices) c.counts[data.train.labels[i]][0]++;
    for (uint32_t i : c.validation_indices) c.counts[data.train.labels[i]][1]++;
    for (const auto &p : predictions) c.counts[p.truth][2]++;
    std::string counts_csv = "class,train,validation,test\n";
    for (int k = 0; k < kClasses; k++) {
        counts_csv += csv_quoted(c.names[k]) + "," + std::to_string(c.counts[k][0]) + "," +
                      std::to_string(c.counts[k][1]) + "," + std::to_string(c.counts[k][2]) + "\n";
    }
    write_file_atomically((figures / "class_counts.csv").string(), counts_csv);

    constexpr int kSamplesPerClass = 10;
    std::vector<std::vector<const uint8_t *>> samples(kClasses);
    for (uint32_t i : c.train_indices) {
        auto &row = samples[data.train.labels[i]];
        if (row.size() < kSamplesPerClass) row.push_back(data.train.image(i));
    }
    // A class with fewer samples is padded, so the grid stays one row per class.
    std::vector<const uint8_t *> sample_grid;
    for (int k = 0; k < kClasses; k++) {
        sample_grid.insert(sample_grid.end(), samples[k].begin(), samples[k].end());
        sample_grid.resize((k + 1) * kSamplesPerClass, data.train.image(c.train_indices.front()));
        c.sample_rows += "<tr><th>" + html_escape(c.names[k]) + "</th><td><img alt=\"" + html_escape(c.names[k]) +
                         " samples\" src=\"data:image/png;base64," + base64(encode_png(image_grid(samples[k], 10))) +
                         "\"></td></tr>\n";
    }
    write_png((figures / "sample_images.png").string(), image_grid(sample_grid, kSamplesPerClass));
}

// 5. The first test images with their predictions, and the most confident
// mistakes: as image grids and (the mistakes) as CSV.
void write_prediction_figures(ReportContent &c, const Dataset &test, const std::vector<Prediction> &predictions,
                              const fs::path &figures) {
    c.first.assign(predictions.begin(), predictions.begin() + std::min<std::size_t>(40, predictions.size()));
    for (const auto &p : predictions)
        if (p.truth != p.predicted) c.mistakes.push_back(p);
    std::stable_sort(c.mistakes.begin(), c.mistakes.end(),
                     [](const Prediction &a, const Prediction &b) { return a.confidence > b.confidence; });
    if (c.mistakes.size() > 20) c.mistakes.resize(20);
    auto images_of = [&](const std::vector<Prediction> &list) {
        std::vector<const uint8_t *> images;
        for (const auto &p : list) images.push_back(test.image(p.index));
        return images;
    };
    write_png((figures / "test_predictions.png").string(), image_grid(images_of(c.first), 10));
    write_png((figures / "confident_mistakes.png").string(), image_grid(images_of(c.mistakes), 10));
    std::string mistakes_csv = "index,true,predicted,confidence\n";
    for (const auto &p : c.mistakes) {
        mistakes_csv += std::to_string(p.index) + "," + csv_quoted(c.names[p.truth]) + "," +
                        csv_quoted(c.names[p.predicted]) + "," + fixed(p.confidence, 6) + "\n";
    }
    write_file_atomically((figures / "confident_mistakes.csv").string(), mistakes_csv);
}

// 2-3. The charts (when gnuplot is there) and the tables behind them.
void write_charts(ReportContent &c, const fs::path &figures, std::ostream &out) {
    const std::vector<EpochRecord> &history = c.run.history;
    for (std::size_t e = 0; e < history.size(); e++) {
        if (c.best_epoch == 0 || history[e].val_accuracy > history[c.best_epoch - 1].val_accuracy) {
            c.best_epoch = e + 1;
        }
    }
    c.charts = gnuplot_available();
    if (c.charts) {
        plot_class_counts((figures / "class_counts.png").string(), c.names, c.counts);
        if (!history.empty()) plot_training_curves((figures / "training_curves.png").string(), history, c.best_epoch);
        plot_confusion_matrix((figures / "confusion_matrix.png").string(), c.matrix, c.names);
    } else {
        out << "tailor: note: gnuplot is not installed (apt-get install gnuplot-nox); the report has no charts\n";
    }
    write_file_atomically((figures / "history.csv").string(), history_csv(history));
    write_file_atomically((figures / "confusion_matrix.csv").string(), confusion_matrix_csv(c.matrix, c.names));
    write_file_atomically((figures / "classification_report.csv").string(), classification_report_csv(c.report));
}

// The page's head, title and headline accuracy.
std::string page_top(const ReportContent &c) {
    const std::string architecture = html_escape(c.run.settings.architecture);
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tailor report: "
         << architecture << "</title>\n<style>\n"
         << "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
            "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
            "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n"
            "img{max-width:100%}.tiles{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0;padding:4px;"
            "border:3px solid #8c8;font-size:11px;width:96px}figure.wrong{border-color:#d33;background:#fee}"
            "figcaption{line-height:1.3}.note{color:#a60}\n</style>\n</head>\n<body>\n"
         << "<h1>tailor: " << architecture << " on Fashion-MNIST</h1>\n"
         << "<p>Test accuracy <b>" << fixed(c.report.accuracy) << "</b> (" << c.matrix.correct() << " of "
         << c.matrix.total() << " correct), " << c.run.history.size() << " epochs.</p>\n";

    // Marks images that fail to load, on the page and in a body attribute
    // ("loaded/total") that a headless browser test reads.
    html << "<script>window.addEventListener('load',()=>{const all=[...document.images];"
            "const ok=all.filter(i=>i.complete&&i.naturalWidth>0);"
            "all.filter(i=>!ok.includes(i)).forEach(i=>{i.alt='(missing: '+i.getAttribute('src').slice(0,40)+')';"
            "i.style.outline='3px solid red'});"
            "document.body.dataset.imagesLoaded=ok.length+'/'+all.length;});</script>\n";
    return html.str();
}

std::string data_section(const ReportContent &c) {
    std::ostringstream html;
    html << "<h2>1. The data</h2>\n" << figure("class_counts.png", "Images per class", c.charts)
         << "<table><tr><th>class</th><th>train</th><th>validation</th><th>test</th></tr>\n";
    for (int k = 0; k < kClasses; k++) {
        html << "<tr><td>" << html_escape(c.names[k]) << "</td><td>" << c.counts[k][0] << "</td><td>"
             << c.counts[k][1] << "</td><td>" << c.counts[k][2] << "</td></tr>\n";
    }
    html << "</table>\n<h3>Sample training images per class</h3>\n<table class=\"samples\">\n" << c.sample_rows
         << "</table>\n";
    return html.str();
}

std::string training_section(const ReportContent &c) {
    std::ostringstream html;
    html << "<h2>2. Training curves</h2>\n" << figure("training_curves.png", "Loss and accuracy per epoch", c.charts)
         << "<p>Best validation accuracy: epoch " << c.best_epoch << " ("
         << (c.best_epoch ? fixed(c.run.history[c.best_epoch - 1].val_accuracy) : std::string("-")) << ").</p>\n";
    return html.str();
}

std::string confusion_matrix_section(const ReportContent &c) {
    std::ostringstream html;
    html << "<h2>3. Confusion matrix (test set)</h2>\n"
         << figure("confusion_matrix.png", "Confusion matrix", c.charts) << "<table><tr><th>true \\ predicted</th>";
    for (int k = 0; k < kClasses; k++) html << "<th>" << html_escape(c.names[k]) << "</th>";
    html << "</tr>\n";
    for (int t = 0; t < kClasses; t++) {
        html << "<tr><td>" << html_escape(c.names[t]) << "</td>";
        for (long v : c.matrix.counts[t]) html << "<td>" << v << "</td>";
        html << "</tr>\n";
    }
    html << "</table>\n";
    return html.str();
}

std::string classification_report_section(const ReportContent &c) {
    std::ostringstream html;
    html << "<h2>4. Classification report (test set)</h2>\n<table id=\"classification-report\">"
            "<tr><th></th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr>\n";
    auto score_row = [&](const ClassScores &s) {
        html << "<tr><td>" << html_escape(s.name) << "</td><td>" << fixed(s.precision) << "</td><td>"
             << fixed(s.recall) << "</td><td>" << fixed(s.f1) << "</td><td>" << s.support << "</td></tr>\n";
    };
    for (const auto &scores : c.report.classes) score_row(scores);
    html << "<tr><td>accuracy</td><td></td><td></td><td>" << fixed(c.report.accuracy) << "</td><td>"
         << c.report.total << "</td></tr>\n";
    score_row(c.report.macro_avg);
    score_row(c.report.weighted_avg);
    html << "</table>\n";
    return html.str();
}

std::string predictions_section(const ReportContent &c, const Dataset &test) {
    std::ostringstream html;
    html << "<h2>5. Test images and predictions</h2>\n<h3>The first " << c.first.size()
         << " test images (red: misclassified)</h3>\n"
         << tile_grid(test, c.first, c.names) << "<h3>The " << c.mistakes.size()
         << " most confidently wrong predictions</h3>\n"
         << tile_grid(test, c.mistakes, c.names);
    return html.str();
}

// 6. Every setting, the parameter count, kernels, version and timings; then the page's end.
std::string settings_section(const ReportContent &c, const std::string &kernel_target) {
    std::string settings_rows;
    std::size_t field = 0;
    boost::pfr::for_each_field(c.run.settings, [&](const auto &value) {
        std::ostringstream text;
        text << value;
        settings_rows += "<tr><th>" + std::string(kTrainSettingNames[field++]) + "</th><td>" +
                         html_escape(text.str()) + "</td></tr>\n";
    });
    double seconds = 0;
    for (const auto &e : c.run.history) seconds += e.seconds;
    const double epoch_seconds = c.run.history.empty() ? 0 : seconds / c.run.history.size();

    std::ostringstream html;
    html << "<h2>6. Settings and timings</h2>\n<table>\n" << settings_rows << "<tr><th>parameters</th><td>"
         << c.run.parameters << "</td></tr>\n<tr><th>kernel target</th><td>" << html_escape(kernel_target)
         << "</td></tr>\n<tr><th>tailor version</th><td>" << TAILOR_VERSION
         << "</td></tr>\n<tr><th>training time</th><td>" << fixed(seconds, 1)
         << " s</td></tr>\n<tr><th>mean epoch time</th><td>" << fixed(epoch_seconds, 1)
         << " s (training and validation)</td></tr>\n<tr><th>images/s</th><td>"
         << fixed(epoch_seconds > 0 ? c.train_indices.size() / epoch_seconds : 0, 0)
         << " (training images per epoch second)</td></tr>\n</table>\n"
         << "<p>Figures: <code>report/*.png</code>; tables: <code>report/*.csv</code>.</p>\n</body>\n</html>\n";
    return html.str();
}

}  // namespace

std::string write_report(const std::string &run_directory, const DataSplit &data, const std::string &kernel_target,
                         std::ostream &out) {
    const auto start = std::chrono::steady_clock::now();
    const fs::path run(run_directory), figures = run / "report";

    // The run: its settings and history, and its predictions on the test set.
    const RunRecord record = read_run_record(run_directory);
    const auto predictions = read_run_predictions(run, record, data.test);
    ReportContent content(record);
    split_indices(record.settings, data.train.size(), content.train_indices, content.validation_indices);
    if (content.train_indices.empty()) {
        throw file_error(data.train.source, "no training images left after the run's validation split");
    }
    const std::string page = (run / "report.html").string();
    if (fs::is_directory(fs::symlink_status(page))) throw file_error(page, "is a directory");
    std::error_code ec;
    fs::create_directories(figures, ec);
    if (ec) throw file_error(figures.string(), "cannot create: " + ec.message());

    for (const auto &p : predictions) content.matrix.add(p.truth, p.predicted);
    content.report = classification_report(content.matrix, content.names);
    write_data_figures(content, data, predictions, figures);
    write_prediction_figures(content, data.test, predictions, figures);
    write_charts(content, figures, out);

    write_file_atomically(page, page_top(content) + data_section(content) + training_section(content) +
                                    confusion_matrix_section(content) + classification_report_section(content) +
                                    predictions_section(content, data.test) + settings_section(content, kernel_target));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out << "Report: " << page << " (" << fixed(took, 1) << " s)\n";
    return page;
}

}  // namespace tailor
