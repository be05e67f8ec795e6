"""cnn_course.convolution.corr2d against tf.nn.conv2d, and chapter 2's 2-D case."""

import numpy as np
import pytest

from cnn_course.convolution import corr2d


def test_the_2d_case_is_the_window_sum_of_chapter_2():
    X = np.arange(9.0).reshape(3, 3)
    K = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(corr2d(X, K), [[19, 25], [37, 43]])  # d2l's figure


def test_batches_and_channels_match_tf_nn_conv2d():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 6, 5, 3))
    K = rng.normal(size=(3, 2, 3, 4))
    np.testing.assert_allclose(corr2d(X, K), tf.nn.conv2d(X, K, 1, "VALID"), rtol=1e-10, atol=1e-12)
