// `tailor experiment` end to end on a tiny job list (2 architectures x 2
// seeds, a few hundred real images, 1 epoch): the table's shape, the
// seed summary against the per-run numbers, and a resume that reruns nothing.
#define BOOST_TEST_MODULE experiment
#include "binary.h"
#include "files.h"

#include "tailor/experiment/experiment.h"
#include "tailor/experiment/tables.h"
#include "tailor/util/error.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <cmath>
#include <sstream>

using files::ScratchDirectory;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string &path) {
    std::vector<std::vector<std::string>> rows;
    const auto bytes = files::read_bytes(path);
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::string field;
        bool quoted = false;
        for (char c : line) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                fields.push_back(field);
                field.clear();
            } else {
                field += c;
            }
        }
        fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}

int run(const std::string &arguments, const std::string &log) {
    return std::system((tailor_binary() + " " + arguments + " >" + log + " 2>&1").c_str());
}

}  // namespace

BOOST_AUTO_TEST_CASE(summary_statistics_are_the_sample_mean_and_deviation) {
    const auto s = tailor::summarize({0.90, 0.92, 0.94});
    const auto tol = boost::test_tools::tolerance(1e-12);
    BOOST_TEST(s.mean == 0.92, tol);
    BOOST_TEST(s.stddev == 0.02, tol);
    BOOST_TEST(s.min == 0.90);
    BOOST_TEST(s.max == 0.94);
}

BOOST_AUTO_TEST_CASE(presets_plan_the_reports_tables) {
    tailor::ExperimentRequest request;
    request.presets = {"table1", "table2", "table3"};
    const auto jobs = tailor::plan_jobs(request);
    BOOST_TEST(jobs.size() == 3u + 8u + 2u);
    BOOST_TEST(jobs[0].architecture == "cnn1");
    BOOST_TEST(jobs[3].seed == "1");
    BOOST_TEST(jobs[9].architecture == "cnn3-noise");
    request.presets = {"grid"};
    request.grid.learning_rates = {0.001, 0.0005};
    request.grid.dropout_rates = {0.2, 0.3, 0.4};
    request.grid.batches = {32, 128};
    const auto grid = tailor::plan_jobs(request);
    BOOST_TEST(grid.size() == 12u);
    BOOST_TEST(grid[0].label == "grid-lr0.001-batch32-dropout0.2", "labels as before, so old grids resume");
}

// The new axes are searched only when given; a recipe reaches every run,
// whose epochs are then the recipe's unless --epochs says otherwise.
BOOST_AUTO_TEST_CASE(grid_axes_and_recipes_reach_the_runs) {
    tailor::ExperimentRequest request;
    request.presets = {"grid"};
    request.recipe = "fast";
    request.grid.label_smoothings = {0, 0.1};
    request.grid.shifts = {0, 1, 2};
    const auto jobs = tailor::plan_jobs(request);
    BOOST_TEST(jobs.size() == 6u);
    BOOST_TEST(jobs[5].label == "grid-smoothing0.1-shift2");
    const auto &args = jobs[5].arguments;
    auto has = [&](const std::string &flag, const std::string &value) {
        const auto at = std::find(args.begin(), args.end(), flag);
        return at != args.end() && at + 1 != args.end() && at[1] == value;
    };
    BOOST_TEST(has("--recipe", "fast"));
    BOOST_TEST(has("--label-smoothing", "0.1"));
    BOOST_TEST(has("--shift", "2"));
    BOOST_TEST((std::find(args.begin(), args.end(), "--epochs") == args.end()), "epochs: the recipe's");
    request.grid = {};
    BOOST_CHECK_THROW(tailor::plan_jobs(request), tailor::Error);
}

BOOST_AUTO_TEST_CASE(grid_values_reach_the_runs_whole) {
    // Six digits once trained 1.2345678e-3 as 0.00123457, and 1e+06 named a
    // run that a resume refused for its '+'.
    tailor::ExperimentRequest request;
    request.presets = {"grid"};
    request.grid.learning_rates = {1.2345678e-3, 1e6};
    auto jobs = tailor::plan_jobs(request);
    BOOST_TEST(jobs[0].label == "grid-lr0.0012345678");
    BOOST_TEST(jobs[1].label == "grid-lr1e06");
    const auto lr = std::find(jobs[1].arguments.begin(), jobs[1].arguments.end(), "--lr");
    BOOST_TEST_REQUIRE((lr != jobs[1].arguments.end()));
    BOOST_TEST(std::stod(lr[1]) == 1e6);
    // -0 and 0 are one setting: planned twice, refused as such.
    request.grid.dropout_rates = {-0.0, 0.0};
    BOOST_CHECK_THROW(tailor::plan_jobs(request), tailor::Error);
}

BOOST_AUTO_TEST_CASE(a_data_path_that_is_not_utf8_is_refused_before_anything_is_written) {
    tailor::ExperimentRequest request;
    request.architectures = {"mlp"};
    request.seeds = {1};
    request.data = {"caf\xe9/train.csv", "test.csv"};
    try {
        tailor::plan_jobs(request);
        BOOST_ERROR("a Latin-1 path was planned");
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()).find("caf\xe9/train.csv: not valid UTF-8") == 0, e.what());
    }
}

BOOST_AUTO_TEST_CASE(a_grid_of_more_runs_than_an_experiment_takes_on_is_refused) {
    // 73,728 runs were once planned and started; 7.3 million filled memory.
    tailor::ExperimentRequest request;
    request.presets = {"grid"};
    for (int i = 1; i <= 11; i++) {
        request.grid.learning_rates.push_back(i * 1e-4);
        request.grid.batches.push_back(i);
        request.grid.shifts.push_back(i);
    }
    try {
        tailor::plan_jobs(request);
        BOOST_ERROR("a grid of 1,331 runs was planned");
    } catch (const tailor::Error &e) {
        BOOST_TEST(std::string(e.what()).find("more than 1000 runs") != std::string::npos, e.what());
    }
    request.grid.shifts.resize(8);  // 968 runs
    BOOST_TEST(tailor::plan_jobs(request).size() == 968u);
}

BOOST_AUTO_TEST_CASE(run_results_outside_what_tailor_writes_are_refused) {
    ScratchDirectory dir;
    files::write_text(dir / "run.json", R"({"epochs": [{"seconds": 1.5, "val_accuracy": 0.8}]})");
    const auto refused = [&](const std::string &evaluation, const std::string &problem) {
        files::write_text(dir / "evaluation.json", evaluation);
        try {
            tailor::collect_run({}, dir.path);
            BOOST_ERROR("accepted: " << evaluation);
        } catch (const tailor::Error &e) {
            BOOST_TEST(std::string(e.what()).find(dir / "evaluation.json: " + problem) == 0, e.what());
        }
    };
    const std::string train = R"("train": {"accuracy": 0.9}, )";
    refused("{" + train + R"("test": {"accuracy": 7.5, "correct": 9, "incorrect": 1}})", "holds an accuracy outside");
    refused("{" + train + R"("test": {"accuracy": 0.9, "correct": 1e300, "incorrect": 1}})", "holds an image count");
    refused("{" + train + R"("test": {"accuracy": 0.9, "correct": -5, "incorrect": 1}})", "holds an image count");
    files::write_text(dir / "evaluation.json",
                      "{" + train + R"("test": {"accuracy": 0.9, "correct": 9, "incorrect": 1}})");
    BOOST_TEST(tailor::collect_run({}, dir.path).correct == 9);
}

BOOST_AUTO_TEST_CASE(tiny_experiment_tables_and_resume) {
    ScratchDirectory dir;
    // Two runs at once, each pinned to its own core.
    const std::string arguments = "experiment --arch cnn1,mlp --seeds 1,2 --epochs 1 --limit 400 --test-limit 200 "
                                  "--jobs 2 --data " TAILOR_DATA_DIR " --out " + (dir / "exp");
    BOOST_TEST_REQUIRE(run(arguments, dir / "first.log") == 0);

    const auto table = read_csv(dir / "exp/custom.csv");
    BOOST_TEST_REQUIRE(table.size() == 5u, "a header and one row per run");
    BOOST_TEST(table[0][0] == "run");
    BOOST_TEST(table[0].size() == 11u);
    std::map<std::string, std::vector<double>> test_accuracy;
    for (std::size_t r = 1; r < table.size(); r++) {
        BOOST_TEST(table[r].size() == 11u);
        BOOST_TEST(table[r][10] == "trained");
        const double accuracy = std::stod(table[r][5]);
        BOOST_TEST(accuracy > 0.3, table[r][0] << " learned something in one epoch");
        test_accuracy[table[r][1]].push_back(accuracy);
        BOOST_TEST(std::stol(table[r][6]) + std::stol(table[r][7]) == 200);
    }

    const auto seeds = read_csv(dir / "exp/custom-seeds.csv");
    BOOST_TEST_REQUIRE(seeds.size() == 3u, "one summary row per architecture");
    for (std::size_t r = 1; r < seeds.size(); r++) {
        const auto &values = test_accuracy.at(seeds[r][0]);
        const double mean = (values[0] + values[1]) / 2;
        const double deviation = std::abs(values[0] - values[1]) / std::sqrt(2.0);
        BOOST_TEST(std::stoi(seeds[r][1]) == 2);
        BOOST_TEST(std::abs(std::stod(seeds[r][6]) - mean) < 1e-9, seeds[r][0] << " test mean");
        BOOST_TEST(std::abs(std::stod(seeds[r][7]) - deviation) < 1e-9, seeds[r][0] << " test deviation");
        BOOST_TEST(std::abs(std::stod(seeds[r][8]) - std::min(values[0], values[1])) < 1e-12);
    }
    BOOST_TEST(std::filesystem::exists(dir / "exp/custom.md"));
    const auto page = files::read_bytes(dir / "exp/report.html");
    const std::string html(page.begin(), page.end());
    BOOST_TEST(html.find("<td>" + table[1][0] + "</td>") != std::string::npos, "the page lists every run");
    BOOST_TEST(html.find("<th>test mean ± std</th>") != std::string::npos, "and the seed summary");

    // A second run finds every job finished and reruns none.
    const auto before = std::filesystem::last_write_time(dir / "exp/runs/mlp-seed2/checkpoint.tlr");
    BOOST_TEST_REQUIRE(run(arguments, dir / "second.log") == 0);
    const auto log = files::read_bytes(dir / "second.log");
    BOOST_TEST(std::string(log.begin(), log.end()).find("4 runs were already finished and kept") != std::string::npos);
    BOOST_TEST((std::filesystem::last_write_time(dir / "exp/runs/mlp-seed2/checkpoint.tlr") == before));
}

// The grid scores runs on validation accuracy alone; only the best one meets
// the test set, once. A run whose rate is far too high diverges, which the
// table shows, and the others go on.
BOOST_AUTO_TEST_CASE(grid_search_evaluates_only_its_best_run_on_test) {
    ScratchDirectory dir;
    const std::string arguments = "experiment --preset grid --grid-lr 1e13,0.001,0.003 --grid-batch 64 "
                                  "--grid-dropout 0.2 --epochs 1 --limit 400 --test-limit 100 --data " TAILOR_DATA_DIR
                                  " --out " + (dir / "grid");
    BOOST_TEST_REQUIRE(run(arguments, dir / "log") == 0);
    const auto table = read_csv(dir / "grid/grid.csv");
    BOOST_TEST_REQUIRE(table.size() == 4u);
    BOOST_TEST(table[1][0] == "grid-lr1e13-batch64-dropout0.2");
    BOOST_TEST(table[1][10] == "diverged");
    BOOST_TEST(table[1][8].empty(), "no validation accuracy");
    int evaluated = 0;
    double best_val = -1, evaluated_val = -1;
    for (std::size_t r = 2; r < table.size(); r++) {
        BOOST_TEST(table[r][10] == "trained");
        const double val = std::stod(table[r][8]);
        best_val = std::max(best_val, val);
        const bool on_test = !table[r][5].empty();
        BOOST_TEST(std::filesystem::exists(dir / ("grid/runs/" + table[r][0] + "/test/evaluation.json")) == on_test);
        BOOST_TEST(!std::filesystem::exists(dir / ("grid/runs/" + table[r][0] + "/evaluation.json")),
                   "grid runs skip the test set while training");
        if (on_test) {
            evaluated++;
            evaluated_val = val;
            BOOST_TEST(std::stol(table[r][6]) + std::stol(table[r][7]) == 100);
        }
    }
    BOOST_TEST(evaluated == 1);
    BOOST_TEST(evaluated_val == best_val);
}
