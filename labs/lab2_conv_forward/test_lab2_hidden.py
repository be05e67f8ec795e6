"""Lab 2's hidden tests: graded, never released to students (``cnn_course.labs.run_tests``
leaves them out; the instructor's ``grade`` runs them). Other shapes, strides, dtypes and
seeds than the public tests."""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf_conv

from test_lab2 import CONV_TOGETHER, OUTPUT_SIZE, PAD

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(60)]

RNG = np.random.default_rng(202)


@pytest.mark.skill(CONV_TOGETHER)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape_x, shape_w, stride, padding", [
    ((2, 9, 11, 3), (4, 3, 3, 5), (1, 2), "same"),   # an even kernel: odd zeros on both axes
    ((1, 10, 10, 1), (5, 5, 1, 2), 3, "valid"),       # a stride that leaves pixels out
    ((4, 3, 3, 2), (3, 3, 2, 1), 1, "same"),          # the kernel as large as the image
])
def test_conv2d_matches_tensorflow_in_float32(lab, shape_x, shape_w, stride, padding):
    x = RNG.standard_normal(shape_x).astype(np.float32)
    w = RNG.standard_normal(shape_w).astype(np.float32)
    b = RNG.standard_normal(shape_w[3]).astype(np.float32)
    y = lab.conv2d(x, w, b, stride=stride, padding=padding)
    assert y.dtype == np.float32, f"expected float32, got {y.dtype}"
    assert_close(y, tf_conv(x, w, b, stride, padding), rtol=1e-4, atol=1e-4)


@pytest.mark.skill(OUTPUT_SIZE)
@pytest.mark.points(1)
@pytest.mark.parametrize("n, f, stride, padding, expected", [
    (224, 7, 2, "same", 112),
    (224, 7, 2, "valid", 109),
    (1, 1, 5, "valid", 1),
    (13, 4, 4, "same", 4),
])
def test_output_size_of_larger_layers(lab, n, f, stride, padding, expected):
    assert lab.output_size(n, f, stride, padding) == expected


@pytest.mark.skill(PAD)
@pytest.mark.points(1)
def test_pad_keeps_an_integer_dtype_and_pads_each_side(lab):
    x = RNG.integers(1, 9, (3, 2, 3, 2)).astype(np.int32)
    padded = lab.pad(x, ((2, 0), (1, 3)))
    assert padded.dtype == np.int32, f"expected int32, got {padded.dtype}"
    assert_same(padded, np.pad(x, ((0, 0), (2, 0), (1, 3), (0, 0))))
