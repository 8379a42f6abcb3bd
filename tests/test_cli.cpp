// The tailor program as a user runs it: help on every command, and for each
// bad input a non-zero exit, a single "tailor: error:" line naming the
// problem, and no half-written output.
#define BOOST_TEST_MODULE cli
#include "binary.h"
#include "files.h"

#include "tailor/nn/model.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using files::ScratchDirectory;

namespace {

struct Result {
    int status;
    std::string out, err;
};

// `environment`: variable assignments for the shell to put before the command.
Result tailor_run(const ScratchDirectory &dir, const std::string &arguments, const std::string &environment = "") {
    const std::string command = environment + " " + tailor_binary() + " " + arguments + " >" + (dir / "stdout") + " 2>" +
                                (dir / "stderr") + " </dev/null";
    const int raw = std::system(command.c_str());
    const auto read = [](const std::string &path) {
        const auto bytes = files::read_bytes(path);
        return std::string(bytes.begin(), bytes.end());
    };
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), read(dir / "stdout"), read(dir / "stderr")};
}

// The exit status of `tailor ARGUMENTS` (as tailor_run), and its largest
// resident set in MiB. Started with posix_spawn, as std::system does: a
// fork() child of this test hung before its exec under qemu-user.
std::pair<int, long> status_and_peak_memory(const ScratchDirectory &dir, const std::string &arguments) {
    const std::string command = "exec " + tailor_binary() + " " + arguments + " >" + (dir / "stdout") + " 2>" +
                                (dir / "stderr") + " </dev/null";
    std::string shell = "sh", option = "-c", script = command;
    char *argv[] = {shell.data(), option.data(), script.data(), nullptr};
    pid_t pid = 0;
    BOOST_TEST_REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, environ) == 0);
    int raw = 0;
    rusage usage{};
    while (wait4(pid, &raw, 0, &usage) < 0 && errno == EINTR) {
    }
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw), usage.ru_maxrss / 1024};
}

void expect_failure(const ScratchDirectory &dir, const std::string &arguments, const std::string &problem,
                    const std::string &environment = "") {
    BOOST_TEST_CONTEXT(environment << " tailor " << arguments) {
        const Result r = tailor_run(dir, arguments, environment);
        BOOST_TEST((r.status == 1 || r.status == 2), "exit status " << r.status);
        BOOST_TEST(r.err.rfind("tailor: error: ", 0) == 0, "stderr: " << r.err);
        BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "one line: " << r.err);
        BOOST_TEST(r.err.find(problem) != std::string::npos, "stderr: " << r.err);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(help_and_version_succeed) {
    ScratchDirectory dir;
    for (const char *arguments : {"--help", "train --help", "evaluate --help", "summary --help", "--version"}) {
        const Result r = tailor_run(dir, arguments);
        BOOST_TEST(r.status == 0, arguments);
        BOOST_TEST(!r.out.empty(), arguments);
    }
    BOOST_TEST(tailor_run(dir, "train --help").out.find("--resume") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(summary_prints_the_reports_figure_6) {
    ScratchDirectory dir;
    const Result r = tailor_run(dir, "summary --arch cnn3");
    BOOST_TEST(r.status == 0);
    for (const char *line : {"conv2d_1 (Conv2D)              (None, 26, 26, 32)     320",
                             "conv2d_2 (Conv2D)              (None, 11, 11, 64)     18496",
                             "max_pooling2d_2 (MaxPooling2D) (None, 5, 5, 64)       0",
                             "conv2d_3 (Conv2D)              (None, 3, 3, 128)      73856",
                             "flatten_1 (Flatten)            (None, 1152)           0",
                             "dense_1 (Dense)                (None, 128)            147584",
                             "dense_2 (Dense)                (None, 10)             1290", "Total params: 241,546"}) {
        BOOST_TEST(r.out.find(line) != std::string::npos, line);
    }
    BOOST_TEST(tailor_run(dir, "summary --arch mlp").out.find("Total params: 407,050") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_flags_are_one_line_errors) {
    ScratchDirectory dir;
    expect_failure(dir, "", "A subcommand is required");
    expect_failure(dir, "evalute --checkpoint x", "evalute: no such command (commands: train, evaluate,");
    expect_failure(dir, "train --bogus", "--bogus");
    expect_failure(dir, "train --epochs 0", "--epochs");
    expect_failure(dir, "train --epochs many", "--epochs");
    expect_failure(dir, "train --batch -3", "--batch");
    expect_failure(dir, "train --lr -1", "--lr");
    for (const char *flag : {"--lr nan", "--lr inf", "--dropout nan", "--label-smoothing nan", "--ema -nan",
                             "--flip nan", "--warmup inf", "--validation-split nan", "--noise-stddev nan"}) {
        expect_failure(dir, std::string("train ") + flag + " --out " + (dir / "run"), std::string(flag).substr(0, std::string(flag).find(' ')));
    }
    expect_failure(dir, "experiment --grid-lr 0.001,nan --preset grid --out " + (dir / "exp"), "--grid-lr");
    expect_failure(dir, "experiment --grid-dropout inf --preset grid --out " + (dir / "exp"), "--grid-dropout");
    expect_failure(dir, "train --lr-schedule step", "--lr-schedule");
    // CLI11 alone wraps -1, saturates 2^64 and reads 0x10 as 16.
    for (const char *flag : {"--seed -1", "--seed 18446744073709551616", "--lr 0x10", "--out ''"}) {
        expect_failure(dir, std::string("train ") + flag, std::string(flag).substr(0, std::string(flag).find(' ')));
    }
    for (const char *repeated : {"--arch cnn1,cnn1 --seeds 1", "--arch cnn1 --seeds 10,010", "--preset table1 --preset table1",
                                 "--preset grid --grid-lr 0.001,0.001"}) {
        expect_failure(dir, std::string("experiment ") + repeated + " --out " + (dir / "exp"), "is planned twice");
    }
    expect_failure(dir, "train --arch resnet --out " + (dir / "run"), "unknown architecture 'resnet'");
    expect_failure(dir, "evaluate", "--checkpoint");
    expect_failure(dir, "experiment --out " + (dir / "exp"), "nothing to run");
    expect_failure(dir, "experiment --preset grid --out " + (dir / "exp"), "at least one --grid-* list");
    expect_failure(dir, "experiment --preset table9", "--preset");
    expect_failure(dir, "report", "--run");
    expect_failure(dir, "experiment --arch cnn1 --seeds 1 --executor pbs", "--executor");
    expect_failure(dir, "experiment --arch cnn1 --seeds 1 --jobs 65 --out " + (dir / "exp"), "at most 64");
    for (const char *flag : {"--partition p", "--cpus-per-task 2", "--sbatch-arg=--time=5", "--no-wait"}) {
        expect_failure(dir, std::string("experiment --arch cnn1 --seeds 1 ") + flag + " --out " + (dir / "exp"),
                       "need --executor slurm");
    }
    expect_failure(dir, "experiment --arch cnn1 --seeds 1 --executor slurm --out " + (dir / "exp"),
                   "sbatch: not found; --executor slurm needs Slurm's commands", "PATH=/nonexistent");
    BOOST_TEST(!std::filesystem::exists(dir / "exp"), "a refused experiment writes nothing");
    std::filesystem::create_directories(dir / "broken");
    files::write_text(dir / "broken/plan.json", "{\"runs\": []}");
    expect_failure(dir, "experiment --preset table1 --out " + (dir / "broken"), "plan.json: not an experiment plan");
    files::write_text(dir / "broken/plan.json", R"({"jobs": [{"table": "t", "label": "a", "architecture": "mlp",
        "seed": "1", "options": "x | y", "arguments": []}]})");
    expect_failure(dir, "experiment --preset table1 --out " + (dir / "broken"), "a's options hold a quote, '|'");
    files::write_text(dir / "broken/run.json", "{\"settings\": {}}");
    expect_failure(dir, "report --run " + (dir / "broken"), "run.json: not a tailor run record");
    BOOST_TEST(!std::filesystem::exists(dir / "run"), "a refused run writes nothing");
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_one_line_errors) {
    ScratchDirectory dir;
    expect_failure(dir, "train --data " + (dir / "none") + " --out " + (dir / "run"), "no such directory");
    expect_failure(dir, "train --resume --out " + (dir / "empty"), "no checkpoint to resume from");
    expect_failure(dir, "evaluate --checkpoint " + (dir / "absent.tlr"), "no such file");
    expect_failure(dir, "evaluate --checkpoint " + dir.path.string(), dir.path.string() + ": is a directory");
    files::write_text(dir / "file", "");
    expect_failure(dir, "train --out " + (dir / "file/run"), (dir / "file/run") + ": cannot create the output directory");
    files::write_text(dir / "junk.tlr", "this is not a checkpoint, but long enough to have a header");
    expect_failure(dir, "evaluate --checkpoint " + (dir / "junk.tlr"), "not a tailor checkpoint");
    files::write_text(dir / "bad.csv", "label,pixel1\n1,2\n");
    expect_failure(dir, "train --data " + (dir / "bad.csv") + " " + (dir / "bad.csv") + " --out " + (dir / "csv"),
                   "header has 2 columns");
    BOOST_TEST(!std::filesystem::exists(dir / "csv"), "a run refused for its data writes nothing");
    BOOST_REQUIRE(mkfifo((dir / "pipe.csv").c_str(), 0644) == 0);
    expect_failure(dir, "train --data " + (dir / "pipe.csv") + " " + (dir / "pipe.csv") + " --out " + (dir / "csv"),
                   (dir / "pipe.csv") + ": is not a regular file");
}

namespace {

// A valid mlp checkpoint (CRC and all) whose weights no model can use.
void save_unusable_checkpoint(const std::string &path) {
    const auto model = tailor::make_model("mlp", 1);
    tailor::Checkpoint checkpoint;
    checkpoint.settings.architecture = model->name();
    checkpoint.tensors = model->tensors();
    checkpoint.parameters.assign(model->parameters().size(), 0.0f);
    checkpoint.parameters[5] = 1e38f;  // finite, but classifies into NaN
    checkpoint.adam.m = checkpoint.adam.v = checkpoint.parameters;
    tailor::save_checkpoint(path, checkpoint);
}

}  // namespace

// A checkpoint no model can use is refused before the data are read: the
// error names it, even where the data would have failed too.
BOOST_AUTO_TEST_CASE(an_unusable_checkpoint_is_refused_before_the_data_are_read) {
    ScratchDirectory dir;
    save_unusable_checkpoint(dir / "huge.tlr");
    expect_failure(dir, "evaluate --checkpoint " + (dir / "huge.tlr") + " --data " + (dir / "absent"),
                   (dir / "huge.tlr") + ": parameters so large");
    std::filesystem::create_directory(dir / "run");
    save_unusable_checkpoint(dir / "run/checkpoint.tlr");
    expect_failure(dir, "train --arch mlp --resume --out " + (dir / "run") + " --data " + (dir / "absent"),
                   (dir / "run/checkpoint.tlr") + ": parameters so large");
    expect_failure(dir, "train --resume --out " + (dir / "none") + " --data " + (dir / "absent"),
                   (dir / "none/checkpoint.tlr") + ": no checkpoint to resume from");
}

BOOST_AUTO_TEST_CASE(quotes_in_paths_reach_no_shell_and_links_are_not_followed) {
    ScratchDirectory dir;
    // gnuplot once read the report's paths inside its quotes.
    const Result r = tailor_run(dir, "train --limit 50 --epochs 1 --test-limit 20 --out '" +
                                         std::string("it'\\''s") + "'", "cd " + dir.path.string() + " &&");
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(std::filesystem::exists(dir / "it's/report.html"));
    BOOST_TEST(std::filesystem::exists(dir / "it's/report/training_curves.png"), r.err);
    files::write_text(dir / "victim", "precious");
    std::filesystem::create_directories(dir / "locked");
    std::filesystem::create_symlink(dir / "victim", dir / "locked/lock");
    expect_failure(dir, "train --limit 10 --epochs 1 --skip-test --out " + (dir / "locked"), "symbolic links");
    const auto victim = files::read_bytes(dir / "victim");
    BOOST_TEST(std::string(victim.begin(), victim.end()) == "precious");
}

BOOST_AUTO_TEST_CASE(resume_repeats_the_runs_flags_but_refuses_new_ones) {
    ScratchDirectory dir;
    const std::string run = "train --limit 60 --test-limit 10 --skip-test --seed 5 --out " + (dir / "run");
    BOOST_REQUIRE(tailor_run(dir, run + " --epochs 2").status == 0);
    // An experiment resumes its runs with all their flags again.
    BOOST_TEST(tailor_run(dir, run + " --epochs 2 --resume").status == 0);
    expect_failure(dir, run + " --epochs 2 --resume --batch 64", "the run has batch 32, --batch asks for 64");
    expect_failure(dir, run + " --epochs 2 --resume --lr 0.002", "the run has learning_rate 0.001, --lr asks for 0.002");
    expect_failure(dir, run + " --epochs 1 --resume", "already holds 2 epochs");
}

BOOST_AUTO_TEST_CASE(train_then_evaluate_on_csv_data) {
    // A small Kaggle-layout data set written here: the whole program path,
    // train, checkpoint, evaluate, on files the test controls.
    ScratchDirectory dir;
    std::string train = files::csv_header(), test = files::csv_header();
    for (int i = 0; i < 200; i++) train += files::csv_row(i % 10, i * 13);
    for (int i = 0; i < 50; i++) test += files::csv_row(i % 10, i * 17);
    files::write_text(dir / "train.csv", train);
    files::write_text(dir / "test.csv", test);
    const Result trained = tailor_run(dir, "train --arch mlp --epochs 1 --data " + (dir / "train.csv") + " " +
                                               (dir / "test.csv") + " --out " + (dir / "run"));
    BOOST_TEST(trained.status == 0, trained.err);
    BOOST_TEST(trained.out.find("Epoch 1/1") != std::string::npos);
    BOOST_TEST(trained.out.find("weighted avg") != std::string::npos);
    for (const char *file : {"checkpoint.tlr", "best.tlr", "history.csv", "run.json", "evaluation.txt", "predictions.csv",
                             "confusion_matrix.csv", "classification_report.csv", "evaluation.json"}) {
        BOOST_TEST(std::filesystem::exists(dir / (std::string("run/") + file)), file);
    }
    const auto predictions = files::read_bytes(dir / "run/predictions.csv");
    BOOST_TEST(std::count(predictions.begin(), predictions.end(), '\n') == 51);

    const Result evaluated = tailor_run(dir, "evaluate --checkpoint " + (dir / "run/checkpoint.tlr") + " --data " +
                                                 (dir / "train.csv") + " " + (dir / "test.csv") + " --out " +
                                                 (dir / "eval"));
    BOOST_TEST(evaluated.status == 0, evaluated.err);
    BOOST_TEST(files::read_bytes(dir / "eval/evaluation.txt") == files::read_bytes(dir / "run/evaluation.txt"));

    // Another checkpoint's evaluation goes beside it, leaving the run's own intact.
    const Result best = tailor_run(dir, "evaluate --checkpoint " + (dir / "run/best.tlr") + " --data " +
                                            (dir / "train.csv") + " " + (dir / "test.csv"));
    BOOST_TEST(best.status == 0, best.err);
    BOOST_TEST(std::filesystem::exists(dir / "run/best/evaluation.txt"));
}

BOOST_AUTO_TEST_CASE(a_diverging_run_saves_no_checkpoint_tailor_would_refuse) {
    ScratchDirectory dir;
    // Its own exit status, which an experiment records as the run's outcome.
    const Result r =
        tailor_run(dir, "train --arch mlp --lr 1e13 --epochs 2 --limit 48 --skip-test --out " + (dir / "run"));
    BOOST_TEST(r.status == tailor::kDivergedExitStatus);
    BOOST_TEST(r.err.rfind("tailor: error: training diverged", 0) == 0, r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(!std::filesystem::exists(dir / "run/checkpoint.tlr"));
}

BOOST_AUTO_TEST_CASE(a_split_leaving_no_training_images_is_refused) {
    ScratchDirectory dir;
    std::string train = files::csv_header(), one = files::csv_header() + files::csv_row(3, 7);
    for (int i = 0; i < 20; i++) train += files::csv_row(i % 10, i * 13);
    files::write_text(dir / "train.csv", train);
    files::write_text(dir / "one.csv", one);
    const std::string split = " --arch mlp --epochs 1 --validation-split 0.6 --out ";
    expect_failure(dir, "train --data " + (dir / "one.csv") + " " + (dir / "one.csv") + split + (dir / "refused"),
                   (dir / "one.csv") + ": no training images left after the validation split");
    const Result trained =
        tailor_run(dir, "train --data " + (dir / "train.csv") + " " + (dir / "train.csv") + split + (dir / "run"));
    BOOST_REQUIRE_MESSAGE(trained.status == 0, trained.err);
    // The checkpoint's split of one image holds it out: nothing would be left to call "train".
    expect_failure(dir, "evaluate --checkpoint " + (dir / "run/checkpoint.tlr") + " --data " + (dir / "one.csv") + " " +
                            (dir / "one.csv") + " --out " + (dir / "eval"),
                   (dir / "one.csv") + ": no training images left after the checkpoint's validation split");
    BOOST_TEST(!std::filesystem::exists(dir / "eval/evaluation.txt"));
}

BOOST_AUTO_TEST_CASE(a_batch_larger_than_the_data_allocates_for_the_data_only) {
    // cnn3's activations and gradients for 8192 images fill 1.2 GiB; the
    // runs with a batch of the whole data set are the yardstick, since an
    // emulator, a sanitizer or an OpenCL runtime adds its own memory.
    ScratchDirectory dir;
    std::string train = files::csv_header(), test = files::csv_header();
    for (int i = 0; i < 100; i++) train += files::csv_row(i % 10, i * 13);
    for (int i = 0; i < 20; i++) test += files::csv_row(i % 10, i * 17);
    files::write_text(dir / "train.csv", train);
    files::write_text(dir / "test.csv", test);
    const std::string data = " --data " + (dir / "train.csv") + " " + (dir / "test.csv");
    // The largest resident sets of training and of evaluating, in MiB.
    const auto peaks = [&](const std::string &batch) {
        const std::string run = dir / ("run-" + batch), flags = data + " --batch " + batch;
        const auto [trained, training] =
            status_and_peak_memory(dir, "train --arch cnn3 --epochs 1 --out " + run + flags);
        BOOST_TEST_REQUIRE(trained == 0, "train --batch " << batch);
        const auto [evaluated, evaluating] =
            status_and_peak_memory(dir, "evaluate --checkpoint " + run + "/checkpoint.tlr --out " + run + flags);
        BOOST_TEST_REQUIRE(evaluated == 0, "evaluate --batch " << batch);
        return std::pair{training, evaluating};
    };
    const auto [whole_set_training, whole_set_evaluating] = peaks("100");
    const auto [training, evaluating] = peaks("8192");
    BOOST_TEST(training < whole_set_training + 200, training << " MiB, against " << whole_set_training);
    BOOST_TEST(evaluating < whole_set_evaluating + 200, evaluating << " MiB, against " << whole_set_evaluating);
}

BOOST_AUTO_TEST_CASE(training_with_a_batch_larger_than_the_data_evaluates_as_evaluate_does) {
    // 46 training images, the network sized for 256 (not 46): the final
    // evaluation's chunks of the 700 test images are evaluate's.
    ScratchDirectory dir;
    std::string train = files::csv_header(), test = files::csv_header();
    for (int i = 0; i < 60; i++) train += files::csv_row(i % 10, i * 13);
    for (int i = 0; i < 700; i++) test += files::csv_row(i % 10, i * 17);
    files::write_text(dir / "train.csv", train);
    files::write_text(dir / "test.csv", test);
    const std::string data = " --data " + (dir / "train.csv") + " " + (dir / "test.csv");
    const Result trained =
        tailor_run(dir, "train --arch mlp --epochs 1 --limit 57 --batch 256 --out " + (dir / "run") + data);
    BOOST_TEST_REQUIRE(trained.status == 0, trained.err);
    const Result evaluated =
        tailor_run(dir, "evaluate --checkpoint " + (dir / "run/checkpoint.tlr") + " --out " + (dir / "eval") + data);
    BOOST_TEST_REQUIRE(evaluated.status == 0, evaluated.err);
    BOOST_TEST((files::read_bytes(dir / "run/predictions.csv") == files::read_bytes(dir / "eval/predictions.csv")));
}
