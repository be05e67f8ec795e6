"""The set-up that every chapter runs in its first (hidden) cell."""

import os


def setup_notebook(seed=0):
    """Quiet TensorFlow's logs, fix the random seeds and make TensorFlow deterministic.

    Rerunning a notebook then gives the same numbers on the same machine, which is what
    lets CI (nbval) compare a fresh run with the outputs committed in the book.
    Call it before anything else imports TensorFlow: the log level is read at import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no C++ info/warning lines
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN reorders sums: not bit-repeatable
    import keras
    import matplotlib.pyplot as plt
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow at once
    tf.config.experimental.enable_op_determinism()
    plt.rcParams.update({"figure.dpi": 100, "image.cmap": "gray"})
