#include "tailor/run/settings.h"

#include "tailor/run/augmentation.h"
#include "tailor/run/recipes.h"
#include "tailor/util/error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tailor {
namespace {

double one_cycle(double lr, double t) {
    constexpr double kRise = 0.3, kStart = 25, kEnd = 25e4;
    if (t < kRise) return lr / kStart + (lr - lr / kStart) * t / kRise;
    const double fall = (t - kRise) / (1 - kRise);
    return lr / kEnd + (lr - lr / kEnd) * 0.5 * (1 + std::cos(M_PI * fall));
}

}  // namespace

double step_learning_rate(const TrainSettings &settings, int64_t epoch, std::size_t step, std::size_t steps) {
    const double done = static_cast<double>(epoch) * steps + step;  // steps before this one
    const double t = done / (static_cast<double>(settings.epochs) * steps);
    const double lr = settings.learning_rate;
    double rate = lr;
    if (settings.lr_schedule == "cosine") {
        const double progress = static_cast<double>(epoch) / static_cast<double>(settings.epochs);
        rate = lr * 0.5 * (1.0 + std::cos(M_PI * progress));
    } else if (settings.lr_schedule == "linear") {
        rate = lr * (1 - t);
    } else if (settings.lr_schedule == "onecycle") {
        rate = one_cycle(lr, t);
    } else if (settings.lr_schedule != "constant") {
        throw Error("unknown learning-rate schedule '" + settings.lr_schedule + "' (known: constant, cosine, linear, "
                    "onecycle)");
    }
    const double warmup_steps = settings.warmup_epochs * steps;
    if (warmup_steps > 0 && done < warmup_steps) rate *= (done + 1) / warmup_steps;
    return rate;
}

std::vector<std::string> setting_texts(const TrainSettings &settings, int precision) {
    std::vector<std::string> texts;
    boost::pfr::for_each_field(settings, [&](const auto &field) {
        std::ostringstream out;
        out.precision(precision);
        out << field;
        texts.push_back(out.str());
    });
    return texts;
}

void check_settings(const TrainSettings &s) {
    auto require = [](bool ok, const std::string &problem) {
        if (!ok) throw Error(problem);
    };
    // Every comparison below is false for NaN, so NaN fails each.
    require(s.batch >= 1 && s.batch <= 8192, "--batch must be between 1 and 8192");
    require(s.epochs >= 1 && s.epochs <= 100000, "--epochs must be between 1 and 100000");
    require(std::isfinite(s.learning_rate) && s.learning_rate > 0, "--lr must be a positive number");
    require(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1, "Adam's betas must be in [0, 1)");
    require(std::isfinite(s.epsilon) && s.epsilon > 0, "Adam's epsilon must be a positive number");
    require((s.dropout_rate == -1 || s.dropout_rate >= 0) && s.dropout_rate < 1,  // -1: as declared
            "--dropout must be in [0, 1)");
    require(s.noise_stddev <= 10, "--noise-stddev must be at most 10");
    require(s.validation_fraction >= 0 && s.validation_fraction < 1, "--validation-split must be in [0, 1)");
    require(s.train_limit >= 0 && s.test_limit >= 0, "--limit and --test-limit must not be negative");
    require(s.warmup_epochs >= 0 && s.warmup_epochs <= s.epochs, "--warmup must be between 0 and --epochs");
    require(s.label_smoothing >= 0 && s.label_smoothing < 1, "--label-smoothing must be in [0, 1)");
    require(s.ema_decay >= 0 && s.ema_decay < 1, "--ema must be in [0, 1)");
    require(s.augment_shift >= 0 && s.augment_shift <= 8, "--shift must be between 0 and 8 pixels");
    require(s.augment_flip >= 0 && s.augment_flip <= 1, "--flip must be a probability");
    require(s.erase_size >= 0 && s.erase_size <= 28, "--erase-size must be between 0 and 28 pixels");
    require(s.erase_probability >= 0 && s.erase_probability <= 1, "--erase must be a probability");
    require(s.validation_order == "shuffled" || s.validation_order == "last",
            "--validation-from must be 'shuffled' or 'last'");
    const auto recipes = recipe_names();
    require(std::find(recipes.begin(), recipes.end(), s.recipe) != recipes.end(), "unknown --recipe");
    tta_transforms(s.tta);           // throws for an unknown name
    step_learning_rate(s, 0, 0, 1);  // likewise for the schedule
}

}  // namespace tailor
