"""Lab 1 (pixels and tensors): run against the solution, or grade a student's file with
``cnn_course.labs.run_tests("lab1")`` in the notebook, or
``python -m cnn_course.labs grade lab1 path/to/lab1.py``."""

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.timeout(60)

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)


@pytest.mark.points(2)
def test_to_grayscale_uses_bt601_weights(lab):
    gray = lab.to_grayscale(RGB)
    expected = 0.299 * RGB[..., 0] + 0.587 * RGB[..., 1] + 0.114 * RGB[..., 2]
    assert gray.shape == (4, 5)
    assert gray.dtype == np.float32
    np.testing.assert_allclose(gray, expected, rtol=1e-5, atol=1e-3)


def test_to_grayscale_of_a_batch_and_of_floats(lab):
    batch = np.stack([RGB, RGB[::-1]])
    assert lab.to_grayscale(batch).shape == (2, 4, 5)
    white = np.ones((2, 2, 3), dtype=np.float64)
    np.testing.assert_allclose(lab.to_grayscale(white), 1.0, rtol=1e-6)


@pytest.mark.parametrize("bad, word", [
    (np.zeros((4, 5), np.uint8), "rgb"),          # no channel axis
    (np.zeros((4, 5, 4), np.uint8), "3"),         # RGBA, not RGB
    (np.zeros((4, 5, 3), "<U1"), "rgb"),          # strings
])
def test_to_grayscale_rejects_bad_input(lab, bad, word):
    with pytest.raises(ValueError, match=word):
        lab.to_grayscale(bad)


@pytest.mark.points(2)
def test_normalize_scales_to_unit_interval(lab):
    images = np.array([[0, 51, 255]], dtype=np.uint8)
    scaled = lab.normalize(images)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_normalize_keeps_shape(lab):
    images = RNG.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    scaled = lab.normalize(images)
    assert scaled.shape == images.shape
    assert 0.0 <= scaled.min() and scaled.max() <= 1.0


@pytest.mark.parametrize("bad", [np.array([[0.5]]), np.array([[300]]), np.array([[-1]])])
def test_normalize_rejects_non_bytes(lab, bad):
    with pytest.raises(ValueError, match="images"):
        lab.normalize(bad)


def test_add_channel_axis(lab):
    one = np.zeros((28, 28), np.uint8)
    many = np.zeros((7, 28, 28), np.uint8)
    assert lab.add_channel_axis(one).shape == (28, 28, 1)
    assert lab.add_channel_axis(many).shape == (7, 28, 28, 1)
    assert lab.add_channel_axis(many).dtype == np.uint8


def test_add_channel_axis_rejects_wrong_rank(lab):
    with pytest.raises(ValueError, match="images"):
        lab.add_channel_axis(np.zeros((2, 28, 28, 1)))


def test_to_batch(lab):
    image = RNG.random((28, 28, 1)).astype(np.float32)
    batch = lab.to_batch(image)
    assert batch.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(batch[0], image)


def test_to_batch_rejects_wrong_rank(lab):
    with pytest.raises(ValueError, match="image"):
        lab.to_batch(np.zeros((28, 28)))


@pytest.mark.points(2)
def test_one_hot_matches_keras(lab):
    labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)
    encoded = lab.one_hot(labels, 10)
    assert encoded.shape == (6, 10)
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded, keras.utils.to_categorical(labels, 10))


@pytest.mark.parametrize("labels, num_classes, word", [
    (np.array([0, 10]), 10, "labels"),             # a label out of range
    (np.array([-1, 2]), 10, "labels"),             # negative
    (np.array([0.0, 1.0]), 10, "labels"),          # floats are not class indices
    (np.array([[0, 1]]), 10, "labels"),            # 2-D
    (np.array([0, 1]), 0, "num_classes"),
    (np.array([0, 1]), 2.5, "num_classes"),
])
def test_one_hot_rejects_bad_input(lab, labels, num_classes, word):
    with pytest.raises(ValueError, match=word):
        lab.one_hot(labels, num_classes)
