/* classify CHECKPOINT PHOTO...: each photo's class, with tailor's C API. */
#include <tailor/classifier_c.h>

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: classify CHECKPOINT PHOTO...\n");
        return 2;
    }
    char error[512];
    tailor_classifier *classifier = tailor_classifier_open(argv[1], error, sizeof error);
    if (!classifier) {
        fprintf(stderr, "classify: %s\n", error);
        return 1;
    }
    int status = 0;
    for (int i = 2; i < argc; i++) {
        float p[TAILOR_CLASSES];
        if (tailor_classify_photo(classifier, argv[i], p, error, sizeof error) != 0) {
            fprintf(stderr, "classify: %s\n", error);
            status = 1;
            continue;
        }
        const int best = tailor_best_class(p);
        printf("%s: %s (%.3f)\n", argv[i], tailor_class_name(best), p[best]);
    }
    tailor_classifier_close(classifier);
    return status;
}
