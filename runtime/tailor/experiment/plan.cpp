// What an experiment runs: the jobs of the report's tables and of a grid.
#include "tailor/experiment/experiment.h"

#include "tailor/util/error.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <random>
#include <set>

namespace tailor {

namespace {

// The shortest text that reads back as `value` (an ostream's six digits
// trained 1.2345678e-3 as 0.00123457), without the '+' a run's name may
// not hold (1e+06 as 1e06), and -0 as 0 (two names for one setting).
std::string number(double value) {
    if (value == 0) value = 0;
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    std::string shortest(text, end);
    std::erase(shortest, '+');
    return shortest;
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
// More runs than an experiment takes on (a grid of 73,728 was planned and
// started, of 7.3 million filled memory): weeks of training at this size.
constexpr std::size_t kMaxRuns = 1000;

std::string too_many_runs(const std::string &what) {
    return what + " make more than " + std::to_string(kMaxRuns) + " runs, more than one experiment takes on";
}

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
    std::size_t runs = 1;
    for (const GridAxis &axis : axes) {
        runs *= axis.values.size();  // at most kMaxRuns x a command line's values: no overflow
        if (runs > kMaxRuns) throw Error(too_many_runs("the --grid-* lists"));
    }
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
    if (request.architectures.size() * request.seeds.size() > kMaxRuns) throw Error(too_many_runs("--arch x --seeds"));
    for (const auto &arch : request.architectures) {
        for (uint64_t seed : request.seeds) {
            jobs.push_back(make_job(request, "custom", arch + "-seed" + std::to_string(seed), arch, seed, ""));
        }
    }
    if (jobs.empty()) throw Error("nothing to run: give --preset, or --arch with --seeds");
    // plan.json records the arguments, and JSON holds only UTF-8 (the
    // check is nlohmann's own): a path in another encoding is refused.
    for (const Job &job : jobs) {
        for (const std::string &argument : job.arguments) {
            try {
                (void)nlohmann::json(argument).dump();
            } catch (const nlohmann::json::type_error &) {
                throw file_error(argument, "not valid UTF-8, which the experiment's plan.json cannot record");
            }
        }
    }
    if (jobs.size() > kMaxRuns) throw Error(too_many_runs("the presets and lists"));
    // A repeated value (in --arch, --seeds, --preset or a grid list) would
    // plan one run twice, in one directory, and a rerun could not resume.
    std::set<std::string> labels;
    for (const Job &job : jobs) {
        if (!labels.insert(job.label).second) throw Error("run '" + job.label + "' is planned twice: a value repeats");
    }
    return jobs;
}

}  // namespace tailor
