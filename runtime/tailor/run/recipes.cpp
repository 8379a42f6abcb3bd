#include "tailor/run/recipes.h"

#include "tailor/util/error.h"

#include <sstream>

namespace tailor {
namespace {

// Augmentation, label smoothing and weight averaging over the report's
// network and optimiser, less dropout (augmentation regularises too), a
// one-cycle schedule, and test-time shifts (docs/experiments.md: each chosen
// on the validation split).
TrainSettings modern(int64_t epochs) {
    TrainSettings s;
    s.epochs = epochs;
    s.batch = 128;
    s.learning_rate = 0.002;
    s.lr_schedule = "onecycle";
    s.dropout_rate = 0.1;
    s.label_smoothing = 0.1;
    s.ema_decay = 0.999;
    s.augment_shift = 1;
    s.tta = "shift";
    return s;
}

}  // namespace

std::vector<std::string> recipe_names() { return {"report", "best", "fast"}; }

TrainSettings recipe_settings(const std::string &name) {
    TrainSettings settings;
    if (name == "best") {
        settings = modern(50);
    } else if (name == "fast") {
        settings = modern(20);
    } else if (name != "report") {
        throw Error("--recipe: unknown '" + name + "' (known: report, best, fast)");
    }
    settings.recipe = name;
    return settings;
}

std::string describe_recipe(const std::string &name) {
    const std::vector<std::string> recipe = setting_texts(recipe_settings(name)), report = setting_texts({});
    std::string text;
    for (std::size_t i = 0; i < recipe.size(); i++) {
        if (recipe[i] == report[i] || std::string(kTrainSettingNames[i]) == "recipe") continue;
        text += (text.empty() ? "" : ", ") + std::string(kTrainSettingNames[i]) + " " + recipe[i];
    }
    return text.empty() ? "the report's settings" : text;
}

}  // namespace tailor
