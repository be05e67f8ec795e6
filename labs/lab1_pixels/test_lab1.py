"""Lab 1 (pixels and tensors): run against the solution, or grade a student's file with
``cnn_course.labs.run_tests("lab1")`` in the notebook, or
``python -m cnn_course.labs grade lab1 path/to/lab1.py``.

Points by skill (labs/README.md lists them, hidden tests included): the pipeline from RGB
bytes to a model's input, which every function feeds, carries the most; input validation
at most a quarter. A test function's points are shared among its parametrized cases.
"""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close, assert_same

pytestmark = pytest.mark.timeout(60)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 30

# What the graded functions may call, besides the standard library and your own file. A skill
# whose tests reach anything else from your file scores 0 (labs/README.md, "What a lab
# allows"); the tests' own oracles may call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks"]


RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
GRAYSCALE = "grayscale (BT.601 weights)"
SCALING = "scaling pixels to [0, 1]"
AXES = "channel and batch axes"
PIPELINE = "from RGB bytes to a model's input"
ONE_HOT = "one-hot labels (like Keras)"
VALIDATION = "input validation"


def bt601_reference(rgb):
    """The expected grayscale, in float64: 0.299 R + 0.587 G + 0.114 B."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def one_hot_reference(labels, num_classes):
    """What ``keras.utils.to_categorical(labels, num_classes)`` gives (the course's
    ``tests/test_oracles.py`` checks that it does), without importing Keras: row ``i`` is 1
    in column ``labels[i]`` and 0 elsewhere."""
    encoded = np.zeros((len(labels), num_classes))
    encoded[np.arange(len(labels)), labels] = 1
    return encoded


def check_pipeline(lab, rgb_batch):
    """uint8 RGB batch -> normalize -> to_grayscale -> add_channel_axis: what a Keras model takes."""
    x = lab.add_channel_axis(lab.to_grayscale(lab.normalize(rgb_batch)))
    expected = bt601_reference(rgb_batch)[..., np.newaxis] / 255
    assert x.shape == expected.shape, f"expected shape {expected.shape}, got {x.shape}"
    assert x.dtype == np.float32, f"expected float32, got {x.dtype}"
    assert_close(x, expected, rtol=1e-5, atol=1e-6)


def check_one_image(lab, rgb_image):
    """One uint8 RGB image -> the same functions, then to_batch: a batch of one."""
    one = lab.to_batch(lab.add_channel_axis(lab.to_grayscale(lab.normalize(rgb_image))))
    expected = bt601_reference(rgb_image[np.newaxis])[..., np.newaxis] / 255
    assert one.shape == expected.shape, f"expected shape {expected.shape}, got {one.shape}"
    assert_close(one, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skill(GRAYSCALE)
@pytest.mark.points(2)
def test_to_grayscale_uses_bt601_weights(lab):
    gray = lab.to_grayscale(RGB)
    expected = 0.299 * RGB[..., 0] + 0.587 * RGB[..., 1] + 0.114 * RGB[..., 2]
    assert gray.shape == (4, 5)
    assert gray.dtype == np.float32
    assert_close(gray, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.skill(GRAYSCALE)
@pytest.mark.points(1)
def test_to_grayscale_of_a_batch_and_of_floats(lab):
    batch = np.stack([RGB, RGB[::-1]])
    assert lab.to_grayscale(batch).shape == (2, 4, 5)
    white = np.ones((2, 2, 3), dtype=np.float64)
    assert_close(lab.to_grayscale(white), 1.0, rtol=1e-6)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("bad, word", [
    (np.zeros((4, 5), np.uint8), "rgb"),          # no channel axis
    (np.zeros((4, 5, 4), np.uint8), "rgb"),       # RGBA, not RGB
    (np.zeros((4, 5, 3), "<U1"), "rgb"),          # strings
])
def test_to_grayscale_rejects_bad_input(lab, bad, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.to_grayscale(bad)


@pytest.mark.skill(SCALING)
@pytest.mark.points(2)
def test_normalize_scales_to_unit_interval(lab):
    images = np.array([[0, 51, 255]], dtype=np.uint8)
    scaled = lab.normalize(images)
    assert scaled.dtype == np.float32
    assert_close(scaled, [[0.0, 0.2, 1.0]], rtol=1e-6)


@pytest.mark.skill(SCALING)
@pytest.mark.points(1)
def test_normalize_keeps_shape(lab):
    images = RNG.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    scaled = lab.normalize(images)
    assert scaled.shape == images.shape
    assert_close(scaled, images / 255, rtol=1e-6)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("bad", [np.array([[0.5]]), np.array([[300]]), np.array([[-1]])])
def test_normalize_rejects_non_bytes(lab, bad):
    with pytest.raises(ValueError, match=r"\bimages\b"):
        lab.normalize(bad)


@pytest.mark.skill(AXES)
@pytest.mark.points(1)
def test_add_channel_axis(lab):
    one = np.zeros((28, 28), np.uint8)
    many = np.zeros((7, 28, 28), np.uint8)
    assert lab.add_channel_axis(one).shape == (28, 28, 1)
    assert lab.add_channel_axis(many).shape == (7, 28, 28, 1)
    assert lab.add_channel_axis(many).dtype == np.uint8


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
def test_add_channel_axis_rejects_wrong_rank(lab):
    with pytest.raises(ValueError, match=r"\bimages\b"):
        lab.add_channel_axis(np.zeros((2, 28, 28, 1)))


@pytest.mark.skill(AXES)
@pytest.mark.points(1)
def test_to_batch(lab):
    image = RNG.random((28, 28, 1)).astype(np.float32)
    batch = lab.to_batch(image)
    assert batch.shape == (1, 28, 28, 1)
    assert_same(batch[0], image)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
def test_to_batch_rejects_wrong_rank(lab):
    with pytest.raises(ValueError, match=r"\bimage\b"):
        lab.to_batch(np.zeros((28, 28)))


@pytest.mark.skill(PIPELINE)
@pytest.mark.points(5)
def test_rgb_bytes_become_a_model_input(lab):
    # the lab's functions in a row: (N, H, W, 3) uint8 -> (N, H, W, 1) float32 in [0, 1]
    check_pipeline(lab, RNG.integers(0, 256, size=(3, 6, 5, 3), dtype=np.uint8))


@pytest.mark.skill(PIPELINE)
@pytest.mark.points(3)
def test_one_rgb_image_becomes_a_batch_of_one(lab):
    # (H, W, 3) uint8 -> (1, H, W, 1) float32 in [0, 1], through to_batch
    check_one_image(lab, RNG.integers(0, 256, size=(6, 5, 3), dtype=np.uint8))


@pytest.mark.skill(ONE_HOT)
@pytest.mark.points(1)
def test_one_hot_matches_keras(lab):
    labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)
    encoded = lab.one_hot(labels, 10)
    assert encoded.shape == (6, 10)
    assert encoded.dtype == np.float32
    assert_same(encoded, one_hot_reference(labels, 10))


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("labels, num_classes, word", [
    (np.array([0, 10]), 10, "labels"),             # a label out of range
    (np.array([-1, 2]), 10, "labels"),             # negative
    (np.array([0.0, 1.0]), 10, "labels"),          # floats are not class indices
    (np.array([[0, 1]]), 10, "labels"),            # 2-D
    (np.array([0, 1]), 2.5, "num_classes"),
])
def test_one_hot_rejects_bad_input(lab, labels, num_classes, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.one_hot(labels, num_classes)
