#include "tailor/train/train.h"

#include "tailor/nn/optimizer.h"
#include "tailor/util/atomic_file.h"
#include "tailor/data/batches.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"
#include "tailor/train/evaluate.h"
#include "tailor/nn/kernel_call.h"
#include "tailor/util/random.h"
#include "tailor/util/stop_signals.h"
#include "tailor/run/augmentation.h"
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

namespace {

std::string checkpoint_path_in(const std::string &directory) {
    return (std::filesystem::path(directory) / "checkpoint.tlr").string();
}

// A run between epochs: its directory, what its checkpoint saves (the settings
// in use among it) and the model.
struct Run {
    std::filesystem::path dir;
    Checkpoint state;
    std::unique_ptr<Model> model;

    std::string checkpoint_path() const { return checkpoint_path_in(dir.string()); }
};

// With --resume: the flags given may repeat the run's settings, not change
// them (--epochs aside). Compared at full precision.
void check_resumed_flags(const std::string &checkpoint_path, const TrainSettings &saved,
                         const std::vector<GivenFlag> &given_flags) {
    const std::vector<std::string> have = setting_texts(saved, 17);
    for (const GivenFlag &given : given_flags) {
        TrainSettings asked = saved;
        given.set(asked);
        asked.epochs = saved.epochs;  // --epochs extends the run
        const std::vector<std::string> want = setting_texts(asked, 17);
        for (std::size_t i = 0; i < want.size(); i++) {
            if (want[i] == have[i]) continue;
            throw file_error(checkpoint_path, "the run has " + std::string(kTrainSettingNames[i]) + " " + have[i] +
                                                  ", " + given.flag + " asks for " + want[i] +
                                                  "; --resume keeps the run's settings");
        }
    }
}

// The state a resumed run continues, with the settings it continues with
// (--epochs may extend them); a missing checkpoint, flags that change the
// run and bad settings fail here.
Checkpoint resumed_state(const TrainRequest &request) {
    const std::string checkpoint_path = checkpoint_path_in(request.out_directory);
    if (!std::filesystem::exists(checkpoint_path)) throw file_error(checkpoint_path, "no checkpoint to resume from");
    Checkpoint state = load_checkpoint(checkpoint_path);
    check_resumed_flags(checkpoint_path, state.settings, request.given_flags);
    if (request.epochs_override) {
        if (*request.epochs_override < static_cast<int64_t>(state.epochs_done)) {
            throw Error("--epochs " + std::to_string(*request.epochs_override) + ": " + checkpoint_path +
                        " already holds " + std::to_string(state.epochs_done) + " epochs");
        }
        state.settings.epochs = *request.epochs_override;
    }
    check_settings(state.settings);
    return state;
}

// The run directory and the settings and state its checkpoint continues
// (none for a new run); bad settings fail here, before any epoch.
Run open_or_resume(const TrainRequest &request) {
    namespace fs = std::filesystem;
    Run run;
    run.dir = request.out_directory;
    std::error_code ec;
    fs::create_directories(run.dir, ec);
    if (ec || !fs::is_directory(run.dir)) throw file_error(run.dir.string(), "cannot create the output directory");

    if (request.resume) {
        run.state = resumed_state(request);
    } else {
        check_settings(request.settings);
        run.state.settings = request.settings;
    }
    return run;
}

// A fresh model or the one the checkpoint continues, sized for batches of
// at most `max_batch` images.
void attach_model(Run &run, bool resume, int max_batch) {
    const TrainSettings &settings = run.state.settings;
    run.model = make_model(settings.architecture, max_batch);
    run.model->set_regularization(settings.dropout_rate, settings.noise_stddev);
    run.model->set_training_options(
        {static_cast<float>(settings.label_smoothing), static_cast<int>(settings.erase_size)});
    if (resume) {
        check_compatible(run.checkpoint_path(), run.state, *run.model);
        run.model->set_parameters(run.state.parameters);
        run.model->set_optimizer_state(run.state.adam.m, run.state.adam.v);
        if (!run.state.averaged.empty()) run.model->set_averaged_parameters(run.state.averaged);
    } else {
        run.model->initialize(derive_seed(settings.seed, kInitStream));
        run.model->set_averaged_parameters(run.model->parameters());
    }
    run.state.tensors = run.model->tensors();
}

struct EpochTotals {
    double loss_sum = 0;
    long correct = 0;
    bool stopped = false;  // by a caught SIGINT or SIGTERM, before the epoch's end
};

// The decay of the weights' average at Adam step `step` (from 1): lower at
// first, so the average forgets the random initial weights quickly.
double average_decay(const TrainSettings &settings, uint64_t step) {
    return std::min(settings.ema_decay, (1.0 + step) / (10.0 + step));
}

// The batch's transforms, drawn from (seed, epoch, image index).
void draw_transforms(const TrainSettings &settings, int64_t epoch, const uint32_t *indices, int n,
                     std::vector<ImageTransform> &transforms) {
    for (int i = 0; i < n; i++) {
        transforms[i] = draw_transform(settings, static_cast<uint64_t>(epoch), indices[i], kImageSide, kImageSide);
    }
}

// One pass over the training images in this epoch's seeded order, an Adam
// step (and a step of the weights' average) after every mini-batch.
EpochTotals train_epoch(Run &run, const Dataset &data, const std::vector<uint32_t> &train_indices, int64_t epoch,
                        AdamSettings adam, bool progress_bar, std::ostream &out) {
    const TrainSettings &settings = run.state.settings;
    Model &model = *run.model;
    const auto start = Clock::now();
    std::vector<uint32_t> order = train_indices;
    SplitMix64 rng(derive_seed(settings.seed, kShuffleStream, static_cast<uint64_t>(epoch)));
    shuffle(order, rng);

    const uint32_t dropout_seed = static_cast<uint32_t>(derive_seed(settings.seed, kDropoutStream));
    const int batch = static_cast<int>(settings.batch);
    const std::size_t steps = (order.size() + batch - 1) / batch;
    const int largest = model.max_batch();
    std::vector<float> images(static_cast<std::size_t>(largest) * model.input_size());
    std::vector<int32_t> labels(largest);
    std::vector<ImageTransform> transforms(largest);
    const bool augmenting = augments(settings);
    EpochTotals totals;
    std::size_t counted = 0;  // images whose loss and accuracy are in the totals
    auto last_draw = start;
    for (std::size_t s = 0; s < steps; s++) {
        if (stop_signal() != 0) {
            totals.stopped = true;
            break;
        }
        const std::size_t first = s * batch;
        const int n = static_cast<int>(std::min<std::size_t>(batch, order.size() - first));
        fill_batch(data, order.data() + first, n, images.data(), labels.data());
        if (augmenting) draw_transforms(settings, epoch, order.data() + first, n, transforms);
        model.train_step(images.data(), labels.data(), augmenting ? transforms.data() : nullptr, n, dropout_seed,
                         static_cast<uint32_t>(run.state.adam.step));
        adam.learning_rate = step_learning_rate(settings, epoch, s, steps);
        model.apply_adam(adam, ++run.state.adam.step);
        if (settings.ema_decay > 0) model.update_average(average_decay(settings, run.state.adam.step));
        // The running totals come back every few steps, not every step:
        // on a GPU that read is the one copy back from the device.
        if ((s + 1) % kTotalsEvery == 0 || s + 1 == steps) {
            const BatchResult r = model.take_training_totals();
            totals.loss_sum += r.loss_sum;
            totals.correct += r.correct;
            counted = first + n;
            if (!std::isfinite(r.loss_sum)) throw Diverged("training diverged: the loss is not finite");
        }
        if (progress_bar && (Clock::now() - last_draw > std::chrono::milliseconds(100) || s + 1 == steps)) {
            last_draw = Clock::now();
            const double seen = static_cast<double>(std::max<std::size_t>(counted, 1));
            draw_progress(out, s + 1, steps, seconds_since(start), totals.loss_sum / seen, totals.correct / seen);
        }
    }
    return totals;
}

// Keras's line at the end of an epoch; without validation, without its fields.
std::string epoch_line(const EpochRecord &record, std::size_t steps, std::size_t images, double train_seconds,
                       bool validating) {
    char line[300];
    std::snprintf(line, sizeof line, "%zu/%zu - %s - %s/step - %.0f images/s - loss: %.4f - accuracy: %.4f", steps,
                  steps, format_duration(record.seconds).c_str(), format_duration(train_seconds / steps).c_str(),
                  images / train_seconds, record.loss, record.accuracy);
    std::string text = line;
    if (validating) {
        std::snprintf(line, sizeof line, " - val_loss: %.4f - val_accuracy: %.4f", record.val_loss,
                      record.val_accuracy);
        text += line;
    }
    return text + "\n";
}

// After every epoch: the checkpoint (and best.tlr when validation improved),
// history.csv and run.json, so a stopped run resumes from here.
void write_epoch_outputs(Run &run, bool validating) {
    Checkpoint &state = run.state;
    state.parameters.assign(run.model->parameters().begin(), run.model->parameters().end());
    run.model->read_optimizer_state(state.adam.m, state.adam.v);
    state.averaged.clear();
    if (state.settings.ema_decay > 0) {
        const auto averaged = run.model->averaged_parameters();
        state.averaged.assign(averaged.begin(), averaged.end());
    }
    // The epoch's last update may overflow after its loss was summed: keep
    // the previous checkpoint, which load_checkpoint would accept.
    if (const char *section = non_finite_section(state)) {
        throw Diverged(std::string("training diverged: the ") + section + " are not finite");
    }
    if (const std::string problem = overflowing_section(state, run.model->tensors()); !problem.empty()) {
        throw Diverged("training diverged: " + problem);
    }
    save_checkpoint(run.checkpoint_path(), state);
    // Also keep the epoch with the best validation accuracy, as Keras's
    // ModelCheckpoint(save_best_only=True) would; without validation
    // (--validation-split 0) the last.
    const double val_accuracy = state.history.back().val_accuracy;
    const bool best = !validating || std::all_of(state.history.begin(), state.history.end() - 1,
                                                 [&](const EpochRecord &e) { return e.val_accuracy < val_accuracy; });
    if (best) save_checkpoint((run.dir / "best.tlr").string(), state);
    write_file_atomically((run.dir / "history.csv").string(), history_csv(state.history));
    write_run_record(run.dir.string(), state.settings, parameter_count(*run.model), state.history);
}

// Evaluates what classifies: with weight averaging, the average (the
// trained weights are set back after).
Evaluation evaluate_classifier(Run &run, const Dataset &data, const std::vector<uint32_t> &indices) {
    Model &model = *run.model;
    if (run.state.settings.ema_decay == 0) return evaluate(model, data, indices);
    const auto trained = model.parameters();
    const std::vector<float> weights(trained.begin(), trained.end());
    model.set_parameters(model.averaged_parameters());
    Evaluation result = evaluate(model, data, indices);
    model.set_parameters(weights);
    return result;
}

// What a run stopped by a signal says: what its checkpoint holds, and how to go on.
Interrupted stopped_during(const Run &run, int64_t epoch) {
    const int signal = stop_signal();
    std::string message = std::string("stopped by ") + signal_name(signal) + " during epoch " +
                          std::to_string(epoch + 1) + "; ";
    if (run.state.epochs_done == 0) {
        message += "no epoch had finished, so there is nothing to resume";
    } else {
        message += run.checkpoint_path() + " holds " + std::to_string(run.state.epochs_done) +
                   " epochs; continue with: tailor train --out " + run.dir.string() + " --resume";
    }
    return Interrupted(signal, message);
}

}  // namespace

void check_resumable(const TrainRequest &request) {
    const Checkpoint state = resumed_state(request);
    check_compatible(checkpoint_path_in(request.out_directory), state, *make_model(state.settings.architecture, 1));
}

TrainOutcome train(const TrainRequest &request, const Dataset &data, std::ostream &out) {
    Run run = open_or_resume(request);
    const TrainSettings &settings = run.state.settings;
    TrainOutcome outcome;
    split_indices(settings, data.size(), outcome.train_indices, outcome.validation_indices);
    if (outcome.train_indices.empty()) {
        throw file_error(data.source, "no training images left after the validation split");
    }
    // A batch far larger than the data set allocates for no image.
    attach_model(run, request.resume,
                 network_batch(settings.batch,
                               std::max(outcome.train_indices.size(), outcome.validation_indices.size())));

    const std::size_t images = outcome.train_indices.size();
    const bool validating = !outcome.validation_indices.empty();
    const std::size_t steps = (images + settings.batch - 1) / settings.batch;
    if (run.state.epochs_done == 0) out << format_summary(*run.model) << "\n";
    out << "Training " << settings.architecture << " on " << images << " images, validating on "
        << outcome.validation_indices.size() << " (batch " << settings.batch << ", lr " << settings.learning_rate
        << ", seed " << settings.seed << ", kernels: " << kernel_variant() << ")\n";

    const AdamSettings adam{settings.learning_rate, settings.beta1, settings.beta2, settings.epsilon};
    const int64_t last = std::min(settings.epochs, request.stop_after.value_or(settings.epochs));
    for (int64_t epoch = run.state.epochs_done; epoch < last; epoch++) {
        out << "Epoch " << epoch + 1 << "/" << settings.epochs;
        if (settings.lr_schedule != "constant" || settings.warmup_epochs > 0) {
            out << " (lr " << step_learning_rate(settings, epoch, 0, steps) << ")";
        }
        out << "\n" << std::flush;
        const auto start = Clock::now();
        const EpochTotals totals =
            train_epoch(run, data, outcome.train_indices, epoch, adam, request.progress_bar, out);
        if (totals.stopped) throw stopped_during(run, epoch);
        const double train_seconds = seconds_since(start);
        EpochRecord record;
        record.loss = totals.loss_sum / images;
        record.accuracy = static_cast<double>(totals.correct) / images;
        if (validating) {  // else the val_ fields stay 0
            const Evaluation validation = evaluate_classifier(run, data, outcome.validation_indices);
            record.val_loss = validation.loss;
            record.val_accuracy = validation.matrix.accuracy();
        }
        record.seconds = seconds_since(start);
        run.state.history.push_back(record);
        run.state.epochs_done = static_cast<uint32_t>(epoch + 1);
        if (request.progress_bar) out << "\r\033[K";
        out << epoch_line(record, steps, images, train_seconds, validating) << std::flush;
        write_epoch_outputs(run, validating);
    }

    // What classifies from here on (the final evaluation) is the average.
    if (settings.ema_decay > 0) run.model->set_parameters(run.model->averaged_parameters());
    outcome.model = std::move(run.model);
    outcome.settings = settings;
    outcome.history = run.state.history;
    return outcome;
}

}  // namespace tailor
