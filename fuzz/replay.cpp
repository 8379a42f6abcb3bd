// Without libFuzzer (a GCC build), each fuzz target is this program: it runs
// the target once on every file given, or in the directories given, as
// libFuzzer does with -runs=0 (flags, which start with '-', are ignored).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size);

namespace {

void run_file(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

}  // namespace

int main(int argc, char **argv) {
    int inputs = 0;
    for (int i = 1; i < argc; i++) {
        const std::filesystem::path path(argv[i]);
        if (argv[i][0] == '-') continue;
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(path)) {
            for (const auto &entry : std::filesystem::directory_iterator(path)) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
        } else {
            files.push_back(path);
        }
        for (const auto &file : files) {
            run_file(file);
            inputs++;
        }
    }
    std::printf("%d inputs ran without a finding\n", inputs);
    return 0;
}
