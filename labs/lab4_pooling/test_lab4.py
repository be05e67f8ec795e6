"""Lab 4 (max and average pooling, forward and backward): run against the solution, or
grade a student's file with ``cnn_course.labs.run_tests("lab4")`` in the notebook, or
``python -m cnn_course.labs grade lab4 path/to/lab4.py``.

Oracles: ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` for the forward passes,
``tf.GradientTape`` and centred finite differences in float64 for the backward passes.

Points by skill (labs/README.md lists them): both layers against TensorFlow, forward and
backward, carry most of the lab, and one test of them, over random cases and the pinned
examples below, half of it: a pooling layer that is wrong anywhere, or whose gradient is,
loses at least half the points.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf

pytestmark = pytest.mark.timeout(60)

# What the graded functions may call, besides the standard library and your own file.
# cnn_course.layers and TensorFlow are not allowed. A skill whose tests reach anything else
# from your file scores 0 (labs/README.md, "What a lab allows"); the tests' own oracles may
# call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks", "cnn_course.conv_arithmetic"]


# The `lab` fixture is one module for the whole session, so reusing it across examples is safe.
FEW = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])

# A 4x4 image whose 2x2 windows have maxima 6, 8, 14, 16 and means 3.5, 5.5, 11.5, 13.5.
X44 = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)

LAYERS = "pooling against TensorFlow (forward and backward)"
MAX = "max pooling by hand"
AVG = "average pooling by hand"
GRADCHECK = "gradients (finite differences)"
GEOMETRY = "window geometry"
VALIDATION = "input validation"


@st.composite
def pooling_cases(draw, max_side=7):
    """(shape, pool_size, stride, padding) that TensorFlow accepts, ints and pairs mixed."""
    padding = draw(st.sampled_from(["valid", "same"]))
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    low_h, low_w = (ph, pw) if padding == "valid" else (1, 1)
    H, W = draw(st.integers(low_h, max_side)), draw(st.integers(low_w, max_side))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    pool = ph if ph == pw and draw(st.booleans()) else (ph, pw)
    stride = draw(st.one_of(st.none(), st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    return (N, H, W, C), pool, stride, padding


def distinct(shape, seed, dtype=np.float64):
    """Random values without ties, evenly spread over [-2, 2): one maximum per window, at
    least 4 / size apart so a finite-difference step (1e-6) never changes which one wins,
    and small, so round-off in the differences stays far below the tolerance."""
    size = int(np.prod(shape))
    values = (np.random.default_rng(seed).permutation(size) - size / 2) * (4 / size)
    return values.reshape(shape).astype(dtype)


def tf_args(pool, stride, padding):
    pool = (pool, pool) if isinstance(pool, int) else tuple(pool)
    stride = pool if stride is None else (stride, stride) if isinstance(stride, int) else tuple(stride)
    return list(pool), list(stride), padding.upper()


def tf_grad(op, x, dy, pool, stride, padding):
    """dL/dx of L = sum(op(x) * dy) by TensorFlow's own backward pass."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(op(x, *tf_args(pool, stride, padding)) * dy)
    return tape.gradient(loss, x).numpy()


# ---------------------------------------------------------------- both layers against TensorFlow

@pytest.mark.skill(LAYERS)
@pytest.mark.points(20)
@FEW
@given(case=pooling_cases(), seed=st.integers(0, 2**16), relu=st.booleans())
# Pinned, so that what they catch never depends on the draw: the default stride (None: the
# pool size) on a size it does not divide; ReLU outputs, which tie at 0 all the time, in
# overlapping windows (the gradient goes to the first maximum only, as TensorFlow's);
# negative values beside "same" padding; a non-square window with a stride pair.
@example(case=((2, 5, 7, 3), 2, None, "valid"), seed=50, relu=False)
@example(case=((1, 7, 5, 2), 3, None, "same"), seed=51, relu=True)
@example(case=((2, 6, 6, 2), 3, 1, "same"), seed=52, relu=True)
@example(case=((1, 5, 6, 2), (2, 3), (1, 2), "same"), seed=53, relu=False)
def test_pooling_layers_and_their_gradients_match_tensorflow(lab, case, seed, relu):
    shape, pool, stride, padding = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    if relu:
        x = np.maximum(x, 0)
    # tf.nn.max_pool2d may round float64 to float32 (measured on CPU): a looser tolerance
    for name, op, tol in [("max_pool2d", tf.nn.max_pool2d, 1e-6), ("avg_pool2d", tf.nn.avg_pool2d, 1e-12)]:
        y, cache = getattr(lab, name)(x, pool, stride, padding)
        expected = op(x, *tf_args(pool, stride, padding)).numpy()
        assert y.shape == expected.shape, f"{name}: expected shape {expected.shape}, got {y.shape}"
        assert_close(y, expected, rtol=tol, atol=tol, err_msg=name)
        dy = rng.normal(size=y.shape)
        dx = getattr(lab, name + "_backward")(dy, cache)
        expected = tf_grad(op, x, dy, pool, stride, padding)
        assert_close(dx, expected, rtol=1e-10, atol=1e-12, err_msg=f"{name}_backward")


# ---------------------------------------------------------------- geometry

@pytest.mark.skill(GEOMETRY)
@pytest.mark.points(2)
@pytest.mark.parametrize("args, pool, stride, pad, out", [
    (((1, 11, 11, 1), 2, None, "valid"), (2, 2), (2, 2), ((0, 0), (0, 0)), (5, 5)),  # the floor
    (((1, 11, 11, 1), 2, None, "same"), (2, 2), (2, 2), ((0, 1), (0, 1)), (6, 6)),
    (((2, 5, 7, 3), (3, 2), 1, "same"), (3, 2), (1, 1), ((1, 1), (0, 1)), (5, 7)),
    (((1, 6, 6, 1), 3, (2, 1), "valid"), (3, 3), (2, 1), ((0, 0), (0, 0)), (2, 4)),
])
def test_pool_geometry(lab, args, pool, stride, pad, out):
    geo = lab.pool_geometry(*args)
    assert (tuple(geo["pool"]), tuple(geo["stride"])) == (pool, stride)
    assert tuple(map(tuple, geo["pad"])) == pad
    assert tuple(geo["out"]) == out


# ---------------------------------------------------------------- max pooling

@pytest.mark.skill(MAX)
@pytest.mark.points(1)
def test_max_pool2d_worked_example(lab):
    y, _ = lab.max_pool2d(X44)
    assert_same(y[0, :, :, 0], [[6, 8], [14, 16]])
    assert y.dtype == np.float32


@pytest.mark.skill(MAX)
@pytest.mark.points(1)
def test_max_pool2d_backward_worked_example(lab):
    _, cache = lab.max_pool2d(X44)
    dy = np.array([1, 2, 3, 4], dtype=np.float32).reshape(1, 2, 2, 1)
    dx = lab.max_pool2d_backward(dy, cache)
    expected = np.zeros((4, 4), np.float32)
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 1, 2, 3, 4
    assert_same(dx[0, :, :, 0], expected)
    assert dx.dtype == np.float32


@pytest.mark.skill(MAX)
@pytest.mark.points(2)
def test_max_pool2d_backward_sends_a_tie_to_the_first_maximum_only(lab):
    # ReLU outputs tie at 0: a window of zeros has one maximum, its first cell (row by row),
    # which alone gets the window's gradient, as in TensorFlow. Sent to every tied cell,
    # the gradient would be counted four times here.
    x = np.zeros((1, 4, 4, 1))
    x[0, 2:, 2:, 0] = [[0.0, 3.0], [3.0, 0.0]]
    _, cache = lab.max_pool2d(x)
    dx = lab.max_pool2d_backward(np.ones((1, 2, 2, 1)), cache)
    expected = np.zeros((4, 4))
    expected[0, 0] = expected[0, 2] = expected[2, 0] = expected[2, 3] = 1
    assert_same(dx[0, :, :, 0], expected)


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape, pool, stride, padding", [
    ((2, 4, 4, 2), 2, None, "valid"),
    ((1, 5, 6, 2), 3, 1, "same"),        # overlapping windows, padded borders
    ((1, 5, 5, 1), (2, 3), (1, 2), "valid"),
])
def test_max_pool2d_backward_gradient_check(lab, shape, pool, stride, padding):
    x = distinct(shape, seed=7)
    y, cache = lab.max_pool2d(x, pool, stride, padding)
    dy = np.random.default_rng(8).normal(size=y.shape)
    numeric = numerical_gradient(lambda v: lab.max_pool2d(v, pool, stride, padding)[0], x, dy)
    assert relative_error(lab.max_pool2d_backward(dy, cache), numeric) < 1e-7


# ---------------------------------------------------------------- average pooling

@pytest.mark.skill(AVG)
@pytest.mark.points(1)
def test_avg_pool2d_worked_example(lab):
    y, _ = lab.avg_pool2d(X44)
    assert_close(y[0, :, :, 0], [[3.5, 5.5], [11.5, 13.5]])
    assert y.dtype == np.float32


@pytest.mark.skill(AVG)
@pytest.mark.points(1)
def test_avg_pool2d_same_averages_real_cells_only(lab):
    # the last 2x2 window of a 3x3 image holds one real cell: its mean is that cell
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)
    y, _ = lab.avg_pool2d(x, 2, 2, "same")
    assert_close(y[0, :, :, 0], [[2.0, 3.5], [6.5, 8.0]])


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape, pool, stride, padding", [
    ((2, 4, 4, 2), 2, None, "valid"),
    ((1, 5, 6, 2), 3, 1, "same"),
    ((1, 5, 5, 1), (2, 3), (1, 2), "same"),
])
def test_avg_pool2d_backward_gradient_check(lab, shape, pool, stride, padding):
    x = np.random.default_rng(9).normal(size=shape)
    y, cache = lab.avg_pool2d(x, pool, stride, padding)
    dy = np.random.default_rng(10).normal(size=y.shape)
    numeric = numerical_gradient(lambda v: lab.avg_pool2d(v, pool, stride, padding)[0], x, dy)
    assert relative_error(lab.avg_pool2d_backward(dy, cache), numeric) < 1e-7


# ---------------------------------------------------------------- bad input

X = np.zeros((1, 4, 4, 1))


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(2)
@pytest.mark.parametrize("forward", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("args, word", [
    ((np.zeros((4, 4)),), "x"),                             # wrong rank: no batch, no channels
    ((np.zeros((1, 4, 4, 1), np.int64),), "x"),             # integers: no -inf to pad with
    ((X, 0), "pool_size"),
    ((X, (2, -1)), "pool_size"),
    ((X, (2, 2, 2)), "pool_size"),
    ((X, 2, 0), "stride"),
    ((X, 2, (1, 0)), "stride"),
    ((X, 2, None, "full"), "padding"),
    ((X, 5, None, "valid"), "pool_size"),                   # window larger than the input
    ((X, (1, 5), 1, "valid"), "pool_size"),
])
def test_forward_rejects_bad_input(lab, forward, args, word):
    with pytest.raises(ValueError, match=word):
        getattr(lab, forward)(*args)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("dy", [np.zeros((1, 2, 3, 1)), np.zeros((1, 2, 2, 2)),
                                np.zeros((2, 2, 1)), np.zeros((1, 2, 2, 1), np.int64)])
def test_backward_rejects_bad_dy(lab, name, dy):
    _, cache = getattr(lab, name)(X)
    with pytest.raises(ValueError, match="dy"):
        getattr(lab, name + "_backward")(dy, cache)
