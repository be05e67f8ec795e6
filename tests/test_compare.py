"""The labs' array comparisons fail with what differed, where, and both values."""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close, assert_same


def test_a_difference_names_the_first_index_both_values_and_how_many_differ():
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2], actual[1, 0] = 0.5, 0.25
    with pytest.raises(AssertionError) as failed:
        assert_close(actual, expected, rtol=1e-6, atol=1e-6, err_msg="max_pool2d_backward")
    assert str(failed.value) == ("max_pool2d_backward: first difference at index (1, 0): got 0.25, expected 0\n"
                                 "2 of 6 values differ (rtol 1e-06, atol 1e-06); the largest difference is 0.5")


def test_shapes_must_match_and_only_a_scalar_is_broadcast():
    with pytest.raises(AssertionError, match=r"^y: shape \(1, 3\), expected \(3,\)$"):
        assert_close(np.zeros((1, 3)), np.zeros(3), err_msg="y")
    assert_close(np.ones((2, 2)), 1.0)
    with pytest.raises(AssertionError, match=r"first difference at index \(0,\): got 1, expected 2"):
        assert_same(np.array([1, 2]), np.array([2, 2]))


def test_equal_arrays_pass_nan_included():
    assert_same(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert_close(np.float32([0.1, 0.2]), [0.1, 0.2], rtol=1e-6)
