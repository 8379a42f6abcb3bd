#include "tailor/report/charts.h"

#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"
#include "tailor/util/subprocess.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>

namespace tailor {
namespace {

constexpr std::size_t kMaxChartBytes = std::size_t{64} << 20;

// A private folder whose path gnuplot can be given verbatim (only safe
// characters), removed with everything in it when done.
class ChartFolder {
public:
    explicit ChartFolder(const std::string &png) {
        const char *tmpdir = std::getenv("TMPDIR");
        const std::string base = tmpdir && is_safe(tmpdir) ? tmpdir : "/tmp";
        std::string pattern = base + "/tailor-chart-XXXXXX";
        if (!mkdtemp(pattern.data())) {
            throw file_error(png, "cannot draw it: no temporary folder in " + base + ": " + std::strerror(errno));
        }
        path_ = pattern;
    }
    ~ChartFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ChartFolder(const ChartFolder &) = delete;
    ChartFolder &operator=(const ChartFolder &) = delete;
    std::string file(const char *name) const { return path_ + "/" + name; }

private:
    static bool is_safe(std::string_view path) {
        return !path.empty() && path.size() < 512 &&
               path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
                   std::string_view::npos;
    }
    std::string path_;
};

// Runs a gnuplot script that draws into a private folder, then writes `png`
// atomically: neither the script nor a shell ever sees the user's path, and
// a failed plot leaves no half-written image.
void run_gnuplot(const std::string &png, const std::string &script) {
    const ChartFolder folder(png);
    const std::string drawn = folder.file("chart.png"), commands = folder.file("chart.gp");
    write_file_atomically(commands, "set terminal pngcairo enhanced font 'sans,10' size 900,420\nset output '" +
                                        drawn + "'\nset encoding utf8\n" + script + "\nset output\n");
    const CommandResult result = run_command({"gnuplot", commands});
    if (!result.started) throw file_error(png, "cannot draw it: gnuplot did not start");
    if (result.status != 0 || !std::filesystem::exists(drawn)) {
        throw file_error(png, "gnuplot could not draw it (" + failure_summary(result) + ")");
    }
    write_file_atomically(png, read_small_file(drawn, kMaxChartBytes, "a chart"));
}

std::string quoted(const std::string &text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string tics(const std::vector<std::string> &names) {
    std::string out = "(";
    for (std::size_t i = 0; i < names.size(); i++) {
        out += (i ? ", " : "") + quoted(names[i]) + " " + std::to_string(i);
    }
    return out + ")";
}

}  // namespace

bool gnuplot_available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void plot_class_counts(const std::string &png, const std::vector<std::string> &names,
                       const std::vector<std::array<long, 3>> &counts) {
    std::ostringstream s;
    s << "$counts << EOD\n";
    for (std::size_t c = 0; c < names.size(); c++) {
        s << quoted(names[c]) << ' ' << counts[c][0] << ' ' << counts[c][1] << ' ' << counts[c][2] << '\n';
    }
    s << "EOD\n"
         "set title 'Images per class'\nset ylabel 'images'\nset grid ytics\nset key outside right top\n"
         "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
         "set xtics rotate by -30 nomirror\nset yrange [0:*]\n"
         "plot $counts using 2:xtic(1) title 'train', '' using 3 title 'validation', '' using 4 title 'test'\n";
    run_gnuplot(png, s.str());
}

void plot_training_curves(const std::string &png, const std::vector<EpochRecord> &history, int best_epoch) {
    std::ostringstream s;
    s << "$history << EOD\n";
    for (std::size_t e = 0; e < history.size(); e++) {
        const auto &h = history[e];
        s << e + 1 << ' ' << h.loss << ' ' << h.accuracy << ' ' << h.val_loss << ' ' << h.val_accuracy << '\n';
    }
    s << "EOD\n"
         "set terminal pngcairo enhanced font 'sans,10' size 1000,400\n"
         "set multiplot layout 1,2\nset xlabel 'epoch'\nset grid\nset key bottom right\n"
         "set arrow 1 from "
      << best_epoch << ", graph 0 to " << best_epoch
      << ", graph 1 nohead dashtype 2 linecolor rgb 'gray40'\n"
         "set label 1 'best epoch "
      << best_epoch << "' at " << best_epoch
      << ", graph 0.5 right offset -0.5,0 textcolor rgb 'gray30'\n"
         "set title 'Loss'\nset key top right\n"
         "plot $history using 1:2 with linespoints pointtype 7 pointsize 0.5 title 'training', "
         "'' using 1:4 with linespoints pointtype 7 pointsize 0.5 title 'validation'\n"
         "set title 'Accuracy'\nset key bottom right\n"
         "plot $history using 1:3 with linespoints pointtype 7 pointsize 0.5 title 'training', "
         "'' using 1:5 with linespoints pointtype 7 pointsize 0.5 title 'validation'\n"
         "unset multiplot\n";
    run_gnuplot(png, s.str());
}

void plot_confusion_matrix(const std::string &png, const ConfusionMatrix &matrix,
                           const std::vector<std::string> &names) {
    long most = 1;
    for (const auto &row : matrix.counts) most = std::max(most, *std::max_element(row.begin(), row.end()));
    const int k = matrix.classes();
    std::ostringstream s;
    s << "$cells << EOD\n";
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++) s << p << ' ' << t << ' ' << matrix.counts[t][p] << '\n';
    s << "EOD\n"
         "set terminal pngcairo enhanced font 'sans,10' size 760,680\n"
         "set title 'Confusion matrix (test set)'\nset xlabel 'predicted class'\nset ylabel 'true class'\n"
         "set xtics "
      << tics(names) << " rotate by -40 nomirror\nset ytics " << tics(names)
      << " nomirror\n"
         "set xrange [-0.5:"
      << k - 0.5 << "]\nset yrange [" << k - 0.5
      << ":-0.5]\nset palette defined (0 'white', 1 '#2166ac')\n"
         "set cbrange [0:"
      << most << "]\nunset key\nset size ratio -1\n"
         "plot $cells using 1:2:3 with image, "
         "'' using 1:2:($3 > "
      << most / 2
      << " ? sprintf('%d', $3) : '') with labels textcolor rgb 'white', "
         "'' using 1:2:($3 <= "
      << most / 2 << " ? sprintf('%d', $3) : '') with labels textcolor rgb 'black'\n";
    run_gnuplot(png, s.str());
}

}  // namespace tailor
