"""Array comparisons for the labs' tests whose failure a student can act on.

``assert_close`` and ``assert_same`` take the arguments of NumPy's ``assert_allclose`` and
``assert_array_equal``, and fail with what was compared, where the arrays first differ and
both values there, in three short lines::

    AssertionError: max_pool2d_backward: first difference at index (0, 2, 3, 1): got 0.5, expected 0.75
    12 of 96 values differ (rtol 1e-10, atol 1e-12); the largest difference is 0.3

(NumPy's own message starts with a blank line and prints whole arrays.)
"""

import numpy as np


def assert_close(actual, desired, rtol=1e-7, atol=0, err_msg=""):
    """Fail unless ``actual`` and ``desired`` have one shape and agree within ``rtol`` and ``atol``."""
    _compare(actual, desired, err_msg, lambda a, d: np.isclose(a, d, rtol=rtol, atol=atol, equal_nan=True),
             f"rtol {rtol:g}, atol {atol:g}")


def assert_same(actual, desired, err_msg=""):
    """Fail unless ``actual`` and ``desired`` have one shape and equal values."""
    _compare(actual, desired, err_msg, lambda a, d: (a == d) | (_isnan(a) & _isnan(d)), "exactly")


def _isnan(values):
    return np.isnan(values) if values.dtype.kind in "fc" else np.zeros(values.shape, bool)


def _show(value):
    value = value.item() if hasattr(value, "item") else value
    return f"{value:.8g}" if isinstance(value, float) else repr(value)


def _compare(actual, desired, what, agree, tolerance):
    prefix = f"{what}: " if what else ""
    actual, desired = np.asarray(actual), np.asarray(desired)
    if desired.ndim == 0:  # one value expected everywhere, as NumPy's assertions allow
        desired = np.broadcast_to(desired, actual.shape)
    if desired.shape != actual.shape:
        raise AssertionError(f"{prefix}shape {actual.shape}, expected {desired.shape}")
    same = np.asarray(agree(actual, desired))
    if same.all():
        return
    where = tuple(int(i) for i in np.argwhere(~same)[0])
    differ = int((~same).sum())
    message = (f"{prefix}first difference at index {where}: got {_show(actual[where])}, "
               f"expected {_show(desired[where])}\n"
               f"{differ} of {same.size} values differ ({tolerance})")
    if actual.dtype.kind in "biuf" and desired.dtype.kind in "biuf":
        gap = np.abs(actual.astype(np.float64) - desired.astype(np.float64))[~same]
        if np.isfinite(gap).any():
            message += f"; the largest difference is {np.nanmax(gap):.3g}"
    raise AssertionError(message)
