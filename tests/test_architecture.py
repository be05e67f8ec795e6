"""cnn_course.architecture: parameter counts, shapes and receptive fields agree with Keras."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnn_course.architecture import (
    conv_params,
    dense_params,
    draw_conv_volumes,
    format_table,
    layer_windows,
    receptive_fields,
    trace_shapes,
)


@pytest.fixture(scope="module")
def mnist_model():
    """The course's MNIST convnet (chapters 4 and 6)."""
    import keras
    from keras import layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax"),
    ])


def test_parameter_counts_match_keras(mnist_model):
    ours = [conv_params(3, 1, 32), 0, conv_params(3, 32, 64), 0, conv_params(3, 64, 64), 0,
            dense_params(576, 64), dense_params(64, 10)]
    assert ours == [layer.count_params() for layer in mnist_model.layers]
    assert ours == [320, 0, 18_496, 0, 36_928, 0, 36_928, 650]
    assert sum(ours) == mnist_model.count_params() == 93_322
    assert conv_params(3, 2, 4, bias=False) == 72 and dense_params(3, 2, bias=False) == 6


def test_shapes_match_keras(mnist_model):
    rows = trace_shapes(mnist_model, 28)
    assert [keras_side for _, keras_side, _ in rows] == [26, 13, 11, 5, 3]
    assert all(keras_side == formula_side for _, keras_side, formula_side in rows)
    assert [(f, s) for _, f, s, _ in layer_windows(mnist_model)] == [(3, 1), (2, 2)] * 2 + [(3, 1)]


def test_receptive_fields_of_the_mnist_model():
    assert receptive_fields([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]) == [
        (3, 1), (4, 2), (8, 2), (10, 4), (18, 4)]
    assert receptive_fields([]) == []


def test_receptive_field_matches_gradient_support():
    """A unit's gradient wrt the input is nonzero exactly on its receptive field
    (ones kernels, no activation, average pooling: nothing cancels or is switched off)."""
    import tensorflow as tf
    stack = [(3, 1), (2, 2), (3, 1)]
    r, j = receptive_fields(stack)[-1]
    x = tf.Variable(tf.ones((1, 16, 16, 1)))
    with tf.GradientTape() as tape:
        y = tf.nn.conv2d(x, tf.ones((3, 3, 1, 1)), 1, "VALID")
        y = tf.nn.avg_pool2d(y, 2, 2, "VALID")
        y = tf.nn.conv2d(y, tf.ones((3, 3, 1, 1)), 1, "VALID")
        unit = y[0, 1, 2, 0]
    support = np.argwhere(tape.gradient(unit, x)[0, :, :, 0].numpy() != 0)
    assert (support.min(0).tolist(), (support.max(0) + 1).tolist()) == ([j, 2 * j], [j + r, 2 * j + r])



def test_format_table_rejects_ragged_rows():  # layer_table (lab 5) relies on it
    with pytest.raises(ValueError, match="^rows"):
        format_table(["a", "b"], [[1]])


def test_format_table_aligns_columns():
    text = format_table(["layer", "params"], [["conv1", "320"], ["dense", "36,928"]], align="<>")
    assert text.splitlines() == ["layer  params", "-----  ------", "conv1     320",
                                 "dense  36,928"]


def test_volume_figure_labels_the_output_volume():
    fig = draw_conv_volumes(6, 3, 3, 2)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "output 4×4×2" in labels and "2 filters 3×3×3" in labels
    plt.close(fig)


def test_volume_gif_is_animated_finite_and_repeatable(tmp_path):
    from PIL import Image

    from cnn_course.architecture import volume_conv_gif

    frames = volume_conv_gif(tmp_path / "a.gif", n=4, c_in=2, f=3, n_f=2, dpi=30)
    volume_conv_gif(tmp_path / "b.gif", n=4, c_in=2, f=3, n_f=2, dpi=30)
    assert frames == 2 * 2 * 2 + 2  # two filters at four positions, the end twice
    assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes()
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames > 1 and gif.info["loop"] == 2  # three plays, then it stops


def test_the_books_volume_gif_stops():
    from pathlib import Path

    from PIL import Image

    with Image.open(Path(__file__).parent.parent / "chapters/figures/conv_volume.gif") as gif:
        assert gif.n_frames > 1 and gif.info.get("loop", 0) > 0
