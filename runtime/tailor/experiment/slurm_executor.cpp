// The Slurm executor: the unfinished runs as a job array whose task i trains
// run i of its list, then watched (squeue and the run directories) until
// every task has ended. What it submitted is kept in DIR/slurm/:
//   submissions.json        each array's job id and its runs, in order
//   array-N.sh              the batch script of the N-th array
//   logs/JOB_TASK.out       each task's Slurm log (the run's own: runs/LABEL/log.txt)
#include "tailor/experiment/executors.h"

#include "tailor/experiment/run_directory.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/stop_signals.h"
#include "tailor/util/subprocess.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// squeue is asked this often; a small cluster's scheduler acts within seconds.
constexpr auto kPollInterval = std::chrono::seconds(2);

// One array: its task i trains the run labelled labels[i].
struct Submission {
    std::string job_id;
    std::vector<std::string> labels;
};

// A task of an array: (array job id, task index).
using TaskId = std::pair<std::string, std::size_t>;

std::string runs(std::size_t count) { return std::to_string(count) + (count == 1 ? " run" : " runs"); }

std::string task_name(const TaskId &task) { return task.first + "_" + std::to_string(task.second); }

fs::path submissions_path(const fs::path &experiment) { return experiment / "slurm" / "submissions.json"; }

std::vector<Submission> read_submissions(const fs::path &experiment) {
    const fs::path path = submissions_path(experiment);
    std::vector<Submission> submissions;
    if (!fs::exists(path)) return submissions;
    try {
        const json record = read_json_file(path);  // kept: the loop below reads into it
        for (const auto &s : record.at("arrays")) submissions.push_back({s.at("job_id"), s.at("runs")});
        for (const auto &s : submissions) {
            if (s.job_id.empty() || !std::all_of(s.job_id.begin(), s.job_id.end(), ::isdigit)) {
                throw file_error(path.string(), "job id '" + s.job_id + "' is not a Slurm job id");
            }
        }
    } catch (const json::exception &e) {
        throw file_error(path.string(), std::string("not a record of Slurm submissions: ") + e.what());
    }
    return submissions;
}

void write_submissions(const fs::path &experiment, const std::vector<Submission> &submissions) {
    json record = {{"arrays", json::array()}};
    for (const auto &s : submissions) record["arrays"].push_back({{"job_id", s.job_id}, {"runs", s.labels}});
    write_file_atomically(submissions_path(experiment).string(), record.dump(2) + "\n");
}

// A Slurm command that must work: one error line when it is missing or fails.
std::string slurm_command(const std::vector<std::string> &argv) {
    const CommandResult result = run_command(argv);
    if (!result.started) {
        throw Error(argv[0] + ": not found; --executor slurm needs Slurm's commands (sbatch, squeue, scontrol) on "
                              "PATH (Debian: slurm-client)");
    }
    if (result.status != 0) {
        std::string summary = failure_summary(result);
        if (summary.rfind(argv[0] + ": ", 0) == 0) summary.erase(0, argv[0].size() + 2);  // says its name itself
        throw Error(argv[0] + ": " + summary);
    }
    return result.output;
}

// The cluster's MaxArraySize (task indices run from 0 to one less); asking
// is also the check that the cluster answers at all.
std::size_t max_array_size() {
    std::istringstream config(slurm_command({"scontrol", "show", "config"}));
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

// The array tasks the cluster still holds (pending, running, completing...),
// with their states.
std::map<TaskId, std::string> active_tasks() {
    std::istringstream lines(slurm_command({"squeue", "--me", "--noheader", "--array", "--format=%F|%K|%T"}));
    std::map<TaskId, std::string> tasks;
    std::string line;
    while (std::getline(lines, line)) {
        const auto first = line.find('|'), second = line.rfind('|');
        if (first == std::string::npos || second == first) continue;
        const std::string index = line.substr(first + 1, second - first - 1);
        if (index.empty() || !std::all_of(index.begin(), index.end(), ::isdigit)) continue;  // not an array task
        tasks[{line.substr(0, first), std::stoul(index)}] = line.substr(second + 1);
    }
    return tasks;
}

std::string shell_quote(const std::string &word) {
    std::string quoted = "'";
    for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// The batch script of one array: checks what a node must see (the tailor
// binary and the experiment directory, at the paths the submitter used),
// trains its task's run with the cores Slurm gave it, marks it done.
std::string array_script(const std::vector<const Job *> &jobs, const fs::path &experiment,
                         const std::string &tailor_binary) {
    std::string script = "#!/bin/bash\n# tailor experiment --executor slurm: array task i trains the i-th run below.\n";
    script += "tailor=" + shell_quote(tailor_binary) + "\nexperiment=" + shell_quote(experiment.string()) + "\n";
    script += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
    for (std::size_t i = 0; i < jobs.size(); i++) {
        script += "    " + std::to_string(i) + ") run=" + shell_quote(jobs[i]->label) + "; command=(";
        for (const auto &word : train_command(experiment, *jobs[i])) {
            script += ' ';
            script += shell_quote(word);
        }
        script += " ) ;;\n";
    }
    script += R"script(    *) echo "tailor: error: $0: no run for array task ${SLURM_ARRAY_TASK_ID:-(none)}" >&2; exit 2 ;;
esac
fail() { echo "tailor: error: $1" >&2; exit 2; }
[ -x "$tailor" ] || fail "$tailor: not on node $(hostname); every node needs tailor at this path (a shared filesystem, or the same install on each)"
[ -f "$experiment/plan.json" ] || fail "$experiment: not visible on node $(hostname); the experiment directory must be on a filesystem every node shares"
mkdir -p "$experiment/runs/$run" 2>/dev/null && [ -w "$experiment/runs/$run" ] || fail "$experiment/runs/$run: cannot create or write the run directory"
[ -e "$experiment/runs/$run/checkpoint.tlr" ] && command+=(--resume)
export HL_NUM_THREADS="${SLURM_CPUS_PER_TASK:-$(nproc)}"
"$tailor" "${command[@]}" >"$experiment/runs/$run/log.txt" 2>&1
status=$?
[ "$status" -eq 0 ] || fail "$experiment/runs/$run: tailor train exited with status $status; see $experiment/runs/$run/log.txt"
: >"$experiment/runs/$run/done"
)script";
    return script;
}

// Submits one array and returns its job id.
std::string submit_array(const fs::path &script, std::size_t tasks, int at_once, const std::string &after,
                         const SlurmSettings &slurm, const fs::path &experiment) {
    std::string array = "--array=0-" + std::to_string(tasks - 1);
    if (at_once > 0) array += "%" + std::to_string(at_once);
    std::vector<std::string> argv = {"sbatch", "--parsable", "--job-name=tailor-" + experiment.filename().string(),
                                     array, "--output=" + (experiment / "slurm" / "logs" / "%A_%a.out").string(),
                                     "--chdir=" + fs::current_path().string()};
    if (!slurm.partition.empty()) argv.push_back("--partition=" + slurm.partition);
    if (slurm.cpus_per_task > 0) argv.push_back("--cpus-per-task=" + std::to_string(slurm.cpus_per_task));
    if (!after.empty()) argv.push_back("--dependency=afterany:" + after);
    argv.insert(argv.end(), slurm.sbatch_arguments.begin(), slurm.sbatch_arguments.end());
    argv.push_back(script.string());
    const std::string output = slurm_command(argv);
    const std::string job_id = output.substr(0, output.find_first_of(";\n"));
    if (job_id.empty() || !std::all_of(job_id.begin(), job_id.end(), ::isdigit)) {
        throw Error("sbatch: answered '" + output.substr(0, 80) + "' where a job id was expected");
    }
    return job_id;
}

// Submits `jobs` as arrays of at most `max_size` tasks. With a limit on
// tasks at once, each array waits for the one before (one limit overall).
void submit(const std::vector<const Job *> &jobs, const fs::path &experiment, const SlurmSettings &slurm,
            int at_once, const std::string &tailor_binary, std::vector<Submission> &submissions, std::ostream &out) {
    fs::create_directories(experiment / "slurm" / "logs");
    const std::size_t max_size = max_array_size();
    std::string previous;
    for (std::size_t begin = 0; begin < jobs.size(); begin += max_size) {
        const std::vector<const Job *> part(jobs.begin() + begin, jobs.begin() + std::min(jobs.size(), begin + max_size));
        const fs::path script =
            experiment / "slurm" / ("array-" + std::to_string(submissions.size() + 1) + ".sh");
        write_file_atomically(script.string(), array_script(part, experiment, tailor_binary));
        const std::string job_id = submit_array(script, part.size(), at_once, at_once > 0 ? previous : "", slurm,
                                                experiment);
        Submission submission{job_id, {}};
        for (const Job *job : part) submission.labels.push_back(job->label);
        submissions.push_back(submission);
        write_submissions(experiment, submissions);  // at once: a later failure must not lose this array
        out << "submitted " << runs(part.size()) << " as Slurm job array " << job_id << "\n" << std::flush;
        previous = job_id;
    }
}

// The runs being watched: each not-done run's latest task.
class Watch {
public:
    Watch(const std::vector<Job> &jobs, const fs::path &experiment, const std::vector<Submission> &submissions)
        : jobs_(jobs), experiment_(experiment) {
        for (const auto &s : submissions) {
            for (std::size_t i = 0; i < s.labels.size(); i++) latest_[s.labels[i]] = {s.job_id, i};
        }
    }

    // The latest task of a run, if it was ever submitted.
    const TaskId *task_of(const Job &job) const {
        const auto it = latest_.find(job.label);
        return it == latest_.end() ? nullptr : &it->second;
    }

    // Polls until no watched task is active; returns the failed runs' lines.
    std::vector<std::string> until_ended(std::ostream &out) {
        std::string last_progress;
        std::map<std::string, int> missing;  // polls a run's task was gone without a done marker
        for (;;) {
            const auto active = active_tasks();
            std::size_t queued = 0, running = 0, done = 0;
            std::vector<std::string> failed;
            for (const Job &job : jobs_) {
                const TaskId *task = task_of(job);
                if (run_is_done(experiment_, job)) {
                    done++;
                } else if (task && active.count(*task)) {
                    (active.at(*task) == "RUNNING" || active.at(*task) == "COMPLETING" ? running : queued)++;
                } else if (task && ++missing[job.label] < 2) {
                    running++;  // just ended: its done marker may not be visible here yet
                } else {
                    failed.push_back(failure_line(job, task));
                }
            }
            const std::string progress = "slurm: " + std::to_string(queued) + " queued, " + std::to_string(running) +
                                         " running, " + std::to_string(done) + " done, " +
                                         std::to_string(failed.size()) + " failed";
            if (progress != last_progress) out << progress << "\n" << std::flush;
            last_progress = progress;
            if (queued + running == 0) return failed;
            sleep_unless_stopped();
        }
    }

    std::vector<std::string> array_ids() const {
        std::set<std::string> ids;
        for (const auto &[label, task] : latest_) ids.insert(task.first);
        return {ids.begin(), ids.end()};
    }

private:
    std::string failure_line(const Job &job, const TaskId *task) const {
        const fs::path run = run_directory(experiment_, job);
        if (!task) return "run " + job.label + " was never submitted";
        return "run " + job.label + " failed (Slurm job " + task_name(*task) + "); see " +
               (experiment_ / "slurm" / "logs" / (task_name(*task) + ".out")).string() + " and " +
               (run / "log.txt").string();
    }

    // Ctrl-C leaves the jobs running: they belong to the cluster now.
    void sleep_unless_stopped() const {
        const auto until = std::chrono::steady_clock::now() + kPollInterval;
        while (std::chrono::steady_clock::now() < until) {
            if (const int signal = stop_signal()) {
                std::string ids;
                for (const auto &id : array_ids()) ids += " " + id;
                throw Interrupted(signal, std::string("stopped waiting (") + signal_name(signal) +
                                              "); the Slurm jobs keep running: run the same command again to " +
                                              "wait for them and collect the tables, or cancel them with: scancel" +
                                              ids);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    const std::vector<Job> &jobs_;
    const fs::path experiment_;
    std::map<std::string, TaskId> latest_;
};

}  // namespace

void check_slurm_answers() { active_tasks(); }

bool run_jobs_on_slurm(const std::vector<Job> &jobs, const fs::path &experiment_given, const SlurmSettings &slurm,
                       int at_once, const std::string &tailor_binary, std::ostream &out) {
    // Absolute: the tasks run elsewhere, and the script names these paths.
    fs::path experiment = fs::absolute(experiment_given).lexically_normal();
    if (experiment.filename().empty()) experiment = experiment.parent_path();  // "DIR/"
    std::vector<Submission> submissions = read_submissions(experiment);
    const auto active = active_tasks();
    std::vector<const Job *> to_submit;
    std::size_t kept = 0, waiting = 0;
    {
        const Watch before(jobs, experiment, submissions);
        for (const Job &job : jobs) {
            const TaskId *task = before.task_of(job);
            if (run_is_done(experiment, job)) {
                kept++;
            } else if (task && active.count(*task)) {
                waiting++;  // queued or running since an earlier submission
            } else {
                to_submit.push_back(&job);
            }
        }
    }
    if (kept > 0) out << kept << " runs were already finished and kept\n";
    if (waiting > 0) out << waiting << " runs are already queued or running on Slurm\n";
    if (!to_submit.empty()) submit(to_submit, experiment, slurm, at_once, tailor_binary, submissions, out);
    if (kept == jobs.size()) return true;
    if (!slurm.wait) {
        out << "Not waiting (--no-wait): run the same command again to collect the finished runs and resubmit any "
               "that failed\n";
        return false;
    }
    Watch watch(jobs, experiment, submissions);
    const auto failed = watch.until_ended(out);
    for (const auto &line : failed) out << line << "\n";
    if (!failed.empty()) {
        throw file_error(experiment.string(), std::to_string(failed.size()) + " of " + runs(jobs.size()) +
                                                  " failed on Slurm (listed above); the same command resubmits "
                                                  "only those");
    }
    return true;
}

}  // namespace tailor
