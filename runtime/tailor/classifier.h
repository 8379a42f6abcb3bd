// tailor's inference library: a trained network, loaded from a checkpoint,
// classifying Fashion-MNIST images or photos in another program.
//
//   #include <tailor/classifier.h>
//   tailor::Classifier classifier("runs/cnn3/best.tlr");
//   std::array<float, 10> p = classifier.classify_photo("shoe.jpg");
//   std::printf("%s\n", tailor::Classifier::class_name(tailor::Classifier::best(p)));
//
// Link with CMake: find_package(tailor) and target_link_libraries(app
// tailor::classifier). Errors are tailor::Error (a std::runtime_error) whose
// message names the file and the problem. Every method is safe to call from
// several threads at once: each call borrows a network of its own.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace tailor {

class Classifier {
public:
    static constexpr int kImageSide = 28, kClasses = 10;
    using Probabilities = std::array<float, kClasses>;

    // Loads a checkpoint written by tailor train (its weights' average when it has one).
    explicit Classifier(const std::string &checkpoint_path);
    ~Classifier();
    Classifier(const Classifier &) = delete;
    Classifier &operator=(const Classifier &) = delete;

    // `n` images of 28x28 floats, row-major, pixel / 255 with the product
    // light on dark (as the data set stores them), into n x 10 probabilities.
    // Values in [0, 1]: the checkpoint's weights were checked to keep such
    // inputs' activations far inside float's range.
    void classify(const float *images, std::size_t n, float *probabilities) const;
    // One such image.
    Probabilities classify(const float *image) const;
    // A PNG or JPEG photo, made into an input as `tailor predict` does.
    Probabilities classify_photo(const std::string &path) const;

    std::string architecture() const;
    static int best(const Probabilities &probabilities);
    static const char *class_name(int index);  // "T-shirt/top", ..., "Ankle boot"

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace tailor
