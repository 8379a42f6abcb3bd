// The report page from a short real run: every file it references exists,
// every PNG decodes at the expected size, its tables carry the evaluator's
// numbers, and (where Debian's chromium is installed) a headless browser
// loads every image.
#define BOOST_TEST_MODULE report
#include "binary.h"
#include "files.h"

#include "tailor/report/png.h"

#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <fstream>
#include <regex>

using files::ScratchDirectory;

namespace {

std::string text_of(const std::string &path) {
    const auto bytes = files::read_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

// One short run shared by the test cases: mlp, 1 epoch, 1,000 training and
// 200 test images; the report is written at the end of `train`.
struct Run {
    ScratchDirectory dir;
    std::string run;
    Run() : run(dir / "run") {
        const std::string command = tailor_binary() + " train --arch mlp --epochs 1 --limit 1000 --test-limit 200 "
                                                      "--data " TAILOR_DATA_DIR " --out " + run + " >" +
                                    (dir / "log") + " 2>&1";
        if (std::system(command.c_str()) != 0) throw std::runtime_error("training failed: " + text_of(dir / "log"));
    }
};

Run &shared_run() {
    static Run run;
    return run;
}

// Every value of NAME="..." in the page. A plain search: std::regex recurses
// once per character it matches, which the page's embedded images (hundreds
// of KiB of base64) turn into a stack overflow under AddressSanitizer.
std::vector<std::string> attribute_values(const std::string &html, const std::string &name) {
    std::vector<std::string> values;
    const std::string opening = " " + name + "=\"";
    for (std::size_t at = html.find(opening); at != std::string::npos; at = html.find(opening, at)) {
        at += opening.size();
        const std::size_t end = html.find('"', at);
        if (end == std::string::npos) break;
        values.push_back(html.substr(at, end - at));
        at = end;
    }
    return values;
}

}  // namespace

BOOST_AUTO_TEST_CASE(train_ends_with_the_report_path) {
    const std::string log = text_of(shared_run().dir / "log");
    BOOST_TEST(log.find("Report: " + shared_run().run + "/report.html") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(every_referenced_file_exists_and_every_png_decodes) {
    const std::string run = shared_run().run;
    const std::string html = text_of(run + "/report.html");
    int files_seen = 0, embedded = 0;
    for (const std::string &src : attribute_values(html, "src")) {
        if (src.rfind("data:image/png;base64,", 0) == 0) {
            embedded++;
            continue;
        }
        BOOST_TEST(src.find("..") == std::string::npos, src << " stays inside the run directory");
        BOOST_TEST(src[0] != '/', src << " is relative");
        BOOST_TEST_REQUIRE(std::filesystem::exists(run + "/" + src), src);
        const auto image = tailor::read_png(run + "/" + src);
        BOOST_TEST(image.width > 100, src);
        BOOST_TEST(image.height > 100, src);
        files_seen++;
    }
    BOOST_TEST(files_seen == 3, "the three charts (class counts, training curves, confusion matrix)");
    BOOST_TEST(embedded == 10 + 40 + 20, "ten sample strips, forty test tiles, twenty mistakes at most");

    // The image grids are figures of their own; their sizes follow from the
    // layout: 10 columns of 56-pixel images with 4-pixel gaps.
    const auto samples = tailor::read_png(run + "/report/sample_images.png");
    BOOST_TEST(samples.width == 10 * 56 + 11 * 4);
    BOOST_TEST(samples.height == 10 * 56 + 11 * 4);
    const auto tests = tailor::read_png(run + "/report/test_predictions.png");
    BOOST_TEST(tests.height == 4 * 56 + 5 * 4);
    const auto mistakes = tailor::read_png(run + "/report/confident_mistakes.png");
    BOOST_TEST(mistakes.width == 10 * 56 + 11 * 4);
}

BOOST_AUTO_TEST_CASE(tables_carry_the_evaluators_numbers) {
    const std::string run = shared_run().run;
    const std::string html = text_of(run + "/report.html");
    std::ifstream in(run + "/evaluation.json");
    const auto evaluation = nlohmann::json::parse(in);
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, "%.4f", evaluation["test"]["accuracy"].get<double>());
    BOOST_TEST(html.find(std::string("Test accuracy <b>") + accuracy) != std::string::npos, accuracy);
    BOOST_TEST(html.find(std::string("<tr><td>accuracy</td><td></td><td></td><td>") + accuracy + "</td><td>200") !=
               std::string::npos);
    // Each class row of the evaluator's text report appears in the page.
    const std::string report = text_of(run + "/evaluation.txt");
    const std::regex row("\\n +(Trouser|Bag) +([0-9.]+) +([0-9.]+) +([0-9.]+) +([0-9]+)\\n");
    std::smatch m;
    BOOST_TEST_REQUIRE(std::regex_search(report, m, row));
    BOOST_TEST(html.find("<tr><td>" + m[1].str() + "</td><td>" + m[2].str() + "</td><td>" + m[3].str() +
                         "</td><td>" + m[4].str() + "</td><td>" + m[5].str() + "</td></tr>") != std::string::npos,
               m[0].str());
    BOOST_TEST(std::filesystem::exists(run + "/report/classification_report.csv"));
    BOOST_TEST(std::filesystem::exists(run + "/report/class_counts.csv"));
}

BOOST_AUTO_TEST_CASE(headless_chromium_loads_every_image) {
    if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
        BOOST_TEST_MESSAGE("chromium is not installed; the browser check is skipped");
        return;
    }
    const std::string run = shared_run().run;
    const std::string profile = shared_run().dir / "chromium-profile";
    const std::string command = "chromium --headless --no-sandbox --disable-gpu --no-first-run "
                                "--disable-background-networking --disable-component-update --disable-sync "
                                "--user-data-dir=" + profile + " --virtual-time-budget=5000 --dump-dom file://" +
                                run + "/report.html 2>/dev/null";
    std::string dom;
    FILE *pipe = popen(command.c_str(), "r");
    BOOST_TEST_REQUIRE(pipe != nullptr);
    char buffer[65536];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) dom.append(buffer, n);
    pclose(pipe);
    const auto loaded = attribute_values(dom, "data-images-loaded");
    BOOST_TEST_REQUIRE(loaded.size() == 1u, "the page's load check ran");
    const std::string done = loaded[0].substr(0, loaded[0].find('/')), all = loaded[0].substr(done.size() + 1);
    BOOST_TEST(done == all, done << " of " << all << " images loaded");
    BOOST_TEST(std::stoi(all) > 50);
}

BOOST_AUTO_TEST_CASE(without_gnuplot_the_page_says_so_and_keeps_the_rest) {
    ScratchDirectory copy;
    std::filesystem::copy(shared_run().run, copy / "run", std::filesystem::copy_options::recursive);
    std::filesystem::remove_all(copy / "run/report");
    const std::string command = "env PATH=/nonexistent " + tailor_binary() + " report --run " + (copy / "run") +
                                " --data " TAILOR_DATA_DIR " >" + (copy / "log") + " 2>&1";
    BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, text_of(copy / "log"));
    const std::string log = text_of(copy / "log");
    BOOST_TEST(log.find("gnuplot is not installed") != std::string::npos, log);
    const std::string html = text_of(copy / "run/report.html");
    BOOST_TEST(html.find("not drawn, gnuplot is not installed") != std::string::npos);
    BOOST_TEST(html.find("id=\"classification-report\"") != std::string::npos);
    BOOST_TEST(!std::filesystem::exists(copy / "run/report/confusion_matrix.png"));
    BOOST_TEST(std::filesystem::exists(copy / "run/report/sample_images.png"));
    BOOST_TEST(std::filesystem::exists(copy / "run/report/classification_report.csv"));
}

BOOST_AUTO_TEST_CASE(a_directory_without_a_run_is_a_one_line_error) {
    ScratchDirectory empty;
    const std::string command = tailor_binary() + " report --run " + empty.path.string() + " >" + (empty / "out") +
                                " 2>" + (empty / "err");
    BOOST_TEST(std::system(command.c_str()) != 0);
    const std::string err = text_of(empty / "err");
    BOOST_TEST(err.find("tailor: error: " + empty.path.string() + "/run.json: no such file") == 0, err);
    BOOST_TEST(std::count(err.begin(), err.end(), '\n') == 1);
    BOOST_TEST(!std::filesystem::exists(empty / "report"), "nothing is written for a refused run");
}

BOOST_AUTO_TEST_CASE(a_run_directory_whose_files_lie_is_refused_before_anything_is_written) {
    // Each forgery in a fresh copy of the run, its report removed: one line
    // naming the file, and no report/ written.
    const auto refused = [](const std::string &file, const std::function<std::string(std::string)> &forge,
                            const std::string &problem) {
        ScratchDirectory copy;
        const std::string run = copy / "run";
        std::filesystem::copy(shared_run().run, run, std::filesystem::copy_options::recursive);
        std::filesystem::remove_all(run + "/report");
        std::filesystem::remove(run + "/report.html");
        files::write_text(run + "/" + file, forge(text_of(run + "/" + file)));
        const std::string command = tailor_binary() + " report --run " + run + " --data " TAILOR_DATA_DIR " >" +
                                    (copy / "out") + " 2>" + (copy / "err");
        BOOST_TEST_CONTEXT(file << ": " << problem) {
            BOOST_TEST(std::system(command.c_str()) != 0);
            const std::string err = text_of(copy / "err");
            BOOST_TEST(err.find("tailor: error: ") == 0, err);
            BOOST_TEST(err.find(problem) != std::string::npos, err);
            BOOST_TEST(std::count(err.begin(), err.end(), '\n') == 1, err);
            BOOST_TEST(!std::filesystem::exists(run + "/report"), "nothing written");
        }
    };
    const auto replace = [](const std::string &from, const std::string &to) {
        return [from, to](std::string text) {
            const std::size_t at = text.find(from);
            BOOST_REQUIRE(at != std::string::npos);
            return text.replace(at, from.size(), to);
        };
    };
    // Once a segmentation fault: a split of all 1,000 images left none to train.
    refused("run.json", replace("\"validation_fraction\": 0.2", "\"validation_fraction\": 0.99999"),
            TAILOR_DATA_DIR "/train-images-idx3-ubyte");
    refused("run.json", replace("\"validation_fraction\": 0.2", "\"validation_fraction\": 2.0"),
            "run.json: holds settings tailor cannot use");
    refused("run.json", [](const std::string &) { return std::string(40, '[') + std::string(40, ']'); },
            "run.json: nested deeper than 32 levels");
    refused("run.json", replace("\"settings\": {", "\"settings\": [], \"was\": {"), "settings are not an object");
    // Once read as test image 0.
    refused("predictions.csv", replace("\n0,", "\n4294967296,"),
            "predictions.csv: line 2 is of test image 4294967296");
    refused("predictions.csv", replace("\n1,", "\n0,"), "line 3 is of test image 0, expected 1");
    const auto without_last_row = [](const std::string &text) {
        return text.substr(0, text.rfind('\n', text.size() - 2) + 1);
    };
    refused("predictions.csv", without_last_row, "holds 199 predictions, but the run evaluates 200");
    refused("predictions.csv", [](const std::string &text) { return text.substr(0, text.find('\n') + 1); },
            "holds no predictions");
}
