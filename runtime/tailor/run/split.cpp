#include "tailor/run/split.h"

#include "tailor/util/error.h"
#include "tailor/util/random.h"

#include <cmath>
#include <numeric>

namespace tailor {

void split_indices(const TrainSettings &settings, std::size_t available, std::vector<uint32_t> &train,
                   std::vector<uint32_t> &validation) {
    const std::size_t count =
        settings.train_limit > 0 ? std::min<std::size_t>(settings.train_limit, available) : available;
    std::vector<uint32_t> order(count);
    std::iota(order.begin(), order.end(), 0u);
    if (settings.validation_order == "shuffled") {
        SplitMix64 rng(derive_seed(settings.seed, kSplitStream));
        shuffle(order, rng);
    } else if (settings.validation_order != "last") {
        throw Error("unknown validation split '" + settings.validation_order + "' (known: shuffled, last)");
    }
    const auto validation_count = static_cast<std::size_t>(std::llround(count * settings.validation_fraction));
    train.assign(order.begin(), order.end() - validation_count);
    validation.assign(order.end() - validation_count, order.end());
}

}  // namespace tailor
