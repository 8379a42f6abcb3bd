// Faults a training survives: SIGKILL at random points (then --resume ends
// with the bits of an uninterrupted run), SIGINT and SIGTERM (a clean stop at
// the last whole epoch), a file-size limit hit while the checkpoint is
// written (the previous one intact), and a second training on the same
// directory (refused while the first runs on).
#define BOOST_TEST_MODULE faults
#include "binary.h"
#include "files.h"

#include "tailor/nn/kernel_call.h"
#include "tailor/train/checkpoint.h"
#include "tailor/util/directory_lock.h"
#include "tailor/util/random.h"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

using files::ScratchDirectory;

namespace {

// A small Kaggle-layout data set: the runs take a fraction of a second an epoch.
struct SmallData {
    ScratchDirectory dir;
    std::string train = dir / "train.csv", test = dir / "test.csv";
    SmallData() {
        std::string train_text = files::csv_header(), test_text = files::csv_header();
        for (int i = 0; i < 600; i++) train_text += files::csv_row(i % 10, i * 13);
        for (int i = 0; i < 50; i++) test_text += files::csv_row(i % 10, i * 17);
        files::write_text(train, train_text);
        files::write_text(test, test_text);
    }
};

std::vector<std::string> words(const std::string &text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

// Starts `tailor ARGUMENTS` (the binary may be an emulator and the program),
// its output into LOG, with a file-size limit when `max_file_bytes` > 0.
pid_t start_tailor(const std::string &arguments, const std::string &log, rlim_t max_file_bytes = 0) {
    std::vector<std::string> argv = words(tailor_binary() + " " + arguments);
    const pid_t pid = fork();
    if (pid != 0) return pid;
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (max_file_bytes > 0) {
        const rlimit limit{max_file_bytes, max_file_bytes};
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    std::vector<char *> pointers;
    for (auto &a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    execvp(pointers[0], pointers.data());
    _exit(127);
}

// A wait status as one number: the exit status, or 128 + the signal that ended it.
int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return exit_code(status);
}

// The exit code if the process ends before `deadline`, else -1.
int exit_code_by(pid_t pid, std::chrono::steady_clock::time_point deadline) {
    for (int status = 0; std::chrono::steady_clock::now() < deadline;) {
        if (waitpid(pid, &status, WNOHANG) == pid) return exit_code(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return -1;
}

std::string text_of(const std::string &path) {
    const auto bytes = files::read_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

// Waits until a run has written its first checkpoint.
void wait_for_checkpoint(const std::string &run) {
    for (int i = 0; i < 6000 && !std::filesystem::exists(run + "/checkpoint.tlr"); i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_REQUIRE(std::filesystem::exists(run + "/checkpoint.tlr"));
}

// No temporary file of an atomic write is left behind.
void expect_no_temporary_files(const std::string &run) {
    for (const auto &entry : std::filesystem::directory_iterator(run)) {
        BOOST_TEST(entry.path().filename().string().find(".tmp.") == std::string::npos, entry.path());
    }
}

// Every bit a resumed run continues from.
void expect_identical(const tailor::Checkpoint &a, const tailor::Checkpoint &b) {
    BOOST_TEST(a.epochs_done == b.epochs_done);
    BOOST_TEST(a.adam.step == b.adam.step);
    BOOST_TEST((a.parameters == b.parameters), "parameters");
    BOOST_TEST((a.adam.m == b.adam.m), "Adam first moments");
    BOOST_TEST((a.adam.v == b.adam.v), "Adam second moments");
    BOOST_TEST((a.averaged == b.averaged), "averaged parameters");
    for (std::size_t e = 0; e < std::min(a.history.size(), b.history.size()); e++) {
        BOOST_TEST(a.history[e].val_loss == b.history[e].val_loss, "epoch " << e + 1 << " val_loss");
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigkill_at_random_points_then_resume_equals_an_uninterrupted_run) {
    SmallData data;
    const std::string options = "train --arch cnn1 --epochs 10 --batch 32 --shift 1 --ema 0.99 --label-smoothing 0.1 "
                                "--lr-schedule onecycle --skip-test --data " + data.train + " " + data.test;
    const std::string straight = data.dir / "straight", killed = data.dir / "killed";
    const auto start = std::chrono::steady_clock::now();
    BOOST_REQUIRE(wait_for(start_tailor(options + " --out " + straight, data.dir / "straight.log")) == 0);
    const double whole_run = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Seeded kill times, from 5% to 30% of the whole run's time into each
    // attempt (so an emulator or a sanitizer only slows it down): the first
    // two attempts cannot finish at the straight run's speed. An attempt
    // killed before it saved an epoch lengthens the next ones by half, so a
    // machine slower now than during the straight run still gets through.
    // An attempt that finishes before its kill ends the loop.
    tailor::SplitMix64 rng(20261201);
    const auto epochs_saved = [&] {
        const std::string checkpoint = killed + "/checkpoint.tlr";
        return std::filesystem::exists(checkpoint) ? tailor::load_checkpoint(checkpoint).epochs_done : 0;
    };
    double stretch = 1;
    int kills = 0, status = -1;
    for (int attempt = 0; attempt < 40 && status != 0; attempt++) {
        const auto saved_before = epochs_saved();
        const bool resume = std::filesystem::exists(killed + "/checkpoint.tlr");
        const pid_t pid = start_tailor(options + " --out " + killed + (resume ? " --resume" : ""),
                                       data.dir / "killed.log");
        const double fraction = (0.05 + 0.25 * rng.uniform()) * stretch;
        status = exit_code_by(pid, std::chrono::steady_clock::now() +
                                         std::chrono::microseconds(static_cast<long>(fraction * whole_run * 1e6)));
        if (status < 0) {
            kill(pid, SIGKILL);
            status = wait_for(pid);
        }
        if (status == 128 + SIGKILL) kills++;
        BOOST_TEST((status == 0 || status == 128 + SIGKILL),
                   "attempt " << attempt << ": " << text_of(data.dir / "killed.log"));
        if (epochs_saved() == saved_before) stretch *= 1.5;
    }
    BOOST_TEST_MESSAGE(kills << " kills before the run finished");
    BOOST_TEST(kills >= 2);
    BOOST_REQUIRE(status == 0);
    expect_identical(tailor::load_checkpoint(straight + "/checkpoint.tlr"),
                     tailor::load_checkpoint(killed + "/checkpoint.tlr"));
    expect_no_temporary_files(killed);
}

BOOST_AUTO_TEST_CASE(sigint_stops_at_the_last_whole_epoch_and_says_how_to_resume) {
    SmallData data;
    const std::string run = data.dir / "run";
    const std::string options = "train --arch mlp --epochs 100000 --skip-test --data " + data.train + " " + data.test;
    const pid_t pid = start_tailor(options + " --out " + run, data.dir / "log");
    wait_for_checkpoint(run);
    kill(pid, SIGINT);
    BOOST_TEST(wait_for(pid) == 128 + SIGINT);
    const std::string log = text_of(data.dir / "log");
    const std::string last_line = log.substr(log.rfind('\n', log.size() - 2) + 1);
    BOOST_TEST(last_line.find("tailor: stopped by SIGINT during epoch ") == 0, log);
    BOOST_TEST(last_line.find("continue with: tailor train --out " + run + " --resume") != std::string::npos, log);

    const tailor::Checkpoint stopped = tailor::load_checkpoint(run + "/checkpoint.tlr");
    BOOST_TEST(stopped.epochs_done >= 1u);
    BOOST_TEST(stopped.history.size() == stopped.epochs_done);
    expect_no_temporary_files(run);
    // As the message says: the run goes on from there.
    const std::string more = std::to_string(stopped.epochs_done + 1);
    BOOST_TEST(wait_for(start_tailor("train --resume --epochs " + more + " --out " + run + " --skip-test --data " +
                                         data.train + " " + data.test,
                                     data.dir / "resumed.log")) == 0,
               text_of(data.dir / "resumed.log"));
    BOOST_TEST(tailor::load_checkpoint(run + "/checkpoint.tlr").epochs_done == stopped.epochs_done + 1);
}

BOOST_AUTO_TEST_CASE(a_second_training_on_the_same_directory_is_refused_and_sigterm_stops_the_first) {
    SmallData data;
    const std::string run = data.dir / "run";
    const std::string options = "train --arch mlp --epochs 100000 --skip-test --data " + data.train + " " + data.test;
    const pid_t first = start_tailor(options + " --out " + run, data.dir / "first.log");
    wait_for_checkpoint(run);

    const int second = wait_for(start_tailor(options + " --out " + run + " --resume", data.dir / "second.log"));
    BOOST_TEST(second == 1);
    const std::string refusal = text_of(data.dir / "second.log");
    BOOST_TEST(refusal == "tailor: error: " + run + ": in use by another tailor command (process " +
                              std::to_string(first) + "); wait for it to finish or choose another --out\n");
    BOOST_TEST(waitpid(first, nullptr, WNOHANG) == 0, "the first run goes on");

    kill(first, SIGTERM);
    BOOST_TEST(wait_for(first) == 128 + SIGTERM);
    BOOST_TEST(text_of(data.dir / "first.log").find("tailor: stopped by SIGTERM during epoch") != std::string::npos);
    const tailor::Checkpoint stopped = tailor::load_checkpoint(run + "/checkpoint.tlr");
    BOOST_TEST(stopped.history.size() == stopped.epochs_done, "the checkpoint is whole");
}

BOOST_AUTO_TEST_CASE(a_resume_into_a_directory_held_before_its_first_checkpoint_is_refused_as_busy) {
    SmallData data;
    const std::string run = data.dir / "run", free_run = data.dir / "free";
    const auto resume = [&](const std::string &out, const std::string &log) {
        return wait_for(start_tailor("train --arch mlp --resume --skip-test --out " + out + " --data " + data.train +
                                         " " + data.test,
                                     log));
    };
    {
        const tailor::DirectoryLock held(run);  // as a fresh training holds it before its first epoch ends
        BOOST_TEST(resume(run, data.dir / "held.log") == 1);
        BOOST_TEST(text_of(data.dir / "held.log") ==
                   "tailor: error: " + run + ": in use by another tailor command (process " +
                       std::to_string(getpid()) + "); wait for it to finish or choose another --out\n");
    }
    // A directory nobody holds is refused for its missing checkpoint, and
    // the look at its lock leaves no lock file behind.
    std::filesystem::create_directories(free_run);
    BOOST_TEST(resume(free_run, data.dir / "free.log") == 1);
    BOOST_TEST(text_of(data.dir / "free.log").find("no checkpoint to resume from") != std::string::npos);
    BOOST_TEST(!std::filesystem::exists(free_run + "/lock"));
}

BOOST_AUTO_TEST_CASE(a_full_disk_while_the_checkpoint_is_written_keeps_the_previous_one) {
    // A GPU runtime writes its kernel cache under the same limit (PoCL then
    // hangs): checked on CPU builds.
    if (std::string(tailor::kernel_device()) != "cpu") {
        BOOST_TEST_MESSAGE("skipped: a " << tailor::kernel_device() << " build");
        return;
    }
    SmallData data;
    const std::string run = data.dir / "run";
    const std::string options = "train --arch mlp --skip-test --data " + data.train + " " + data.test + " --out " + run;
    BOOST_REQUIRE(wait_for(start_tailor(options + " --epochs 1", data.dir / "first.log")) == 0);
    const auto before = files::read_bytes(run + "/checkpoint.tlr");

    // The checkpoint (6.5 MB for the MLP) passes a 1 MiB limit on file size.
    const int status = wait_for(start_tailor(options + " --resume --epochs 2", data.dir / "full.log", 1 << 20));
    BOOST_TEST(status == 1);
    const std::string log = text_of(data.dir / "full.log");
    BOOST_TEST(log.find("tailor: error: " + run + "/checkpoint.tlr: cannot write: File too large\n") !=
                   std::string::npos,
               log);
    BOOST_TEST((files::read_bytes(run + "/checkpoint.tlr") == before), "the previous checkpoint is intact");
    BOOST_TEST(tailor::load_checkpoint(run + "/checkpoint.tlr").epochs_done == 1u);
    expect_no_temporary_files(run);
}
