"""Lab 2 (convolution, forward): run against the solution, or grade a student's file with
``cnn_course.labs.run_tests("lab2")`` in the notebook, or
``python -m cnn_course.labs grade lab2 path/to/lab2.py``.

The oracle is ``tf.nn.conv2d``: same layouts (NHWC, HWIO), same "same" padding.

Points by skill (labs/README.md lists them): conv2d carries most of the lab, split over the
aspects of its task (windows without padding, "same" padding, stride, channels and batch,
bias, dtype, and everything at once on random cases), so that a bug costs what it breaks: a
convolution wrong everywhere loses more than half the points, one that only forgets the bias
loses the bias's.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import tf_conv

pytestmark = pytest.mark.timeout(60)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 40

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
CONV_VALID = "conv2d: windows without padding"
CONV_SAME = "conv2d: same padding"
CONV_STRIDE = "conv2d: stride"
CONV_CHANNELS = "conv2d: channels and batch"
CONV_BIAS = "conv2d: bias"
CONV_DTYPE = "conv2d: dtype"
CONV_TOGETHER = "conv2d: everything at once (against TensorFlow)"
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
def test_pad_by_zero_gives_the_input_back(lab):
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


# ---------------------------------------------------------------- conv2d, one aspect at a time
#
# Each test grades one aspect of the task on cases that need nothing else: windows without
# padding, "same" padding, strides, channels and a batch, the bias, the dtype. So a bug costs
# the aspects it breaks: a convolution that only ignores the bias keeps the rest, one wrong
# everywhere (a flipped kernel) loses them all. The cases of the stride, channel and bias
# tests are half "valid", half "same", so that a bug in one padding costs half of those.


def case(seed, shape_x, shape_w, stride=1, padding="valid", bias=False, dtype=np.float64,
         w_dtype=None):
    """A fixed convolution: (x, w, b, stride, padding), the same on every run."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    else:
        # pixels up to 255 times weights up to 4: products past 255, which uint8 arithmetic
        # would wrap around; no negative weights in unsigned ints
        unsigned = np.dtype(dtype).kind == "u"
        x = rng.integers(0, 256 if unsigned else 9, shape_x)
        w = rng.integers(0 if unsigned else -4, 5, shape_w)
    x, w = x.astype(dtype), w.astype(w_dtype or dtype)
    b = rng.standard_normal(shape_w[3]) if bias else None
    return x, w, b, stride, padding


def sides(shape):
    return "x".join(map(str, shape))


def case_id(case):
    """A readable pytest id, so that a failure names its input: ``same-x1x4x4x1-w2x2x1x1-stride1``."""
    x, w, b, stride, padding = case
    return (f"{padding}-x{sides(x.shape)}-w{sides(w.shape)}-stride{stride}".replace(" ", "")
            + ("-bias" if b is not None else "")
            + ("" if x.dtype == w.dtype == np.float64 else f"-{x.dtype}-{w.dtype}"))


def cases(*given):
    return pytest.mark.parametrize("case", given, ids=[case_id(c) for c in given])


def check_conv2d(lab, case, tol=1e-9):
    """conv2d on one case against tf.nn.conv2d in float64: shape, dtype rule, values."""
    x, w, b, stride, padding = case
    call = (f"conv2d(x of shape {x.shape}, w of shape {w.shape}, "
            f"b={'given' if b is not None else None}, stride={stride}, padding={padding!r})")
    y = lab.conv2d(x, w, b, stride=stride, padding=padding)
    expected = tf_conv(x.astype(np.float64), w.astype(np.float64), b, stride, padding)
    assert y.shape == expected.shape, f"{call}: expected shape {expected.shape}, got {y.shape}"
    # The docstring's rule: float64 if either input is float64, else float32 (integers included)
    wanted = np.float64 if np.float64 in (x.dtype, w.dtype) else np.float32
    assert y.dtype == wanted, f"{call}: for {x.dtype} x and {w.dtype} w, expected {wanted.__name__}, got {y.dtype}"
    if wanted == np.float32:
        tol = max(tol, 1e-4)
    assert_close(y, expected, rtol=tol, atol=tol, err_msg=call)


@pytest.mark.skill(CONV_VALID)
@pytest.mark.points(1)
def test_conv2d_on_the_chapter_example(lab):
    X = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)
    K = np.arange(4, dtype=np.float64).reshape(2, 2, 1, 1)
    Y = lab.conv2d(X, K)
    assert Y.shape == (1, 2, 2, 1), f"expected shape (1, 2, 2, 1), got {Y.shape}"
    assert_close(Y[0, :, :, 0], [[19, 25], [37, 43]], err_msg="conv2d of chapter 2's 3x3 example")


@pytest.mark.skill(CONV_VALID)
@pytest.mark.points(4)
@cases(case(30, (1, 5, 5, 1), (3, 3, 1, 1)),
       case(31, (1, 6, 4, 1), (2, 3, 1, 1)),      # a kernel that is not square
       case(32, (1, 4, 4, 1), (4, 4, 1, 1)),      # the kernel as large as the image
       case(33, (1, 3, 5, 1), (1, 1, 1, 1)))
def test_conv2d_valid_windows(lab, case):
    check_conv2d(lab, case)


@pytest.mark.skill(CONV_SAME)
@pytest.mark.points(5)
@cases(case(40, (1, 5, 5, 1), (3, 3, 1, 1), padding="same"),   # one zero on each side
       case(41, (1, 4, 4, 1), (2, 2, 1, 1), padding="same"),   # one zero: after (bottom, right)
       case(42, (1, 5, 6, 1), (4, 3, 1, 1), padding="same"),   # three zeros: one before, two after
       case(43, (1, 3, 3, 1), (5, 5, 1, 1), padding="same"))   # a kernel larger than the image
def test_conv2d_same_padding(lab, case):
    check_conv2d(lab, case)


@pytest.mark.skill(CONV_STRIDE)
@pytest.mark.points(5)
@cases(case(50, (1, 7, 7, 1), (3, 3, 1, 1), stride=2),
       case(51, (1, 10, 10, 1), (5, 5, 1, 1), stride=3),       # leaves the last pixel out
       case(52, (1, 7, 6, 1), (3, 2, 1, 1), stride=(2, 3)),    # a pair: down 2, across 3
       case(53, (1, 7, 7, 1), (3, 3, 1, 1), stride=2, padding="same"),
       case(54, (1, 8, 8, 1), (2, 2, 1, 1), stride=3, padding="same"),
       case(55, (1, 7, 6, 1), (3, 2, 1, 1), stride=(2, 3), padding="same"))
def test_conv2d_stride(lab, case):
    check_conv2d(lab, case)


@pytest.mark.skill(CONV_CHANNELS)
@pytest.mark.points(5)
@cases(case(60, (1, 5, 5, 3), (3, 3, 3, 1)),                   # channels in: summed over
       case(61, (1, 5, 5, 1), (3, 3, 1, 4)),                   # channels out: one per kernel
       case(62, (3, 4, 5, 2), (2, 2, 2, 3)),                   # a batch of three
       case(63, (1, 5, 5, 3), (3, 3, 3, 1), padding="same"),
       case(64, (1, 5, 5, 1), (3, 3, 1, 4), padding="same"),
       case(65, (3, 4, 5, 2), (2, 2, 2, 3), padding="same"))
def test_conv2d_channels_and_batch(lab, case):
    check_conv2d(lab, case)


@pytest.mark.skill(CONV_BIAS)
@pytest.mark.points(2)
@cases(case(70, (1, 4, 4, 2), (2, 2, 2, 3), bias=True),
       case(71, (2, 4, 4, 2), (3, 3, 2, 3), bias=True, padding="same"))
def test_conv2d_adds_one_bias_per_output_channel(lab, case):
    check_conv2d(lab, case)


@pytest.mark.skill(CONV_DTYPE)
@pytest.mark.points(2)
@cases(case(80, (2, 5, 5, 3), (3, 3, 3, 4), dtype=np.float32),              # float32 stays float32
       case(81, (2, 5, 5, 2), (3, 3, 2, 2), dtype=np.int64),                # integers: float32
       case(82, (1, 4, 4, 1), (2, 2, 1, 1), padding="same", dtype=np.uint8),
       case(83, (1, 4, 4, 2), (2, 2, 2, 1), dtype=np.float32, w_dtype=np.float64))  # float64
def test_conv2d_dtype(lab, case):
    check_conv2d(lab, case)


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


@pytest.mark.skill(CONV_TOGETHER)
@pytest.mark.points(2)
@pytest.mark.parametrize("padding", ["valid", "same"])  # two cases, half the points each
@FEW
@given(case=conv_cases())
# Everything at once, on random cases and two pinned: a stride pair, a non-square kernel,
# the odd "same" zeros, channels in and out, a batch, a bias.
@example(case=case(24, (2, 7, 6, 2), (2, 3, 2, 3), stride=(2, 3), padding="same", bias=True))
@example(case=case(25, (2, 8, 7, 3), (3, 2, 3, 2), stride=(3, 2), padding="valid", bias=True))
def test_conv2d_matches_tensorflow(lab, padding, case):
    assume(case[4] == padding)  # Hypothesis skips the other padding's cases
    check_conv2d(lab, case)


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
