"""TensorFlow as the oracle for the labs' hand-written convolutions, with the labs' signatures.

Shared by the tests of lab 2 (forward) and lab 3 (forward and backward). The labs' tests
take TensorFlow and Keras from here (``from cnn_course.grading.oracles import keras, tf``):
imported on first use, not when a test file is imported, so that collecting a lab's tests
(done in a process of its own before every graded run) and grading a lab that needs no
oracle (lab 1) do not wait the seconds TensorFlow takes to import.
"""

import importlib


class LazyModule:
    """A module imported on its first attribute access: ``tf.constant`` imports TensorFlow."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("_"):  # pytest's collection probes every module-level name
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self):
        return f"<{self._name}, imported on first use>"


tf = LazyModule("tensorflow")
keras = LazyModule("keras")


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
