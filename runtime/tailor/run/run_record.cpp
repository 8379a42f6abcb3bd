#include "tailor/run/run_record.h"

#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/json_text.h"
#include "tailor/util/read_file.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace tailor {
namespace {

using nlohmann::json;

// A run record is a few KiB for each hundred epochs.
constexpr std::size_t kMaxRunRecordBytes = std::size_t{64} << 20;

json settings_json(const TrainSettings &settings) {
    json object;
    std::size_t i = 0;
    boost::pfr::for_each_field(settings, [&](const auto &field) { object[kTrainSettingNames[i++]] = field; });
    return object;
}

}  // namespace

void write_run_record(const std::string &directory, const TrainSettings &settings, std::size_t parameters,
                      const std::vector<EpochRecord> &history) {
    json epochs = json::array();
    for (const auto &e : history) {
        epochs.push_back({{"loss", e.loss},
                          {"accuracy", e.accuracy},
                          {"val_loss", e.val_loss},
                          {"val_accuracy", e.val_accuracy},
                          {"seconds", e.seconds}});
    }
    const json run = {{"tailor_version", TAILOR_VERSION},
                      {"settings", settings_json(settings)},
                      {"parameters", parameters},
                      {"epochs", epochs}};
    write_file_atomically((std::filesystem::path(directory) / "run.json").string(), run.dump(2) + "\n");
}

RunRecord read_run_record(const std::string &directory) {
    const std::string path = (std::filesystem::path(directory) / "run.json").string();
    if (!std::filesystem::exists(path)) throw file_error(path, "no such file (is this a tailor run directory?)");
    const std::string text = read_small_file(path, kMaxRunRecordBytes, "a run record");
    RunRecord record;
    try {
        const json run = parse_json(path, text);
        const json &settings = run.at("settings");
        if (!settings.is_object()) throw file_error(path, "not a tailor run record: its settings are not an object");
        std::size_t field = 0;
        boost::pfr::for_each_field(record.settings, [&](auto &value) {
            const char *name = kTrainSettingNames[field++];
            if (settings.contains(name)) settings.at(name).get_to(value);
        });
        if (run.contains("parameters") && !run.at("parameters").is_number_unsigned()) {
            throw file_error(path, "not a tailor run record: its parameter count is not a whole number");
        }
        record.parameters = run.value("parameters", std::size_t{0});
        for (const auto &e : run.at("epochs")) {
            record.history.push_back(
                {e.at("loss"), e.at("accuracy"), e.at("val_loss"), e.at("val_accuracy"), e.at("seconds")});
        }
    } catch (const json::exception &e) {
        throw file_error(path, std::string("not a tailor run record: ") + e.what());
    }
    try {
        check_settings(record.settings);
    } catch (const Error &e) {
        throw file_error(path, std::string("holds settings tailor cannot use: ") + e.what());
    }
    return record;
}

}  // namespace tailor
