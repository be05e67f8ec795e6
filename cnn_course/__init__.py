"""Helpers shared by the chapters and labs of the course.

Modules, each named for what it holds:

Used everywhere:

- :mod:`cnn_course.notebook` -- the set-up every chapter runs in its hidden first cell.
- :mod:`cnn_course.data` -- loading MNIST, offline or online (chapter 1).
- :mod:`cnn_course.plotting` -- figures that more than one chapter draws.
- :mod:`cnn_course.checks` -- input validation that raises clear ``ValueError`` messages.
- :mod:`cnn_course.labs` -- what a lab notebook calls: its starter, checks, the graded tests.
- :mod:`cnn_course.grading` -- the grading itself: starters, the pytest plugin, the runner.

By topic, in the order the chapters need them:

- :mod:`cnn_course.convolution` -- ``corr2d``, the "valid" cross-correlation (chapters 2 and 5).
- :mod:`cnn_course.conv_figures` -- the sliding window, as figures and a GIF (chapter 2).
- :mod:`cnn_course.conv_arithmetic` -- output sizes and TensorFlow's padding (chapter 3).
- :mod:`cnn_course.explorer` -- the stride-and-padding explorer (chapter 3).
- :mod:`cnn_course.architecture` -- parameter counts, shapes, receptive fields, the volume
  animation (chapter 4); the multiply-adds of a training step (chapters 5 and 7).
- :mod:`cnn_course.gradcheck` -- centred finite-difference gradient checks (chapter 5, labs 3-4).
- :mod:`cnn_course.models` -- the MNIST convnet and the dense baseline (chapter 6, lab 5).
- :mod:`cnn_course.seed_spread` -- chapter 6's accuracies over seeds, as measured by
  ``benchmarks/seed_spread.py`` (its ``seed_spread.json``).
- :mod:`cnn_course.layers` -- the reference layers in NumPy: im2col convolution, max pooling,
  ReLU, dense, softmax with cross-entropy, Keras' Glorot initialisation and RMSprop
  (chapter 7, lab 6; labs 3 and 4 have students write the first two).
- :mod:`cnn_course.numpy_convnet` -- chapter 6's convnet from scratch, trained like Keras
  (chapter 7), and the numbers ``benchmarks/numpy_convnet_benchmark.py`` measured.

TensorFlow is imported only inside the functions that need it, so importing this
package is quick.
"""

from .data import load_mnist
from .notebook import setup_notebook

__all__ = ["load_mnist", "setup_notebook"]
__version__ = "0.1.0"


def __getattr__(name):
    """``cnn_course.labs`` without importing it first (a lab notebook's set-up cell calls
    ``cnn_course.labs.fetch_starter``). Imported on first use rather than above, so that
    ``python -m cnn_course.labs`` does not find it already imported."""
    if name == "labs":
        import importlib

        return importlib.import_module(".labs", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
