// Checkpoints: a round trip keeps every bit, and each kind of damage is
// refused with a one-line error naming the file.
#define BOOST_TEST_MODULE checkpoint
#include "files.h"

#include "tailor/nn/activation_bound.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <type_traits>

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

// A checkpoint laid out as version 1 wrote it (before weight averaging and
// augmentation): only the first settings, no averaged parameters.
std::vector<uint8_t> version1_bytes(const tailor::Checkpoint &c) {
    std::string bytes = "TAILORCK";
    auto put = [&](const auto &value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
            const auto length = static_cast<uint32_t>(value.size());
            bytes.append(reinterpret_cast<const char *>(&length), 4);
            bytes += value;
        } else {
            bytes.append(reinterpret_cast<const char *>(&value), sizeof value);
        }
    };
    auto floats = [&](const std::vector<float> &values) {
        put(static_cast<uint64_t>(values.size()));
        bytes.append(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float));
    };
    put(uint32_t{1});
    boost::pfr::for_each_field(c.settings, [&](const auto &field, std::size_t i) {
        if (i < tailor::kVersion1SettingFields) put(field);
    });
    put(c.epochs_done);
    put(c.adam.step);
    put(static_cast<uint32_t>(c.tensors.size()));
    for (const auto &t : c.tensors) {
        put(t.name);
        put(static_cast<uint32_t>(t.shape.size()));
        for (int d : t.shape) put(static_cast<int32_t>(d));
    }
    put(static_cast<uint32_t>(c.history.size()));
    for (const auto &e : c.history) boost::pfr::for_each_field(e, [&](double field) { put(field); });
    floats(c.parameters);
    floats(c.adam.m);
    floats(c.adam.v);
    put(static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef *>(bytes.data()), bytes.size())));
    return {bytes.begin(), bytes.end()};
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

BOOST_AUTO_TEST_CASE(round_trip_keeps_the_average_and_the_new_settings) {
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    auto saved = sample(*model);
    saved.settings.recipe = "best";
    saved.settings.augment_shift = 2;
    saved.settings.ema_decay = 0.999;
    for (float p : saved.parameters) saved.averaged.push_back(p * 0.5f);
    tailor::save_checkpoint(dir / "c.tlr", saved);
    const auto loaded = tailor::load_checkpoint(dir / "c.tlr");
    BOOST_TEST(loaded.settings.recipe == "best");
    BOOST_TEST(loaded.settings.augment_shift == 2);
    BOOST_TEST(loaded.settings.ema_decay == 0.999);
    BOOST_TEST((loaded.averaged == saved.averaged));
    BOOST_TEST((loaded.classifying_parameters() == saved.averaged), "the average classifies");
}

BOOST_AUTO_TEST_CASE(version_1_checkpoints_still_load) {
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    const auto old = sample(*model);
    files::write_bytes(dir / "v1.tlr", version1_bytes(old));
    const auto loaded = tailor::load_checkpoint(dir / "v1.tlr");
    tailor::check_compatible(dir / "v1.tlr", loaded, *model);
    BOOST_TEST(loaded.settings.seed == 77u);
    BOOST_TEST(loaded.settings.recipe == "report", "settings version 1 lacks keep their defaults");
    BOOST_TEST(loaded.settings.ema_decay == 0.0);
    BOOST_TEST((loaded.parameters == old.parameters));
    BOOST_TEST((loaded.adam.v == old.adam.v));
    BOOST_TEST(loaded.averaged.empty());
    BOOST_TEST((loaded.classifying_parameters() == old.parameters));
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

    expect_refused(dir / "absent.tlr", "no such file");
    expect_refused(dir.path.string(), "is a directory, expected a file");
    expect_refused("/dev/zero", "is not a regular file");

    // Larger than any checkpoint (a sparse file: nothing of it is read).
    files::write_bytes(dir / "huge.tlr", bytes);
    std::filesystem::resize_file(dir / "huge.tlr", std::uintmax_t{300} << 20);
    expect_refused(dir / "huge.tlr", "too large for a checkpoint");
}

BOOST_AUTO_TEST_CASE(checkpoints_with_unusable_settings_are_refused) {
    // Well-formed, checksum and all, but with settings no run could have.
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    auto nan_rate = sample(*model);
    nan_rate.settings.learning_rate = std::nan("");
    tailor::save_checkpoint(dir / "nan.tlr", nan_rate);
    expect_refused(dir / "nan.tlr", "holds settings tailor cannot use: --lr must be a positive number");
    auto huge_batch = sample(*model);
    huge_batch.settings.batch = int64_t{1} << 40;
    tailor::save_checkpoint(dir / "batch.tlr", huge_batch);
    expect_refused(dir / "batch.tlr", "--batch must be between 1 and 8192");
    auto bogus_recipe = sample(*model);
    bogus_recipe.settings.recipe = "bogus";
    tailor::save_checkpoint(dir / "recipe.tlr", bogus_recipe);
    expect_refused(dir / "recipe.tlr", "unknown --recipe");
}

BOOST_AUTO_TEST_CASE(checkpoints_with_impossible_contents_are_refused) {
    // Training stops before a non-finite value reaches a checkpoint.
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    const auto refused = [&](const std::string &name, auto forge, const std::string &problem) {
        auto checkpoint = sample(*model);
        forge(checkpoint);
        tailor::save_checkpoint(dir / name, checkpoint);
        expect_refused(dir / name, problem);
    };
    refused("weight.tlr", [](auto &c) { c.parameters[7] = std::nanf(""); }, "parameters hold NaN or infinity");
    refused("moment.tlr", [](auto &c) { c.adam.v[3] = INFINITY; }, "Adam second moments hold NaN or infinity");
    refused("arch.tlr", [](auto &c) { c.settings.architecture = "mlp\x1b[2J"; },
            "holds an architecture this tailor does not know");
    refused("epochs.tlr", [](auto &c) { c.settings.epochs = c.epochs_done - 1; },
            "holds more epochs than its settings train");
}

BOOST_AUTO_TEST_CASE(saving_through_a_planted_link_never_writes_its_target) {
    // Another user plants a link where the temporary file will be.
    ScratchDirectory dir;
    files::write_text(dir / "victim", "precious");
    const std::string path = dir / "run.tlr";
    std::filesystem::create_symlink(dir / "victim", path + ".tmp." + std::to_string(getpid()));
    const auto model = tailor::make_model("mlp", 1);
    tailor::save_checkpoint(path, sample(*model));
    const auto victim = files::read_bytes(dir / "victim");
    BOOST_TEST(std::string(victim.begin(), victim.end()) == "precious");
    BOOST_TEST(std::filesystem::is_regular_file(std::filesystem::symlink_status(path)));
    BOOST_TEST(tailor::load_checkpoint(path).parameters == sample(*model).parameters);
}

BOOST_AUTO_TEST_CASE(a_set_of_files_is_replaced_whole_or_not_at_all) {
    ScratchDirectory dir;
    files::write_text(dir / "a.csv", "old");
    BOOST_CHECK_THROW(tailor::write_files_atomically({{dir / "a.csv", "new"}, {dir / "missing/b.csv", "new"}}),
                      tailor::Error);
    const auto a = files::read_bytes(dir / "a.csv");
    BOOST_TEST(std::string(a.begin(), a.end()) == "old");
    BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 1, "no temporary left");
    tailor::write_files_atomically({{dir / "a.csv", "new"}, {dir / "b.csv", "new"}});
    const auto b = files::read_bytes(dir / "b.csv");
    BOOST_TEST(std::string(b.begin(), b.end()) == "new");
}

BOOST_AUTO_TEST_CASE(a_device_or_pipe_is_never_replaced_by_a_file) {
    // As root, `tailor export --onnx /dev/null` once renamed a file over the device.
    ScratchDirectory dir;
    const std::string pipe = dir / "pipe.onnx";
    BOOST_REQUIRE(mkfifo(pipe.c_str(), 0644) == 0);
    try {
        tailor::write_file_atomically(pipe, "model");
        BOOST_ERROR("a pipe was replaced");
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()) == pipe + ": is not a regular file; tailor writes only files");
    }
    BOOST_TEST(std::filesystem::is_fifo(pipe));
    // Nor a link to one (as /dev/stdout is, to the pipe a shell set up).
    const std::string link = dir / "stdout";
    std::filesystem::create_symlink(pipe, link);
    try {
        tailor::write_file_atomically(link, "model");
        BOOST_ERROR("a link to a pipe was replaced");
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()) ==
                   link + ": links to a link, a directory, a device or a pipe; tailor writes only files");
    }
    BOOST_TEST(std::filesystem::is_symlink(link));
    BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 2, "no temporary left");
    // Nor a link to a link to a file (as /dev/stdout is, to /proc/self/fd/1,
    // when the shell sends it to a file).
    files::write_text(dir / "old.onnx", "old");
    std::filesystem::create_symlink("old.onnx", dir / "fd");
    std::filesystem::create_symlink(dir / "fd", dir / "chain.onnx");
    BOOST_CHECK_THROW(tailor::write_file_atomically(dir / "chain.onnx", "model"), tailor::Error);
    BOOST_TEST(std::filesystem::is_symlink(dir / "chain.onnx"));
    // A link to a file is replaced by the new file, its target left alone.
    tailor::write_file_atomically(dir / "fd", "model");
    BOOST_TEST(!std::filesystem::is_symlink(dir / "fd"));
    BOOST_TEST(files::read_bytes(dir / "old.onnx").size() == 3u);
}

BOOST_AUTO_TEST_CASE(checkpoint_of_another_architecture_is_refused) {
    ScratchDirectory dir;
    const auto mlp = tailor::make_model("mlp", 1), cnn3 = tailor::make_model("cnn3", 1);
    tailor::save_checkpoint(dir / "mlp.tlr", sample(*mlp));
    const auto loaded = tailor::load_checkpoint(dir / "mlp.tlr");
    BOOST_CHECK_THROW(tailor::check_compatible(dir / "mlp.tlr", loaded, *cnn3), tailor::Error);
}

BOOST_AUTO_TEST_CASE(activation_bound_follows_the_layers) {
    // Two dense layers, 3 -> 2 -> 1, outputs innermost: the first layer's
    // outputs are at most max(1+3+5 + 0.5, 2+4+6 + 1) = 13, the second's 5 x 13 + 1.
    const std::vector<tailor::TensorInfo> tensors = {
        {"dense_1/weights", {2, 3}, 0}, {"dense_1/bias", {2}, 6},
        {"dense_2/weights", {1, 2}, 8}, {"dense_2/bias", {1}, 10}};
    const std::vector<float> parameters = {1, -2, 3, 4, -5, 6, 0.5f, -1, 2, -3, 1};
    BOOST_TEST(tailor::activation_bound(tensors, parameters) == 66.0);
    // Tiny weights after a layer do not hide its bound.
    const std::vector<float> shrinking = {1, -2, 3, 4, -5, 6, 0.5f, -1, 0.25f, -0.25f, 0};
    BOOST_TEST(tailor::activation_bound(tensors, shrinking) == 13.0);
}

BOOST_AUTO_TEST_CASE(weights_that_could_overflow_float_are_refused) {
    // Finite but huge weights classify into NaN; every command loading a
    // checkpoint for a model checks it is compatible first.
    ScratchDirectory dir;
    const auto model = tailor::make_model("mlp", 1);
    for (const bool averaged : {false, true}) {
        auto checkpoint = sample(*model);
        if (averaged) checkpoint.averaged = checkpoint.parameters;
        (averaged ? checkpoint.averaged : checkpoint.parameters)[5] = 1e38f;
        const std::string path = dir / "huge.tlr";
        tailor::save_checkpoint(path, checkpoint);
        const auto loaded = tailor::load_checkpoint(path);
        try {
            tailor::check_compatible(path, loaded, *model);
            BOOST_ERROR("weights of 1e38 were accepted");
        } catch (const tailor::Error &e) {
            const std::string message = e.what();
            BOOST_TEST(message.find(path + ": " + (averaged ? "averaged parameters" : "parameters")) == 0, message);
            BOOST_TEST(message.find("could overflow float") != std::string::npos, message);
        }
    }
}
