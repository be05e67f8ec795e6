"""cnn_course.conv_arithmetic agrees with the formula and with TensorFlow's layers."""

import numpy as np
import pytest
import tensorflow as tf

from cnn_course.conv_arithmetic import output_size, padding_amounts, same_padding


@pytest.mark.parametrize("n, f, s, p, expected", [
    (28, 3, 1, "valid", 26), (28, 5, 1, "valid", 24), (11, 2, 2, "valid", 5),
    (28, 3, 1, "same", 28), (28, 3, 2, "same", 14), (7, 3, 2, 1, 4), (5, 5, 1, 0, 1),
])
def test_output_size_examples(n, f, s, p, expected):
    assert output_size(n, f, s, p) == expected


@pytest.mark.parametrize("n", [5, 6, 7, 11, 13])
@pytest.mark.parametrize("f", [1, 2, 3, 4])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_size_matches_tensorflow(n, f, s, padding):
    x = tf.zeros((1, n, n, 1))
    k = tf.zeros((f, f, 1, 1))
    y = tf.nn.conv2d(x, k, strides=s, padding=padding.upper())
    assert y.shape[1] == output_size(n, f, s, padding)


@pytest.mark.parametrize("n, f, s", [(5, 2, 1), (6, 3, 2), (7, 4, 1), (28, 3, 1), (4, 3, 3)])
def test_same_padding_reproduces_tensorflow(n, f, s):
    rng = np.random.default_rng(n * 100 + f * 10 + s)
    x = rng.standard_normal((1, n, n, 1)).astype(np.float32)
    k = rng.standard_normal((f, f, 1, 1)).astype(np.float32)
    before, after = same_padding(n, f, s)
    padded = np.pad(x, ((0, 0), (before, after), (before, after), (0, 0)))
    ours = tf.nn.conv2d(padded, k, strides=s, padding="VALID")
    theirs = tf.nn.conv2d(x, k, strides=s, padding="SAME")
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_odd_total_padding_goes_after():
    assert same_padding(6, 2, 1) == (0, 1)
    assert padding_amounts(6, 2, 1, "valid") == (0, 0)


@pytest.mark.parametrize("args, word", [
    ((3, 5, 1, "valid"), "f"), ((28, 3, 0, "valid"), "stride"), ((28, 3, 1, "full"), "padding"),
    ((0, 3, 1, "valid"), "n"), ((28, 3, 1, -1), "padding"),
])
def test_bad_arguments(args, word):
    with pytest.raises(ValueError, match=word):
        output_size(*args)
