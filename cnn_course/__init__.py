"""Helpers shared by the chapters and labs of the course.

Modules, each named for what it holds:

- :mod:`cnn_course.data` -- loading MNIST, offline or online (chapter 1).
- :mod:`cnn_course.notebook` -- the set-up every chapter runs in its hidden first cell.
- :mod:`cnn_course.plotting` -- figures that more than one chapter draws.
- :mod:`cnn_course.checks` -- input validation that raises clear ``ValueError`` messages.
- :mod:`cnn_course.labs` -- generating lab starters from solutions, and notebook checks.

TensorFlow is imported only inside the functions that need it, so importing this
package is quick.
"""

from .data import load_mnist
from .notebook import setup_notebook

__all__ = ["load_mnist", "setup_notebook"]
__version__ = "0.1.0"
