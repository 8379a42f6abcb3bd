/* tailor's inference library for C, and for any language that calls C: the
 * same as tailor/classifier.h, with errors returned instead of thrown.
 *
 *   #include <tailor/classifier_c.h>
 *   char error[256];
 *   tailor_classifier *c = tailor_classifier_open("runs/cnn3/best.tlr", error, sizeof error);
 *   float p[TAILOR_CLASSES];
 *   if (!c || tailor_classify_photo(c, "shoe.jpg", p, error, sizeof error) != 0) puts(error);
 *
 * Link as tailor/classifier.h says (a C program's link goes through the C++
 * compiler driver, which CMake's tailor::classifier target arranges). A
 * classifier may be used from several threads at once; open and close are
 * each called once. Every `error` buffer receives a NUL-terminated line,
 * cut to `error_size` bytes, when the call fails; it may be NULL. */
#ifndef TAILOR_CLASSIFIER_C_H
#define TAILOR_CLASSIFIER_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TAILOR_IMAGE_SIDE 28
#define TAILOR_CLASSES 10

typedef struct tailor_classifier tailor_classifier;

/* A checkpoint written by tailor train, or NULL and the error. */
tailor_classifier *tailor_classifier_open(const char *checkpoint_path, char *error, size_t error_size);
void tailor_classifier_close(tailor_classifier *classifier);

/* `n` images of 28x28 floats, row-major, pixel / 255 with the product light
 * on dark, into n x 10 probabilities. 0, or -1 and the error. */
int tailor_classify(const tailor_classifier *classifier, const float *images, size_t n, float *probabilities,
                    char *error, size_t error_size);
/* A PNG or JPEG photo, made into an input as tailor predict does. */
int tailor_classify_photo(const tailor_classifier *classifier, const char *path,
                          float probabilities[TAILOR_CLASSES], char *error, size_t error_size);

/* The most probable class of 10 probabilities, and a class's name
 * ("T-shirt/top", ..., "Ankle boot"; "" outside 0..9). */
int tailor_best_class(const float probabilities[TAILOR_CLASSES]);
const char *tailor_class_name(int index);

#ifdef __cplusplus
}
#endif

#endif
