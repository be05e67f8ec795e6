"""Lab 4 (max and average pooling, forward and backward): run against the solution, or
grade a student's file with ``cnn_course.labs.run_tests("lab4")`` in the notebook, or
``python -m cnn_course.labs grade lab4 path/to/lab4.py``.

Oracles: ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` for the forward passes,
``tf.GradientTape`` and centred finite differences in float64 for the backward passes.

Points by skill (labs/README.md lists them): the two layers carry most of the lab, each pass
of each layer tested against TensorFlow on its own, over random cases and the pinned examples
below, so that a bug costs what it breaks: one pass of one layer, or every pass when the
window geometry is wrong.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf

pytestmark = pytest.mark.timeout(60)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 40

# What the graded functions may call, besides the standard library and your own file.
# cnn_course.layers and TensorFlow are not allowed. A skill whose tests reach anything else
# from your file scores 0 (labs/README.md, "What a lab allows"); the tests' own oracles may
# call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks", "cnn_course.conv_arithmetic"]


# The `lab` fixture is one module for the whole session, so reusing it across examples is safe.
FEW = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])

# A 4x4 image whose 2x2 windows have maxima 6, 8, 14, 16 and means 3.5, 5.5, 11.5, 13.5.
X44 = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)

MAX = "max pooling (forward and backward)"
AVG = "average pooling (forward and backward)"
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


def tf_avg_pool_gradient_is_wrong(shape, pool, stride, padding):
    """TensorFlow 2.21's float64 gradient of avg_pool2d is wrong for a "same" window longer
    than the input with two or more padding cells before it (tests/test_oracles.py maps where);
    such cases stay out of the tests that use it as the oracle."""
    if padding != "same":
        return False
    pool, stride = tf_args(pool, stride, padding)[:2]
    for n, f, s in zip(shape[1:3], pool, stride, strict=True):
        total = max((-(-n // s) - 1) * s + f - n, 0)
        if f > n and total // 2 >= 2:
            return True
    return False


def tf_grad(op, x, dy, pool, stride, padding):
    """dL/dx of L = sum(op(x) * dy) by TensorFlow's own backward pass."""
    if op is tf.nn.avg_pool2d and tf_avg_pool_gradient_is_wrong(x.shape, pool, stride, padding):
        raise ValueError("no TensorFlow oracle for this case: its avg_pool2d gradient is wrong there")
    return tape_gradient(op, x, dy, pool, stride, padding)


def tape_gradient(op, x, dy, pool, stride, padding):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(op(x, *tf_args(pool, stride, padding)) * dy)
    return tape.gradient(loss, x).numpy()


# ---------------------------------------------------------------- each pass against TensorFlow
#
# Four tests, one per layer and pass, each over random cases and the pinned examples: so a
# bug costs the pass it breaks (an average that counts padded cells keeps max pooling's
# points; a backward pass that overwrites overlapping windows keeps the forward's).
# Pinned, so that what they catch never depends on the draw: the default stride (None: the
# pool size) on a size it does not divide; ReLU outputs, which tie at 0 all the time, in
# overlapping windows (the gradient goes to the first maximum only, as TensorFlow's);
# negative values beside "same" padding; a non-square window with a stride pair.
PINNED = [(((2, 5, 7, 3), 2, None, "valid"), 50, False),
          (((1, 7, 5, 2), 3, None, "same"), 51, True),
          (((2, 6, 6, 2), 3, 1, "same"), 52, True),
          (((1, 5, 6, 2), (2, 3), (1, 2), "same"), 53, False)]


# "valid" and "same" are two cases of each test, each half its points: a bug in one padding
# costs that half.
BY_PADDING = pytest.mark.parametrize("padding", ["valid", "same"])


def each_padding(test):
    """Run ``test`` once per padding, on random cases and pinned examples of that padding
    (the test assumes the case's padding is the one given: Hypothesis skips the others)."""
    for case, seed, relu in reversed(PINNED):
        test = example(case=case, seed=seed, relu=relu)(test)
    test = given(case=pooling_cases(), seed=st.integers(0, 2**16), relu=st.booleans())(test)
    return BY_PADDING(FEW(test))


def pooling_input(shape, seed, relu):
    x = np.random.default_rng(seed).normal(size=shape)
    return x.clip(min=0) if relu else x  # ReLU outputs: ties at 0


def describe_call(name, shape, pool, stride, padding):
    return f"{name}(x of shape {shape}, pool_size={pool}, stride={stride}, padding={padding!r})"


def check_forward(lab, name, op, tol, case, seed, relu):
    shape, pool, stride, padding = case
    x = pooling_input(shape, seed, relu)
    call = describe_call(name, shape, pool, stride, padding)
    y, _ = getattr(lab, name)(x, pool, stride, padding)
    expected = op(x, *tf_args(pool, stride, padding)).numpy()
    assert y.shape == expected.shape, f"{call}: expected shape {expected.shape}, got {y.shape}"
    assert_close(y, expected, rtol=tol, atol=tol, err_msg=call)


def check_backward(lab, name, op, case, seed, relu):
    shape, pool, stride, padding = case
    x = pooling_input(shape, seed, relu)
    _, cache = getattr(lab, name)(x, pool, stride, padding)
    dy = np.random.default_rng(seed + 1).normal(size=op(x, *tf_args(pool, stride, padding)).shape)
    dx = getattr(lab, name + "_backward")(dy, cache)
    expected = tf_grad(op, x, dy, pool, stride, padding)
    assert_close(dx, expected, rtol=1e-10, atol=1e-12,
                 err_msg=f"{name}_backward after {describe_call(name, shape, pool, stride, padding)}")


@pytest.mark.skill(MAX)
@pytest.mark.points(5)
@each_padding
def test_max_pool2d_matches_tensorflow(lab, padding, case, seed, relu):
    assume(case[3] == padding)
    # tf.nn.max_pool2d may round float64 to float32 (measured on CPU): a looser tolerance
    check_forward(lab, "max_pool2d", tf.nn.max_pool2d, 1e-6, case, seed, relu)


@pytest.mark.skill(MAX)
@pytest.mark.points(5)
@each_padding
def test_max_pool2d_backward_matches_tensorflow(lab, padding, case, seed, relu):
    assume(case[3] == padding)
    check_backward(lab, "max_pool2d", tf.nn.max_pool2d, case, seed, relu)


@pytest.mark.skill(AVG)
@pytest.mark.points(5)
@each_padding
def test_avg_pool2d_matches_tensorflow(lab, padding, case, seed, relu):
    assume(case[3] == padding)
    check_forward(lab, "avg_pool2d", tf.nn.avg_pool2d, 1e-12, case, seed, relu)


@pytest.mark.skill(AVG)
@pytest.mark.points(5)
@each_padding
def test_avg_pool2d_backward_matches_tensorflow(lab, padding, case, seed, relu):
    assume(case[3] == padding)
    check_backward(lab, "avg_pool2d", tf.nn.avg_pool2d, case, seed, relu)


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
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        getattr(lab, forward)(*args)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("dy", [np.zeros((1, 2, 3, 1)), np.zeros((1, 2, 2, 2)),
                                np.zeros((2, 2, 1)), np.zeros((1, 2, 2, 1), np.int64)])
def test_backward_rejects_bad_dy(lab, name, dy):
    _, cache = getattr(lab, name)(X)
    with pytest.raises(ValueError, match=r"\bdy\b"):
        getattr(lab, name + "_backward")(dy, cache)
