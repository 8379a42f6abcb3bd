#include "tailor/classifier_c.h"

#include "tailor/classifier.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <stdexcept>

struct tailor_classifier {
    tailor::Classifier classifier;
};

static_assert(TAILOR_IMAGE_SIDE == tailor::Classifier::kImageSide && TAILOR_CLASSES == tailor::Classifier::kClasses);

namespace {

void write_error(const char *message, char *error, std::size_t error_size) {
    if (!error || error_size == 0) return;
    const std::size_t length = std::min(std::strlen(message), error_size - 1);
    std::memcpy(error, message, length);
    error[length] = '\0';
}

// Runs `call`; an exception becomes -1 and its message, never crossing into C.
template <typename Call>
int guarded(Call call, char *error, std::size_t error_size) {
    try {
        call();
        return 0;
    } catch (const std::exception &e) {
        write_error(e.what(), error, error_size);
    } catch (...) {
        write_error("unknown error", error, error_size);
    }
    return -1;
}

const tailor::Classifier &checked(const tailor_classifier *classifier) {
    if (!classifier) throw std::invalid_argument("no classifier (NULL)");
    return classifier->classifier;
}

}  // namespace

extern "C" {

tailor_classifier *tailor_classifier_open(const char *checkpoint_path, char *error, size_t error_size) {
    tailor_classifier *opened = nullptr;
    guarded([&] { opened = new tailor_classifier{tailor::Classifier(checkpoint_path ? checkpoint_path : "")}; },
            error, error_size);
    return opened;
}

void tailor_classifier_close(tailor_classifier *classifier) { delete classifier; }

int tailor_classify(const tailor_classifier *classifier, const float *images, size_t n, float *probabilities,
                    char *error, size_t error_size) {
    return guarded(
        [&] {
            const tailor::Classifier &c = checked(classifier);
            if (n > 0 && (!images || !probabilities)) throw std::invalid_argument("no images or probabilities (NULL)");
            c.classify(images, n, probabilities);
        },
        error, error_size);
}

int tailor_classify_photo(const tailor_classifier *classifier, const char *path, float probabilities[TAILOR_CLASSES],
                          char *error, size_t error_size) {
    return guarded(
        [&] {
            const tailor::Classifier &c = checked(classifier);
            if (!probabilities) throw std::invalid_argument("no probabilities (NULL)");
            const auto p = c.classify_photo(path ? path : "");
            std::copy(p.begin(), p.end(), probabilities);
        },
        error, error_size);
}

int tailor_best_class(const float probabilities[TAILOR_CLASSES]) {
    tailor::Classifier::Probabilities p;
    std::copy_n(probabilities, p.size(), p.begin());
    return tailor::Classifier::best(p);
}

const char *tailor_class_name(int index) { return tailor::Classifier::class_name(index); }

}  // extern "C"
