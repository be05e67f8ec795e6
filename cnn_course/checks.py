"""Input validation shared by the labs' solutions and the chapters' helpers.

Every check raises ``ValueError`` with a message that names the argument, says what was
given and what was expected -- the message a student should see when a call is wrong.
"""

import numpy as np


def describe(x):
    """A short description of an array for an error message: shape and dtype."""
    x = np.asarray(x)
    return f"an array of shape {x.shape} and dtype {x.dtype}"


def check_rank(name, x, ranks, meaning=""):
    """Require ``x.ndim`` to be one of ``ranks`` (an int or a tuple of ints)."""
    ranks = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    x = np.asarray(x)
    if x.ndim not in ranks:
        wanted = " or ".join(f"{r}-D" for r in ranks)
        hint = f" {meaning}" if meaning else ""
        raise ValueError(f"{name} must be {wanted}{hint}; got {describe(x)}")
    return x


def check_dtype(name, x, kinds):
    """Require ``x.dtype.kind`` in ``kinds``: "u" unsigned, "i" signed, "f" float, "b" bool."""
    x = np.asarray(x)
    if x.dtype.kind not in kinds:
        names = {"u": "unsigned integer", "i": "integer", "f": "floating-point", "b": "boolean"}
        wanted = " or ".join(names[k] for k in kinds)
        raise ValueError(f"{name} must have a {wanted} dtype; got {describe(x)}")
    return x


def check_range(name, x, low, high):
    """Require every value of ``x`` to lie in the closed interval [low, high]."""
    x = np.asarray(x)
    if x.size and (x.min() < low or x.max() > high):
        raise ValueError(
            f"{name} must have values in [{low}, {high}]; got values from {x.min()} to {x.max()}"
        )
    return x


def check_positive_int(name, value):
    """Require a positive whole number (not a bool)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def check_choice(name, value, choices):
    """Require ``value`` to be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
