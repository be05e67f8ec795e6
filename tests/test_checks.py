"""cnn_course.checks: every message names the argument, what was given and what was expected."""

import numpy as np
import pytest

from cnn_course import checks


def test_rank_message():
    with pytest.raises(ValueError, match=r"x must be 2-D or 3-D; got an array of shape \(4,\)"):
        checks.check_rank("x", np.zeros(4), (2, 3))


def test_dtype_message():
    with pytest.raises(ValueError, match="x must have a floating-point dtype; got .*int64"):
        checks.check_dtype("x", np.zeros(2, np.int64), "f")


def test_range_message():
    with pytest.raises(ValueError, match=r"x must have values in \[0, 1\]; got values from 0 to 3"):
        checks.check_range("x", np.array([0, 3]), 0, 1)


@pytest.mark.parametrize("value", [0, -2, 1.5, True, "3"])
def test_positive_int_message(value):
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        checks.check_positive_int("stride", value)


def test_choice_message():
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same'; got 'full'"):
        checks.check_choice("padding", "full", ("valid", "same"))

