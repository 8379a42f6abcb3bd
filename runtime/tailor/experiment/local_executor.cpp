// The local executor: each run a `tailor train` process of this machine.
#include "tailor/experiment/executors.h"

#include "tailor/experiment/run_directory.h"
#include "tailor/util/error.h"
#include "tailor/util/stop_signals.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <thread>

namespace tailor {
namespace fs = std::filesystem;

pid_t start_process(const std::string &binary, const std::vector<std::string> &args, const fs::path &log,
                    const std::vector<int> &cores) {
    const pid_t pid = fork();
    if (pid < 0) throw Error("cannot start a run: fork failed");
    if (pid > 0) return pid;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int core : cores) CPU_SET(core, &set);
    sched_setaffinity(0, sizeof set, &set);
    setenv("HL_NUM_THREADS", std::to_string(cores.size()).c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(binary.c_str()));
    for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    std::perror("tailor: cannot run a job");
    _exit(127);
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

// Runs jobs as `tailor train` processes, `slots` at a time, each pinned to
// its slot's share of the cores. A run that ends well is marked done; the
// first that fails stops new ones from starting.
class JobPool {
public:
    JobPool(const std::vector<Job> &jobs, const fs::path &dir, int slots, const std::string &tailor_binary,
            std::ostream &out)
        : jobs_(jobs), dir_(dir), binary_(tailor_binary), out_(out), slot_busy_(slots, false) {}

    bool failed() const { return !failure_.empty() || stop_signal() != 0; }

    // Starts job `index` once a slot is free, unless a run failed meanwhile.
    void start(std::size_t index) {
        while (running_.size() >= slot_busy_.size()) wait_for_one();
        if (failed()) return;
        const int slot = static_cast<int>(std::find(slot_busy_.begin(), slot_busy_.end(), false) - slot_busy_.begin());
        const Job &job = jobs_[index];
        const fs::path run_dir = run_directory(dir_, job);
        fs::create_directories(run_dir);
        std::vector<std::string> args = train_command(dir_, job);
        if (fs::exists(run_dir / "checkpoint.tlr")) args.push_back("--resume");
        out_ << "running " << job.label << " (" << index + 1 << " of " << jobs_.size() << ")\n" << std::flush;
        running_[start_process(binary_, args, run_dir / "log.txt", slot_cores(slot))] = {index, slot};
        slot_busy_[slot] = true;
    }

    // Waits for every run; throws the first failure.
    void finish() {
        while (!running_.empty()) wait_for_one();
        if (const int signal = stop_signal()) {
            throw Interrupted(signal, std::string("stopped by ") + signal_name(signal) + "; finished runs are kept " +
                                          "and the others continue from their last epoch when the same tailor " +
                                          "experiment command runs again");
        }
        if (failed()) throw Error(failure_);
    }

private:
    // An equal share of the cores, at least one.
    std::vector<int> slot_cores(int slot) const {
        const int slots = static_cast<int>(slot_busy_.size());
        std::vector<int> cores;
        for (int c = slot * cores_ / slots; c < std::max((slot + 1) * cores_ / slots, slot * cores_ / slots + 1); c++) {
            cores.push_back(c % cores_);
        }
        return cores;
    }

    // Waits for a run to end. On a caught SIGINT or SIGTERM, passes SIGTERM
    // on to the runs (each stops at its next step, its last epoch kept).
    void wait_for_one() {
        for (;;) {
            int status = 0;
            const pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid > 0) {
                if (running_.count(pid)) finished(pid, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
                return;
            }
            if (pid < 0 && errno == ECHILD) {  // e.g. SIGCHLD ignored by whoever started tailor
                throw Error("lost track of the running jobs (waitpid: no child processes)");
            }
            if (stop_signal() != 0 && !passed_on_) {
                for (const auto &run : running_) kill(run.first, SIGTERM);
                passed_on_ = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    void finished(pid_t pid, int status) {
        const auto [index, slot] = running_.at(pid);
        running_.erase(pid);
        slot_busy_[slot] = false;
        const Job &job = jobs_[index];
        const fs::path run_dir = run_directory(dir_, job);
        if (status == kDivergedExitStatus) {
            mark_run_diverged(dir_, job);
            out_ << "diverged " << job.label << " (see " << (run_dir / "log.txt").string() << ")\n" << std::flush;
            return;
        }
        if (status != 0) {
            if (failure_.empty() && stop_signal() == 0) {
                failure_ = "run " + job.label + " failed (exit status " + std::to_string(status) + "); see " +
                           (run_dir / "log.txt").string();
            }
            return;
        }
        mark_run_done(dir_, job);
        out_ << "finished " << job.label << "\n" << std::flush;
    }

    const std::vector<Job> &jobs_;
    const fs::path dir_;
    const std::string binary_;
    std::ostream &out_;
    const int cores_ = std::max(1u, std::thread::hardware_concurrency());
    std::vector<bool> slot_busy_;
    std::map<pid_t, std::pair<std::size_t, int>> running_;  // pid -> (job, slot)
    std::string failure_;
    bool passed_on_ = false;  // the stop signal, to the runs
};

}  // namespace

void run_jobs_locally(const std::vector<Job> &jobs, const fs::path &dir, int slots,
                         const std::string &tailor_binary, std::ostream &out) {
    JobPool pool(jobs, dir, slots, tailor_binary, out);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < jobs.size() && !pool.failed(); i++) {
        if (run_is_done(dir, jobs[i])) {
            kept++;
            continue;
        }
        pool.start(i);
    }
    pool.finish();
    if (kept > 0) out << kept << " runs were already finished and kept\n";
}

}  // namespace tailor
