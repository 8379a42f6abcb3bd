#include "tailor/experiment/run_directory.h"

#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/json_text.h"
#include "tailor/util/read_file.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json job_json(const Job &job) {
    return {{"table", job.table},     {"label", job.label},     {"architecture", job.architecture},
            {"seed", job.seed},       {"options", job.options}, {"arguments", job.arguments}};
}

Job job_from_json(const json &j) {
    return {j.at("table"), j.at("label"), j.at("architecture"), j.at("seed"), j.at("options"), j.at("arguments")};
}

// Plans and run records are a few KiB; far larger is not one.
constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;

bool plain_name(const std::string &name) {
    return !name.empty() && name != "." && name != ".." && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

}  // namespace

fs::path run_directory(const fs::path &experiment, const Job &job) { return experiment / "runs" / job.label; }

bool run_is_done(const fs::path &experiment, const Job &job) {
    return fs::exists(run_directory(experiment, job) / "done");
}

void mark_run_done(const fs::path &experiment, const Job &job) {
    write_file_atomically((run_directory(experiment, job) / "done").string(), "");
}

void mark_run_diverged(const fs::path &experiment, const Job &job) {
    write_file_atomically((run_directory(experiment, job) / "diverged").string(), "");
    mark_run_done(experiment, job);
}

std::vector<std::string> train_command(const fs::path &experiment, const Job &job) {
    std::vector<std::string> args = {"train"};
    args.insert(args.end(), job.arguments.begin(), job.arguments.end());
    args.insert(args.end(), {"--out", run_directory(experiment, job).string()});
    return args;
}

json read_json_file(const fs::path &path) {
    const std::string text = read_small_file(path.string(), kMaxJsonBytes, "a tailor JSON file");
    try {
        return parse_json(path.string(), text);
    } catch (const json::exception &e) {
        throw file_error(path.string(), std::string("not valid JSON: ") + e.what());
    }
}

std::vector<Job> read_plan(const std::string &path) {
    const json plan = read_json_file(path);
    std::vector<Job> jobs;
    try {
        for (const auto &j : plan.at("jobs")) jobs.push_back(job_from_json(j));
    } catch (const json::exception &e) {
        throw file_error(path, std::string("not an experiment plan: ") + e.what());
    }
    std::set<std::string> labels;
    for (const Job &job : jobs) {
        // A label names a run directory under runs/, a table names files in
        // the experiment directory: nothing that leaves them.
        if (!plain_name(job.label)) throw file_error(path, "job label '" + job.label + "' is not a plain directory name");
        if (!plain_name(job.table)) throw file_error(path, "table '" + job.table + "' is not a plain file name");
        if (!labels.insert(job.label).second) throw file_error(path, "job label '" + job.label + "' repeats");
        // Shown in the tables' CSV (quoted) and Markdown (between '|').
        if (job.options.find_first_of("\"|\n\r") != std::string::npos) {
            throw file_error(path, "job " + job.label + "'s options hold a quote, '|' or a line break");
        }
    }
    if (jobs.empty()) throw file_error(path, "plans no jobs");
    return jobs;
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

}  // namespace tailor
