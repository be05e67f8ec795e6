# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.
# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.
"""Lab 5: build and train the MNIST convnet.

Write the three functions that take chapter 6 from a description to a trained network:
the model itself, the data preparation, and training followed by evaluation. Each function
that takes data also checks it: given something it cannot use, it raises ``ValueError``
with a message that names the argument, says what was given and what was expected (the
helpers in ``cnn_course.checks`` do this for you). Check your work in
``lab5_mnist_convnet.ipynb``; the graded tests train your model briefly on a subset, so
they take a few seconds.
"""

import keras
import numpy as np
from keras import layers

from cnn_course.checks import check_dtype, check_positive_int, check_range, check_rank


def build_model():
    """Build chapter 6's convnet, compiled and ready to train.

    The layers, in order (the output shapes include the batch axis, ``None``):

    ====  ======================================  ====================
    #     layer                                   output shape
    ====  ======================================  ====================
    0     Conv2D, 32 filters 3x3, relu            (None, 26, 26, 32)
    1     MaxPooling2D 2x2                        (None, 13, 13, 32)
    2     Conv2D, 64 filters 3x3, relu            (None, 11, 11, 64)
    3     MaxPooling2D 2x2                        (None, 5, 5, 64)
    4     Conv2D, 64 filters 3x3, relu            (None, 3, 3, 64)
    5     Flatten                                 (None, 576)
    6     Dense, 64 units, relu                   (None, 64)
    7     Dense, 10 units, softmax                (None, 10)
    ====  ======================================  ====================

    Start the ``keras.Sequential`` with ``keras.Input((28, 28, 1))`` (an input, not a
    layer: ``model.layers`` lists only the eight layers above).

    Returns
    -------
    keras.Sequential
        The model with 93,322 parameters, **compiled** with the ``"rmsprop"`` optimizer,
        the ``"categorical_crossentropy"`` loss and the ``"accuracy"`` metric (that metric alone), so that
        ``model.fit(x, y)`` works on one-hot labels ``y``.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def prepare(x, y):
    """Turn MNIST as loaded into what the model takes.

    Parameters
    ----------
    x : uint8 array of shape (N, 28, 28)
        Grayscale images, values 0-255, as ``cnn_course.load_mnist()`` returns them.
    y : integer array of shape (N,)
        Class labels 0-9, one per image.

    Returns
    -------
    (x, y) : tuple of two float32 arrays
        ``x`` of shape (N, 28, 28, 1) with values ``x / 255`` in [0, 1] (channels last), and
        ``y`` of shape (N, 10), the one-hot encoding of the labels.

    Raises
    ------
    ValueError
        Naming ``x`` when it is not 3-D, not uint8 or not 28x28 images; naming ``y`` when it
        is not 1-D, not integers, has labels outside 0-9, or does not have one label per image.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def train_and_evaluate(model, train, test, epochs=5, batch_size=64):
    """Train ``model`` on ``train``, then return its accuracy on ``test``.

    Parameters
    ----------
    model : a compiled keras.Model, such as ``build_model()`` returns
    train, test : tuples ``(x, y)`` as ``prepare`` returns them
        ``x`` float32 of shape (N, 28, 28, 1), ``y`` one-hot of shape (N, 10).
    epochs, batch_size : positive ints
        Passes over ``train``, and images per gradient step.

    Returns
    -------
    float
        The fraction of ``test`` images classified correctly, between 0 and 1.

    Raises
    ------
    ValueError
        Naming ``epochs`` or ``batch_size`` when not a positive integer, and ``train`` or
        ``test`` when it is not a pair ``(x, y)`` of 4-D images and 2-D one-hot labels with
        the same number of rows.
    """
    # YOUR CODE HERE
    raise NotImplementedError
