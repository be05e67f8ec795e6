"""cnn_course.models: the chapter 6 architectures, the confusion matrix, the error reduction."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course import models


def test_conv_base_shapes_and_parameters():
    base = models.build_convnet(compile=False).layers[:5]
    assert [tuple(layer.output.shape)[1:] for layer in base] == [
        (26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64)]
    assert sum(layer.count_params() for layer in base) == 55744


def test_convnet_is_the_book_model_and_is_compiled():
    model = models.build_convnet()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense", "Dense"]
    assert model.count_params() == 93322
    assert model.compiled
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    probs = model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)  # softmax


def test_dense_baseline_and_uncompiled_models():
    baseline = models.build_dense_baseline(compile=False)
    assert baseline.count_params() == 407050
    assert not baseline.compiled
    assert not models.build_convnet(compile=False).compiled


def test_compile_must_be_a_bool():
    with pytest.raises(ValueError, match="compile"):
        models.build_convnet(compile="yes")


def test_layer_table_lists_every_layer_and_the_total():
    text = models.layer_table(models.build_convnet(compile=False))
    lines = text.splitlines()
    assert len(lines) == 2 + 8 + 1  # header and rule, the layers, the total
    assert "(None, 3, 3, 64)" in text and lines[-1].endswith("93,322")
    with pytest.raises(ValueError, match="model"):
        models.layer_table("not a model")


def test_confusion_matrix_counts_pairs():
    cm = models.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


@settings(max_examples=20)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=50))
def test_confusion_matrix_sums_and_diagonal(pairs):
    y_true, y_pred = map(np.array, zip(*pairs, strict=True))
    cm = models.confusion_matrix(y_true, y_pred)
    assert cm.sum() == len(pairs)
    assert np.trace(cm) == np.sum(y_true == y_pred)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=10))


def test_error_reduction_of_the_book():
    # Chollet: 97.8% -> 99.3% is "a 68% decrease of the error rate"
    assert models.error_reduction(0.978, 0.993) == pytest.approx(0.6818, abs=1e-4)
    assert models.error_reduction(0.9, 0.9) == pytest.approx(0.0)
