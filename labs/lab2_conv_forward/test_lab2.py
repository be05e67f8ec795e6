"""Lab 2 (convolution, forward): run against the solution, or grade a student's file with
``cnn_course.labs.run_tests("lab2")`` in the notebook, or
``python -m cnn_course.labs grade lab2 path/to/lab2.py``.

The oracle is ``tf.nn.conv2d``: same layouts (NHWC, HWIO), same "same" padding.

Points by skill (labs/README.md lists them): conv2d against TensorFlow carries most of the
lab, and one test of it, over random cases and the pinned examples below (an odd number of
"same" zeros, a stride pair, a non-square kernel, integer inputs, a batch), half of it: a
convolution that is wrong anywhere loses at least half the points.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf_conv

pytestmark = pytest.mark.timeout(60)

# What the graded functions may call, besides the standard library and your own file. Not
# cnn_course.conv_arithmetic: output_size and pad are yours to write. A skill whose tests
# reach anything else from your file scores 0 (labs/README.md, "What a lab allows"); the
# tests' own oracles may call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks"]


# The lab fixture is function-scoped but returns one cached module: safe to share across
# examples. Few examples, because a student's loops are slow.
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

RNG = np.random.default_rng(2)

OUTPUT_SIZE = "output size"
PAD = "zero padding"
CONV = "conv2d against TensorFlow"
VALIDATION = "input validation"
# ---------------------------------------------------------------- output_size

@pytest.mark.skill(OUTPUT_SIZE)
@pytest.mark.points(2)
@pytest.mark.parametrize("n, f, stride, padding, expected", [
    (28, 3, 1, "valid", 26),
    (28, 5, 1, "valid", 24),
    (5, 5, 1, "valid", 1),
    (7, 3, 2, "valid", 3),
    (8, 3, 2, "valid", 3),
    (28, 3, 1, "same", 28),
    (28, 5, 2, "same", 14),
    (7, 3, 2, "same", 4),
    (5, 7, 3, "same", 2),   # "same" never depends on f
])
def test_output_size(lab, n, f, stride, padding, expected):
    assert lab.output_size(n, f, stride, padding) == expected


@pytest.mark.skill(OUTPUT_SIZE)
@pytest.mark.points(1)
def test_output_size_defaults_to_valid_stride_1(lab):
    assert lab.output_size(6, 3) == 4


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("args, word", [
    ((0, 3, 1, "valid"), "n"),
    ((5, 0, 1, "valid"), "f"),
    ((5, 6, 1, "valid"), "f"),        # the window does not fit
    ((5, 3, 0, "valid"), "stride"),
    ((5, 3, 1.5, "valid"), "stride"),
    ((5, 3, 1, "full"), "padding"),
])
def test_output_size_rejects_bad_input(lab, args, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.output_size(*args)


# ---------------------------------------------------------------- pad

@pytest.mark.skill(PAD)
@pytest.mark.points(1)
def test_pad_puts_zeros_around_each_image(lab):
    x = RNG.random((2, 3, 4, 2)).astype(np.float32)
    padded = lab.pad(x, ((1, 2), (0, 3)))
    assert padded.shape == (2, 6, 7, 2)
    assert padded.dtype == np.float32
    assert_same(padded, np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0))))


@pytest.mark.skill(PAD)
@pytest.mark.points(1)
def test_pad_by_zero_is_a_copy_of_the_input(lab):
    x = RNG.integers(0, 9, (1, 2, 2, 1))
    assert_same(lab.pad(x, ((0, 0), (0, 0))), x)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("x, padding_hw, word", [
    (np.zeros((3, 3, 1)), ((1, 1), (1, 1)), "x"),              # one image, not a batch
    (np.zeros((1, 3, 3, 1)), ((1, -1), (1, 1)), "padding_hw"),  # negative
    (np.zeros((1, 3, 3, 1)), (1, 1), "padding_hw"),             # not two pairs
    (np.zeros((1, 3, 3, 1)), ((1, 1.5), (1, 1)), "padding_hw"),  # not whole numbers
])
def test_pad_rejects_bad_input(lab, x, padding_hw, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.pad(x, padding_hw)


# ---------------------------------------------------------------- conv2d, fixed examples

@pytest.mark.skill(CONV)
@pytest.mark.points(2)
def test_conv2d_on_the_chapter_example(lab):
    X = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    K = np.arange(4, dtype=np.float32).reshape(2, 2, 1, 1)
    Y = lab.conv2d(X, K)
    assert Y.shape == (1, 2, 2, 1)
    assert_close(Y[0, :, :, 0], [[19, 25], [37, 43]])


@pytest.mark.skill(CONV)
@pytest.mark.points(1)
def test_conv2d_returns_float32_for_float32(lab):
    x = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
    y = lab.conv2d(x, w)
    assert y.dtype == np.float32
    assert_close(y, tf_conv(x, w), rtol=1e-4, atol=1e-4)


@pytest.mark.skill(CONV)
@pytest.mark.points(1)
def test_conv2d_adds_one_bias_per_output_channel(lab):
    x = RNG.standard_normal((1, 4, 4, 2))
    w = RNG.standard_normal((2, 2, 2, 3))
    b = np.array([1.0, -2.0, 0.5])
    assert_close(lab.conv2d(x, w, b), tf_conv(x, w, b), rtol=1e-10, atol=1e-10)


@pytest.mark.skill(CONV)
@pytest.mark.points(1)
def test_conv2d_same_padding_puts_the_odd_zero_bottom_right(lab):
    # 4 wide, 2-wide kernel, stride 1: one zero in total, which TensorFlow puts after.
    x = RNG.standard_normal((1, 4, 4, 1))
    w = RNG.standard_normal((2, 2, 1, 1))
    y = lab.conv2d(x, w, padding="same")
    assert y.shape == (1, 4, 4, 1)
    assert_close(y, tf_conv(x, w, padding="same"), rtol=1e-10, atol=1e-10)


@pytest.mark.skill(CONV)
@pytest.mark.points(1)
def test_conv2d_with_a_stride_pair(lab):
    x = RNG.standard_normal((2, 7, 6, 2))
    w = RNG.standard_normal((3, 2, 2, 2))
    for padding in ("valid", "same"):
        y = lab.conv2d(x, w, stride=(2, 3), padding=padding)
        assert_close(y, tf_conv(x, w, stride=(2, 3), padding=padding),
                                   rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- conv2d against TensorFlow

@st.composite
def conv_cases(draw):
    """A small random convolution: input, kernel, bias, stride and padding that TF accepts."""
    padding = draw(st.sampled_from(["valid", "same"]))
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w_ = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    # "valid" needs the window to fit; "same" pads enough for any window.
    f_h = draw(st.integers(1, h if padding == "valid" else 4))
    f_w = draw(st.integers(1, w_ if padding == "valid" else 4))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w_, c_in))
    w = rng.standard_normal((f_h, f_w, c_in, c_out))
    b = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return x, w, b, stride, padding


def pinned(seed, shape_x, shape_w, bias, stride, padding, dtype=np.float64):
    """A fixed case for @example: the same on every run, whatever Hypothesis draws."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        x, w = rng.standard_normal(shape_x).astype(dtype), rng.standard_normal(shape_w).astype(dtype)
    else:
        x, w = rng.integers(-4, 5, shape_x).astype(dtype), rng.integers(-4, 5, shape_w).astype(dtype)
    b = rng.standard_normal(shape_w[3]) if bias else None
    return x, w, b, stride, padding


@pytest.mark.skill(CONV)
@pytest.mark.points(20)
@FEW
@given(case=conv_cases())
# Pinned, so that what they catch never depends on the draw: the odd "same" zero (bottom,
# right), a stride pair with a non-square kernel and bias, integer inputs (float32 out), a
# batch with several channels in and out.
@example(case=pinned(20, (1, 4, 4, 1), (2, 2, 1, 1), True, 1, "same"))
@example(case=pinned(21, (2, 7, 6, 2), (2, 3, 2, 3), True, (2, 3), "same"))
@example(case=pinned(22, (2, 8, 7, 3), (3, 2, 3, 2), False, (3, 2), "valid"))
@example(case=pinned(23, (2, 5, 5, 2), (3, 3, 2, 2), False, 1, "valid", dtype=np.int64))
@example(case=pinned(24, (3, 6, 6, 3), (3, 3, 3, 4), True, 2, "same"))
def test_conv2d_matches_tensorflow(lab, case):
    x, w, b, stride, padding = case
    y = lab.conv2d(x, w, b, stride=stride, padding=padding)
    expected = tf_conv(x.astype(np.float64), w.astype(np.float64), b, stride, padding)
    assert y.shape == expected.shape, f"expected shape {expected.shape}, got {y.shape}"
    # The docstring's rule: float64 if either input is float64, else float32 (integers included)
    wanted = np.float64 if np.float64 in (x.dtype, w.dtype) else np.float32
    assert y.dtype == wanted, f"for {x.dtype} x and {w.dtype} w, expected {wanted}, got {y.dtype}"
    assert_close(y, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.skill(OUTPUT_SIZE)
@pytest.mark.points(1)
@FEW
@given(n=st.integers(1, 30), f=st.integers(1, 7), stride=st.integers(1, 4),
       padding=st.sampled_from(["valid", "same"]))
def test_output_size_matches_the_shape_of_tensorflow(lab, n, f, stride, padding):
    if padding == "valid" and f > n:
        return  # TensorFlow rejects it too; tested in test_output_size_rejects_bad_input
    x = np.zeros((1, n, 1, 1), np.float32)
    w = np.zeros((f, 1, 1, 1), np.float32)
    expected = tf_conv(x, w, stride=(stride, 1), padding=padding).shape[1]
    assert lab.output_size(n, f, stride, padding) == expected


# ---------------------------------------------------------------- conv2d, bad input

X = np.zeros((1, 5, 5, 2))
W = np.zeros((3, 3, 2, 4))


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(2)
@pytest.mark.parametrize("kwargs, word", [
    ({"x": np.zeros((5, 5, 2))}, "x"),                     # one image, not a batch
    ({"w": np.zeros((3, 3, 2))}, "w"),                     # no output-channel axis
    ({"w": np.zeros((3, 3, 3, 4))}, "w"),                  # 3 input channels, x has 2
    ({"w": np.zeros((6, 3, 2, 4))}, "w"),                  # taller than the input
    ({"x": np.zeros((1, 2, 2, 2)), "padding": "valid"}, "w"),  # kernel larger than input
    ({"stride": 0}, "stride"),
    ({"stride": -1}, "stride"),
    ({"stride": (1, 0)}, "stride"),
    ({"stride": (1, 1, 1)}, "stride"),
    ({"padding": "full"}, "padding"),
    ({"padding": "VALID"}, "padding"),                     # the lab's names are lower case
    ({"b": np.zeros(3)}, "b"),                             # 3 biases, 4 output channels
    ({"b": np.zeros((1, 4))}, "b"),
])
def test_conv2d_rejects_bad_input(lab, kwargs, word):
    args = {"x": X, "w": W, "b": None, "stride": 1, "padding": "valid", **kwargs}
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.conv2d(**args)
