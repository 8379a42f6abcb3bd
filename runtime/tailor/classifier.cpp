#include "tailor/classifier.h"

#include "tailor/data/dataset.h"
#include "tailor/image/prepare.h"
#include "tailor/train/checkpoint.h"

#include <algorithm>
#include <mutex>
#include <vector>

namespace tailor {

static_assert(Classifier::kImageSide == kImageSide && Classifier::kClasses == kClasses);

namespace {

// Images per forward pass of a borrowed network.
constexpr int kBatch = 64;

}  // namespace

// Networks keep their activations between layers, so a call needs one of
// its own: idle ones wait in a pool, and a call finding none makes another.
struct Classifier::State {
    std::string architecture;
    std::vector<float> parameters;
    std::mutex mutex;
    std::vector<std::unique_ptr<Model>> idle;

    std::unique_ptr<Model> borrow() {
        {
            const std::lock_guard lock(mutex);
            if (!idle.empty()) {
                auto model = std::move(idle.back());
                idle.pop_back();
                return model;
            }
        }
        auto model = make_model(architecture, kBatch);
        model->set_parameters(parameters);
        return model;
    }
    void give_back(std::unique_ptr<Model> model) {
        const std::lock_guard lock(mutex);
        idle.push_back(std::move(model));
    }
};

Classifier::Classifier(const std::string &checkpoint_path) : state_(std::make_unique<State>()) {
    const Checkpoint checkpoint = load_checkpoint(checkpoint_path);
    auto model = make_model(checkpoint.settings.architecture, kBatch);
    check_compatible(checkpoint_path, checkpoint, *model);
    state_->architecture = checkpoint.settings.architecture;
    state_->parameters = checkpoint.classifying_parameters();
    model->set_parameters(state_->parameters);
    state_->idle.push_back(std::move(model));
}

Classifier::~Classifier() = default;

void Classifier::classify(const float *images, std::size_t n, float *probabilities) const {
    auto model = state_->borrow();
    for (std::size_t start = 0; start < n; start += kBatch) {
        const int count = static_cast<int>(std::min<std::size_t>(kBatch, n - start));
        model->predict(images + start * kImagePixels, nullptr, nullptr, count, probabilities + start * kClasses);
    }
    state_->give_back(std::move(model));
}

Classifier::Probabilities Classifier::classify(const float *image) const {
    Probabilities p{};
    classify(image, 1, p.data());
    return p;
}

Classifier::Probabilities Classifier::classify_photo(const std::string &path) const {
    const std::vector<float> input = prepare_photo(decode_photo(path));
    return classify(input.data());
}

std::string Classifier::architecture() const { return state_->architecture; }

int Classifier::best(const Probabilities &probabilities) {
    return static_cast<int>(std::max_element(probabilities.begin(), probabilities.end()) - probabilities.begin());
}

const char *Classifier::class_name(int index) { return index >= 0 && index < kClasses ? kClassNames[index] : ""; }

}  // namespace tailor
