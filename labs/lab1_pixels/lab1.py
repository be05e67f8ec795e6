# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.
# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.
"""Lab 1: pixels and tensors.

Write the functions that turn images into the arrays a Keras model expects (chapter 1).
Each one also checks its input: given something it cannot use, it raises ``ValueError``
with a message that names the argument, says what was given and what was expected (the
helpers in ``cnn_course.checks`` do this for you). Check your work in ``lab1_pixels.ipynb``.
"""

import numpy as np

from cnn_course.checks import check_dtype, check_positive_int, check_range, check_rank

# ITU-R BT.601 luma weights: green looks brightest to the eye, blue darkest.
BT601_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_grayscale(rgb):
    """Convert colour images to grayscale with the ITU-R BT.601 weights.

    Parameters
    ----------
    rgb : array of shape (H, W, 3) or (N, H, W, 3), uint8 (0-255) or float
        The red, green and blue channel matrices, channels last.

    Returns
    -------
    float32 array of shape (H, W) or (N, H, W)
        ``0.299 * R + 0.587 * G + 0.114 * B``, on the same scale as the input
        (0-255 for uint8 input).

    Raises
    ------
    ValueError
        naming ``rgb`` if it is not 3-D or 4-D, not uint8 or float, or its last axis does
        not hold 3 channels.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def normalize(images):
    """Scale uint8 pixel values 0-255 to float32 values in [0, 1].

    Parameters
    ----------
    images : uint8 array of any shape

    Returns
    -------
    float32 array of the same shape, ``images / 255``
    """
    # YOUR CODE HERE
    raise NotImplementedError


def add_channel_axis(images):
    """Add a trailing channel axis of size 1 to grayscale images (channels last).

    Parameters
    ----------
    images : array of shape (H, W) or (N, H, W)

    Returns
    -------
    array of shape (H, W, 1) or (N, H, W, 1), same dtype and values

    Raises
    ------
    ValueError
        naming ``images`` if it is neither 2-D nor 3-D.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def to_batch(image):
    """Make one image a batch of one: (H, W, C) -> (1, H, W, C), what ``model.predict`` takes.

    Parameters
    ----------
    image : array of shape (H, W, C)

    Returns
    -------
    array of shape (1, H, W, C), same dtype and values

    Raises
    ------
    ValueError
        naming ``image`` if it is not 3-D.
    """
    # YOUR CODE HERE
    raise NotImplementedError


def one_hot(labels, num_classes):
    """Encode integer class labels as one-hot rows, like ``keras.utils.to_categorical``.

    Parameters
    ----------
    labels : 1-D integer array of shape (N,), values in 0 .. num_classes - 1
    num_classes : positive int

    Returns
    -------
    float32 array of shape (N, num_classes): row i is all zeros but a 1 at ``labels[i]``
    """
    # YOUR CODE HERE
    raise NotImplementedError
