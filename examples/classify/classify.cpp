// classify CHECKPOINT PHOTO...: each photo's class, with tailor's library.
#include <tailor/classifier.h>

#include <cstdio>
#include <exception>

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: classify CHECKPOINT PHOTO...\n");
        return 2;
    }
    try {
        const tailor::Classifier classifier(argv[1]);
        for (int i = 2; i < argc; i++) {
            const tailor::Classifier::Probabilities p = classifier.classify_photo(argv[i]);
            const int best = tailor::Classifier::best(p);
            std::printf("%s: %s (%.3f)\n", argv[i], tailor::Classifier::class_name(best), p[best]);
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "classify: %s\n", e.what());
        return 1;
    }
    return 0;
}
