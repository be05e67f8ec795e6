"""The set-up that every chapter runs in its first (hidden) cell."""

import contextlib
import os


@contextlib.contextmanager
def _silence_stderr_fd():
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ core writes start-up lines ("Could not find cuda drivers ...", with a
    timestamp) straight to fd 2, below Python and before TF_CPP_MIN_LOG_LEVEL applies; a
    notebook would show them, and nbval would see them change on every run.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _ipython():
    """The running IPython shell, or None (a plain Python process, or no IPython installed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def setup_notebook(seed=0):
    """Quiet TensorFlow, draw figures inline, fix the random seeds, make TensorFlow deterministic.

    Rerunning a notebook then gives the same numbers on the same machine, which is what
    lets CI (nbval) compare a fresh run with the outputs committed in the book.
    Call it before anything else imports TensorFlow: the log level is read at import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no C++ info/warning lines
    with _silence_stderr_fd():
        import keras
        import tensorflow as tf
    import matplotlib.pyplot as plt

    shell = _ipython()
    if shell is not None:  # in a notebook, figures go inline even if MPLBACKEND says otherwise
        shell.run_line_magic("matplotlib", "inline")
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow at once
    tf.config.experimental.enable_op_determinism()
    plt.rcParams.update({"figure.dpi": 100, "image.cmap": "gray"})


def glue(name, value, display=True):
    """Glue ``value`` into the book's prose under ``name``, as ``myst_nb.glue`` does.

    The book is built with MyST-NB, which pastes glued values into the text. Colab and
    Binder have no MyST-NB: there the notebook shows the value instead, so a reader who
    runs it sees every number the prose refers to (``name = value``) and every figure.
    A NumPy scalar is glued as the Python number it holds: the prose shows ``213``, never
    ``np.int64(213)``.
    """
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ModuleNotFoundError:
        from IPython.display import display as show

        if display or _is_figure(value):
            show(value)
        else:
            print(f"{name} = {value}")
        return
    myst_glue(name, value, display=display)


def _is_figure(value):
    return type(value).__name__ == "Figure" and hasattr(value, "savefig")
