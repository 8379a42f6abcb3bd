#include "tailor/train/train.h"

#include "tailor/nn/optimizer.h"
#include "tailor/util/atomic_file.h"
#include "tailor/data/batches.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"
#include "tailor/train/evaluate.h"
#include "tailor/nn/kernel_call.h"
#include "tailor/util/random.h"
#include "tailor/run/run_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

namespace tailor {
namespace {

using Clock = std::chrono::steady_clock;

// Training steps between reads of the running loss and accuracy.
constexpr std::size_t kTotalsEvery = 8;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double seconds) {
    char text[32];
    if (seconds < 1e-3) {
        std::snprintf(text, sizeof text, "%.0fus", seconds * 1e6);
    } else if (seconds < 1) {
        std::snprintf(text, sizeof text, "%.0fms", seconds * 1e3);
    } else {
        std::snprintf(text, sizeof text, "%.0fs", seconds);
    }
    return text;
}

void draw_progress(std::ostream &out, std::size_t done, std::size_t total, double elapsed, double loss,
                   double accuracy) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / std::max<std::size_t>(total, 1));
    std::string bar(kWidth, '.');
    for (int i = 0; i < filled; i++) bar[i] = '=';
    if (filled < kWidth) bar[filled] = '>';
    const double eta = done == 0 ? 0.0 : elapsed * (total - done) / done;
    char text[200];
    std::snprintf(text, sizeof text, "\r%zu/%zu [%s] - ETA: %s - loss: %.4f - accuracy: %.4f", done, total,
                  bar.c_str(), format_duration(eta).c_str(), loss, accuracy);
    out << text << std::flush;
}

std::size_t parameter_count(const Model &model) {
    std::size_t parameters = 0;
    for (const auto &row : model.summary()) parameters += row.parameters;
    return parameters;
}

}  // namespace

std::string format_summary(const Model &model) {
    const auto rows = model.summary();
    int name_width = 30;  // Keras's column, which the report's Fig. 6 shows
    for (const auto &row : rows) name_width = std::max<int>(name_width, row.name.size() + row.kind.size() + 3);
    std::string out;
    char line[200];
    std::snprintf(line, sizeof line, "Model: \"%s\"\n%-*s %-22s %s\n", model.name().c_str(), name_width,
                  "Layer (type)", "Output Shape", "Param #");
    out += line;
    std::size_t total = 0;
    for (const auto &row : rows) {
        std::string shape = "(None";
        for (int d : row.output_shape) shape += ", " + std::to_string(d);
        shape += ")";
        std::snprintf(line, sizeof line, "%-*s %-22s %zu\n", name_width, (row.name + " (" + row.kind + ")").c_str(),
                      shape.c_str(), row.parameters);
        out += line;
        total += row.parameters;
    }
    // Thousands separated by commas, as Keras prints them.
    const std::string digits = std::to_string(total);
    std::string grouped;
    for (std::size_t i = 0; i < digits.size(); i++) {
        if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
        grouped += digits[i];
    }
    out += "Total params: " + grouped + "\nTrainable params: " + grouped + "\nNon-trainable params: 0\n";
    return out;
}

TrainOutcome train(const TrainRequest &request, const Dataset &data, std::ostream &out) {
    namespace fs = std::filesystem;
    const fs::path dir(request.out_directory);
    const std::string checkpoint_path = (dir / "checkpoint.tlr").string();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) throw file_error(dir.string(), "cannot create the output directory");

    TrainOutcome outcome;
    TrainSettings settings = request.settings;
    Checkpoint state;
    if (request.resume) {
        if (!fs::exists(checkpoint_path)) throw file_error(checkpoint_path, "no checkpoint to resume from");
        state = load_checkpoint(checkpoint_path);
        settings = state.settings;
        if (request.epochs_override) settings.epochs = *request.epochs_override;
    }
    if (settings.batch < 1) throw Error("--batch must be at least 1");
    if (settings.epochs < 1) throw Error("--epochs must be at least 1");

    if (settings.dropout_rate >= 1) throw Error("--dropout must be below 1");
    auto model = make_model(settings.architecture, static_cast<int>(settings.batch));
    model->set_regularization(settings.dropout_rate, settings.noise_stddev);
    if (request.resume) {
        check_compatible(checkpoint_path, state, *model);
        model->set_parameters(state.parameters);
        model->set_optimizer_state(state.adam.m, state.adam.v);
    } else {
        model->initialize(derive_seed(settings.seed, kInitStream));
        state.settings = settings;
    }
    state.settings = settings;
    state.tensors = model->tensors();

    split_indices(settings, data.size(), outcome.train_indices, outcome.validation_indices);
    if (outcome.train_indices.empty()) throw Error("no training images left after the validation split");

    AdamSettings adam{settings.learning_rate, settings.beta1, settings.beta2, settings.epsilon};
    const uint32_t dropout_seed = static_cast<uint32_t>(derive_seed(settings.seed, kDropoutStream));
    const int batch = static_cast<int>(settings.batch);
    const std::size_t steps = (outcome.train_indices.size() + batch - 1) / batch;
    std::vector<float> images(static_cast<std::size_t>(batch) * model->input_size());
    std::vector<int32_t> labels(batch);

    if (state.epochs_done == 0) out << format_summary(*model) << "\n";
    out << "Training " << settings.architecture << " on " << outcome.train_indices.size() << " images, validating on "
        << outcome.validation_indices.size() << " (batch " << batch << ", lr " << settings.learning_rate
        << ", seed " << settings.seed << ", kernels: " << kernel_variant() << ")\n";

    for (int64_t epoch = state.epochs_done; epoch < settings.epochs; epoch++) {
        adam.learning_rate = epoch_learning_rate(settings, epoch);
        out << "Epoch " << epoch + 1 << "/" << settings.epochs;
        if (settings.lr_schedule != "constant") out << " (lr " << adam.learning_rate << ")";
        out << "\n" << std::flush;
        const auto start = Clock::now();
        std::vector<uint32_t> order = outcome.train_indices;
        SplitMix64 rng(derive_seed(settings.seed, kShuffleStream, static_cast<uint64_t>(epoch)));
        shuffle(order, rng);

        double loss_sum = 0;
        long correct = 0;
        std::size_t counted = 0;  // images whose loss and accuracy are in the sums
        auto last_draw = start;
        for (std::size_t s = 0; s < steps; s++) {
            const std::size_t first = s * batch;
            const int n = static_cast<int>(std::min<std::size_t>(batch, order.size() - first));
            fill_batch(data, order.data() + first, n, images.data(), labels.data());
            model->train_step(images.data(), labels.data(), n, dropout_seed, static_cast<uint32_t>(state.adam.step));
            model->apply_adam(adam, ++state.adam.step);
            // The running totals come back every few steps, not every step:
            // on a GPU that read is the one copy back from the device.
            if ((s + 1) % kTotalsEvery == 0 || s + 1 == steps) {
                const BatchResult r = model->take_training_totals();
                loss_sum += r.loss_sum;
                correct += r.correct;
                counted = first + n;
                if (!std::isfinite(r.loss_sum)) throw Error("training diverged: the loss is not finite");
            }
            if (request.progress_bar && (Clock::now() - last_draw > std::chrono::milliseconds(100) || s + 1 == steps)) {
                last_draw = Clock::now();
                const double seen = static_cast<double>(std::max<std::size_t>(counted, 1));
                draw_progress(out, s + 1, steps, seconds_since(start), loss_sum / seen, correct / seen);
            }
        }
        const double train_seconds = seconds_since(start);
        const Evaluation validation = evaluate(*model, data, outcome.validation_indices);

        EpochRecord record;
        record.loss = loss_sum / order.size();
        record.accuracy = static_cast<double>(correct) / order.size();
        record.val_loss = validation.loss;
        record.val_accuracy = validation.matrix.accuracy();
        record.seconds = seconds_since(start);
        state.history.push_back(record);
        state.epochs_done = static_cast<uint32_t>(epoch + 1);

        char line[300];
        std::snprintf(line, sizeof line,
                      "%zu/%zu - %s - %s/step - %.0f images/s - loss: %.4f - accuracy: %.4f - val_loss: %.4f - "
                      "val_accuracy: %.4f\n",
                      steps, steps, format_duration(record.seconds).c_str(),
                      format_duration(train_seconds / steps).c_str(), order.size() / train_seconds, record.loss,
                      record.accuracy, record.val_loss, record.val_accuracy);
        if (request.progress_bar) out << "\r\033[K";
        out << line << std::flush;

        state.parameters.assign(model->parameters().begin(), model->parameters().end());
        model->read_optimizer_state(state.adam.m, state.adam.v);
        save_checkpoint(checkpoint_path, state);
        // Also keep the epoch with the best validation accuracy, as Keras's
        // ModelCheckpoint(save_best_only=True) would.
        const bool best = std::all_of(state.history.begin(), state.history.end() - 1, [&](const EpochRecord &e) {
            return e.val_accuracy < record.val_accuracy;
        });
        if (best) save_checkpoint((dir / "best.tlr").string(), state);
        write_file_atomically((dir / "history.csv").string(), history_csv(state.history));
        write_run_record(dir.string(), settings, parameter_count(*model), state.history);
    }

    outcome.model = std::move(model);
    outcome.settings = settings;
    outcome.history = state.history;
    return outcome;
}

}  // namespace tailor
