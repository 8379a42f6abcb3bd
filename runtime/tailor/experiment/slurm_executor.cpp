// The Slurm executor: the unfinished runs as a job array whose task i trains
// run i of its list, then watched (squeue and the run directories) until
// every task has ended. What it submitted is kept in DIR/slurm/:
//   submissions.json        each array's tag, job id and runs, in order
//   array-N.sh              the batch script of the N-th array
//   logs/JOB_TASK.out       each task's Slurm log (the run's own: runs/LABEL/log.txt)
// Each array carries its tag as its Slurm comment, recorded before sbatch
// runs: an array whose job id never reached the record (tailor killed
// mid-submission) is found again by its tag, and a job id that names
// someone else's job (a reset cluster reuses ids) is not taken for ours.
#include "tailor/experiment/executors.h"

#include "tailor/experiment/run_directory.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/stop_signals.h"
#include "tailor/util/subprocess.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

// squeue is asked every 2 s at first, less often while nothing changes.
constexpr auto kFirstPoll = std::chrono::seconds(2), kSlowestPoll = std::chrono::seconds(30);
// How long a run whose task has ended may lack its done marker before it
// counts as failed: a network filesystem may show a new file that late.
constexpr auto kMarkerGrace = std::chrono::seconds(60);
// How long squeue may keep failing (a busy controller) before waiting stops.
constexpr auto kQueueOutage = std::chrono::minutes(5);

bool all_digits(const std::string &text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string count(std::size_t n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A task of an array: (array job id, task index).
using TaskId = std::pair<std::string, std::size_t>;

std::string task_name(const TaskId &task) { return task.first + "_" + std::to_string(task.second); }

// ---- The record of submissions -------------------------------------------------

fs::path submissions_path(const fs::path &experiment) { return experiment / "slurm" / "submissions.json"; }

std::vector<SlurmSubmission> read_submissions(const fs::path &experiment) {
    return read_slurm_submissions(submissions_path(experiment));
}

void write_submissions(const fs::path &experiment, const std::vector<SlurmSubmission> &submissions) {
    json record = {{"arrays", json::array()}};
    for (const auto &s : submissions) {
        record["arrays"].push_back({{"tag", s.tag}, {"job_id", s.job_id}, {"runs", s.labels}});
    }
    write_file_atomically(submissions_path(experiment).string(), record.dump(2) + "\n");
}

std::string new_tag() {
    std::random_device entropy;
    const uint64_t bits = (uint64_t(entropy()) << 32) | entropy();
    char tag[32];
    std::snprintf(tag, sizeof tag, "tailor-%016llx", static_cast<unsigned long long>(bits));
    return tag;
}

// ---- The Slurm commands ----------------------------------------------------------

// A Slurm command that must work: one error line when it is missing or fails.
CommandResult slurm_command(const std::vector<std::string> &argv) {
    CommandResult result = run_command(argv);
    if (!result.started) {
        throw Error(argv[0] + ": not found; --executor slurm needs Slurm's commands (sbatch, squeue, scontrol) on "
                              "PATH (Debian: slurm-client)");
    }
    return result;
}

std::string slurm_output(const std::vector<std::string> &argv) {
    const CommandResult result = slurm_command(argv);
    if (result.status != 0) {
        std::string summary = failure_summary(result);
        if (summary.rfind(argv[0] + ": ", 0) == 0) summary.erase(0, argv[0].size() + 2);  // says its name itself
        throw Error(argv[0] + ": " + summary);
    }
    return result.output;
}

// The cluster's MaxArraySize (task indices run from 0 to one less).
std::size_t max_array_size() {
    std::istringstream config(slurm_output({"scontrol", "show", "config"}));
    std::string line;
    while (std::getline(config, line)) {
        std::istringstream fields(line);
        std::string key, equals;
        long long value = 0;
        if (fields >> key >> equals >> value && key == "MaxArraySize" && equals == "=" && value > 0) {
            return static_cast<std::size_t>(value);
        }
    }
    return 1001;  // Slurm's default
}

struct TaskState {
    std::string state, reason;  // e.g. PENDING (Dependency), RUNNING, FAILED
};

// Every array task of ours the controller still knows, ended ones included
// (it keeps those for MinJobAge, 300 s by default). Records the job id of
// an array found by its tag.
std::map<TaskId, TaskState> our_tasks(std::vector<SlurmSubmission> &submissions) {
    std::map<std::string, std::string> tag_of;  // job id -> tag
    std::map<std::string, SlurmSubmission *> unrecorded;
    for (auto &s : submissions) {
        if (s.job_id.empty()) {
            unrecorded[s.tag] = &s;
        } else {
            tag_of[s.job_id] = s.tag;
        }
    }
    std::istringstream lines(slurm_output(
        {"squeue", "--me", "--noheader", "--array", "--states=all", "--format=%F|%K|%T|%r|%k"}));
    std::map<TaskId, TaskState> tasks;
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (int f = 0; f < 4; f++) {
            const std::size_t bar = line.find('|', start);
            if (bar == std::string::npos) break;
            fields.push_back(line.substr(start, bar - start));
            start = bar + 1;
        }
        if (fields.size() < 4 || !all_digits(fields[0]) || !all_digits(fields[1])) continue;  // not an array task
        const std::string comment = line.substr(start);
        if (unrecorded.count(comment)) {
            unrecorded[comment]->job_id = fields[0];
            tag_of[fields[0]] = comment;
            unrecorded.erase(comment);
        }
        const auto tag = tag_of.find(fields[0]);
        if (tag == tag_of.end() || tag->second != comment) continue;  // not ours
        tasks[{fields[0], std::stoul(fields[1])}] = {fields[2], fields[3]};
    }
    return tasks;
}

// ---- Submitting ------------------------------------------------------------------

std::string shell_quote(const std::string &word) {
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// The batch script of one array: checks what a node must see (the tailor
// binary and the experiment directory, at the paths the submitter used),
// trains its task's run with the cores Slurm gave it, marks it done.
std::string array_script(const std::vector<const Job *> &jobs, const fs::path &experiment, const fs::path &script,
                         int cpus_per_task, const std::string &tailor_binary) {
    std::string text = "#!/bin/bash\n# tailor experiment --executor slurm: array task i trains the i-th run below.\n";
    text += "tailor=" + shell_quote(tailor_binary) + "\nexperiment=" + shell_quote(experiment.string()) + "\n";
    text += "script=" + shell_quote(script.string()) + "\n";
    // Only a --cpus-per-task of ours: a SLURM_CPUS_PER_TASK may also come
    // from the environment the command was started in.
    text += cpus_per_task > 0 ? "threads=" + std::to_string(cpus_per_task) + "\n" : "threads=$(nproc)\n";
    text += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
    for (std::size_t i = 0; i < jobs.size(); i++) {
        text += "    " + std::to_string(i) + ") run=" + shell_quote(jobs[i]->label) + "; command=(";
        for (const auto &word : train_command(experiment, *jobs[i])) {
            text += ' ';
            text += shell_quote(word);
        }
        text += " ) ;;\n";
    }
    text += R"script(    *) echo "tailor: error: $script: no run for array task ${SLURM_ARRAY_TASK_ID:-(none)}" >&2; exit 2 ;;
esac
fail() { echo "tailor: error: $1" >&2; exit 2; }
[ -x "$tailor" ] || fail "$tailor: not on node $(hostname); every node needs tailor at this path (a shared filesystem, or the same install on each)"
[ -r "$experiment/plan.json" ] || fail "$experiment: not visible on node $(hostname); the experiment directory must be on a filesystem every node shares"
mkdir -p "$experiment/runs/$run" 2>/dev/null && [ -w "$experiment/runs/$run" ] || fail "$experiment/runs/$run: cannot create or write the run directory"
[ -e "$experiment/runs/$run/checkpoint.tlr" ] && command+=(--resume)
export HL_NUM_THREADS="$threads"
"$tailor" "${command[@]}" >"$experiment/runs/$run/log.txt" 2>&1
status=$?
)script";
    // A diverged training is an outcome the tables show, not a failure.
    const std::string diverged = std::to_string(kDivergedExitStatus);
    text += "[ \"$status\" -eq " + diverged + " ] && : >\"$experiment/runs/$run/diverged\"\n";
    text += "[ \"$status\" -eq 0 ] || [ \"$status\" -eq " + diverged + R"script( ] || fail "$experiment/runs/$run: tailor train exited with status $status; see $experiment/runs/$run/log.txt"
: >"$experiment/runs/$run/done"
)script";
    return text;
}

// Submits one array; returns its job id. With `after`, it starts once those
// arrays have ended (one --jobs limit over all of them).
std::string submit_array(const fs::path &script, std::size_t tasks, int at_once, const std::string &tag,
                         const std::vector<std::string> &after, const SlurmSettings &slurm,
                         const fs::path &experiment) {
    std::string array = "--array=0-" + std::to_string(tasks - 1);
    if (at_once > 0) array += "%" + std::to_string(at_once);
    std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=tailor-" + experiment.filename().string(),
                                     "--comment=" + tag, array,
                                     "--output=" + (experiment / "slurm" / "logs" / "%A_%a.out").string(),
                                     "--chdir=" + fs::current_path().string()};
    if (!slurm.partition.empty()) argv.push_back("--partition=" + slurm.partition);
    if (slurm.cpus_per_task > 0) argv.push_back("--cpus-per-task=" + std::to_string(slurm.cpus_per_task));
    if (!after.empty()) {
        std::string dependency = "--dependency=afterany";
        for (const auto &id : after) dependency += ":" + id;
        argv.push_back(dependency);
    }
    argv.insert(argv.end(), slurm.sbatch_arguments.begin(), slurm.sbatch_arguments.end());
    argv.push_back(script.string());
    const std::string output = slurm_output(argv);
    const std::string job_id = output.substr(0, output.find_first_of(";\n"));
    if (!all_digits(job_id)) {
        // Submitted or not, the tag finds it on the next run.
        throw Error("sbatch: answered '" + output.substr(0, std::min<std::size_t>(80, output.find('\n'))) +
                    "' where a job id was expected");
    }
    return job_id;
}

// Submits `jobs` as arrays of at most MaxArraySize tasks, each recorded (with
// its tag) before sbatch runs and again with its job id after. With a limit
// on tasks at once, each array waits for the arrays still active before it.
void submit(const std::vector<const Job *> &jobs, const fs::path &experiment, const SlurmSettings &slurm,
            int at_once, const std::string &tailor_binary, std::vector<std::string> active_arrays,
            std::vector<SlurmSubmission> &submissions, std::ostream &out) {
    fs::create_directories(experiment / "slurm" / "logs");
    const std::size_t max_size = max_array_size();
    for (std::size_t begin = 0; begin < jobs.size(); begin += max_size) {
        if (const int signal = stop_signal()) {
            throw Interrupted(signal, std::string("stopped by ") + signal_name(signal) + " while submitting; the " +
                                          "same command submits the rest");
        }
        const std::vector<const Job *> part(jobs.begin() + begin, jobs.begin() + std::min(jobs.size(), begin + max_size));
        const fs::path script = experiment / "slurm" / ("array-" + std::to_string(submissions.size() + 1) + ".sh");
        write_file_atomically(script.string(),
                              array_script(part, experiment, script, slurm.cpus_per_task, tailor_binary));
        submissions.push_back({new_tag(), "", {}});
        for (const Job *job : part) submissions.back().labels.push_back(job->label);
        write_submissions(experiment, submissions);
        const std::string job_id = submit_array(script, part.size(), at_once, submissions.back().tag,
                                                at_once > 0 ? active_arrays : std::vector<std::string>{}, slurm,
                                                experiment);
        submissions.back().job_id = job_id;
        write_submissions(experiment, submissions);
        out << "submitted " << count(part.size(), "run", "runs") << " as Slurm job array " << job_id << "\n"
            << std::flush;
        active_arrays = {job_id};
    }
}

// ---- Watching --------------------------------------------------------------------

bool is_running(const std::string &state) { return state == "RUNNING" || state == "COMPLETING"; }

bool is_queued(const std::string &state) {
    return state == "PENDING" || state == "CONFIGURING" || state == "SUSPENDED" || state == "STOPPED" ||
           state == "RESIZING" || state.rfind("REQUEUE", 0) == 0;
}

bool is_active(const std::string &state) { return is_running(state) || is_queued(state); }

enum class RunState { done, queued, running, failed, unsubmitted };

// The runs of the plan, each with its latest task and what became of it.
class Watch {
public:
    Watch(const std::vector<Job> &jobs, const fs::path &experiment) : jobs_(jobs), experiment_(experiment) {}

    // Asks squeue again (the record first, for arrays found by their tag).
    void refresh(std::vector<SlurmSubmission> &submissions) {
        tasks_ = our_tasks(submissions);
        latest_.clear();
        for (const auto &s : submissions) {
            if (s.job_id.empty()) continue;
            for (std::size_t i = 0; i < s.labels.size(); i++) latest_[s.labels[i]] = {s.job_id, i};
        }
    }

    // `waited`: a task gone from the controller may have just ended (its
    // marker on the way); before waiting, one gone is long over.
    RunState state(const Job &job, bool waited = true) {
        if (run_is_done(experiment_, job)) return RunState::done;
        const auto latest = latest_.find(job.label);
        if (latest == latest_.end()) return RunState::unsubmitted;
        const auto task = tasks_.find(latest->second);
        const std::string state = task == tasks_.end() ? "" : task->second.state;
        if (is_running(state)) return RunState::running;
        if (is_queued(state)) return RunState::queued;
        // Ended well (COMPLETED), or gone from the controller's memory: the
        // done marker may still be on its way.
        if (state == "COMPLETED" || (state.empty() && waited)) {
            const auto since = ended_.emplace(job.label, SteadyClock::now()).first->second;
            if (SteadyClock::now() - since < kMarkerGrace) return RunState::running;
        }
        return RunState::failed;
    }

    // Why queued runs wait (Slurm's reasons: Priority, Resources, Dependency...).
    std::string queued_reasons() const {
        std::set<std::string> reasons;
        for (const Job &job : jobs_) {
            const auto latest = latest_.find(job.label);
            if (latest == latest_.end()) continue;
            const auto task = tasks_.find(latest->second);
            if (task != tasks_.end() && task->second.state == "PENDING" && task->second.reason != "None") {
                reasons.insert(task->second.reason);
            }
        }
        std::string text;
        for (const auto &r : reasons) text += (text.empty() ? " (" : ", ") + r;
        return text.empty() ? text : text + ")";
    }

    std::string failure_line(const Job &job) const {
        const TaskId &task = latest_.at(job.label);
        const auto known = tasks_.find(task);
        const std::string state = known == tasks_.end() ? "" : ", " + known->second.state;
        return "run " + job.label + " failed (Slurm job " + task_name(task) + state + "); see " +
               (experiment_ / "slurm" / "logs" / (task_name(task) + ".out")).string() + " and " +
               (run_directory(experiment_, job) / "log.txt").string();
    }

    std::vector<std::string> array_ids() const {
        std::set<std::string> ids;
        for (const auto &entry : latest_) ids.insert(entry.second.first);
        return {ids.begin(), ids.end()};
    }

    // The arrays with a task not yet ended.
    std::vector<std::string> active_array_ids() const {
        std::set<std::string> ids;
        for (const auto &[task, state] : tasks_) {
            if (is_active(state.state)) ids.insert(task.first);
        }
        return {ids.begin(), ids.end()};
    }

private:
    const std::vector<Job> &jobs_;
    const fs::path experiment_;
    std::map<TaskId, TaskState> tasks_;
    std::map<std::string, TaskId> latest_;
    std::map<std::string, SteadyClock::time_point> ended_;  // runs whose task ended without a marker
};

// Sleeps, unless a stop signal comes: Ctrl-C leaves the jobs running, since
// they belong to the cluster now.
void sleep_unless_stopped(std::chrono::seconds interval, const Watch &watch) {
    const auto until = SteadyClock::now() + interval;
    while (SteadyClock::now() < until) {
        if (const int signal = stop_signal()) {
            std::string ids;
            for (const auto &id : watch.array_ids()) ids += " " + id;
            throw Interrupted(signal, std::string("stopped waiting (") + signal_name(signal) +
                                          "); the Slurm jobs keep running: run the same command again to wait for " +
                                          "them and collect the tables, or cancel them with: scancel" + ids);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// Polls until every run is done or failed; returns the failed runs' lines.
std::vector<std::string> wait_for_runs(const std::vector<Job> &jobs, Watch &watch,
                                       std::vector<SlurmSubmission> &submissions, std::ostream &out) {
    std::string last_progress;
    auto interval = kFirstPoll;
    auto last_answer = SteadyClock::now();
    for (;;) {
        try {
            watch.refresh(submissions);
            last_answer = SteadyClock::now();
        } catch (const Error &e) {
            if (SteadyClock::now() - last_answer > kQueueOutage) {
                throw Error(std::string(e.what()) + " (for 5 minutes); the jobs may still be running: the same " +
                            "command collects them later");
            }
            sleep_unless_stopped(kSlowestPoll, watch);
            continue;
        }
        std::size_t queued = 0, running = 0, done = 0;
        std::vector<std::string> failed;
        for (const Job &job : jobs) {
            switch (watch.state(job)) {
                case RunState::done: done++; break;
                case RunState::queued: queued++; break;
                case RunState::running: running++; break;
                default: failed.push_back(watch.failure_line(job));
            }
        }
        const std::string progress = "slurm: " + std::to_string(queued) + " queued" + watch.queued_reasons() + ", " +
                                     std::to_string(running) + " running, " + std::to_string(done) + " done, " +
                                     std::to_string(failed.size()) + " failed";
        if (queued + running == 0) {
            if (progress != last_progress) out << progress << "\n" << std::flush;
            return failed;
        }
        interval = progress == last_progress ? std::min(kSlowestPoll, interval * 3 / 2) : kFirstPoll;
        if (progress != last_progress) out << progress << "\n" << std::flush;
        last_progress = progress;
        sleep_unless_stopped(interval, watch);
    }
}

}  // namespace

std::vector<SlurmSubmission> read_slurm_submissions(const fs::path &path) {
    std::vector<SlurmSubmission> submissions;
    if (!fs::exists(path)) return submissions;
    try {
        const json record = read_json_file(path);  // kept: the loop below reads into it
        for (const auto &s : record.at("arrays")) submissions.push_back({s.at("tag"), s.at("job_id"), s.at("runs")});
    } catch (const json::exception &e) {
        throw file_error(path.string(), std::string("not a record of Slurm submissions: ") + e.what());
    }
    for (const auto &s : submissions) {
        if (!s.job_id.empty() && !all_digits(s.job_id)) {
            throw file_error(path.string(), "job id '" + s.job_id + "' is not a Slurm job id");
        }
    }
    return submissions;
}

void check_slurm_answers() {
    for (const char *command : {"sbatch", "scontrol"}) slurm_command({command, "--version"});
    slurm_output({"squeue", "--me", "--noheader", "--format=%i"});
}

bool slurm_runs_active(const fs::path &experiment) {
    if (!fs::exists(submissions_path(experiment))) return false;
    std::vector<SlurmSubmission> submissions = read_submissions(experiment);
    if (!run_command({"squeue", "--version"}).started) return false;  // no Slurm here to ask
    for (const auto &entry : our_tasks(submissions)) {
        if (is_active(entry.second.state)) return true;
    }
    return false;
}

bool run_jobs_on_slurm(const std::vector<Job> &jobs, const fs::path &experiment_given, const SlurmSettings &slurm,
                       int at_once, const std::string &tailor_binary, std::ostream &out) {
    // Absolute, symbolic links resolved: the tasks run elsewhere, and the
    // script and sbatch name these paths.
    fs::path experiment = fs::weakly_canonical(fs::absolute(experiment_given));
    if (experiment.filename().empty()) experiment = experiment.parent_path();  // "DIR/"
    if (experiment.string().find_first_of("%\\") != std::string::npos) {
        throw file_error(experiment.string(), "a '%' or '\\' in the path would change Slurm's log file names");
    }
    std::vector<SlurmSubmission> submissions = read_submissions(experiment);
    Watch watch(jobs, experiment);
    watch.refresh(submissions);
    std::vector<const Job *> to_submit;
    std::size_t kept = 0, waiting = 0;
    for (const Job &job : jobs) {
        switch (watch.state(job, false)) {
            case RunState::done: kept++; break;
            case RunState::queued:
            case RunState::running: waiting++; break;
            default: to_submit.push_back(&job);
        }
    }
    if (kept > 0) out << kept << " runs were already finished and kept\n";
    if (waiting > 0) out << waiting << " runs are already queued or running on Slurm\n";
    if (!to_submit.empty()) {
        submit(to_submit, experiment, slurm, at_once, tailor_binary, watch.active_array_ids(), submissions, out);
    }
    if (kept == jobs.size()) return true;
    if (!slurm.wait) {
        out << "Not waiting (--no-wait): run the same command again to collect the finished runs and resubmit any "
               "that failed\n";
        return false;
    }
    const auto failed = wait_for_runs(jobs, watch, submissions, out);
    for (const auto &line : failed) out << line << "\n";
    if (!failed.empty()) {
        throw file_error(experiment.string(), std::to_string(failed.size()) + " of " + count(jobs.size(), "run", "runs") +
                                                  " failed on Slurm (listed above); the same command resubmits "
                                                  "only those");
    }
    return true;
}

}  // namespace tailor
