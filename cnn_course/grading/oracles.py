"""TensorFlow as the oracle for the labs' hand-written convolutions, with the labs' signatures.

Shared by the tests of lab 2 (forward) and lab 3 (forward and backward).
"""

import tensorflow as tf


def tf_conv(x, w, b=None, stride=1, padding="valid"):
    """``conv2d`` by ``tf.nn.conv2d``: x NHWC, w HWIO, stride an int or (s_h, s_w)."""
    y = tf.nn.conv2d(x, w, strides=stride, padding=padding.upper()).numpy()
    return y if b is None else y + b


def tf_conv_grads(dy, x, w, stride=1, padding="valid"):
    """(dx, dw, db) of ``sum((conv2d(x, w) + b) * dy)``, by ``tf.GradientTape``."""
    x, w = tf.constant(x), tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = tf.nn.conv2d(x, w, strides=stride, padding=padding.upper())
    dx, dw = tape.gradient(y, [x, w], output_gradients=tf.constant(dy))
    return dx.numpy(), dw.numpy(), dy.sum(axis=(0, 1, 2))
