"""Lab 1's hidden tests: graded, never released to students (``cnn_course.labs.run_tests``
leaves them out; the instructor's ``grade`` runs them). Other shapes, dtypes and seeds than
the public tests, so a file written to pass those alone does not earn these."""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close, assert_same

from test_lab1 import (
    AXES,
    GRAYSCALE,
    ONE_HOT,
    PIPELINE,
    SCALING,
    bt601_reference,
    check_one_image,
    check_pipeline,
    one_hot_reference,
)

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(60)]

RNG = np.random.default_rng(101)


@pytest.mark.skill(PIPELINE)
@pytest.mark.points(3)
def test_rgb_bytes_become_a_model_input_for_mnist_sized_images(lab):
    check_pipeline(lab, RNG.integers(0, 256, size=(5, 28, 28, 3), dtype=np.uint8))


@pytest.mark.skill(PIPELINE)
@pytest.mark.points(1)
def test_one_mnist_sized_rgb_image_becomes_a_batch_of_one(lab):
    check_one_image(lab, RNG.integers(0, 256, size=(28, 28, 3), dtype=np.uint8))


@pytest.mark.skill(GRAYSCALE)
@pytest.mark.points(1)
def test_to_grayscale_of_float64_returns_float32(lab):
    rgb = RNG.random((2, 3, 4, 3))
    gray = lab.to_grayscale(rgb)
    assert gray.shape == (2, 3, 4) and gray.dtype == np.float32
    assert_close(gray, bt601_reference(rgb), rtol=1e-5, atol=1e-6)


@pytest.mark.skill(SCALING)
@pytest.mark.points(1)
def test_normalize_every_byte(lab):
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    scaled = lab.normalize(images)
    assert scaled.shape == images.shape and scaled.dtype == np.float32
    assert_close(scaled, images / 255, rtol=1e-6)


@pytest.mark.skill(AXES)
@pytest.mark.points(1)
def test_axes_keep_values_and_dtype(lab):
    image = RNG.integers(0, 256, size=(9, 7), dtype=np.uint8)
    batch = lab.to_batch(lab.add_channel_axis(image))
    assert batch.shape == (1, 9, 7, 1) and batch.dtype == np.uint8
    assert_same(batch[0, :, :, 0], image)


@pytest.mark.skill(ONE_HOT)
@pytest.mark.points(1)
def test_one_hot_of_int64_labels_with_an_absent_class(lab):
    labels = np.array([2, 2, 0, 1, 2], dtype=np.int64)  # class 3 of 4 never occurs
    assert_same(lab.one_hot(labels, 4), one_hot_reference(labels, 4))
    assert lab.one_hot(labels, 4).dtype == np.float32
