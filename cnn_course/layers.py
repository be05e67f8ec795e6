"""The reference layers of the course, in NumPy: what chapter 7's convnet is built from.

Labs 3 and 4 ask students to write the convolution (by im2col) and the pooling layers;
their solutions stay in the labs, as a student's answers. This module is the course's own
reference for the same functions, with the same arguments and semantics, plus the layers
a whole network needs (ReLU, dense, softmax with cross-entropy), Keras' initialiser and
Keras' RMSprop. Chapter 7, lab 6 and ``benchmarks/numpy_convnet_benchmark.py`` use it.

Conventions, as in ``tf.nn``: images are NHWC ``(N, H, W, C)``, convolution kernels HWIO
``(f_h, f_w, C_in, C_out)``, dense weights ``(n_in, n_out)``. Every function keeps the
dtype of its inputs (float32 in, float32 out: no silent upcast to float64) and raises
``ValueError`` naming the argument, what was given and what was expected (``cnn_course.checks``).

Forward functions that need to remember something for the backward pass either take it
again as arguments (``conv2d_backward(dy, x, w)``, as in lab 3) or return a cache
(``max_pool2d``, as in lab 4).
"""

import math

import numpy as np

from .checks import check_choice, check_dtype, check_positive_int, check_rank, describe
from .conv_arithmetic import PADDINGS, output_size, padding_amounts

# ---------------------------------------------------------------- convolution (lab 3)


def _check_window(x, f_h, f_w, stride, padding, name="f_h and f_w"):
    """Check a sliding window over ``x``; return ``(x, stride, (H_out, W_out), pads)``.

    ``pads`` is ``((top, bottom), (left, right))``, TensorFlow's zeros for ``padding``.
    """
    x = check_dtype("x", check_rank("x", x, 4, "(N, H, W, C), channels last"), "f")
    f_h, f_w = check_positive_int("f_h", f_h), check_positive_int("f_w", f_w)
    stride = check_positive_int("stride", stride)
    check_choice("padding", padding, PADDINGS)
    H, W = x.shape[1:3]
    if padding == "valid" and (f_h > H or f_w > W):
        raise ValueError(f"{name} (a {f_h}x{f_w} window) must fit inside the {H}x{W} images of x "
                         f"with padding='valid'; got x of shape {x.shape}")
    return (x, stride, *_geometry(x.shape, f_h, f_w, stride, padding))


def _pad(x, pads, value=0.0):
    """``x`` with ``pads`` added around its two spatial axes (``x`` itself when none)."""
    if not any(a or b for a, b in pads):
        return x
    return np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def _windows(xp, f_h, f_w, stride, out):
    """A view of the padded input ``xp``, ``(N, H_out, W_out, f_h, f_w, C)``, no copy.

    ``view[n, i, j, di, dj, c]`` is ``xp[n, stride * i + di, stride * j + dj, c]``: the
    window under output pixel ``(i, j)``. Windows overlap in memory, so the view must only
    be written one offset ``(di, dj)`` at a time (as ``_unpatch`` does).
    """
    n, h, w, c = xp.strides
    shape = (xp.shape[0], *out, f_h, f_w, xp.shape[3])
    return np.lib.stride_tricks.as_strided(xp, shape, (n, stride * h, stride * w, h, w, c))


def _patches(x, f_h, f_w, stride, out, pads):
    """The patch matrix of an already checked input: one row per output pixel."""
    view = _windows(_pad(x, pads), f_h, f_w, stride, out)
    return view.reshape(-1, f_h * f_w * x.shape[3])  # the one copy: the windows, row by row


def _unpatch(blocks, x_shape, f_h, f_w, stride, out, pads):
    """Add patches back onto the pixels they came from: the adjoint of ``_patches``.

    ``blocks[k]``, for the kernel offset ``(di, dj) = divmod(k, f_w)``, is an array
    ``(N, H_out, W_out, C)``: that offset's entry of every window.
    """
    N, H, W, C = x_shape
    (top, bottom), (left, right) = pads
    dxp = np.zeros((N, H + top + bottom, W + left + right, C), dtype=blocks[0].dtype)
    view = _windows(dxp, f_h, f_w, stride, out)
    # One kernel offset at a time: within an offset no two windows share a pixel, across
    # offsets they do, and those contributions must add up.
    for k, (di, dj) in enumerate(np.ndindex(f_h, f_w)):
        view[:, :, :, di, dj] += blocks[k]
    return dxp[:, top:top + H, left:left + W]


def im2col(x, f_h, f_w, stride=1, padding="valid"):
    """Copy every receptive field of ``x`` into one row of a matrix (lab 3's ``im2col``).

    Row ``(n * H_out + i) * W_out + j`` is the window of image ``n`` under output pixel
    ``(i, j)``, flattened as (window row, window column, channel): the order of
    ``w.reshape(f_h * f_w * C_in, C_out)`` for an HWIO kernel.

    Parameters
    ----------
    x : floating-point array (N, H, W, C_in)
    f_h, f_w : positive ints, the window
    stride : positive int
    padding : "valid" or "same" (TensorFlow's zeros)

    Returns
    -------
    array (N * H_out * W_out, f_h * f_w * C_in), the dtype of ``x``, C-contiguous

    Raises
    ------
    ValueError
        for an ``x`` that is not a 4-D float array, a window or stride that is not a
        positive int, an unknown padding, or a window larger than the unpadded input.
    """
    x, stride, out, pads = _check_window(x, f_h, f_w, stride, padding)
    return _patches(x, f_h, f_w, stride, out, pads)


def col2im(cols, x_shape, f_h, f_w, stride=1, padding="valid"):
    """The adjoint of :func:`im2col` (lab 3's ``col2im``): rows added back onto their pixels.

    Parameters
    ----------
    cols : floating-point array (N * H_out * W_out, f_h * f_w * C_in)
    x_shape : (N, H, W, C_in), the shape ``im2col`` was given
    f_h, f_w, stride, padding : as for :func:`im2col`

    Returns
    -------
    array of shape ``x_shape`` and the dtype of ``cols``

    Raises
    ------
    ValueError
        for an ``x_shape`` that is not four positive ints, a ``cols`` of another shape than
        ``im2col`` returns, and as :func:`im2col`.
    """
    if (not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                       for n in x_shape)):
        raise ValueError(f"x_shape must be four positive ints (N, H, W, C_in); got {x_shape!r}")
    cols = check_dtype("cols", check_rank("cols", cols, 2, "(N * H_out * W_out, f_h * f_w * C_in)"), "f")
    x_shape = tuple(int(n) for n in x_shape)
    # A zero-strided stand-in of the right shape: checks the geometry without allocating x.
    ghost = np.broadcast_to(np.zeros((), cols.dtype), x_shape)
    _, stride, out, pads = _check_window(ghost, f_h, f_w, stride, padding)
    expected = (x_shape[0] * out[0] * out[1], f_h * f_w * x_shape[3])
    if cols.shape != expected:
        raise ValueError(f"cols must have shape {expected} for x_shape {x_shape}, a {f_h}x{f_w} "
                         f"window, stride {stride} and padding={padding!r}; got {describe(cols)}")
    rows = cols.reshape(x_shape[0], *out, f_h * f_w, x_shape[3])
    return _unpatch([rows[:, :, :, k] for k in range(f_h * f_w)], x_shape, f_h, f_w, stride, out, pads)


def _conv_args(x, w, b, stride, padding):
    """Check conv2d's arguments; return ``(x, w, b, stride, out, pads)``."""
    w = check_dtype("w", check_rank("w", w, 4, "(f_h, f_w, C_in, C_out), HWIO"), "f")
    x = check_rank("x", x, 4, "(N, H, W, C_in), channels last")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"w must have as many input channels (axis 2) as x has channels (axis 3), "
                         f"{x.shape[3]}; got w of shape {w.shape} for x of shape {x.shape}")
    if b is not None:
        b = check_dtype("b", check_rank("b", b, 1, "(C_out,), one bias per filter"), "f")
        if b.shape[0] != w.shape[3]:
            raise ValueError(f"b must have one bias per filter, shape ({w.shape[3]},); got {describe(b)}")
    x, stride, out, pads = _check_window(x, w.shape[0], w.shape[1], stride, padding, name="w")
    return x, w, b, stride, out, pads


def conv2d(x, w, b=None, stride=1, padding="valid"):
    """2-D convolution (cross-correlation, as ``tf.nn.conv2d``) by im2col and one matrix product.

    Parameters
    ----------
    x : floating-point array (N, H, W, C_in)
    w : floating-point array (f_h, f_w, C_in, C_out)
    b : None or floating-point array (C_out,)
    stride : positive int, both axes
    padding : "valid" or "same"

    Returns
    -------
    array (N, H_out, W_out, C_out), equal to ``tf.nn.conv2d(x, w, stride, padding) + b``;
    float32 for float32 inputs

    Raises
    ------
    ValueError
        for a wrong rank or dtype, ``w``'s input channels unlike ``x``'s, a ``b`` of the
        wrong shape, a bad window, stride or padding.
    """
    x, w, b, stride, _, _ = _conv_args(x, w, b, stride, padding)
    return conv2d_cols(x, w, b, stride, padding)[0]


def _geometry(x_shape, f_h, f_w, stride, padding):
    """``(H_out, W_out)`` and ``((top, bottom), (left, right))`` of an already checked window."""
    sizes = ((x_shape[1], f_h), (x_shape[2], f_w))
    return (tuple(output_size(n, f, stride, padding) for n, f in sizes),
            tuple(padding_amounts(n, f, stride, padding) for n, f in sizes))


def conv2d_cols(x, w, b=None, stride=1, padding="valid"):
    """:func:`conv2d` without the checks, also returning the patch matrix for the backward pass.

    For a network that calls the same layer many times on inputs it has already checked
    (chapter 7): the patch matrix is built once per step and reused by
    :func:`conv2d_backward_cols`.
    """
    f_h, f_w, C_in, C_out = w.shape
    out, pads = _geometry(x.shape, f_h, f_w, stride, padding)
    cols = _patches(x, f_h, f_w, stride, out, pads)
    y = cols @ w.reshape(f_h * f_w * C_in, C_out)
    if b is not None:
        y += b  # in place: one output-sized array, not two
    return y.reshape(x.shape[0], *out, C_out), cols


def conv2d_backward(dy, x, w, stride=1, padding="valid"):
    """Gradients of :func:`conv2d`: ``(dx, dw, db)`` from the upstream gradient ``dy``.

    With ``cols = im2col(x)`` and ``W = w.reshape(-1, C_out)`` the layer is
    ``cols @ W + b``, so ``dW = cols.T @ dy``, ``db`` sums ``dy`` over every output
    pixel, and ``dcols = dy @ W.T``, which ``col2im`` adds back onto the input.

    Parameters
    ----------
    dy : floating-point array (N, H_out, W_out, C_out), the shape of conv2d's output
    x, w, stride, padding : what the forward pass was given (``b`` is not needed)

    Returns
    -------
    (dx, dw, db) : arrays of the shapes of ``x``, ``w`` and (C_out,)

    Raises
    ------
    ValueError
        as :func:`conv2d`, and for a ``dy`` of another shape than conv2d's output.
    """
    x, w, _, stride, out, pads = _conv_args(x, w, None, stride, padding)
    dy = check_dtype("dy", check_rank("dy", dy, 4, "(N, H_out, W_out, C_out)"), "f")
    expected = (x.shape[0], *out, w.shape[3])
    if dy.shape != expected:
        raise ValueError(f"dy must have the shape of conv2d's output, {expected}; got {describe(dy)}")
    cols = _patches(x, w.shape[0], w.shape[1], stride, out, pads)
    return conv2d_backward_cols(dy, cols, x.shape, w, stride, padding)


def conv2d_backward_cols(dy, cols, x_shape, w, stride=1, padding="valid", need_dx=True):
    """:func:`conv2d_backward` from the forward pass's patch matrix, without the checks.

    ``need_dx=False`` skips ``dx`` (returned as ``None``): a network's first layer has
    nothing below it to send a gradient to, and ``dx`` is a third of the layer's work.
    """
    f_h, f_w, C_in, C_out = w.shape
    dy = dy.reshape(-1, C_out)
    dw = (cols.T @ dy).reshape(w.shape)  # a transposed view: BLAS reads it in place
    # NumPy sums down the columns of a tall matrix slowly; a matrix-vector product is fast.
    db = np.ones(len(dy), dtype=dy.dtype) @ dy
    dx = None
    if need_dx:
        out, pads = _geometry(x_shape, f_h, f_w, stride, padding)
        # dcols = dy @ W.T, computed offset by offset, (f_h * f_w, rows, C_in): each
        # offset's block is then contiguous, which makes adding it back onto dx several
        # times faster than reading it out of the interleaved columns of dcols.
        blocks = np.matmul(dy, w.reshape(f_h * f_w, C_in, C_out).transpose(0, 2, 1))
        dx = _unpatch(blocks.reshape(f_h * f_w, x_shape[0], *out, C_in), x_shape, f_h, f_w, stride, out, pads)
    return dx, dw, db


# ---------------------------------------------------------------- max pooling (lab 4)


def _pair(name, value):
    """A positive int or a pair of them, as a pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a positive int or a pair of them; got {value!r}")
        return tuple(check_positive_int(name, v) for v in value)
    return (check_positive_int(name, value),) * 2


def max_pool2d(x, pool_size=2, stride=None, padding="valid"):
    """Max pooling, as ``tf.nn.max_pool2d`` (lab 4's ``max_pool2d``); returns ``(y, cache)``.

    Parameters
    ----------
    x : floating-point array (N, H, W, C)
    pool_size : positive int or pair (p_h, p_w)
    stride : positive int, pair, or None (the default: equal to ``pool_size``, as in Keras)
    padding : "valid" or "same" (padded cells are never a window's maximum)

    Returns
    -------
    y : array (N, H_out, W_out, C), the dtype of ``x``
    cache : for :func:`max_pool2d_backward`: where each window's first maximum is

    Raises
    ------
    ValueError
        for an ``x`` that is not a 4-D float array, a bad ``pool_size``, ``stride`` or
        ``padding``, or a window larger than the input with "valid" padding.
    """
    x = check_dtype("x", check_rank("x", x, 4, "(N, H, W, C), channels last"), "f")
    pool = _pair("pool_size", pool_size)
    steps = pool if stride is None else _pair("stride", stride)
    check_choice("padding", padding, PADDINGS)
    H, W = x.shape[1:3]
    if padding == "valid" and (pool[0] > H or pool[1] > W):
        raise ValueError(f"pool_size (a {pool[0]}x{pool[1]} window) must fit inside the {H}x{W} "
                         f"images of x with padding='valid'; got x of shape {x.shape}")
    out = tuple(output_size(n, p, s, padding) for n, p, s in zip((H, W), pool, steps, strict=True))
    pads = tuple(padding_amounts(n, p, s, padding) for n, p, s in zip((H, W), pool, steps, strict=True))
    xp = _pad(x, pads, value=-np.inf)  # -inf: a padded cell never wins
    offsets = [(a, b) for a in range(pool[0]) for b in range(pool[1])]  # row-major, as TF breaks ties
    cells = [xp[_cells(offset, steps, out)] for offset in offsets]  # views, no copies
    y = cells[0].copy()
    # where: the offset of each window's first maximum. A cell strictly greater than the
    # running maximum takes over; its offset k is larger than any before it, so a running
    # np.maximum records it. (Arithmetic on whole arrays: masked assignment is far slower.)
    index = np.uint8 if len(offsets) < 256 else np.int32
    where = np.zeros(y.shape, dtype=index)
    for k, cell in enumerate(cells[1:], start=1):
        np.maximum(where, (cell > y) * index(k), out=where)
        np.maximum(y, cell, out=y)
    cache = {"x_shape": x.shape, "pool": pool, "steps": steps, "pads": pads, "out": out,
             "offsets": offsets, "where": where}
    return y, cache


def _cells(offset, steps, out):
    """Index of cell ``offset`` of every window: ``xp[_cells(...)]`` has the output's shape."""
    (a, b), (s_h, s_w), (H_out, W_out) = offset, steps, out
    return (slice(None), slice(a, a + s_h * (H_out - 1) + 1, s_h), slice(b, b + s_w * (W_out - 1) + 1, s_w))


def max_pool2d_backward(dy, cache):
    """Max pooling, backward: each window's gradient goes to its (first) maximum alone.

    Parameters
    ----------
    dy : floating-point array (N, H_out, W_out, C), the gradient with respect to ``y``
    cache : what :func:`max_pool2d` returned with ``y``

    Returns
    -------
    dx : array (N, H, W, C), the dtype of ``dy``; where windows overlap, a maximum
        shared by several windows receives the sum of their gradients

    Raises
    ------
    ValueError
        for a ``dy`` that is not a float array of the shape of ``y``, or a ``cache`` that
        is not one :func:`max_pool2d` returned.
    """
    if not isinstance(cache, dict) or "where" not in cache:
        raise ValueError(f"cache must be the dict max_pool2d returned; got {type(cache).__name__}")
    dy = check_dtype("dy", dy, "f")
    where, (top, bottom), (left, right) = cache["where"], *cache["pads"]
    if dy.shape != where.shape:
        raise ValueError(f"dy must have the shape of max_pool2d's output, {where.shape}; got {describe(dy)}")
    N, H, W, C = cache["x_shape"]
    dxp = np.zeros((N, H + top + bottom, W + left + right, C), dtype=dy.dtype)
    steps, pool = cache["steps"], cache["pool"]
    tiled = steps[0] >= pool[0] and steps[1] >= pool[1]  # windows that never overlap
    for k, offset in enumerate(cache["offsets"]):
        share = dy * (where == k)  # multiplying by a mask is faster than np.where
        if tiled:
            dxp[_cells(offset, steps, cache["out"])] = share  # each cell in one window: assign
        else:
            dxp[_cells(offset, steps, cache["out"])] += share
    return dxp[:, top:top + H, left:left + W]


# ---------------------------------------------------------------- ReLU, dense, softmax


def relu(x):
    """``max(x, 0)`` elementwise, the dtype of ``x``. ValueError unless ``x`` is a float array."""
    x = check_dtype("x", x, "f")
    return np.maximum(x, 0)


def relu_backward(dy, x):
    """Gradient of :func:`relu`: ``dy`` where ``x > 0``, else 0 (0 at ``x == 0``, as TensorFlow).

    ``x`` may be the input of the ReLU or its output: both are positive at the same places.
    ValueError if either is not a float array or their shapes differ.
    """
    dy, x = check_dtype("dy", dy, "f"), check_dtype("x", x, "f")
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x, {x.shape}; got {describe(dy)}")
    return dy * (x > 0)  # multiplying by a mask is faster than np.where


def _dense_args(x, w):
    x = check_dtype("x", check_rank("x", x, 2, "(N, n_in)"), "f")
    w = check_dtype("w", check_rank("w", w, 2, "(n_in, n_out)"), "f")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have one row per input feature of x, {x.shape[1]}; "
                         f"got w of shape {w.shape} for x of shape {x.shape}")
    return x, w


def dense(x, w, b):
    """A dense (fully connected) layer, as Keras' ``Dense`` before its activation: ``x @ w + b``.

    Parameters
    ----------
    x : floating-point array (N, n_in)
    w : floating-point array (n_in, n_out)
    b : floating-point array (n_out,)

    Returns
    -------
    array (N, n_out)

    Raises
    ------
    ValueError
        for a wrong rank or dtype, or ``w`` and ``b`` that do not fit ``x``.
    """
    x, w = _dense_args(x, w)
    b = check_dtype("b", check_rank("b", b, 1, "(n_out,)"), "f")
    if b.shape[0] != w.shape[1]:
        raise ValueError(f"b must have one bias per output, shape ({w.shape[1]},); got {describe(b)}")
    y = x @ w
    y += b
    return y


def dense_backward(dy, x, w):
    """Gradients of :func:`dense`: ``dx = dy @ w.T``, ``dw = x.T @ dy``, ``db`` = ``dy`` summed over N.

    Parameters
    ----------
    dy : floating-point array (N, n_out)
    x, w : what the forward pass was given

    Returns
    -------
    (dx, dw, db) : arrays (N, n_in), (n_in, n_out), (n_out,)

    Raises
    ------
    ValueError
        as :func:`dense`, and for a ``dy`` of another shape than dense's output.
    """
    x, w = _dense_args(x, w)
    dy = check_dtype("dy", dy, "f")
    if dy.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dy must have the shape of dense's output, {(x.shape[0], w.shape[1])}; "
                         f"got {describe(dy)}")
    return dy @ w.T, x.T @ dy, dy.sum(axis=0)


def _log_softmax(logits):
    """``log(softmax(logits))`` along the last axis, computed without overflow."""
    shifted = logits - logits.max(axis=-1, keepdims=True)  # the largest exponent is exp(0) = 1
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits):
    """Probabilities along the last axis, ``exp(z) / sum(exp(z))``, stable for any logits.

    ValueError unless ``logits`` is a float array of at least one axis.
    """
    logits = check_dtype("logits", logits, "f")
    if logits.ndim == 0:
        raise ValueError(f"logits must have at least one axis, (..., classes); got {describe(logits)}")
    return np.exp(_log_softmax(logits))


def softmax_cross_entropy(logits, y_onehot):
    """Mean categorical cross-entropy of ``softmax(logits)``, and its gradient with respect to the logits.

    The loss of one example is ``-sum(y * log p)`` with ``p = softmax(z)``; the mean over
    the batch is what Keras' ``categorical_crossentropy`` reports. Softmax and
    cross-entropy together have the gradient ``(p - y) / N``: no division by a
    probability, so no overflow when one is tiny.

    Parameters
    ----------
    logits : floating-point array (N, classes)
    y_onehot : array (N, classes), one-hot labels (or any probability distributions)

    Returns
    -------
    (loss, dlogits) : a float (the mean loss), and an array like ``logits``

    Raises
    ------
    ValueError
        for a ``logits`` that is not a 2-D float array or a ``y_onehot`` of another shape.
    """
    logits = check_dtype("logits", check_rank("logits", logits, 2, "(N, classes)"), "f")
    y = check_dtype("y_onehot", y_onehot, "fiub")
    if y.shape != logits.shape:
        raise ValueError(f"y_onehot must have the shape of logits, {logits.shape}; got {describe(y)}")
    y = y.astype(logits.dtype, copy=False)  # float64 labels would upcast the gradient
    log_p = _log_softmax(logits)
    n = logits.shape[0]
    loss = -float(np.sum(y * log_p, dtype=np.float64)) / n
    dlogits = np.exp(log_p)
    dlogits -= y
    dlogits /= n
    return loss, dlogits


# ---------------------------------------------------------------- initialisation, optimiser


def glorot_uniform(shape, rng, dtype=np.float32):
    """Glorot (Xavier) uniform initial weights, with Keras' ``fan_in`` and ``fan_out``.

    Values are drawn uniformly from ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.
    As in ``keras.initializers.GlorotUniform``: a dense kernel ``(n_in, n_out)`` has
    ``fan_in = n_in`` and ``fan_out = n_out``; a convolution kernel ``(f_h, f_w, C_in, C_out)``
    has ``fan_in = f_h * f_w * C_in`` and ``fan_out = f_h * f_w * C_out``. (The numbers
    differ from Keras', which draws from its own generator; their distribution is the same.)

    Parameters
    ----------
    shape : tuple of positive ints, 2-D (dense) or more (convolution)
    rng : numpy.random.Generator
    dtype : floating-point dtype of the result (float32 by default)

    Raises
    ------
    ValueError
        for a shape of fewer than two positive ints, or an ``rng`` that is not a Generator.
    """
    if (not isinstance(shape, (tuple, list)) or len(shape) < 2
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                       for n in shape)):
        raise ValueError(f"shape must be a tuple of two or more positive ints; got {shape!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); "
                         f"got {type(rng).__name__}")
    receptive = math.prod(shape[:-2])  # 1 for a dense kernel
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=tuple(shape)).astype(dtype)


class RMSprop:
    """RMSprop as Keras 3 defines it (``keras.optimizers.RMSprop``, no momentum, not centred).

    For every parameter ``w`` with gradient ``g`` and a running average ``v`` of ``g**2``
    (starting at 0)::

        v = rho * v + (1 - rho) * g**2
        w = w - learning_rate * g / sqrt(v + epsilon)

    Epsilon goes *inside* the square root, as in Keras (PyTorch adds it outside), and
    there is no bias correction, so the first step is about ``learning_rate / sqrt(1 - rho)``
    per weight. Arithmetic is in the parameters' dtype, as Keras does it.

    Parameters
    ----------
    learning_rate, rho, epsilon : positive floats (rho below 1), Keras' defaults
    """

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        for name, value in (("learning_rate", learning_rate), ("rho", rho), ("epsilon", epsilon)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value > 0:
                raise ValueError(f"{name} must be a positive number; got {value!r}")
        if not rho < 1:
            raise ValueError(f"rho must be below 1; got {rho!r}")
        self.learning_rate, self.rho, self.epsilon = float(learning_rate), float(rho), float(epsilon)
        self.velocities = {}  # the running averages v, one per parameter name
        self.iterations = 0

    def step(self, params, grads):
        """Update every array of the dict ``params`` in place from the dict ``grads``.

        ValueError if a gradient is missing or its shape differs from its parameter's.
        """
        if not isinstance(params, dict) or not isinstance(grads, dict):
            raise ValueError(f"params and grads must be dicts of arrays; got "
                             f"{type(params).__name__} and {type(grads).__name__}")
        for name, w in params.items():
            if name not in grads:
                raise ValueError(f"grads must have a gradient for every parameter; {name!r} is missing")
            g = np.asarray(grads[name])
            if g.shape != w.shape:
                raise ValueError(f"grads[{name!r}] must have the shape of params[{name!r}], "
                                 f"{w.shape}; got {describe(g)}")
            dtype = w.dtype.type
            # Python floats cast to the parameters' dtype, as Keras casts its hyperparameters.
            rho, one_minus_rho = dtype(self.rho), dtype(1 - self.rho)
            lr, eps = dtype(self.learning_rate), dtype(self.epsilon)
            g = g.astype(w.dtype, copy=False)
            v = self.velocities.setdefault(name, np.zeros_like(w))
            v *= rho
            v += one_minus_rho * np.square(g)
            w -= (lr * g) / np.sqrt(v + eps)  # the order of Keras' operations, for equal rounding
        self.iterations += 1
