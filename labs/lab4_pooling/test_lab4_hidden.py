"""Lab 4's hidden tests: graded, never released to students (``cnn_course.labs.run_tests``
leaves them out; the instructor's ``grade`` runs them). Other shapes, strides, dtypes and
seeds than the public tests."""

import numpy as np
import pytest

from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_close
from cnn_course.grading.oracles import tf

from test_lab4 import AVG, GEOMETRY, GRADCHECK, MAX, distinct, tf_args, tf_grad

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(60)]


FLOAT32_CASES = pytest.mark.parametrize("shape, pool, stride, padding", [
    ((3, 13, 12, 4), 3, 2, "same"),          # overlapping windows, ReLU ties, float32
    ((2, 9, 9, 8), 2, None, "valid"),        # the default stride on an odd size
    ((1, 8, 11, 2), (4, 2), (2, 3), "same"),
])


def check_float32(lab, name, op, shape, pool, stride, padding):
    """Forward and backward on ReLU outputs in float32: float32 out, TensorFlow's values."""
    rng = np.random.default_rng(404)
    x = np.maximum(rng.normal(size=shape), 0).astype(np.float32)
    y, cache = getattr(lab, name)(x, pool, stride, padding)
    expected = op(x, *tf_args(pool, stride, padding)).numpy()
    assert y.dtype == np.float32, f"{name}: expected float32, got {y.dtype}"
    assert_close(y, expected, rtol=1e-6, atol=1e-6, err_msg=name)
    dy = rng.normal(size=y.shape).astype(np.float32)
    dx = getattr(lab, name + "_backward")(dy, cache)
    assert dx.dtype == np.float32, f"{name}_backward: expected float32, got {dx.dtype}"
    assert_close(dx, tf_grad(op, x, dy, pool, stride, padding), rtol=1e-5, atol=1e-5,
                 err_msg=f"{name}_backward")


@pytest.mark.skill(MAX)
@pytest.mark.points(1)
@FLOAT32_CASES
def test_max_pooling_in_float32_on_relu_outputs_matches_tensorflow(lab, shape, pool, stride, padding):
    check_float32(lab, "max_pool2d", tf.nn.max_pool2d, shape, pool, stride, padding)


@pytest.mark.skill(AVG)
@pytest.mark.points(1)
@FLOAT32_CASES
def test_avg_pooling_in_float32_on_relu_outputs_matches_tensorflow(lab, shape, pool, stride, padding):
    check_float32(lab, "avg_pool2d", tf.nn.avg_pool2d, shape, pool, stride, padding)


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_gradient_check_with_overlapping_windows_and_a_batch(lab, name):
    x = distinct((3, 6, 7, 2), seed=405)
    forward = getattr(lab, name)
    y, cache = forward(x, (3, 2), (2, 1), "same")
    dy = np.random.default_rng(406).normal(size=y.shape)
    # a larger step than the default: distinct values are 4 / 252 apart, and the round-off
    # of a 1e-6 step reaches 1e-7 relative error here
    numeric = numerical_gradient(lambda v: forward(v, (3, 2), (2, 1), "same")[0], x, dy, h=1e-4)
    assert relative_error(getattr(lab, name + "_backward")(dy, cache), numeric) < 1e-7


@pytest.mark.skill(GEOMETRY)
@pytest.mark.points(1)
@pytest.mark.parametrize("args, pool, stride, pad, out", [
    (((4, 28, 28, 32), 2, None, "valid"), (2, 2), (2, 2), ((0, 0), (0, 0)), (14, 14)),
    (((1, 9, 4, 1), (3, 1), (2, 2), "same"), (3, 1), (2, 2), ((1, 1), (0, 0)), (5, 2)),
    (((1, 7, 7, 1), 3, None, "same"), (3, 3), (3, 3), ((1, 1), (1, 1)), (3, 3)),
])
def test_pool_geometry_of_other_layers(lab, args, pool, stride, pad, out):
    geo = lab.pool_geometry(*args)
    assert (tuple(geo["pool"]), tuple(geo["stride"])) == (pool, stride)
    assert tuple(map(tuple, geo["pad"])) == pad
    assert tuple(geo["out"]) == out
