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
    training_madds,
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


def test_training_madds_of_the_mnist_model(mnist_model):
    # Chapters 5 and 7 both count with this: forward; dK; dX at the forward's cost, but none
    # for the first layer, whose input is the image.
    rows = training_madds(mnist_model)
    forward = [26 * 26 * 9 * 1 * 32, 0, 11 * 11 * 9 * 32 * 64, 0, 3 * 3 * 9 * 64 * 64, 0, 576 * 64, 64 * 10]
    assert [r[0] for r in rows] == [layer.name for layer in mnist_model.layers]
    assert [r[2] for r in rows] == forward
    assert [r[3] for r in rows] == [forward[0]] + [2 * f for f in forward[1:]]
    assert sum(r[2] + r[3] for r in rows) == 8_188_032


def _dx_products(h, w, k, s):
    """Products dY[i, j]·K[u, v] in dX[p, q] = sum dY[i, j] K[p - s i, q - s j], by brute force
    (one input and one output channel, "valid")."""
    h_o, w_o = (h - k) // s + 1, (w - k) // s + 1
    return sum(0 <= p - s * i < k and 0 <= q - s * j < k
               for p in range(h) for q in range(w) for i in range(h_o) for j in range(w_o))


@pytest.mark.parametrize("stride", [1, 2])
def test_training_madds_counts_dx_at_the_forward_cost(stride):
    import keras
    model = keras.Sequential([keras.Input(shape=(9, 8, 3)),
                              keras.layers.Conv2D(4, 3, strides=stride, padding="valid"),
                              keras.layers.Conv2D(5, (3, 2), strides=stride, padding="same")])
    (_, _, fwd1, bwd1), (_, _, fwd2, bwd2) = training_madds(model)
    h_o, w_o = model.layers[0].output.shape[1:3]
    assert fwd1 == h_o * w_o * 9 * 3 * 4 and bwd1 == fwd1  # the first layer: dK only
    assert bwd2 == 2 * fwd2
    # dX's products with an entry of dY, counted one by one, are the forward's products:
    assert _dx_products(9, 8, 3, stride) * 3 * 4 == fwd1
    # a padded correlation over all H x W inputs does more (it multiplies the zeros too)
    assert 9 * 8 * 9 * 3 * 4 > fwd1


def test_training_madds_refuses_layers_it_cannot_count():
    import keras
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.BatchNormalization()])
    with pytest.raises(ValueError, match="BatchNormalization"):
        training_madds(model)


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
