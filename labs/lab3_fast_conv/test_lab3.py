"""Lab 3 (fast convolution by im2col, and its gradients): run against the solution, or grade
a student's file with ``cnn_course.labs.run_tests("lab3")`` in the notebook, or
``python -m cnn_course.labs grade lab3 path/to/lab3.py``.

Two oracles: TensorFlow (``tf.nn.conv2d`` forward, ``tf.GradientTape`` backward) over random
shapes, strides and paddings, and centred finite differences in float64
(``cnn_course.gradcheck``), which need no framework at all.

Points by skill (labs/README.md lists them): the layer against TensorFlow carries most of the
lab, its forward pass and each of its three gradients tested on their own, over random cases
and the pinned examples below, so that a bug costs what it breaks.
"""

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf_conv, tf_conv_grads

pytestmark = pytest.mark.timeout(60)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 40

# What the graded functions may call, besides the standard library and your own file.
# cnn_course.conv_arithmetic is given; cnn_course.layers and TensorFlow are not. A skill whose
# tests reach anything else from your file scores 0 (labs/README.md, "What a lab allows"); the
# tests' own oracles may call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks", "cnn_course.conv_arithmetic"]


# The lab fixture is function-scoped but returns one cached module: safe across examples.
SOME = settings(max_examples=30, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

RNG = np.random.default_rng(3)

FORWARD = "conv2d forward (against TensorFlow)"
BACKWARD = "conv2d backward: dx, dw, db (against TensorFlow)"
GRADCHECK = "gradients (finite differences)"
IM2COL = "im2col and col2im"
SPEED = "vectorised (no Python loop over pixels)"
LOOP_SLACK = 5  # lines: a branch that differs between the two sizes, not a loop
VALIDATION = "input validation"

@st.composite
def conv_cases(draw):
    """A random convolution: (x, w, b, stride, padding), float64, the window always fitting."""
    f_h, f_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from(["valid", "same"]))
    stride = draw(st.integers(1, 3))
    # "valid" needs H >= f_h; "same" is fine with any size, even smaller than the kernel.
    low_h, low_w = (f_h, f_w) if padding == "valid" else (1, 1)
    H, W = draw(st.integers(low_h, low_h + 6)), draw(st.integers(low_w, low_w + 6))
    N, C_in, C_out = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, H, W, C_in))
    w = rng.standard_normal((f_h, f_w, C_in, C_out))
    b = rng.standard_normal(C_out)
    return x, w, b, stride, padding


def naive_im2col(x, f_h, f_w, stride, pads):
    """Rows by explicit loops, for a small input: the definition im2col must reproduce."""
    x = np.pad(x, ((0, 0), *pads, (0, 0)))  # pads: ((top, bottom), (left, right))
    N, H, W, _ = x.shape
    rows = []
    for n in range(N):
        for i in range(0, H - f_h + 1, stride):
            for j in range(0, W - f_w + 1, stride):
                rows.append(x[n, i:i + f_h, j:j + f_w, :].reshape(-1))
    return np.array(rows)


def pinned(seed, shape_x, shape_w, stride, padding):
    """A fixed case for @example: the same on every run, whatever Hypothesis draws."""
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    return x, w, rng.standard_normal(shape_w[3]), stride, padding


# ---------------------------------------------------------------- im2col and col2im

@pytest.mark.skill(IM2COL)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape, f_h, f_w, stride, padding, pads", [
    ((1, 4, 4, 1), 2, 2, 1, "valid", ((0, 0), (0, 0))),
    ((2, 5, 4, 3), 3, 2, 2, "valid", ((0, 0), (0, 0))),
    ((2, 5, 5, 2), 3, 3, 1, "same", ((1, 1), (1, 1))),
    ((1, 6, 6, 2), 3, 3, 2, "same", ((0, 1), (0, 1))),  # TensorFlow: the odd zero goes after
])
def test_im2col_rows_are_the_windows(lab, shape, f_h, f_w, stride, padding, pads):
    x = RNG.standard_normal(shape).astype(np.float32)
    cols = lab.im2col(x, f_h, f_w, stride, padding)
    expected = naive_im2col(x, f_h, f_w, stride, pads)
    assert cols.shape == expected.shape
    assert cols.dtype == np.float32
    assert_same(cols, expected)


@pytest.mark.skill(IM2COL)
@pytest.mark.points(2)
@given(case=conv_cases())
@SOME
@example(case=pinned(30, (2, 6, 6, 2), (3, 3, 2, 1), 1, "same"))  # overlapping windows
@example(case=pinned(31, (1, 7, 6, 2), (2, 3, 2, 1), 2, "same"))  # the odd zero after
def test_col2im_is_the_adjoint_of_im2col(lab, case):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: the definition of the adjoint,
    # and exactly what makes col2im(dcols) the gradient dx.
    x, w, _, stride, padding = case
    f_h, f_w = w.shape[:2]
    cols = lab.im2col(x, f_h, f_w, stride, padding)
    c = np.random.default_rng(0).standard_normal(cols.shape)
    back = lab.col2im(c, x.shape, f_h, f_w, stride, padding)
    assert back.shape == x.shape
    assert_close(np.sum(cols * c), np.sum(x * back), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- against TensorFlow

# The forward pass and each gradient are tests of their own, and "valid" and "same" two cases
# of each, half its points: a bug costs what it breaks (a db that misses the batch keeps the
# forward pass's points and dx's; padding on the wrong sides keeps the "valid" halves).
# Pinned, so that what they catch never depends on the draw: overlapping windows (pixels in
# several windows), the odd "same" zero after, a stride that skips pixels, a batch of three
# (db sums over it), non-square kernels.
PINNED = [pinned(40, (2, 6, 6, 2), (3, 3, 2, 3), 1, "same"),
          pinned(41, (1, 7, 6, 2), (2, 3, 2, 2), 2, "same"),
          pinned(42, (1, 7, 7, 1), (2, 2, 1, 2), 3, "valid"),
          pinned(43, (3, 5, 6, 3), (3, 2, 3, 4), 1, "valid")]


def each_padding(test):
    """Run ``test`` once per padding, on random cases and the pinned examples of that padding
    (the test assumes the case's padding is the one given: Hypothesis skips the others)."""
    for case in reversed(PINNED):
        test = example(case=case)(test)
    test = given(case=conv_cases())(test)
    return pytest.mark.parametrize("padding", ["valid", "same"])(SOME(test))


def describe_call(case):
    x, w, b, stride, padding = case
    return f"x of shape {x.shape}, w of shape {w.shape}, stride={stride}, padding={padding!r}"


def check_gradient(lab, case, name):
    """One of conv2d_backward's three results against tf.GradientTape's."""
    x, w, b, stride, padding = case
    dy = np.random.default_rng(1).standard_normal(tf_conv(x, w, b, stride, padding).shape)
    ours = dict(zip(("dx", "dw", "db"), lab.conv2d_backward(dy, x, w, stride, padding), strict=True))[name]
    theirs = dict(zip(("dx", "dw", "db"), tf_conv_grads(dy, x, w, stride, padding), strict=True))[name]
    call = f"{name} of conv2d_backward ({describe_call(case)})"
    assert ours.shape == theirs.shape, f"{call}: expected shape {theirs.shape}, got {ours.shape}"
    assert_close(ours, theirs, rtol=1e-10, atol=1e-10, err_msg=call)


@pytest.mark.skill(FORWARD)
@pytest.mark.points(9)
@each_padding
def test_conv2d_matches_tensorflow(lab, padding, case):
    assume(case[4] == padding)
    x, w, b, stride, _ = case
    y = lab.conv2d(x, w, b, stride, padding)
    expected = tf_conv(x, w, b, stride, padding)
    call = f"conv2d({describe_call(case)})"
    assert y.shape == expected.shape, f"{call}: expected shape {expected.shape}, got {y.shape}"
    assert_close(y, expected, rtol=1e-10, atol=1e-10, err_msg=call)


@pytest.mark.skill(BACKWARD)
@pytest.mark.points(5)
@each_padding
def test_dx_matches_tensorflow(lab, padding, case):
    assume(case[4] == padding)
    check_gradient(lab, case, "dx")


@pytest.mark.skill(BACKWARD)
@pytest.mark.points(4)
@each_padding
def test_dw_matches_tensorflow(lab, padding, case):
    assume(case[4] == padding)
    check_gradient(lab, case, "dw")


@pytest.mark.skill(BACKWARD)
@pytest.mark.points(2)
@each_padding
def test_db_matches_tensorflow(lab, padding, case):
    assume(case[4] == padding)
    check_gradient(lab, case, "db")


@pytest.mark.skill(FORWARD)
@pytest.mark.points(1)
def test_conv2d_without_bias_in_float32(lab):
    x = RNG.standard_normal((2, 9, 9, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 3, 5)).astype(np.float32)
    y = lab.conv2d(x, w, stride=2, padding="same")
    assert y.dtype == np.float32
    assert_close(y, tf_conv(x, w, None, 2, "same"), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- finite differences (float64)

GRADCHECK_CASES = [
    ((2, 5, 5, 2), (3, 3, 2, 3), 1, "valid"),
    ((2, 5, 5, 2), (3, 3, 2, 3), 1, "same"),
    ((1, 7, 6, 2), (3, 2, 2, 2), 2, "same"),
    ((1, 7, 7, 1), (2, 2, 1, 2), 3, "valid"),  # stride 3 skips pixels: their gradient is 0
]


# conv2d is linear in x, in w and in b: a centred difference has no truncation error, only
# round-off of about eps * |L| / h. With the default h=1e-6 that alone reaches 1e-6 relative
# error on small gradient entries; h=1e-3 keeps the worst case near 1e-9 (measured).
STEP = 1e-3


def _gradcheck_setup(shape_x, shape_w, stride, padding):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    b = rng.standard_normal(shape_w[3])
    dy = rng.standard_normal(tf_conv(x, w, None, stride, padding).shape)
    return x, w, b, dy


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape_x, shape_w, stride, padding", GRADCHECK_CASES)
def test_dx_passes_gradient_check(lab, shape_x, shape_w, stride, padding):
    x, w, b, dy = _gradcheck_setup(shape_x, shape_w, stride, padding)
    dx, _, _ = lab.conv2d_backward(dy, x, w, stride, padding)
    numeric = numerical_gradient(lambda v: lab.conv2d(v, w, b, stride, padding), x, dy, h=STEP)
    assert relative_error(dx, numeric) < 1e-7


@pytest.mark.skill(GRADCHECK)
@pytest.mark.points(2)
@pytest.mark.parametrize("shape_x, shape_w, stride, padding", GRADCHECK_CASES)
def test_dw_and_db_pass_gradient_check(lab, shape_x, shape_w, stride, padding):
    x, w, b, dy = _gradcheck_setup(shape_x, shape_w, stride, padding)
    _, dw, db = lab.conv2d_backward(dy, x, w, stride, padding)
    numeric_w = numerical_gradient(lambda v: lab.conv2d(x, v, b, stride, padding), w, dy, h=STEP)
    numeric_b = numerical_gradient(lambda v: lab.conv2d(x, w, v, stride, padding), b, dy, h=STEP)
    assert relative_error(dw, numeric_w) < 1e-7
    assert relative_error(db, numeric_b) < 1e-7


# ---------------------------------------------------------------- no loop over pixels

def lines_run(lab, call):
    """How many lines of the student's file run while ``call()`` runs (``sys.settrace``, which
    sees every line of Python, comprehensions and lambdas included; NumPy's own work is not in
    the file). A count, not a time: the same on every machine, however busy."""
    filename = lab.__file__
    count = 0

    def in_file(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return in_file

    def on_call(frame, event, arg):
        return in_file if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


def forward_and_backward(lab, side):
    """The lines of the student's file that conv2d and conv2d_backward run on a side x side batch."""
    x = np.random.default_rng(side).standard_normal((2, side, side, 4)).astype(np.float32)
    w = np.random.default_rng(side + 1).standard_normal((3, 3, 4, 8)).astype(np.float32)

    def both():
        y = lab.conv2d(x, w, np.zeros(8, np.float32), 1, "same")
        dx, dw, _ = lab.conv2d_backward(np.ones_like(y), x, w, 1, "same")
        assert y.shape == (2, side, side, 8) and dx.shape == x.shape and dw.shape == w.shape

    return lines_run(lab, both)


@pytest.mark.skill(SPEED)
@pytest.mark.points(3)
def test_no_python_loop_over_pixels(lab):
    # The lab asks for no Python loop over pixels: then the lines of your file that run do not
    # depend on the image's size. A loop over the 3 x 3 kernel offsets runs as many lines for
    # a 12 x 12 image as for a 24 x 24 one; a loop over output pixels or windows runs four
    # times as many (a loop over rows, twice as many). Counted, never timed.
    small, large = forward_and_backward(lab, 12), forward_and_backward(lab, 24)
    assert large <= small + LOOP_SLACK, (
        f"conv2d and conv2d_backward ran {small} lines of your file for a 12 x 12 image and {large} for "
        f"a 24 x 24 one: the work of a Python loop grows with the image (a loop over pixels, windows or "
        f"rows?); loop over the f_h x f_w kernel offsets at most")


# ---------------------------------------------------------------- bad input

X = np.zeros((2, 5, 5, 3))
W = np.zeros((3, 3, 3, 4))
DY = np.zeros((2, 3, 3, 4))


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(4)
@pytest.mark.parametrize("call, word", [
    (lambda lab: lab.conv2d(X, np.zeros((3, 3, 2, 4))), "w"),          # C_in 2 vs x's 3
    (lambda lab: lab.conv2d(X, np.zeros((6, 3, 3, 4))), "w"),          # taller than x, valid
    (lambda lab: lab.conv2d(X, W, stride=0), "stride"),
    (lambda lab: lab.conv2d(X, W, stride=-1), "stride"),
    (lambda lab: lab.conv2d(X, W, stride=1.5), "stride"),
    (lambda lab: lab.conv2d(X[0], W), "x"),                            # 3-D: no batch axis
    (lambda lab: lab.conv2d(X, W[..., 0]), "w"),                       # 3-D kernel
    (lambda lab: lab.conv2d(X, W, padding="full"), "padding"),
    (lambda lab: lab.conv2d(X, W, b=np.zeros(3)), "b"),                # 3 biases, 4 filters
    (lambda lab: lab.conv2d_backward(np.zeros((2, 5, 5, 4)), X, W), "dy"),  # "same"'s shape
    (lambda lab: lab.conv2d_backward(DY[0], X, W), "dy"),
    (lambda lab: lab.conv2d_backward(DY, X, np.zeros((3, 3, 1, 4))), "w"),
    (lambda lab: lab.conv2d_backward(DY, X, W, stride=0), "stride"),
    (lambda lab: lab.im2col(X, 6, 2), "f_h"),                          # window taller than x
    (lambda lab: lab.im2col(X, 2, 2, stride=0), "stride"),
    (lambda lab: lab.im2col(X[0], 2, 2), "x"),
    (lambda lab: lab.im2col(X, 2, 2, padding="SAME"), "padding"),
    (lambda lab: lab.col2im(np.zeros((5, 12)), X.shape, 2, 2), "cols"),  # wrong row count
], ids=["channels", "kernel-too-big", "stride-0", "stride-negative", "stride-float",
        "x-rank", "w-rank", "padding", "bias-shape", "dy-shape", "dy-rank", "backward-channels",
        "backward-stride", "im2col-window", "im2col-stride", "im2col-rank", "im2col-padding",
        "col2im-shape"])
def test_bad_input_raises_value_error_naming_the_argument(lab, call, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        call(lab)
