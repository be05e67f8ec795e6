"""Lab 3's hidden tests: graded, never released to students (``cnn_course.labs.run_tests``
leaves them out; the instructor's ``grade`` runs them). Other shapes, strides, dtypes and
seeds than the public tests."""

import numpy as np
import pytest

from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf_conv, tf_conv_grads

from test_lab3 import BACKWARD, FORWARD, GRADCHECK, IM2COL, STEP, naive_im2col

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(60)]

RNG = np.random.default_rng(303)


FLOAT32_CASES = pytest.mark.parametrize("shape_x, shape_w, stride, padding", [
    ((4, 11, 9, 3), (4, 4, 3, 6), 2, "same"),    # even kernel: an odd number of zeros
    ((2, 12, 12, 5), (5, 5, 5, 2), 3, "valid"),
])


def float32_case(shape_x, shape_w):
    rng = np.random.default_rng(303 + sum(shape_x))
    return (rng.standard_normal(shape_x).astype(np.float32), rng.standard_normal(shape_w).astype(np.float32),
            rng.standard_normal(shape_w[3]).astype(np.float32))


@pytest.mark.skill(FORWARD)
@pytest.mark.points(1)
@FLOAT32_CASES
def test_forward_in_float32_matches_tensorflow(lab, shape_x, shape_w, stride, padding):
    x, w, b = float32_case(shape_x, shape_w)
    y = lab.conv2d(x, w, b, stride, padding)
    assert y.dtype == np.float32, f"expected float32, got {y.dtype}"
    assert_close(y, tf_conv(x, w, b, stride, padding), rtol=1e-4, atol=1e-4, err_msg="y")


@pytest.mark.skill(BACKWARD)
@pytest.mark.points(1)
@FLOAT32_CASES
def test_backward_in_float32_matches_tensorflow(lab, shape_x, shape_w, stride, padding):
    x, w, b = float32_case(shape_x, shape_w)
    dy = RNG.standard_normal(tf_conv(x, w, b, stride, padding).shape).astype(np.float32)
    for name, ours, theirs in zip(("dx", "dw", "db"), lab.conv2d_backward(dy, x, w, stride, padding),
                                  tf_conv_grads(dy, x, w, stride, padding), strict=True):
        assert_close(ours, theirs, rtol=1e-3, atol=1e-3, err_msg=name)


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(1)
def test_gradient_check_on_a_batch_of_three(lab):
    rng = np.random.default_rng(304)
    x, w, b = rng.standard_normal((3, 6, 5, 3)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(2)
    dy = rng.standard_normal(tf_conv(x, w, None, 2, "same").shape)
    dx, dw, db = lab.conv2d_backward(dy, x, w, 2, "same")
    for grad, wrt, f in [(dx, x, lambda v: lab.conv2d(v, w, b, 2, "same")),
                         (dw, w, lambda v: lab.conv2d(x, v, b, 2, "same")),
                         (db, b, lambda v: lab.conv2d(x, w, v, 2, "same"))]:
        assert relative_error(grad, numerical_gradient(f, wrt, dy, h=STEP)) < 1e-7


@pytest.mark.skill(IM2COL)
@pytest.mark.points(1)
@pytest.mark.parametrize("shape, f_h, f_w, stride, padding, pads", [
    ((2, 7, 8, 3), 2, 4, 3, "same", ((0, 1), (1, 1))),
    ((3, 4, 4, 1), 4, 4, 1, "valid", ((0, 0), (0, 0))),
])
def test_im2col_rows_on_other_shapes(lab, shape, f_h, f_w, stride, padding, pads):
    x = RNG.standard_normal(shape)
    cols = lab.im2col(x, f_h, f_w, stride, padding)
    expected = naive_im2col(x, f_h, f_w, stride, pads)
    assert cols.shape == expected.shape, f"expected shape {expected.shape}, got {cols.shape}"
    assert_same(cols, expected)
