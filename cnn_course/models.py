"""The models of chapter 6 and lab 5: the small MNIST convnet and the dense baseline.

Both follow Chollet's *Deep Learning with Python* (2017), section 5.1, written the Keras 3
way (``keras.Input`` rather than ``input_shape=``). Inputs are NHWC batches of
``(N, 28, 28, 1)`` float32 images scaled to [0, 1]; outputs are ``(N, 10)`` softmax
probabilities. Also here: the numbers chapter 6 computes from a trained model (a confusion
matrix, the relative reduction of the error rate) and a compact, stable layer table.
Keras is imported inside the functions, so importing this module is quick.
"""

import numpy as np

from .architecture import format_table

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _compile(model, compile):
    if not isinstance(compile, (bool, np.bool_)):
        raise ValueError(f"compile must be True or False; got {compile!r}")
    if compile:
        # The book's choice: RMSprop with its defaults, cross-entropy against one-hot labels.
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _conv_layers():
    """Fresh conv-base layers (a layer belongs to one model, so each model gets its own)."""
    from keras import layers

    return [
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
    ]


def build_convnet(compile=True):
    """The chapter's convnet: the conv base, then Flatten, Dense(64, relu), Dense(10, softmax).

    Input ``(None, 28, 28, 1)``; output ``(None, 10)``; 93,322 parameters: the conv base,
    three Conv2D layers with two MaxPooling2D between (55,744 parameters; sides 28 -> 26 ->
    13 -> 11 -> 5 -> 3), followed by the classifier, in one flat
    ``keras.Sequential`` (so ``model.layers[i]`` is the i-th layer of the book's listing).
    With ``compile=True`` (the default) it is compiled with RMSprop, categorical
    cross-entropy and accuracy, ready for ``fit`` on one-hot labels.
    """
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(INPUT_SHAPE), *_conv_layers(),
                              layers.Flatten(),
                              layers.Dense(64, activation="relu"),
                              layers.Dense(NUM_CLASSES, activation="softmax")], name="convnet")
    return _compile(model, compile)


def build_dense_baseline(compile=True):
    """The densely connected baseline: Flatten, Dense(512, relu), Dense(10, softmax).

    Takes the same ``(None, 28, 28, 1)`` images as the convnet (it flattens them itself, to
    784 values); output ``(None, 10)``; 407,050 parameters. Compiled like
    :func:`build_convnet` when ``compile=True``.
    """
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ], name="dense_baseline")
    return _compile(model, compile)


def layer_table(model):
    """The layers of a built Keras model as text: name, type, output shape, parameters.

    A compact stand-in for ``model.summary()``, whose box drawing and column widths change
    between Keras versions; this text depends only on the architecture. The last line is
    the total parameter count.
    """
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        raise ValueError(f"model must be a built Keras model; got {type(model).__name__}")
    rows = [(layer.name, type(layer).__name__, str(tuple(layer.output.shape)),
             f"{layer.count_params():,}") for layer in model.layers]
    rows.append(("total", "", "", f"{model.count_params():,}"))
    return format_table(["layer", "type", "output shape", "params"], rows, align="<<<>")


def confusion_matrix(y_true, y_pred, num_classes=NUM_CLASSES):
    """Count each (true class, predicted class) pair.

    Parameters
    ----------
    y_true, y_pred : 1-D integer arrays of shape (N,), values in 0 .. num_classes - 1
    num_classes : positive int

    Returns
    -------
    int64 array of shape (num_classes, num_classes): entry [i, j] counts the examples of
    class i predicted as j, so the diagonal holds the correct answers.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)  # add.at counts repeated pairs; fancy += would not
    return counts


def error_reduction(accuracy_before, accuracy_after):
    """The relative reduction of the error rate going from one accuracy to a better one.

    ``1 - (1 - accuracy_after) / (1 - accuracy_before)``: from 98% to 99% accuracy the error
    falls from 2% to 1%, a reduction of 50%. Both accuracies are numbers in [0, 1],
    ``accuracy_before`` below 1 (a perfect model leaves no error to reduce).
    """
    return 1.0 - (1.0 - float(accuracy_after)) / (1.0 - float(accuracy_before))
