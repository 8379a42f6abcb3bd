#include "tailor/run/settings.h"

#include "tailor/util/error.h"

#include <cmath>

namespace tailor {

double epoch_learning_rate(const TrainSettings &settings, int64_t epoch) {
    if (settings.lr_schedule == "cosine") {
        const double progress = static_cast<double>(epoch) / static_cast<double>(settings.epochs);
        return settings.learning_rate * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    if (settings.lr_schedule != "constant") {
        throw Error("unknown learning-rate schedule '" + settings.lr_schedule + "' (known: constant, cosine)");
    }
    return settings.learning_rate;
}

}  // namespace tailor
