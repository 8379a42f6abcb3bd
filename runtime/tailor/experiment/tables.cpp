#include "tailor/experiment/tables.h"

#include "tailor/data/dataset.h"
#include "tailor/experiment/run_directory.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace tailor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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

// Values as tailor writes them, or an error naming the file.
double share_in(const json &value, const fs::path &file) {  // an accuracy
    const double v = value.get<double>();
    if (!(v >= 0 && v <= 1)) throw file_error(file.string(), "holds an accuracy outside [0, 1]");
    return v;
}
double seconds_in(const json &value, const fs::path &file) {
    const double v = value.get<double>();
    if (!(v >= 0 && v < 1e9)) throw file_error(file.string(), "holds an epoch time that no run takes");
    return v;
}
long count_in(const json &value, const fs::path &file) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxImages) {
        throw file_error(file.string(), "holds an image count that is not a whole number of images");
    }
    return value.get<long>();
}

}  // namespace

JobResult collect_run(const Job &job, const fs::path &dir) try {
    JobResult r;
    r.job = job;
    r.diverged = fs::exists(dir / "diverged");
    if (r.diverged) return r;
    const fs::path record = dir / "run.json";
    const json run = read_json_file(record);
    for (const auto &epoch : run.at("epochs")) r.seconds += seconds_in(epoch.at("seconds"), record);
    if (!run.at("epochs").empty()) r.val_accuracy = share_in(run.at("epochs").back().at("val_accuracy"), record);
    const fs::path evaluation = fs::exists(dir / "test" / "evaluation.json") ? dir / "test" / "evaluation.json"
                                                                              : dir / "evaluation.json";
    if (fs::exists(evaluation)) {
        const json e = read_json_file(evaluation);
        r.has_test = true;
        r.train_accuracy = share_in(e.at("train").at("accuracy"), evaluation);
        r.test_accuracy = share_in(e.at("test").at("accuracy"), evaluation);
        r.correct = count_in(e.at("test").at("correct"), evaluation);
        r.incorrect = count_in(e.at("test").at("incorrect"), evaluation);
    }
    return r;
} catch (const json::exception &e) {
    throw file_error(dir.string(), std::string("the run's results are unreadable: ") + e.what());
}

Tables collect_tables(const std::vector<Job> &jobs, const fs::path &dir) {
    Tables tables;
    for (const auto &job : jobs) {
        if (!tables.results.count(job.table)) tables.order.push_back(job.table);
        tables.results[job.table].push_back(collect_run(job, run_directory(dir, job)));
    }
    return tables;
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
    out << "run,architecture,seed,options,train_accuracy,test_accuracy,correct,incorrect,val_accuracy,seconds,"
           "outcome\n";
    for (const auto &r : results) {
        out << r.job.label << ',' << r.job.architecture << ',' << r.job.seed << ",\"" << r.job.options << "\",";
        if (r.diverged) {
            out << ",,,,,,diverged\n";
            continue;
        }
        if (r.has_test) {
            out << r.train_accuracy << ',' << r.test_accuracy << ',' << r.correct << ',' << r.incorrect;
        } else {
            out << ",,,";
        }
        out << ',' << r.val_accuracy << ',' << r.seconds << ",trained\n";
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
        if (r.diverged) {
            std::snprintf(line, sizeof line, "| %s | %s | %s | %s | diverged | | | | | |\n", r.job.label.c_str(),
                          r.job.architecture.c_str(), r.job.seed.c_str(), r.job.options.c_str());
        } else if (r.has_test) {
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
