// Choosing and loading the training and test sets.
#include "tailor/data/dataset.h"
#include "tailor/util/error.h"

#include <filesystem>

namespace tailor {

const char *const kClassNames[kClasses] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

namespace {

// "<dir>/<stem>" with ".gz" if that is what exists.
std::string find_idx(const std::filesystem::path &directory, const std::string &stem) {
    for (const char *suffix : {".gz", ""}) {
        const auto candidate = directory / (stem + suffix);
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    throw file_error((directory / stem).string() + "[.gz]", "no such file (is the data set installed?)");
}

Dataset load_idx_pair(const std::filesystem::path &directory, const std::string &prefix) {
    return load_idx(find_idx(directory, prefix + "-images-idx3-ubyte"),
                    find_idx(directory, prefix + "-labels-idx1-ubyte"));
}

}  // namespace

DataSplit load_data(const std::vector<std::string> &sources) {
    if (sources.size() > 2) throw Error("--data: give one directory of IDX files or two CSV files (train, test)");
    if (sources.size() == 2) {
        return {load_csv(sources[0]), load_csv(sources[1])};
    }
    const std::filesystem::path directory = sources.empty() ? kDefaultDataDirectory : sources[0];
    if (!std::filesystem::is_directory(directory)) {
        throw file_error(directory.string(), std::filesystem::exists(directory)
                                                 ? "is not a directory (two CSV files need both train and test)"
                                                 : "no such directory");
    }
    return {load_idx_pair(directory, "train"), load_idx_pair(directory, "t10k")};
}

}  // namespace tailor
