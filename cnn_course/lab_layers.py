"""The layers lab 6 is given: the student's own from labs 3 and 4 when they work, else the
course's reference layers.

Lab 6 trains chapter 6's convnet with the student's NumPy code. Its convolution and pooling
are labs 3 and 4's work: :func:`choose_layers` takes ``conv2d`` and ``conv2d_backward`` from a
``lab3.py``, and ``max_pool2d`` and ``max_pool2d_backward`` from a ``lab4.py``, in the given
folder (the working directory), when the file imports and agrees with the reference on a
small test input; otherwise the reference's, from :mod:`cnn_course.layers`. It says which,
and why. The graded tests run ``lab6.py`` alone in an empty folder, so a lab 6 grade never
depends on labs 3 and 4.
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import layers
from .grading.runner import load_module

# The course's reference layers, used when the student's are not there or not working.
REFERENCE = {"conv2d": layers.conv2d, "conv2d_backward": layers.conv2d_backward,
             "max_pool2d": layers.max_pool2d, "max_pool2d_backward": layers.max_pool2d_backward}


class LayerChoice(NamedTuple):
    """What :func:`choose_layers` returns: four functions, and ``report``, the lines saying whose."""

    conv2d: object
    conv2d_backward: object
    max_pool2d: object
    max_pool2d_backward: object
    report: str


def choose_layers(folder="."):
    """The convolution and pooling layers for lab 6: the student's from ``folder/lab3.py`` and
    ``folder/lab4.py`` where they work, else the reference's. Prints nothing; ``report`` says
    which were chosen, and why (``"lab6 uses\n- conv2d and conv2d_backward: yours, from lab3.py\n..."``)."""
    (conv2d, conv2d_backward), conv_line = _choose("lab3.py", ("conv2d", "conv2d_backward"), _conv_works, folder)
    (max_pool2d, max_pool2d_backward), pool_line = _choose(
        "lab4.py", ("max_pool2d", "max_pool2d_backward"), _pool_works, folder)
    return LayerChoice(conv2d, conv2d_backward, max_pool2d, max_pool2d_backward,
                       f"lab6 uses\n- {conv_line}\n- {pool_line}")


def _student_module(filename, folder):
    """Import ``folder/filename`` under a private name; ``(module, None)`` or ``(None, why not)``."""
    path = Path(folder) / filename
    if not path.is_file():
        return None, f"no {filename} in the working directory"
    try:
        return load_module(path, f"_lab6_uses_{path.stem}"), None
    except (Exception, SystemExit) as error:
        return None, f"{filename} could not be imported ({type(error).__name__}: {error})"


def _agrees(ours, expected):
    ours = np.asarray(ours)
    return ours.shape == expected.shape and np.allclose(ours, expected, rtol=1e-4, atol=1e-5)


def _conv_works(module):
    """None if ``module``'s conv2d and conv2d_backward match the reference on a small input."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 5, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    dy = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    if not _agrees(module.conv2d(x, w, b), REFERENCE["conv2d"](x, w, b)):
        return "its conv2d gives a wrong result on a small test input"
    grads = module.conv2d_backward(dy, x, w)
    expected = REFERENCE["conv2d_backward"](dy, x, w)
    if len(grads) != len(expected):
        return f"its conv2d_backward returns {len(grads)} arrays, not the 3 gradients (dx, dw, db)"
    if not all(_agrees(g, r) for g, r in zip(grads, expected, strict=True)):
        return "its conv2d_backward gives a wrong result on a small test input"
    return None


def _pool_works(module):
    """None if ``module``'s max_pool2d and max_pool2d_backward match the reference on a small input."""
    x = np.random.default_rng(1).permutation(50).reshape(1, 5, 5, 2).astype(np.float32)  # no ties
    dy = np.random.default_rng(2).standard_normal((1, 2, 2, 2)).astype(np.float32)
    y, cache = module.max_pool2d(x, 2)
    ref_y, ref_cache = REFERENCE["max_pool2d"](x, 2)
    if not _agrees(y, ref_y):
        return "its max_pool2d gives a wrong result on a small test input"
    if not _agrees(module.max_pool2d_backward(dy, cache), REFERENCE["max_pool2d_backward"](dy, ref_cache)):
        return "its max_pool2d_backward gives a wrong result on a small test input"
    return None


def _choose(filename, names, works, folder="."):
    """The functions ``names`` from ``folder/filename`` if they work, else the reference's;
    and a line saying which, and why."""
    module, problem = _student_module(filename, folder)
    if module is not None:
        try:
            problem = works(module)
        except NotImplementedError:
            problem = f"{filename} is not finished (NotImplementedError)"
        except Exception as error:  # the student's bug: fall back, and say what it was
            problem = f"{filename} raised {type(error).__name__}: {error}"
    listed = " and ".join(names)
    if problem is None:
        return [getattr(module, n) for n in names], f"{listed}: yours, from {filename}"
    return [REFERENCE[n] for n in names], f"{listed}: the course's reference ({problem})"
