#include "tailor/experiment/experiment.h"

#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/html.h"
#include "tailor/util/read_file.h"
#include "tailor/util/stop_signals.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::vector<std::string> common_arguments(const ExperimentRequest &request) {
    std::vector<std::string> args;
    if (!request.recipe.empty()) args.insert(args.end(), {"--recipe", request.recipe});
    if (request.epochs > 0) args.insert(args.end(), {"--epochs", std::to_string(request.epochs)});
    if (request.limit > 0) args.insert(args.end(), {"--limit", std::to_string(request.limit)});
    if (request.test_limit > 0) args.insert(args.end(), {"--test-limit", std::to_string(request.test_limit)});
    if (!request.data.empty()) {
        args.push_back("--data");
        args.insert(args.end(), request.data.begin(), request.data.end());
    }
    return args;
}

Job make_job(const ExperimentRequest &request, std::string table, std::string label, std::string arch,
             uint64_t seed, std::string options, std::vector<std::string> extra = {}) {
    Job job{std::move(table), std::move(label), arch, std::to_string(seed), std::move(options), {}};
    job.arguments = {"--arch", arch, "--seed", job.seed};
    const auto common = common_arguments(request);
    job.arguments.insert(job.arguments.end(), common.begin(), common.end());
    job.arguments.insert(job.arguments.end(), extra.begin(), extra.end());
    return job;
}

json job_json(const Job &job) {
    return {{"table", job.table},     {"label", job.label},     {"architecture", job.architecture},
            {"seed", job.seed},       {"options", job.options}, {"arguments", job.arguments}};
}

Job job_from_json(const json &j) {
    return {j.at("table"), j.at("label"), j.at("architecture"), j.at("seed"), j.at("options"), j.at("arguments")};
}

// Plans and run records are a few KiB; far larger is not one.
constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;

json read_json(const fs::path &path) {
    const std::string text = read_small_file(path.string(), kMaxJsonBytes, "a tailor JSON file");
    try {
        return json::parse(text);
    } catch (const json::exception &e) {
        throw file_error(path.string(), std::string("not valid JSON: ") + e.what());
    }
}

// The results a finished run left in its directory.
JobResult collect(const Job &job, const fs::path &dir) try {
    JobResult r;
    r.job = job;
    const json run = read_json(dir / "run.json");
    for (const auto &epoch : run.at("epochs")) r.seconds += epoch.at("seconds").get<double>();
    if (!run.at("epochs").empty()) r.val_accuracy = run.at("epochs").back().at("val_accuracy");
    const fs::path evaluation = fs::exists(dir / "test" / "evaluation.json") ? dir / "test" / "evaluation.json"
                                                                              : dir / "evaluation.json";
    if (fs::exists(evaluation)) {
        const json e = read_json(evaluation);
        r.has_test = true;
        r.train_accuracy = e.at("train").at("accuracy");
        r.test_accuracy = e.at("test").at("accuracy");
        r.correct = e.at("test").at("correct");
        r.incorrect = e.at("test").at("incorrect");
    }
    return r;
} catch (const json::exception &e) {
    throw file_error(dir.string(), std::string("the run's results are unreadable: ") + e.what());
}

// Starts `tailor ARGS` with output to `log`, pinned to `cores`, each kernel
// using as many threads as it has cores.
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
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
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

// The Markdown this file writes (a "## title" and pipe tables) as HTML, so
// the page and the .md files can never disagree.
std::string markdown_tables_to_html(const std::string &markdown) {
    std::istringstream in(markdown);
    std::string line, html;
    bool in_table = false, header = false;
    while (std::getline(in, line)) {
        if (line.rfind("## ", 0) == 0) {
            html += "<h2>" + html_escape(line.substr(3)) + "</h2>\n";
        } else if (line.rfind("| ---", 0) == 0) {
            continue;
        } else if (line.rfind("|", 0) == 0) {
            if (!in_table) {
                html += "<table>\n";
                in_table = header = true;
            }
            html += "<tr>";
            std::size_t start = 1;
            for (std::size_t bar = line.find('|', start); bar != std::string::npos; bar = line.find('|', start)) {
                std::string cell = line.substr(start, bar - start);
                cell.erase(0, cell.find_first_not_of(' '));
                cell.erase(cell.find_last_not_of(' ') + 1);
                html += (header ? "<th>" : "<td>") + html_escape(cell) + (header ? "</th>" : "</td>");
                start = bar + 1;
            }
            html += "</tr>\n";
            header = false;
        } else if (in_table) {
            html += "</table>\n";
            in_table = false;
        }
    }
    if (in_table) html += "</table>\n";
    return html;
}

const char *table_title(const std::string &table) {
    if (table == "table1") return "Table 1: one, two and three convolutional layers";
    if (table == "table2") return "Table 2: the final model over seeds, without a fixed seed, with noise, with "
                                  "Keras's validation_split";
    if (table == "table3") return "Table 3: the final model against the benchmark MLP";
    if (table == "grid") return "Grid search, scored on validation accuracy";
    return "Architectures x seeds";
}

// The plan is fixed when the experiment starts, so a resume runs the same
// jobs (with the same drawn seeds): read from plan.json, or planned and saved.
std::vector<Job> load_or_plan(const ExperimentRequest &request, const fs::path &dir, std::ostream &out) {
    const fs::path plan_path = dir / "plan.json";
    std::vector<Job> jobs;
    const bool resuming = fs::exists(plan_path);
    if (resuming) {
        jobs = read_plan(plan_path.string());
        out << "Resuming the experiment in " << dir.string() << "\n";
    } else {
        jobs = plan_jobs(request);  // a bad request fails here, before anything is written
    }
    std::error_code ec;
    fs::create_directories(dir / "runs", ec);
    if (ec) throw file_error(dir.string(), "cannot create the experiment directory: " + ec.message());
    if (!resuming) {
        json plan = {{"jobs", json::array()}};
        for (const auto &job : jobs) plan["jobs"].push_back(job_json(job));
        write_file_atomically(plan_path.string(), plan.dump(2) + "\n");
    }
    return jobs;
}

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
        const fs::path run_dir = dir_ / "runs" / job.label;
        fs::create_directories(run_dir);
        std::vector<std::string> args = {"train"};
        args.insert(args.end(), job.arguments.begin(), job.arguments.end());
        args.insert(args.end(), {"--out", run_dir.string()});
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
        const fs::path run_dir = dir_ / "runs" / job.label;
        if (status != 0) {
            if (failure_.empty() && stop_signal() == 0) {
                failure_ = "run " + job.label + " failed (exit status " + std::to_string(status) + "); see " +
                           (run_dir / "log.txt").string();
            }
            return;
        }
        write_file_atomically((run_dir / "done").string(), "");
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

// Runs the jobs not yet done; those a previous attempt finished are kept.
void run_unfinished_jobs(const std::vector<Job> &jobs, const fs::path &dir, int slots,
                         const std::string &tailor_binary, std::ostream &out) {
    JobPool pool(jobs, dir, slots, tailor_binary, out);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < jobs.size() && !pool.failed(); i++) {
        if (fs::exists(dir / "runs" / jobs[i].label / "done")) {
            kept++;
            continue;
        }
        pool.start(i);
    }
    pool.finish();
    if (kept > 0) out << kept << " runs were already finished and kept\n";
}

// Each table's results, the tables in the order the plan first names them.
struct Tables {
    std::vector<std::string> order;
    std::map<std::string, std::vector<JobResult>> results;
};

Tables collect_tables(const std::vector<Job> &jobs, const fs::path &dir) {
    Tables tables;
    for (const auto &job : jobs) {
        if (!tables.results.count(job.table)) tables.order.push_back(job.table);
        tables.results[job.table].push_back(collect(job, dir / "runs" / job.label));
    }
    return tables;
}

// The grid's best run, by validation accuracy alone, meets the test set once
// (in its run's test/ folder), with all the cores.
void test_best_grid_run(std::vector<JobResult> &grid, const fs::path &dir, const ExperimentRequest &request,
                        const std::string &tailor_binary) {
    auto best = std::max_element(grid.begin(), grid.end(), [](const JobResult &a, const JobResult &b) {
        return a.val_accuracy < b.val_accuracy;
    });
    const fs::path best_dir = dir / "runs" / best->job.label;
    if (!fs::exists(best_dir / "test" / "evaluation.json")) {
        std::vector<std::string> args = {"evaluate", "--checkpoint", (best_dir / "checkpoint.tlr").string(), "--out",
                                         (best_dir / "test").string()};
        if (!request.data.empty()) {
            args.push_back("--data");
            args.insert(args.end(), request.data.begin(), request.data.end());
        }
        std::vector<int> all(std::max(1u, std::thread::hardware_concurrency()));
        std::iota(all.begin(), all.end(), 0);
        if (wait_for(start_process(tailor_binary, args, best_dir / "test.log", all)) != 0) {
            throw Error("evaluating the grid's best run failed; see " + (best_dir / "test.log").string());
        }
    }
    *best = collect(best->job, best_dir);
}

// Each table as CSV and Markdown, all of them on one page, and printed.
void write_tables(const Tables &tables, const fs::path &dir, std::ostream &out) {
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<title>tailor experiment</title>\n<style>body{font-family:sans-serif;max-width:1200px;"
                       "margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:0.5em 0 1.5em}"
                       "td,th{border:1px solid #ccc;padding:2px 8px}th{background:#f3f3f3}</style>\n</head>\n"
                       "<body>\n<h1>tailor experiment</h1>\n<p>Each run's own report: runs/&lt;run&gt;/report.html"
                       "</p>\n";
    for (const auto &table : tables.order) {
        const auto &results = tables.results.at(table);
        write_file_atomically((dir / (table + ".csv")).string(), results_csv(results));
        write_file_atomically((dir / (table + "-seeds.csv")).string(), summary_csv(results));
        const std::string markdown = results_markdown(table_title(table), results);
        write_file_atomically((dir / (table + ".md")).string(), markdown);
        page += markdown_tables_to_html(markdown);
        out << "\n" << markdown;
    }
    write_file_atomically((dir / "report.html").string(), page + "</body>\n</html>\n");
    out << "\nTables in " << dir.string() << "/ (report.html, *.md, *.csv)\n";
}

// One axis of the grid: a train flag, its name in labels and tables, values.
struct GridAxis {
    std::string flag, name;
    std::vector<std::string> values;
};

template <typename T>
void add_axis(std::vector<GridAxis> &axes, const char *flag, const char *name, const std::vector<T> &values) {
    if (values.empty()) return;
    GridAxis axis{flag, name, {}};
    for (const T &v : values) axis.values.push_back(number(static_cast<double>(v)));
    axes.push_back(axis);
}

// Every combination of the given axes, cnn3 with seed 42, scored on
// validation alone (--skip-test).
std::vector<Job> grid_jobs(const ExperimentRequest &request) {
    const auto &g = request.grid;
    std::vector<GridAxis> axes;
    add_axis(axes, "--lr", "lr", g.learning_rates);
    add_axis(axes, "--batch", "batch", g.batches);
    add_axis(axes, "--dropout", "dropout", g.dropout_rates);
    add_axis(axes, "--label-smoothing", "smoothing", g.label_smoothings);
    add_axis(axes, "--shift", "shift", g.shifts);
    add_axis(axes, "--ema", "ema", g.ema_decays);
    if (axes.empty()) throw Error("--preset grid needs at least one --grid-* list");
    std::vector<Job> jobs;
    std::vector<std::size_t> at(axes.size(), 0);
    while (true) {
        std::string label = "grid", options;
        std::vector<std::string> args;
        for (std::size_t a = 0; a < axes.size(); a++) {
            const std::string &value = axes[a].values[at[a]];
            label += (a ? "-" : "-") + axes[a].name + value;
            options += (a ? ", " : "") + axes[a].name + " " + value;
            args.insert(args.end(), {axes[a].flag, value});
        }
        args.push_back("--skip-test");
        jobs.push_back(make_job(request, "grid", label, "cnn3", 42, options, args));
        std::size_t a = axes.size();
        while (a > 0 && ++at[a - 1] == axes[a - 1].values.size()) at[--a] = 0;
        if (a == 0) break;
    }
    return jobs;
}

}  // namespace

std::vector<Job> read_plan(const std::string &path) {
    const json plan = read_json(path);
    std::vector<Job> jobs;
    try {
        for (const auto &j : plan.at("jobs")) jobs.push_back(job_from_json(j));
    } catch (const json::exception &e) {
        throw file_error(path, std::string("not an experiment plan: ") + e.what());
    }
    std::set<std::string> labels;
    for (const Job &job : jobs) {
        // A label names a run directory under runs/: nothing that leaves it.
        const bool plain = !job.label.empty() && job.label != "." && job.label != ".." &&
                           std::all_of(job.label.begin(), job.label.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                           });
        if (!plain) throw file_error(path, "job label '" + job.label + "' is not a plain directory name");
        if (!labels.insert(job.label).second) throw file_error(path, "job label '" + job.label + "' repeats");
    }
    if (jobs.empty()) throw file_error(path, "plans no jobs");
    return jobs;
}

std::vector<Job> plan_jobs(const ExperimentRequest &request) {
    std::vector<Job> jobs;
    for (const auto &preset : request.presets) {
        if (preset == "table1") {
            for (const char *arch : {"cnn1", "cnn2", "cnn3"}) {
                jobs.push_back(make_job(request, "table1", std::string("table1-") + arch, arch, 42, ""));
            }
        } else if (preset == "table2") {
            for (uint64_t seed = 1; seed <= 5; seed++) {
                const std::string label = "table2-cnn3-seed" + std::to_string(seed);
                jobs.push_back(make_job(request, "table2", label, "cnn3", seed, ""));
            }
            const uint64_t drawn = (uint64_t(std::random_device{}()) << 32) | std::random_device{}();
            jobs.push_back(make_job(request, "table2", "table2-cnn3-unseeded", "cnn3", drawn, "no fixed seed"));
            jobs.push_back(make_job(request, "table2", "table2-cnn3-noise", "cnn3-noise", 42,
                                    "Gaussian noise 0.1 after ReLUs and pooling"));
            jobs.push_back(make_job(request, "table2", "table2-cnn3-validation-split", "cnn3", 42,
                                    "validation_split: last 20%, unshuffled", {"--validation-from", "last"}));
        } else if (preset == "table3") {
            for (const char *arch : {"cnn3", "mlp"}) {
                jobs.push_back(make_job(request, "table3", std::string("table3-") + arch, arch, 42, ""));
            }
        } else if (preset == "grid") {
            for (Job &job : grid_jobs(request)) jobs.push_back(std::move(job));
        } else {
            throw Error("unknown preset '" + preset + "' (known: table1, table2, table3, grid)");
        }
    }
    for (const auto &arch : request.architectures) {
        for (uint64_t seed : request.seeds) {
            jobs.push_back(make_job(request, "custom", arch + "-seed" + std::to_string(seed), arch, seed, ""));
        }
    }
    if (jobs.empty()) throw Error("nothing to run: give --preset, or --arch with --seeds");
    return jobs;
}

void run_experiment(const ExperimentRequest &request, const std::string &tailor_binary, std::ostream &out) {
    const fs::path dir(request.out_directory);
    const std::vector<Job> jobs = load_or_plan(request, dir, out);
    run_unfinished_jobs(jobs, dir, std::max(1, request.jobs), tailor_binary, out);
    Tables tables = collect_tables(jobs, dir);
    if (tables.results.count("grid")) test_best_grid_run(tables.results["grid"], dir, request, tailor_binary);
    write_tables(tables, dir, out);
}

std::vector<SeedGroup> seed_groups(const std::vector<JobResult> &results) {
    std::map<std::pair<std::string, std::string>, std::vector<const JobResult *>> members;
    std::vector<std::pair<std::string, std::string>> order;
    for (const auto &r : results) {
        if (!r.has_test) continue;
        const auto key = std::make_pair(r.job.architecture, r.job.options);
        if (!members.count(key)) order.push_back(key);
        members[key].push_back(&r);
    }
    std::vector<SeedGroup> groups;
    for (const auto &key : order) {
        const auto &runs = members[key];
        if (runs.size() < 2) continue;
        std::vector<double> train, test;
        for (const auto *m : runs) {
            train.push_back(m->train_accuracy);
            test.push_back(m->test_accuracy);
        }
        groups.push_back({key.first + (key.second.empty() ? "" : ", " + key.second), runs.size(), summarize(train),
                          summarize(test)});
    }
    return groups;
}

std::string summary_csv(const std::vector<JobResult> &results) {
    std::ostringstream out;
    out.precision(10);
    out << "group,runs,train_mean,train_std,train_min,train_max,test_mean,test_std,test_min,test_max\n";
    for (const auto &g : seed_groups(results)) {
        out << '"' << g.name << "\"," << g.runs << ',' << g.train.mean << ',' << g.train.stddev << ',' << g.train.min
            << ',' << g.train.max << ',' << g.test.mean << ',' << g.test.stddev << ',' << g.test.min << ','
            << g.test.max << '\n';
    }
    return out.str();
}

Summary summarize(const std::vector<double> &values) {
    Summary s;
    if (values.empty()) return s;
    s.min = *std::min_element(values.begin(), values.end());
    s.max = *std::max_element(values.begin(), values.end());
    for (double v : values) s.mean += v / values.size();
    if (values.size() > 1) {
        double squares = 0;
        for (double v : values) squares += (v - s.mean) * (v - s.mean);
        s.stddev = std::sqrt(squares / (values.size() - 1));
    }
    return s;
}

std::string results_csv(const std::vector<JobResult> &results) {
    std::ostringstream out;
    out.precision(10);
    out << "run,architecture,seed,options,train_accuracy,test_accuracy,correct,incorrect,val_accuracy,seconds\n";
    for (const auto &r : results) {
        out << r.job.label << ',' << r.job.architecture << ',' << r.job.seed << ",\"" << r.job.options << "\",";
        if (r.has_test) {
            out << r.train_accuracy << ',' << r.test_accuracy << ',' << r.correct << ',' << r.incorrect;
        } else {
            out << ",,,";
        }
        out << ',' << r.val_accuracy << ',' << r.seconds << '\n';
    }
    return out.str();
}

std::string results_markdown(const std::string &title, const std::vector<JobResult> &results) {
    char line[400];
    std::string out = "## " + title + "\n\n";
    out += "| run | architecture | seed | options | train acc | test acc | correct | incorrect | val acc "
           "| time (s) |\n";
    out += "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto &r : results) {
        if (r.has_test) {
            std::snprintf(line, sizeof line, "| %s | %s | %s | %s | %.4f | %.4f | %ld | %ld | %.4f | %.1f |\n",
                          r.job.label.c_str(), r.job.architecture.c_str(), r.job.seed.c_str(),
                          r.job.options.c_str(), r.train_accuracy, r.test_accuracy, r.correct, r.incorrect,
                          r.val_accuracy, r.seconds);
        } else {
            std::snprintf(line, sizeof line, "| %s | %s | %s | %s | | | | | %.4f | %.1f |\n", r.job.label.c_str(),
                          r.job.architecture.c_str(), r.job.seed.c_str(), r.job.options.c_str(), r.val_accuracy,
                          r.seconds);
        }
        out += line;
    }
    const auto groups = seed_groups(results);
    std::string summaries;
    for (const auto &g : groups) {
        const Summary &a = g.train, &b = g.test;
        std::snprintf(line, sizeof line, "| %s | %zu | %.4f ± %.4f | %.4f | %.4f | %.4f ± %.4f | %.4f | %.4f |\n",
                      g.name.c_str(), g.runs, a.mean, a.stddev, a.min, a.max, b.mean, b.stddev, b.min, b.max);
        summaries += line;
    }
    if (!summaries.empty()) {
        out += "\n| over seeds | runs | train mean ± std | train min | train max | test mean ± std | test min | test "
               "max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
               summaries;
    }
    return out;
}

}  // namespace tailor
