#include "commands/common.h"

#include "tailor/train/evaluate.h"
#include "tailor/run/split.h"
#include "tailor/util/error.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <iostream>
#include <sstream>
#include <numeric>

namespace tailor::commands {

std::string known_architectures() {
    std::string list;
    for (const auto &name : architecture_names()) list += (list.empty() ? "" : "|") + name;
    return list;
}

void add_data_option(CLI::App &command, std::vector<std::string> &data) {
    command
        .add_option("--data", data,
                    "A directory of IDX files (gzip'd or not), or two Kaggle CSV files: TRAIN TEST "
                    "(default: " + std::string(kDefaultDataDirectory) + ")")
        ->expected(1, 2);
}

namespace {

// Decimal notation only: strtod would also read 0x10 (16) and "infinity".
bool is_decimal(const std::string &text) {
    return !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos;
}

CLI::Validator finite_check(const std::string &description, std::function<bool(double)> accepts) {
    return CLI::Validator(
        [accepts](std::string &text) -> std::string {
            double value = 0;
            if (!is_decimal(text) || !CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
            if (!std::isfinite(value) || !accepts(value)) return "'" + text + "' is out of range";
            return {};
        },
        description);
}

}  // namespace

CLI::Validator finite_range(double min, double max) {
    std::ostringstream description;
    description << "FLOAT in [" << min << " - " << max << "]";
    return finite_check(description.str(), [min, max](double value) { return value >= min && value <= max; });
}

CLI::Validator finite_positive() {
    return finite_check("POSITIVE", [](double value) { return value > 0; });
}

CLI::Validator whole_number(uint64_t max) {
    return CLI::Validator(
        [max](std::string &text) -> std::string {
            uint64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > max) {
                return "'" + text + "' is not a whole number from 0 to " + std::to_string(max);
            }
            text = std::to_string(value);  // CLI11 would read 010 as octal
            return {};
        },
        "");
}

CLI::Validator non_empty_path() {
    return CLI::Validator([](std::string &text) { return text.empty() ? std::string("an empty path") : ""; }, "PATH");
}

void evaluate_and_report(Model &model, const DataSplit &data, const TrainSettings &settings,
                         const std::string &directory, const std::vector<ImageTransform> &tta) {
    std::vector<uint32_t> train_indices, validation_indices, test_indices;
    split_indices(settings, data.train.size(), train_indices, validation_indices);
    // (An empty list would mean the whole set to evaluate().)
    if (train_indices.empty()) {
        throw file_error(data.train.source, "no training images left after the checkpoint's validation split");
    }
    if (settings.test_limit > 0) {
        test_indices.resize(std::min<std::size_t>(settings.test_limit, data.test.size()));
        std::iota(test_indices.begin(), test_indices.end(), 0u);
    }
    std::cout << "\nEvaluating " << model.name();
    if (!tta.empty()) std::cout << ", each test image averaged over " << tta.size() << " test-time transforms";
    std::cout << "\n";
    const Evaluation train = evaluate(model, data.train, train_indices);
    const Evaluation test = evaluate(model, data.test, test_indices, tta);
    report_evaluation(directory, train, test, std::cout);
    std::cout << "\nResults in " << directory << "/\n";
}

}  // namespace tailor::commands
