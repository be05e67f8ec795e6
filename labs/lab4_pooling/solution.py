"""Lab 4: max and average pooling, forward and backward.

Write the pooling layers of chapter 5 from scratch in NumPy, channels last (NHWC) like
``tf.nn.max_pool2d`` and ``tf.nn.avg_pool2d``, and their backward passes. As in CS231n,
each forward function returns ``(y, cache)``: ``y`` is the pooled output and ``cache`` is
whatever your backward function needs later (a dict is convenient; nobody but your own
``*_backward`` reads it). The backward function takes the upstream gradient ``dy = dL/dy``
and the cache and returns ``dx = dL/dx``.

Padding follows TensorFlow: ``"valid"`` adds none; ``"same"`` makes the output
``ceil(n / stride)`` long and splits the padding as ``cnn_course.conv_arithmetic.padding_amounts``
does (the odd cell goes after). Padded cells are never the maximum of a max-pooling window,
and average pooling averages only over the real (unpadded) cells of each window.

Each function checks its input: given something it cannot use, it raises ``ValueError``
with a message that names the argument, says what was given and what was expected (use
``cnn_course.checks``). Check your work in ``lab4_pooling.ipynb``, then grade it with the
notebook's last cell, ``cnn_course.labs.run_tests("lab4")``, or from a terminal with
``python -m cnn_course.labs grade lab4 lab4.py``.
"""

import numpy as np

from cnn_course.checks import check_choice, check_dtype, check_positive_int, check_rank, describe
from cnn_course.conv_arithmetic import PADDINGS, output_size, padding_amounts


def pool_geometry(x_shape, pool_size=2, stride=None, padding="valid"):
    """Work out and check the geometry of a pooling layer on an input of shape ``x_shape``.

    Parameters
    ----------
    x_shape : tuple of 4 ints, (N, H, W, C)
    pool_size : positive int or pair of positive ints (ph, pw)
        The window; an int ``p`` means ``(p, p)``.
    stride : positive int, pair of positive ints, or None
        ``None`` means the stride equals ``pool_size`` (windows that tile, as in Keras).
    padding : "valid" or "same"

    Returns
    -------
    dict with the keys
        ``"pool"``: (ph, pw); ``"stride"``: (sh, sw);
        ``"pad"``: ((top, bottom), (left, right)), zeros TensorFlow adds;
        ``"out"``: (Ho, Wo), the output's height and width.

    Raises
    ------
    ValueError
        naming ``pool_size``, ``stride`` or ``padding`` when one is not valid, or
        ``pool_size`` when, with "valid" padding, the window is larger than the input.
    """
    # BEGIN SOLUTION
    def pair(name, value):  # an int, or a pair of ints, -> a pair of positive ints
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ValueError(f"{name} must be a positive int or a pair of them; got {value!r}")
            return tuple(check_positive_int(name, v) for v in value)
        return (check_positive_int(name, value),) * 2

    pool = pair("pool_size", pool_size)
    stride = pool if stride is None else pair("stride", stride)
    check_choice("padding", padding, PADDINGS)
    _, H, W, _ = x_shape
    if padding == "valid" and (pool[0] > H or pool[1] > W):
        raise ValueError(f"pool_size must fit in the input with 'valid' padding: got a "
                         f"{pool[0]}x{pool[1]} window for a {H}x{W} input")
    pad = tuple(padding_amounts(n, f, s, padding) for n, f, s in zip((H, W), pool, stride, strict=True))
    out = tuple(output_size(n, f, s, padding) for n, f, s in zip((H, W), pool, stride, strict=True))
    return {"pool": pool, "stride": stride, "pad": pad, "out": out}
    # END SOLUTION


def _offsets(geo):
    """Given (not for you to write): the slices of every offset (a, b) inside a window.

    ``geo`` is what :func:`pool_geometry` returns. Yields ``(rows, cols)`` for each offset
    in row-major order; ``xp[:, rows, cols]`` of the padded input ``xp`` is then an array
    of shape (N, Ho, Wo, C) holding cell (a, b) of every window.
    """
    (ph, pw), (sh, sw), (Ho, Wo) = geo["pool"], geo["stride"], geo["out"]
    for a in range(ph):
        for b in range(pw):
            yield slice(a, a + sh * (Ho - 1) + 1, sh), slice(b, b + sw * (Wo - 1) + 1, sw)


def max_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """Max pooling, forward: the largest value of each window, channel by channel.

    Parameters
    ----------
    x : float array of shape (N, H, W, C)
    pool_size, stride, padding : as in :func:`pool_geometry`

    Returns
    -------
    y : array of shape (N, Ho, Wo, C), the dtype of ``x``; matches
        ``tf.nn.max_pool2d(x, pool_size, stride, padding.upper())``
    cache : what :func:`max_pool2d_backward` needs (for example where each maximum was)

    Raises
    ------
    ValueError
        naming ``x`` if it is not 4-D or not floating point, and as :func:`pool_geometry`.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 4, "(N, H, W, C), channels last")
    check_dtype("x", x, "f")
    geo = pool_geometry(x.shape, pool_size, stride, padding)
    # -inf padding: a padded cell can never be a window's maximum.
    xp = np.pad(x, ((0, 0), *geo["pad"], (0, 0)), constant_values=-np.inf)
    # One slice per offset (a, b) inside the window holds that cell of every window at once:
    # looping over the ph * pw offsets, not the Ho * Wo windows, keeps NumPy vectorised.
    windows = np.stack([xp[:, rows, cols] for rows, cols in _offsets(geo)])  # (ph*pw, N, Ho, Wo, C)
    # argmax keeps the first maximum in row-major window order, as TensorFlow's gradient does.
    where = np.argmax(windows, axis=0)                  # the mask, as an index per window
    y = np.take_along_axis(windows, where[np.newaxis], axis=0)[0]
    return y, {"x_shape": x.shape, "dtype": x.dtype, "geo": geo, "where": where}
    # END SOLUTION


def max_pool2d_backward(dy, cache):
    """Max pooling, backward: each window's gradient goes to its maximum alone.

    When several cells of a window tie for its maximum (ReLU outputs tie at 0 all the time),
    the gradient goes to the first of them in row-major order (row by row, then along the
    row), as TensorFlow's does. Another choice would not be wrong (see the notebook's *To
    think about*); this one lets your gradient be compared with TensorFlow's.

    Parameters
    ----------
    dy : float array of shape (N, Ho, Wo, C), the gradient of the loss with respect to ``y``
    cache : the cache :func:`max_pool2d` returned with ``y``

    Returns
    -------
    dx : array of shape (N, H, W, C), the dtype of ``x``. Where windows overlap
        (stride < pool_size), an input that is the maximum of several windows receives
        the sum of their gradients.

    Raises
    ------
    ValueError
        naming ``dy`` if it is not a float array of the shape of ``y``.
    """
    # BEGIN SOLUTION
    dy = check_dtype("dy", dy, "f")
    N, H, W, C = cache["x_shape"]
    if dy.shape != (N, *cache["geo"]["out"], C):
        raise ValueError(f"dy must have the shape of the forward output, "
                         f"{(N, *cache['geo']['out'], C)}; got {describe(dy)}")
    (top, bottom), (left, right) = cache["geo"]["pad"]
    dxp = np.zeros((N, H + top + bottom, W + left + right, C), dtype=cache["dtype"])
    for k, (rows, cols) in enumerate(_offsets(cache["geo"])):
        # the mask: offset k gets the gradient of the windows whose maximum it holds;
        # += because overlapping windows add up
        dxp[:, rows, cols] += np.where(cache["where"] == k, dy, 0)
    return dxp[:, top:top + H, left:left + W]
    # END SOLUTION


def avg_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """Average pooling, forward: the mean of each window, channel by channel.

    With "same" padding the padded cells are left out of the mean: a window that holds
    only ``k`` real cells is divided by ``k``, as ``tf.nn.avg_pool2d`` does.

    Parameters
    ----------
    x : float array of shape (N, H, W, C)
    pool_size, stride, padding : as in :func:`pool_geometry`

    Returns
    -------
    y : array of shape (N, Ho, Wo, C), the dtype of ``x``; matches
        ``tf.nn.avg_pool2d(x, pool_size, stride, padding.upper())``
    cache : what :func:`avg_pool2d_backward` needs

    Raises
    ------
    ValueError
        naming ``x`` if it is not 4-D or not floating point, and as :func:`pool_geometry`.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 4, "(N, H, W, C), channels last")
    check_dtype("x", x, "f")
    geo = pool_geometry(x.shape, pool_size, stride, padding)
    xp = np.pad(x, ((0, 0), *geo["pad"], (0, 0)))
    # How many real cells each window holds: pool the indicator of "not padding".
    real = np.pad(np.ones((1, *x.shape[1:3], 1), dtype=x.dtype), ((0, 0), *geo["pad"], (0, 0)))
    total, count = 0, 0
    for rows, cols in _offsets(geo):
        total = total + xp[:, rows, cols]
        count = count + real[:, rows, cols]             # (1, Ho, Wo, 1)
    y = total / count
    return y.astype(x.dtype), {"x_shape": x.shape, "dtype": x.dtype, "geo": geo, "count": count}
    # END SOLUTION


def avg_pool2d_backward(dy, cache):
    """Average pooling, backward: each window's gradient is shared equally by its real cells.

    Parameters
    ----------
    dy : float array of shape (N, Ho, Wo, C)
    cache : the cache :func:`avg_pool2d` returned with ``y``

    Returns
    -------
    dx : array of shape (N, H, W, C), the dtype of ``x``

    Raises
    ------
    ValueError
        naming ``dy`` if it is not a float array of the shape of ``y``.
    """
    # BEGIN SOLUTION
    dy = check_dtype("dy", dy, "f")
    N, H, W, C = cache["x_shape"]
    if dy.shape != (N, *cache["geo"]["out"], C):
        raise ValueError(f"dy must have the shape of the forward output, "
                         f"{(N, *cache['geo']['out'], C)}; got {describe(dy)}")
    (top, bottom), (left, right) = cache["geo"]["pad"]
    dxp = np.zeros((N, H + top + bottom, W + left + right, C), dtype=cache["dtype"])
    share = dy / cache["count"]  # each real cell of a window gets 1/count of its gradient
    for rows, cols in _offsets(cache["geo"]):
        dxp[:, rows, cols] += share
    return dxp[:, top:top + H, left:left + W]
    # END SOLUTION

