// The classification report against scikit-learn's documented output, and
// the confusion matrix bookkeeping.
#define BOOST_TEST_MODULE metrics
#include "tailor/metrics/metrics.h"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_CASE(classification_report_matches_scikit_learn_documentation) {
    // The example in scikit-learn's classification_report docstring:
    // y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1].
    tailor::ConfusionMatrix matrix(3);
    const int truth[] = {0, 1, 2, 2, 2}, predicted[] = {0, 0, 2, 2, 1};
    for (int i = 0; i < 5; i++) matrix.add(truth[i], predicted[i]);
    const auto report = tailor::classification_report(matrix, {"class 0", "class 1", "class 2"});
    const std::string expected =
        "              precision    recall  f1-score   support\n"
        "\n"
        "     class 0       0.50      1.00      0.67         1\n"
        "     class 1       0.00      0.00      0.00         1\n"
        "     class 2       1.00      0.67      0.80         3\n"
        "\n"
        "    accuracy                           0.60         5\n"
        "   macro avg       0.50      0.56      0.49         5\n"
        "weighted avg       0.70      0.60      0.61         5\n";
    BOOST_TEST(tailor::format_classification_report(report, 2) == expected);
}

BOOST_AUTO_TEST_CASE(report_values_follow_their_definitions) {
    tailor::ConfusionMatrix matrix(3);
    const int truth[] = {0, 0, 1, 1, 2, 2, 2}, predicted[] = {0, 1, 1, 1, 2, 0, 2};
    for (int i = 0; i < 7; i++) matrix.add(truth[i], predicted[i]);
    BOOST_TEST(matrix.total() == 7);
    BOOST_TEST(matrix.correct() == 5);
    const auto r = tailor::classification_report(matrix, {"a", "b", "c"});
    const auto tol = boost::test_tools::tolerance(1e-12);
    BOOST_TEST(r.classes[1].precision == 2.0 / 3, tol);
    BOOST_TEST(r.classes[2].recall == 2.0 / 3, tol);
    BOOST_TEST(r.classes[1].f1 == 0.8, tol);
    BOOST_TEST(r.accuracy == 5.0 / 7, tol);
    BOOST_TEST(r.macro_avg.precision == (0.5 + 2.0 / 3 + 1.0) / 3, tol);
    BOOST_TEST(r.weighted_avg.f1 == (0.5 * 2 + 0.8 * 2 + 0.8 * 3) / 7, tol);
    BOOST_TEST(r.weighted_avg.support == 7);

    const std::string csv = tailor::confusion_matrix_csv(matrix, {"a", "b", "c"});
    BOOST_TEST(csv == "true\\predicted,\"a\",\"b\",\"c\"\n\"a\",1,1,0\n\"b\",0,2,0\n\"c\",1,0,2\n");
}
