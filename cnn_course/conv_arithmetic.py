"""Convolution arithmetic: output sizes and TensorFlow's padding (chapter 3).

One place for the formula ``floor((n + 2p - f) / s) + 1`` and for the way TensorFlow
splits "same" padding, so chapters, labs and tests cannot disagree about a shape.
Lab 2 asks students to write their own ``output_size`` and ``pad``; these are the
reference the chapters and later labs use.
"""

from .checks import check_choice, check_positive_int

PADDINGS = ("valid", "same")


def output_size(n, f, stride=1, padding="valid"):
    """Length of a convolution's (or pooling's) output along one axis of length ``n``.

    ``padding`` is ``"valid"`` (no padding), ``"same"`` (TensorFlow's: output ``ceil(n / s)``)
    or an int ``p``, zeros added on each side, for the textbook ``floor((n + 2p - f) / s) + 1``.
    Raises ``ValueError`` when the window is larger than the padded input.
    """
    n = check_positive_int("n", n)
    f = check_positive_int("f", f)
    stride = check_positive_int("stride", stride)
    if padding == "same":
        return -(-n // stride)  # ceil(n / stride)
    if padding == "valid":
        p = 0
    elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        p = padding
    else:
        raise ValueError(f"padding must be 'valid', 'same' or a non-negative int; got {padding!r}")
    if f > n + 2 * p:
        raise ValueError(f"f (the window, {f}) must not be larger than the padded input "
                         f"(n + 2p = {n + 2 * p})")
    return (n + 2 * p - f) // stride + 1


def same_padding(n, f, stride=1):
    """The zeros TensorFlow adds before and after an axis of length ``n`` for "same" padding.

    The total is whatever makes the output ``ceil(n / stride)`` long; when it is odd, the
    extra zero goes after (bottom/right). Returns ``(before, after)``.
    """
    out = output_size(n, f, stride, "same")
    total = max((out - 1) * stride + f - n, 0)
    return total // 2, total - total // 2


def padding_amounts(n, f, stride, padding):
    """``(before, after)`` zeros for ``padding`` in ``PADDINGS``: (0, 0) for "valid"."""
    check_choice("padding", padding, PADDINGS)
    return same_padding(n, f, stride) if padding == "same" else (0, 0)
