"""Centred finite-difference gradient checks (chapter 5, lab 3 and lab 4).

A hand-written backward pass is trusted only once it agrees with a numerical gradient.
For a function ``f`` whose output ``Y = f(X)`` is an array, we check the gradient of the
scalar ``L = sum(f(X) * dY)`` -- the loss whose upstream gradient is exactly ``dY`` -- so
one call tests the whole vector-Jacobian product a backward pass computes.

- :func:`numerical_gradient` -- ``dL/dX`` by centred differences, one entry at a time.
- :func:`relative_error` -- the CS231n-style comparison of two gradients.
"""

import numpy as np

from .checks import check_dtype, describe


def numerical_gradient(f, x, dy=None, h=1e-6):
    """Centred finite-difference gradient of ``sum(f(x) * dy)`` with respect to ``x``.

    Each entry is ``(L(x + h e_i) - L(x - h e_i)) / (2 h)``, whose error is O(h^2)
    (a one-sided difference is only O(h)), so in float64 with ``h=1e-6`` it agrees with an
    exact gradient to about 1e-9 or better for smooth functions.

    Args:
        f: a function of one array, returning an array (or a scalar) ``Y``. It is called
            ``2 * x.size + 1`` times with arrays of the shape of ``x``.
        x: float64 array of any shape ``S``; it is not modified.
        dy: the upstream gradient, an array of the shape of ``f(x)``; ``None`` means ones,
            that is the gradient of ``sum(f(x))``.
        h: the step, a positive float.

    Returns:
        float64 array of shape ``S``: the numerical ``dL/dx``.

    Raises:
        ValueError: if ``f`` is not callable, ``x`` is not a float64 array, ``h`` is not
            positive, or ``dy`` does not have the shape of ``f(x)``.
    """
    if not callable(f):
        raise ValueError(f"f must be a callable taking one array; got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        # float32 differences of size 1e-6 are pure round-off: insist on float64.
        raise ValueError(f"x must be a float64 numpy array; got {describe(x)}")
    if isinstance(h, bool) or not isinstance(h, (int, float, np.floating)) or not h > 0:
        raise ValueError(f"h must be a positive float; got {h!r}")
    x = x.copy()  # perturb a private copy, so the caller's array never changes
    y = np.asarray(f(x), dtype=np.float64)
    if dy is None:
        dy = np.ones_like(y)
    else:
        dy = check_dtype("dy", dy, "fiub").astype(np.float64)
        if dy.shape != y.shape:
            raise ValueError(
                f"dy must have the shape of f(x), {y.shape}; got {describe(dy)}"
            )
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views, so edits reach x and grad
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = np.sum(np.asarray(f(x), dtype=np.float64) * dy)
        flat[i] = old - h
        minus = np.sum(np.asarray(f(x), dtype=np.float64) * dy)
        flat[i] = old  # restore before the next entry
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    The CS231n measure: about 1e-7 or less means the gradients agree; 1e-2 or more
    means a bug. The floor 1e-8 keeps entries where both are (near) zero from dividing
    by zero.

    Args:
        a, b: numeric arrays of the same shape (any shape, possibly empty).

    Returns:
        A Python float, 0.0 for empty arrays.

    Raises:
        ValueError: if the shapes differ or either is not numeric.
    """
    a = check_dtype("a", a, "fiub").astype(np.float64)
    b = check_dtype("b", b, "fiub").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b must have the shape of a, {a.shape}; got {describe(b)}")
    if a.size == 0:
        return 0.0
    err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(err.max())
