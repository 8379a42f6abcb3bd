// End to end on the real Fashion-MNIST images (Debian's dataset-fashion-mnist):
// short training runs must learn, repeat bit for bit, and resume exactly.
#define BOOST_TEST_MODULE training
#include "files.h"

#include "tailor/data/dataset.h"
#include "tailor/train/checkpoint.h"
#include "tailor/train/evaluate.h"
#include "tailor/train/train.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <numeric>
#include <sstream>

using files::ScratchDirectory;

namespace {

const tailor::DataSplit &real_data() {
    static const tailor::DataSplit data = tailor::load_data({TAILOR_DATA_DIR});
    return data;
}

tailor::TrainOutcome run(const std::string &arch, int64_t limit, int64_t epochs, const std::string &directory,
                         bool resume = false, const tailor::TrainSettings &base = {},
                         std::optional<int64_t> stop_after = {}) {
    tailor::TrainRequest request;
    request.settings = base;
    request.settings.architecture = arch;
    request.settings.train_limit = limit;
    request.settings.epochs = epochs;
    request.settings.batch = 32;
    request.settings.seed = 7;
    request.out_directory = directory;
    request.resume = resume;
    request.stop_after = stop_after;
    if (resume) request.epochs_override = epochs;
    std::ostringstream log;
    return tailor::train(request, real_data().train, log);
}

double test_accuracy(tailor::Model &model, std::size_t images) {
    std::vector<uint32_t> indices(images);
    std::iota(indices.begin(), indices.end(), 0u);
    return tailor::evaluate(model, real_data().test, indices).matrix.accuracy();
}

std::vector<float> parameters(tailor::Model &model) {
    return {model.parameters().begin(), model.parameters().end()};
}

std::vector<float> averaged(tailor::Model &model) {
    return {model.averaged_parameters().begin(), model.averaged_parameters().end()};
}

// Every option of the modern recipes at once.
tailor::TrainSettings every_option() {
    tailor::TrainSettings s;
    s.lr_schedule = "onecycle";
    s.warmup_epochs = 0.5;
    s.label_smoothing = 0.1;
    s.ema_decay = 0.99;
    s.augment_shift = 2;
    s.augment_flip = 0.5;
    s.erase_size = 8;
    s.erase_probability = 0.5;
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_real_data_set_has_the_expected_shape) {
    BOOST_TEST(real_data().train.size() == 60000u);
    BOOST_TEST(real_data().test.size() == 10000u);
    std::array<int, 10> per_class{};
    for (uint8_t l : real_data().test.labels) per_class[l]++;
    for (int c : per_class) BOOST_TEST(c == 1000);
}

BOOST_AUTO_TEST_CASE(split_is_eighty_twenty_disjoint_and_seeded) {
    tailor::TrainSettings settings;
    settings.seed = 1;
    std::vector<uint32_t> train, validation, train2, validation2;
    tailor::split_indices(settings, 60000, train, validation);
    tailor::split_indices(settings, 60000, train2, validation2);
    BOOST_TEST(train.size() == 48000u);
    BOOST_TEST(validation.size() == 12000u);
    BOOST_TEST((train == train2));
    std::vector<bool> seen(60000, false);
    for (uint32_t i : train) seen[i] = true;
    BOOST_TEST(std::none_of(validation.begin(), validation.end(), [&](uint32_t i) { return seen[i]; }));
    BOOST_TEST(std::count(seen.begin(), seen.end(), true) == 48000);
}

BOOST_AUTO_TEST_CASE(keras_style_split_holds_out_the_last_images) {
    tailor::TrainSettings settings;
    settings.validation_order = "last";
    std::vector<uint32_t> train, validation;
    tailor::split_indices(settings, 1000, train, validation);
    BOOST_TEST(train.size() == 800u);
    BOOST_TEST(validation.front() == 800u);
    BOOST_TEST(validation.back() == 999u);
    BOOST_TEST(train.back() == 799u);
    settings.train_limit = 500;  // the split applies to the images used, not the file
    tailor::split_indices(settings, 1000, train, validation);
    BOOST_TEST(train.size() == 400u);
    BOOST_TEST(validation.back() == 499u);
}

BOOST_AUTO_TEST_CASE(cosine_schedule_decays_from_the_rate_to_zero) {
    tailor::TrainSettings settings;
    settings.epochs = 4;
    settings.learning_rate = 0.002;
    BOOST_TEST(tailor::step_learning_rate(settings, 2, 5, 10) == 0.002);
    settings.lr_schedule = "cosine";
    const auto tol = boost::test_tools::tolerance(1e-12);
    BOOST_TEST(tailor::step_learning_rate(settings, 0, 0, 10) == 0.002, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 2, 9, 10) == 0.001, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 3, 0, 10) == 0.002 * 0.5 * (1 + std::cos(M_PI * 0.75)), tol);
}

// Linear and one-cycle anneal per step; a warm-up rises from (almost) 0.
BOOST_AUTO_TEST_CASE(step_schedules_and_warmup_follow_their_formulas) {
    tailor::TrainSettings settings;
    settings.epochs = 10;
    settings.learning_rate = 0.01;
    const auto tol = boost::test_tools::tolerance(1e-12);
    settings.lr_schedule = "linear";
    BOOST_TEST(tailor::step_learning_rate(settings, 0, 0, 100) == 0.01, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 5, 0, 100) == 0.005, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 9, 50, 100) == 0.01 * 0.05, tol);
    settings.lr_schedule = "onecycle";
    BOOST_TEST(tailor::step_learning_rate(settings, 0, 0, 100) == 0.01 / 25, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 3, 0, 100) == 0.01, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 6, 50, 100) == 0.01 / 25e4 + (0.01 - 0.01 / 25e4) * 0.5, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 9, 99, 100) < 0.01 / 1000);
    settings.lr_schedule = "constant";
    settings.warmup_epochs = 2;
    BOOST_TEST(tailor::step_learning_rate(settings, 0, 0, 100) == 0.01 / 200, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 1, 0, 100) == 0.01 * 101 / 200, tol);
    BOOST_TEST(tailor::step_learning_rate(settings, 2, 0, 100) == 0.01, tol);
}

// A few thousand images for three epochs; chance is 0.10, the full run 0.92.
BOOST_AUTO_TEST_CASE(cnn3_learns_from_a_few_thousand_images) {
    ScratchDirectory dir;
    auto outcome = run("cnn3", 6000, 3, dir / "cnn3");
    const double accuracy = test_accuracy(*outcome.model, 2000);
    BOOST_TEST_MESSAGE("cnn3, 4800 training images, 3 epochs: test accuracy " << accuracy);
    BOOST_TEST(accuracy >= 0.72, "test accuracy " << accuracy);
    BOOST_TEST(outcome.history.size() == 3u);
    BOOST_TEST(outcome.history[2].loss < outcome.history[0].loss, "training loss falls");
    for (const char *file : {"checkpoint.tlr", "history.csv", "run.json"}) {
        BOOST_TEST(std::filesystem::exists(dir / (std::string("cnn3/") + file)), file);
    }
}

BOOST_AUTO_TEST_CASE(mlp_learns_from_a_few_thousand_images) {
    ScratchDirectory dir;
    auto outcome = run("mlp", 4000, 3, dir / "mlp");
    const double accuracy = test_accuracy(*outcome.model, 2000);
    BOOST_TEST_MESSAGE("mlp, 3200 training images, 3 epochs: test accuracy " << accuracy);
    BOOST_TEST(accuracy >= 0.72, "test accuracy " << accuracy);
}

BOOST_AUTO_TEST_CASE(same_seed_gives_bit_identical_weights) {
    ScratchDirectory dir;
    auto a = run("cnn3", 1000, 2, dir / "a");
    auto b = run("cnn3", 1000, 2, dir / "b");
    BOOST_TEST((parameters(*a.model) == parameters(*b.model)));
    BOOST_TEST((files::read_bytes(dir / "a/checkpoint.tlr").size() == files::read_bytes(dir / "b/checkpoint.tlr").size()));
}

BOOST_AUTO_TEST_CASE(same_seed_with_every_option_gives_bit_identical_weights) {
    ScratchDirectory dir;
    auto a = run("cnn3", 1000, 2, dir / "a", false, every_option());
    auto b = run("cnn3", 1000, 2, dir / "b", false, every_option());
    BOOST_TEST((parameters(*a.model) == parameters(*b.model)));
    BOOST_TEST((averaged(*a.model) == averaged(*b.model)));
    auto plain = run("cnn3", 1000, 2, dir / "plain");
    BOOST_TEST((parameters(*a.model) != parameters(*plain.model)), "the options change the training");
}

BOOST_AUTO_TEST_CASE(resume_with_augmentation_and_averaging_equals_uninterrupted) {
    ScratchDirectory dir;
    // The schedule spans the run's 3 epochs: the resumed run stops after 1.
    auto straight = run("cnn3", 1000, 3, dir / "straight", false, every_option());
    run("cnn3", 1000, 3, dir / "resumed", false, every_option(), 1);
    auto resumed = run("cnn3", 1000, 3, dir / "resumed", true);
    BOOST_TEST((parameters(*straight.model) == parameters(*resumed.model)));
    BOOST_TEST((averaged(*straight.model) == averaged(*resumed.model)));
    BOOST_TEST(resumed.history[2].val_loss == straight.history[2].val_loss);
    BOOST_TEST(resumed.settings.augment_shift == 2, "the options come back from the checkpoint");
}

// With the modern options the network still learns, and what classifies at
// the end is the weights' average.
BOOST_AUTO_TEST_CASE(cnn3_learns_with_every_option) {
    ScratchDirectory dir;
    auto outcome = run("cnn3", 6000, 3, dir / "cnn3", false, every_option());
    const double accuracy = test_accuracy(*outcome.model, 2000);
    BOOST_TEST_MESSAGE("cnn3 with every option, 4800 images, 3 epochs: test accuracy " << accuracy);
    BOOST_TEST(accuracy >= 0.65, "test accuracy " << accuracy);
    BOOST_TEST((parameters(*outcome.model) == averaged(*outcome.model)));
}

// --validation-split 0 trains on every image and validates on none (not on
// all of them); best.tlr is the last epoch.
BOOST_AUTO_TEST_CASE(training_without_validation) {
    ScratchDirectory dir;
    tailor::TrainSettings settings;
    settings.validation_fraction = 0;
    auto outcome = run("mlp", 1000, 2, dir / "all", false, settings);
    BOOST_TEST(outcome.train_indices.size() == 1000u);
    BOOST_TEST(outcome.validation_indices.empty());
    BOOST_TEST(outcome.history[1].val_accuracy == 0.0);
    const auto best = tailor::load_checkpoint(dir / "all/best.tlr");
    BOOST_TEST(best.epochs_done == 2u);
}

BOOST_AUTO_TEST_CASE(resume_equals_uninterrupted) {
    ScratchDirectory dir;
    auto straight = run("cnn3", 1000, 3, dir / "straight");
    run("cnn3", 1000, 1, dir / "resumed");
    auto resumed = run("cnn3", 1000, 3, dir / "resumed", true);
    BOOST_TEST((parameters(*straight.model) == parameters(*resumed.model)));
    BOOST_TEST(resumed.history.size() == 3u);
    BOOST_TEST(resumed.history[2].val_loss == straight.history[2].val_loss);
}
