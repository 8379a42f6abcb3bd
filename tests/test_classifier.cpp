// The inference library (tailor/classifier.h): the checkpoint's network, its
// weights' average when there is one, and the same answers from threads
// that call it at once.
#define BOOST_TEST_MODULE classifier
#include "files.h"
#include "support.h"

#include "tailor/classifier.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

#include <thread>

using files::ScratchDirectory;

namespace {

// A checkpoint of an untrained network, its average differing from its weights.
tailor::Checkpoint untrained(const tailor::Model &model) {
    tailor::Checkpoint c;
    c.settings.architecture = model.name();
    c.tensors = model.tensors();
    const auto weights = const_cast<tailor::Model &>(model).parameters();
    c.parameters.assign(weights.begin(), weights.end());
    c.adam.m.assign(c.parameters.size(), 0.0f);
    c.adam.v = c.adam.m;
    c.averaged = c.parameters;
    for (float &w : c.averaged) w *= 0.5f;
    c.settings.ema_decay = 0.99;
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(concurrent_callers_get_what_the_network_computes) {
    ScratchDirectory dir;
    auto model = tailor::make_model("mlp", 64);
    model->initialize(7);
    const tailor::Checkpoint checkpoint = untrained(*model);
    tailor::save_checkpoint(dir / "c.tlr", checkpoint);

    constexpr int kImages = 40;  // a few, for the emulated runs
    const auto images = support::random_floats(kImages * 784, 11, 0.0f, 1.0f);
    model->set_parameters(checkpoint.averaged);  // what classifies
    std::vector<float> expected(kImages * 10);
    model->predict(images.data(), nullptr, nullptr, kImages, expected.data());

    const tailor::Classifier classifier(dir / "c.tlr");
    BOOST_TEST(classifier.architecture() == "mlp");
    std::vector<std::vector<float>> results(3, std::vector<float>(kImages * 10));
    std::vector<std::thread> threads;
    for (auto &result : results) {
        threads.emplace_back([&] {
            for (int i = 0; i < kImages; i++) {
                const auto p = classifier.classify(images.data() + i * 784);
                std::copy(p.begin(), p.end(), result.begin() + i * 10);
            }
        });
    }
    for (auto &t : threads) t.join();
    for (const auto &result : results) {
        for (int i = 0; i < kImages * 10; i++) BOOST_TEST(std::abs(result[i] - expected[i]) < 1e-6, "output " << i);
    }
    std::vector<float> batch(kImages * 10);
    classifier.classify(images.data(), kImages, batch.data());
    for (int i = 0; i < kImages * 10; i++) BOOST_TEST(std::abs(batch[i] - expected[i]) < 1e-6, "batch output " << i);
    BOOST_TEST(std::string(tailor::Classifier::class_name(9)) == "Ankle boot");
}

BOOST_AUTO_TEST_CASE(a_bad_checkpoint_is_an_error_naming_it) {
    ScratchDirectory dir;
    files::write_text(dir / "junk.tlr", "not a checkpoint at all, but long enough");
    try {
        tailor::Classifier classifier(dir / "junk.tlr");
        BOOST_ERROR("accepted");
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()).find(dir / "junk.tlr") == 0, e.what());
    }
}
