"""Lab 5's hidden tests: graded, never released to students (``cnn_course.labs.run_tests``
leaves them out; the instructor's ``grade`` runs them). Other sizes, settings and dtypes
than the public tests."""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close
from cnn_course.grading.oracles import keras

from test_lab5 import BUILD, PREPARE, TRAINING, check_prepared, check_training, tiny_model

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(120)]


@pytest.mark.skill(BUILD)
@pytest.mark.points(1)
def test_the_model_outputs_probabilities(lab):
    model = lab.build_model()
    x = np.random.default_rng(505).random((5, 28, 28, 1)).astype(np.float32)
    p = np.asarray(model(x))
    assert p.shape == (5, 10), f"expected shape (5, 10), got {p.shape}"
    assert (p >= 0).all(), "expected probabilities, got negative outputs"
    assert_close(p.sum(axis=1), 1, rtol=1e-5, err_msg="each row must sum to 1")


@pytest.mark.skill(TRAINING)
@pytest.mark.points(1)
def test_train_and_evaluate_with_one_epoch_in_odd_batches(lab):
    rng = np.random.default_rng(506)
    x = rng.random((30, 28, 28, 1)).astype(np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, 30), 10)
    x_test = rng.random((11, 28, 28, 1)).astype(np.float32)
    y_test = keras.utils.to_categorical(rng.integers(0, 10, 11), 10)
    check_training(lab, tiny_model(), (x, y), (x_test, y_test), epochs=1, batch_size=7)


@pytest.mark.skill(PREPARE)
@pytest.mark.points(1)
def test_prepare_int64_labels_and_a_few_images(lab):
    rng = np.random.default_rng(507)
    x = rng.integers(0, 256, (7, 28, 28)).astype(np.uint8)
    check_prepared(lab, x, np.array([9, 3, 3, 0, 1, 8, 2], dtype=np.int64))
