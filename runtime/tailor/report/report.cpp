#include "tailor/report/report.h"

#include "tailor/util/atomic_file.h"
#include "tailor/report/charts.h"
#include "tailor/util/error.h"
#include "tailor/util/html.h"
#include "tailor/metrics/metrics.h"
#include "tailor/report/png.h"
#include "tailor/run/settings.h"
#include "tailor/run/run_record.h"
#include "tailor/run/split.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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

std::vector<Prediction> read_predictions(const std::string &path) {
    std::ifstream in(path);
    if (!in) throw file_error(path, "cannot open (evaluate the run first)");
    std::vector<Prediction> predictions;
    std::string line;
    std::getline(in, line);  // header
    std::size_t number = 1;
    while (std::getline(in, line)) {
        number++;
        Prediction p;
        float probabilities[kClasses];
        const int fields = std::sscanf(line.c_str(), "%u,%d,%d,%f,%f,%f,%f,%f,%f,%f,%f,%f,%f", &p.index, &p.truth,
                                       &p.predicted, &probabilities[0], &probabilities[1], &probabilities[2],
                                       &probabilities[3], &probabilities[4], &probabilities[5], &probabilities[6],
                                       &probabilities[7], &probabilities[8], &probabilities[9]);
        if (fields != 3 + kClasses || p.truth < 0 || p.truth >= kClasses || p.predicted < 0 ||
            p.predicted >= kClasses) {
            throw file_error(path, "line " + std::to_string(number) + " is not index,true,predicted,p0..p9");
        }
        p.confidence = probabilities[p.predicted];
        predictions.push_back(p);
    }
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

}  // namespace

std::string write_report(const std::string &run_directory, const DataSplit &data, const std::string &kernel_target,
                         std::ostream &out) {
    const auto start = std::chrono::steady_clock::now();
    const fs::path run(run_directory), figures = run / "report";

    // The run: its settings and history, and its predictions on the test set.
    const RunRecord record = read_run_record(run_directory);
    const TrainSettings &settings = record.settings;
    const std::vector<EpochRecord> &history = record.history;
    const auto predictions = read_predictions((run / "predictions.csv").string());
    for (const auto &p : predictions) {
        if (p.index >= data.test.size()) {
            throw file_error((run / "predictions.csv").string(), "refers to test image " + std::to_string(p.index) +
                                                                     " but the test set has " +
                                                                     std::to_string(data.test.size()));
        }
    }

    std::error_code ec;
    fs::create_directories(figures, ec);
    if (ec) throw file_error(figures.string(), "cannot create: " + ec.message());

    const auto names = std::vector<std::string>(std::begin(kClassNames), std::end(kClassNames));
    ConfusionMatrix matrix(kClasses);
    for (const auto &p : predictions) matrix.add(p.truth, p.predicted);
    const ClassificationReport report = classification_report(matrix, names);

    // 1. The data: images per class in each part, sample images per class.
    std::vector<uint32_t> train_indices, validation_indices;
    split_indices(settings, data.train.size(), train_indices, validation_indices);
    std::vector<std::array<long, 3>> counts(kClasses, {0, 0, 0});
    for (uint32_t i : train_indices) counts[data.train.labels[i]][0]++;
    for (uint32_t i : validation_indices) counts[data.train.labels[i]][1]++;
    for (const auto &p : predictions) counts[p.truth][2]++;
    std::string counts_csv = "class,train,validation,test\n";
    for (int c = 0; c < kClasses; c++) {
        counts_csv += csv_quoted(names[c]) + "," + std::to_string(counts[c][0]) + "," + std::to_string(counts[c][1]) +
                      "," + std::to_string(counts[c][2]) + "\n";
    }
    write_file_atomically((figures / "class_counts.csv").string(), counts_csv);

    constexpr int kSamplesPerClass = 10;
    std::vector<std::vector<const uint8_t *>> samples(kClasses);
    for (uint32_t i : train_indices) {
        auto &row = samples[data.train.labels[i]];
        if (row.size() < kSamplesPerClass) row.push_back(data.train.image(i));
    }
    std::vector<const uint8_t *> sample_grid;
    std::string sample_rows;
    for (int c = 0; c < kClasses; c++) {
        sample_grid.insert(sample_grid.end(), samples[c].begin(), samples[c].end());
        sample_grid.resize((c + 1) * kSamplesPerClass, data.train.image(train_indices.front()));
        sample_rows += "<tr><th>" + html_escape(names[c]) + "</th><td><img alt=\"" + html_escape(names[c]) +
                       " samples\" src=\"data:image/png;base64," + base64(encode_png(image_grid(samples[c], 10))) +
                       "\"></td></tr>\n";
    }
    write_png((figures / "sample_images.png").string(), image_grid(sample_grid, kSamplesPerClass));

    // 5. Test images with their predictions, and the most confident mistakes.
    std::vector<Prediction> first(predictions.begin(),
                                  predictions.begin() + std::min<std::size_t>(40, predictions.size()));
    std::vector<Prediction> mistakes;
    for (const auto &p : predictions)
        if (p.truth != p.predicted) mistakes.push_back(p);
    std::stable_sort(mistakes.begin(), mistakes.end(),
                     [](const Prediction &a, const Prediction &b) { return a.confidence > b.confidence; });
    if (mistakes.size() > 20) mistakes.resize(20);
    auto images_of = [&](const std::vector<Prediction> &list) {
        std::vector<const uint8_t *> images;
        for (const auto &p : list) images.push_back(data.test.image(p.index));
        return images;
    };
    write_png((figures / "test_predictions.png").string(), image_grid(images_of(first), 10));
    write_png((figures / "confident_mistakes.png").string(), image_grid(images_of(mistakes), 10));
    std::string mistakes_csv = "index,true,predicted,confidence\n";
    for (const auto &p : mistakes) {
        mistakes_csv += std::to_string(p.index) + "," + csv_quoted(names[p.truth]) + "," +
                        csv_quoted(names[p.predicted]) + "," + fixed(p.confidence, 6) + "\n";
    }
    write_file_atomically((figures / "confident_mistakes.csv").string(), mistakes_csv);

    // 2-3. Charts.
    int best_epoch = 0;
    for (std::size_t e = 0; e < history.size(); e++) {
        if (best_epoch == 0 || history[e].val_accuracy > history[best_epoch - 1].val_accuracy) best_epoch = e + 1;
    }
    const bool charts = gnuplot_available();
    if (charts) {
        plot_class_counts((figures / "class_counts.png").string(), names, counts);
        if (!history.empty()) plot_training_curves((figures / "training_curves.png").string(), history, best_epoch);
        plot_confusion_matrix((figures / "confusion_matrix.png").string(), matrix, names);
    } else {
        out << "tailor: note: gnuplot is not installed (apt-get install gnuplot-nox); the report has no charts\n";
    }
    write_file_atomically((figures / "history.csv").string(), history_csv(history));
    write_file_atomically((figures / "confusion_matrix.csv").string(), confusion_matrix_csv(matrix, names));
    write_file_atomically((figures / "classification_report.csv").string(), classification_report_csv(report));

    // 6. Settings and timings.
    double seconds = 0;
    for (const auto &e : history) seconds += e.seconds;
    const double epoch_seconds = history.empty() ? 0 : seconds / history.size();
    std::string settings_rows;
    std::size_t field = 0;
    boost::pfr::for_each_field(settings, [&](const auto &value) {
        std::ostringstream text;
        text << value;
        settings_rows += "<tr><th>" + std::string(kTrainSettingNames[field++]) + "</th><td>" +
                         html_escape(text.str()) + "</td></tr>\n";
    });
    const std::size_t parameters = record.parameters;

    // The page.
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tailor report: "
         << html_escape(settings.architecture) << "</title>\n<style>\n"
         << "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
            "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
            "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n"
            "img{max-width:100%}.tiles{display:flex;flex-wrap:wrap;gap:6px}figure{margin:0;padding:4px;"
            "border:3px solid #8c8;font-size:11px;width:96px}figure.wrong{border-color:#d33;background:#fee}"
            "figcaption{line-height:1.3}.note{color:#a60}\n</style>\n</head>\n<body>\n"
         << "<h1>tailor: " << html_escape(settings.architecture) << " on Fashion-MNIST</h1>\n"
         << "<p>Test accuracy <b>" << fixed(report.accuracy) << "</b> (" << matrix.correct() << " of "
         << matrix.total() << " correct), " << history.size() << " epochs.</p>\n";

    // Marks images that fail to load, on the page and in a body attribute
    // ("loaded/total") that a headless browser test reads.
    html << "<script>window.addEventListener('load',()=>{const all=[...document.images];"
            "const ok=all.filter(i=>i.complete&&i.naturalWidth>0);"
            "all.filter(i=>!ok.includes(i)).forEach(i=>{i.alt='(missing: '+i.getAttribute('src').slice(0,40)+')';"
            "i.style.outline='3px solid red'});"
            "document.body.dataset.imagesLoaded=ok.length+'/'+all.length;});</script>\n";
    html << "<h2>1. The data</h2>\n" << figure("class_counts.png", "Images per class", charts)
         << "<table><tr><th>class</th><th>train</th><th>validation</th><th>test</th></tr>\n";
    for (int c = 0; c < kClasses; c++) {
        html << "<tr><td>" << html_escape(names[c]) << "</td><td>" << counts[c][0] << "</td><td>" << counts[c][1]
             << "</td><td>" << counts[c][2] << "</td></tr>\n";
    }
    html << "</table>\n<h3>Sample training images per class</h3>\n<table class=\"samples\">\n" << sample_rows
         << "</table>\n";

    html << "<h2>2. Training curves</h2>\n" << figure("training_curves.png", "Loss and accuracy per epoch", charts)
         << "<p>Best validation accuracy: epoch " << best_epoch << " ("
         << (best_epoch ? fixed(history[best_epoch - 1].val_accuracy) : std::string("-")) << ").</p>\n";

    html << "<h2>3. Confusion matrix (test set)</h2>\n"
         << figure("confusion_matrix.png", "Confusion matrix", charts)
         << "<table><tr><th>true \\ predicted</th>";
    for (int c = 0; c < kClasses; c++) html << "<th>" << html_escape(names[c]) << "</th>";
    html << "</tr>\n";
    for (int t = 0; t < kClasses; t++) {
        html << "<tr><td>" << html_escape(names[t]) << "</td>";
        for (long v : matrix.counts[t]) html << "<td>" << v << "</td>";
        html << "</tr>\n";
    }
    html << "</table>\n";

    html << "<h2>4. Classification report (test set)</h2>\n<table id=\"classification-report\">"
            "<tr><th></th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr>\n";
    auto score_row = [&](const ClassScores &s) {
        html << "<tr><td>" << html_escape(s.name) << "</td><td>" << fixed(s.precision) << "</td><td>"
             << fixed(s.recall) << "</td><td>" << fixed(s.f1) << "</td><td>" << s.support << "</td></tr>\n";
    };
    for (const auto &c : report.classes) score_row(c);
    html << "<tr><td>accuracy</td><td></td><td></td><td>" << fixed(report.accuracy) << "</td><td>" << report.total
         << "</td></tr>\n";
    score_row(report.macro_avg);
    score_row(report.weighted_avg);
    html << "</table>\n";

    html << "<h2>5. Test images and predictions</h2>\n<h3>The first " << first.size()
         << " test images (red: misclassified)</h3>\n"
         << tile_grid(data.test, first, names) << "<h3>The " << mistakes.size()
         << " most confidently wrong predictions</h3>\n"
         << tile_grid(data.test, mistakes, names);

    html << "<h2>6. Settings and timings</h2>\n<table>\n" << settings_rows << "<tr><th>parameters</th><td>"
         << parameters << "</td></tr>\n<tr><th>kernel target</th><td>" << html_escape(kernel_target)
         << "</td></tr>\n<tr><th>tailor version</th><td>" << TAILOR_VERSION
         << "</td></tr>\n<tr><th>training time</th><td>" << fixed(seconds, 1)
         << " s</td></tr>\n<tr><th>mean epoch time</th><td>" << fixed(epoch_seconds, 1)
         << " s (training and validation)</td></tr>\n<tr><th>images/s</th><td>"
         << fixed(epoch_seconds > 0 ? train_indices.size() / epoch_seconds : 0, 0)
         << " (training images per epoch second)</td></tr>\n</table>\n"
         << "<p>Figures: <code>report/*.png</code>; tables: <code>report/*.csv</code>.</p>\n</body>\n</html>\n";

    const std::string page = (run / "report.html").string();
    write_file_atomically(page, html.str());
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out << "Report: " << page << " (" << fixed(took, 1) << " s)\n";
    return page;
}

}  // namespace tailor
