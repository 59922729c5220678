"""chainrule.report: the counts and accuracies report.md is built from."""

import numpy as np

from chainrule.report import confusion_matrix, per_class_accuracy


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    counts = confusion_matrix(np.array([0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 0]), classes=3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [1, 0, 1]])


def test_per_class_accuracy_is_nan_for_a_class_without_examples():
    accuracy = per_class_accuracy(np.array([[2, 0, 0], [1, 3, 0], [0, 0, 0]]))
    np.testing.assert_array_equal(accuracy, [1.0, 0.75, np.nan])
