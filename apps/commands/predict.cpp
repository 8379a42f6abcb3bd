// tailor predict: classify photos (PNG, JPEG) with a checkpoint's network.
#include "commands/commands.h"

#include "tailor/classifier.h"
#include "tailor/data/dataset.h"
#include "tailor/image/prepare.h"
#include "tailor/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <numeric>

namespace tailor::commands {

namespace {

// Photos decoded and held before they go through the network together.
constexpr int kBatch = 64;

void report_failure(const std::string &message, int &failed) {
    std::cerr << "tailor: error: " << one_line(message) << "\n";
    failed++;
}

// The files to classify: each file given, and each directory's PNG and JPEG
// files by name. A directory that cannot be listed, or holds none, is a
// failure; the other inputs are still classified.
std::vector<std::string> image_paths(const std::vector<std::string> &inputs, int &failed) {
    std::vector<std::string> paths;
    for (const auto &input : inputs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(input, ec)) {
            paths.push_back(input);
            continue;
        }
        std::vector<std::string> found;
        for (auto it = std::filesystem::directory_iterator(input, ec); !ec && it != std::filesystem::directory_iterator();
             it.increment(ec)) {
            std::string extension = it->path().extension().string();
            std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
            if (extension == ".png" || extension == ".jpg" || extension == ".jpeg") found.push_back(it->path());
        }
        if (ec) {
            report_failure(input + ": cannot list the directory: " + ec.message(), failed);
        } else if (found.empty()) {
            report_failure(input + ": holds no .png, .jpg or .jpeg files", failed);
        }
        std::sort(found.begin(), found.end());
        paths.insert(paths.end(), found.begin(), found.end());
    }
    return paths;
}

// Prints one image's classes, most probable first, `top` of them.
class Printer {
public:
    Printer(const std::string &format, int top) : format_(format), top_(top) {
        if (format_ == "csv") {
            std::cout << "file,predicted,class";
            for (int k = 1; k <= top_; k++) std::cout << ",class_" << k << ",probability_" << k;
            std::cout << "\n";
        }
    }
    // The JSON array, once every image is in (a file name that is not UTF-8
    // with U+FFFD for its stray bytes, as JSON holds only UTF-8).
    void finish() {
        if (format_ == "json") {
            std::cout << json_.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        }
    }

    void print(const std::string &file, const float *probabilities) {
        std::vector<int> order(kClasses);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return probabilities[a] > probabilities[b]; });
        const int best = order[0];
        if (format_ == "json") {
            nlohmann::json top = nlohmann::json::array();
            for (int k = 0; k < top_; k++) {
                top.push_back({{"class", kClassNames[order[k]]}, {"index", order[k]},
                               {"probability", probabilities[order[k]]}});
            }
            json_.push_back({{"file", file}, {"predicted", best}, {"class", kClassNames[best]}, {"top", top}});
            return;
        }
        char number[32];
        if (format_ == "csv") {
            std::cout << csv_field(file) << "," << best << "," << csv_field(kClassNames[best]);
            for (int k = 0; k < top_; k++) {
                std::snprintf(number, sizeof number, "%.6f", probabilities[order[k]]);
                std::cout << "," << csv_field(kClassNames[order[k]]) << "," << number;
            }
            std::cout << "\n";
            return;
        }
        std::cout << file << ": " << kClassNames[best] << " (" << best << ")";
        for (int k = 0; k < top_; k++) {
            std::snprintf(number, sizeof number, "%.3f", probabilities[order[k]]);
            std::cout << (k == 0 ? "  " : ", ") << kClassNames[order[k]] << " " << number;
        }
        std::cout << "\n";
    }

private:
    static std::string csv_field(const std::string &text) {
        if (text.find_first_of(",\"\n") == std::string::npos) return text;
        std::string quoted = "\"";
        for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
    }
    std::string format_;
    int top_;
    nlohmann::json json_ = nlohmann::json::array();
};

}  // namespace

CLI::App &add_predict_command(CLI::App &app, PredictOptions &options) {
    auto &command = *app.add_subcommand("predict", "Classify photos (PNG, JPEG) with a checkpoint's network");
    command.add_option("--checkpoint", options.checkpoint_path, "Checkpoint file (e.g. RUN/best.tlr)")->required();
    command.add_option("--top", options.top, "Classes to list per image, most probable first")
        ->capture_default_str()
        ->check(CLI::Range(1, kClasses));
    command.add_option("--format", options.format, "text, csv (a header row, then one row per image) or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "csv", "json"}));
    command.add_option("images", options.inputs, "Image files, or directories of them")->required();
    return command;
}

int run_predict(const PredictOptions &options) {
    const Classifier classifier(options.checkpoint_path);
    int failed = 0;
    const std::vector<std::string> paths = image_paths(options.inputs, failed);

    Printer printer(options.format, options.top);
    std::vector<float> images, probabilities(static_cast<std::size_t>(kBatch) * kClasses);
    std::vector<std::string> batch;
    const auto classify = [&] {
        if (batch.empty()) return;
        classifier.classify(images.data(), batch.size(), probabilities.data());
        for (std::size_t i = 0; i < batch.size(); i++) printer.print(batch[i], probabilities.data() + i * kClasses);
        batch.clear();
        images.clear();
    };
    for (const auto &path : paths) {
        try {
            const std::vector<float> input = prepare_photo(decode_photo(path));
            images.insert(images.end(), input.begin(), input.end());
            batch.push_back(path);
        } catch (const Error &e) {  // the others are still classified
            report_failure(e.what(), failed);
        } catch (const std::bad_alloc &) {
            report_failure(path + ": not enough memory to decode it", failed);
        }
        if (static_cast<int>(batch.size()) == kBatch) classify();
    }
    classify();
    printer.finish();
    if (failed > 0) std::cerr << "tailor: " << failed << " of the inputs could not be classified\n";
    return failed > 0 ? 1 : 0;
}

}  // namespace tailor::commands
