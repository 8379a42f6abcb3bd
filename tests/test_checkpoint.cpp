// Checkpoints: a round trip keeps every bit, and each kind of damage is
// refused with a one-line error naming the file.
#define BOOST_TEST_MODULE checkpoint
#include "files.h"

#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

using files::ScratchDirectory;

namespace {

tailor::Checkpoint sample(const tailor::Model &model) {
    tailor::Checkpoint c;
    c.settings.architecture = model.name();
    c.settings.seed = 77;
    c.settings.learning_rate = 0.002;
    c.epochs_done = 2;
    c.tensors = model.tensors();
    c.history = {{0.5, 0.8, 0.45, 0.82, 10.0}, {0.4, 0.85, 0.41, 0.84, 9.5}};
    std::size_t size = 0;
    for (const auto &t : c.tensors) {
        std::size_t n = 1;
        for (int d : t.shape) n *= d;
        size += n;
    }
    for (std::size_t i = 0; i < size; i++) {
        c.parameters.push_back(static_cast<float>(i) * 1e-3f);
        c.adam.m.push_back(static_cast<float>(i) * 2e-3f);
        c.adam.v.push_back(static_cast<float>(i) * 3e-3f);
    }
    c.adam.step = 123;
    return c;
}

void expect_refused(const std::string &path, const std::string &problem) {
    try {
        tailor::load_checkpoint(path);
        BOOST_ERROR("a damaged checkpoint was accepted; expected: " << problem);
    } catch (const tailor::Error &e) {
        const std::string message = e.what();
        BOOST_TEST(message.find(path) == 0, message);
        BOOST_TEST(message.find(problem) != std::string::npos, message);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_keeps_everything) {
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    const auto saved = sample(*model);
    tailor::save_checkpoint(dir / "c.tlr", saved);
    const auto loaded = tailor::load_checkpoint(dir / "c.tlr");
    tailor::check_compatible(dir / "c.tlr", loaded, *model);
    BOOST_TEST(loaded.settings.seed == 77u);
    BOOST_TEST(loaded.settings.learning_rate == 0.002);
    BOOST_TEST(loaded.settings.architecture == "mlp");
    BOOST_TEST(loaded.epochs_done == 2u);
    BOOST_TEST(loaded.adam.step == 123u);
    BOOST_TEST(loaded.history.size() == 2u);
    BOOST_TEST(loaded.history[1].val_accuracy == 0.84);
    BOOST_TEST((loaded.parameters == saved.parameters));
    BOOST_TEST((loaded.adam.m == saved.adam.m));
    BOOST_TEST((loaded.adam.v == saved.adam.v));
    BOOST_TEST(!std::filesystem::exists(dir / "c.tlr.tmp"), "no temporary file is left behind");
}

BOOST_AUTO_TEST_CASE(damaged_checkpoints_are_refused) {
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    tailor::save_checkpoint(dir / "good.tlr", sample(*model));
    const auto bytes = files::read_bytes(dir / "good.tlr");

    auto flipped = bytes;
    flipped[flipped.size() / 2] ^= 1;
    files::write_bytes(dir / "flipped.tlr", flipped);
    expect_refused(dir / "flipped.tlr", "checksum mismatch");

    auto truncated = bytes;
    truncated.resize(bytes.size() - 1000);
    files::write_bytes(dir / "truncated.tlr", truncated);
    expect_refused(dir / "truncated.tlr", "checksum mismatch");

    files::write_bytes(dir / "tiny.tlr", {'T', 'A'});
    expect_refused(dir / "tiny.tlr", "not a tailor checkpoint");

    auto magic = bytes;
    magic[0] = 'X';
    files::write_bytes(dir / "magic.tlr", magic);
    expect_refused(dir / "magic.tlr", "not a tailor checkpoint");

    auto version = bytes;
    version[8] = 99;
    files::write_bytes(dir / "version.tlr", version);
    expect_refused(dir / "version.tlr", "checkpoint version 99 is not supported");

    expect_refused(dir / "absent.tlr", "cannot open checkpoint");
}

BOOST_AUTO_TEST_CASE(checkpoint_of_another_architecture_is_refused) {
    ScratchDirectory dir;
    const auto mlp = tailor::make_model("mlp", 1), cnn3 = tailor::make_model("cnn3", 1);
    tailor::save_checkpoint(dir / "mlp.tlr", sample(*mlp));
    const auto loaded = tailor::load_checkpoint(dir / "mlp.tlr");
    BOOST_CHECK_THROW(tailor::check_compatible(dir / "mlp.tlr", loaded, *cnn3), tailor::Error);
}
