"""Lab 2: convolution, forward.

Write a convolution layer's forward pass with plain loops, the way chapter 2 computes it by
hand, with the strides and "same" padding of chapter 3. Tensors are channels-last and
kernels HWIO, exactly as in TensorFlow, so ``conv2d(x, w)`` can be compared with
``tf.nn.conv2d(x, w, strides, padding)`` number for number:

- ``x`` is a batch of images, shape ``(N, H, W, C_in)`` (NHWC);
- ``w`` holds the kernels, shape ``(f_h, f_w, C_in, C_out)`` (HWIO);
- the result is a batch of feature maps, shape ``(N, H_out, W_out, C_out)``.

Each function also checks its input: given something it cannot use, it raises
``ValueError`` with a message that names the argument, says what was given and what was
expected (the helpers in ``cnn_course.checks`` do most of this for you). Check your work in
``lab2_conv_forward.ipynb``.
"""

import numpy as np

from cnn_course.checks import check_choice, check_dtype, check_positive_int, check_rank

PADDINGS = ("valid", "same")


def output_size(n, f, stride=1, padding="valid"):
    """Length of a convolution's output along one axis.

    Parameters
    ----------
    n : positive int
        Length of the input along the axis (its height or its width).
    f : positive int
        Length of the window (the kernel) along the same axis.
    stride : positive int
        How far the window moves between two positions.
    padding : "valid" or "same"
        ``"valid"``: no padding, the window only visits positions where it fits entirely,
        ``floor((n - f) / stride) + 1``. ``"same"``: TensorFlow's rule, the output is
        ``ceil(n / stride)`` long whatever ``f`` is (zeros are added to make it so).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``n``, ``f`` or ``stride`` is not a positive integer, if ``padding`` is not
        ``"valid"`` or ``"same"`` (lower case: TensorFlow's ``"VALID"`` is an error here), or
        if ``padding="valid"`` and the window is longer than the input (``f > n``: the
        message names ``f``); the message names the argument.
    """
    # BEGIN SOLUTION
    n = check_positive_int("n", n)
    f = check_positive_int("f", f)
    stride = check_positive_int("stride", stride)
    check_choice("padding", padding, PADDINGS)
    if padding == "same":
        return -(-n // stride)  # ceil(n / stride) without floating point
    if f > n:
        raise ValueError(f"f (the window, {f}) must not be larger than n (the input, {n}) "
                         f"with padding='valid'")
    return (n - f) // stride + 1
    # END SOLUTION


def pad(x, padding_hw):
    """Add zeros around each image of an NHWC batch.

    Parameters
    ----------
    x : array of shape (N, H, W, C)
    padding_hw : ((top, bottom), (left, right)), non-negative ints
        How many rows of zeros go above and below each image, and how many columns of
        zeros go to its left and right. Channels and the batch axis are not padded.

    Returns
    -------
    array of shape (N, top + H + bottom, left + W + right, C), same dtype as ``x``,
    with ``x`` in the middle and zeros around it.

    Raises
    ------
    ValueError
        If ``x`` is not 4-D, or ``padding_hw`` is not two pairs of non-negative integers.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 4, "(a batch of images, (N, H, W, C))")
    try:
        amounts = np.array(padding_hw)
    except ValueError:  # ragged nesting such as ((1, 2), (3,))
        amounts = np.array(None)
    if amounts.shape != (2, 2) or amounts.dtype.kind not in "iu" or (amounts < 0).any():
        raise ValueError("padding_hw must be ((top, bottom), (left, right)), four non-negative "
                         f"integers; got {padding_hw!r}")
    (top, bottom), (left, right) = amounts.tolist()
    padded = np.zeros((x.shape[0], top + x.shape[1] + bottom, left + x.shape[2] + right,
                       x.shape[3]), dtype=x.dtype)
    padded[:, top:top + x.shape[1], left:left + x.shape[2], :] = x
    return padded
    # END SOLUTION


def conv2d(x, w, b=None, stride=1, padding="valid"):
    """A convolution layer's forward pass (cross-correlation, like ``tf.nn.conv2d``), with loops.

    Every output value is a sum over one window of the (padded) input::

        y[n, i, j, o] = b[o] + sum over (di, dj, c) of
                        x_padded[n, i * s_h + di, j * s_w + dj, c] * w[di, dj, c, o]

    Parameters
    ----------
    x : numeric array (float or integer) of shape (N, H, W, C_in)
        A batch of images (or feature maps), channels last. Integer inputs such as uint8
        pixels are converted before multiplying, so that no product wraps around.
    w : numeric array (float or integer) of shape (f_h, f_w, C_in, C_out)
        One ``f_h x f_w x C_in`` kernel per output channel (HWIO, as in TensorFlow).
    b : None or float array of shape (C_out,)
        One bias per output channel, added to every position; ``None`` for no bias.
    stride : positive int, or a pair (s_h, s_w) of positive ints
        How far the window moves down and across between two positions.
    padding : "valid" or "same", lower case
        ``"valid"``: no zeros added. ``"same"``: TensorFlow's padding, which makes the output
        ``ceil(H / s_h) x ceil(W / s_w)``; along each axis the ``total`` zeros needed are split
        ``total // 2`` before (top, left) and the rest after (bottom, right), so an odd
        total puts the extra zero at the bottom or on the right.

    Returns
    -------
    float array of shape (N, H_out, W_out, C_out)
        ``H_out = output_size(H, f_h, s_h, padding)``, likewise ``W_out``. The dtype is
        float32 for float32 (or integer) inputs, float64 if either input is float64.

    Raises
    ------
    ValueError
        If ``x`` or ``w`` is not 4-D or not numeric, if their channels differ
        (``x.shape[3] != w.shape[2]``: the message names ``w``), if ``b`` does not have shape
        ``(C_out,)``, if a stride is not a positive integer or a pair of them, if ``padding``
        is unknown, or if the kernel is larger than the padded input (the message names
        ``w``); the message names the argument.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 4, "(a batch of images, (N, H, W, C_in))")
    w = check_rank("w", w, 4, "(kernels in HWIO order, (f_h, f_w, C_in, C_out))")
    check_dtype("x", x, "uif")
    check_dtype("w", w, "uif")
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"w must have as many input channels (w.shape[2]) as x has channels "
                         f"(x.shape[3] = {x.shape[3]}); got w of shape {w.shape}")
    f_h, f_w, _, c_out = w.shape
    if b is not None:
        b = np.asarray(b)
        if b.shape != (c_out,) or b.dtype.kind not in "uif":
            raise ValueError(f"b must be None or a numeric array of shape ({c_out},), one bias "
                             f"per output channel; got an array of shape {b.shape} and dtype {b.dtype}")
    if isinstance(stride, (tuple, list)):
        if len(stride) != 2:
            raise ValueError(f"stride must be a positive int or a pair (s_h, s_w); got {stride!r}")
        s_h, s_w = (check_positive_int("stride", s) for s in stride)
    else:
        s_h = s_w = check_positive_int("stride", stride)
    check_choice("padding", padding, PADDINGS)

    n, h, wid, _ = x.shape
    if padding == "same":
        # TensorFlow pads just enough for ceil(n / s) positions; the odd zero goes after.
        total_h = max((output_size(h, f_h, s_h, "same") - 1) * s_h + f_h - h, 0)
        total_w = max((output_size(wid, f_w, s_w, "same") - 1) * s_w + f_w - wid, 0)
        x = pad(x, ((total_h // 2, total_h - total_h // 2), (total_w // 2, total_w - total_w // 2)))
    if f_h > x.shape[1] or f_w > x.shape[2]:
        raise ValueError(f"w's window ({f_h}x{f_w}) must fit in the padded input "
                         f"({x.shape[1]}x{x.shape[2]}); got w of shape {w.shape}")
    h_out = (x.shape[1] - f_h) // s_h + 1
    w_out = (x.shape[2] - f_w) // s_w + 1

    dtype = np.float64 if np.float64 in (x.dtype, w.dtype) else np.float32  # the docstring's rule
    # sum in float64 and cast once: products of uint8 pixels would wrap around at 256
    x, w = x.astype(np.float64), w.astype(np.float64)
    y = np.zeros((n, h_out, w_out, c_out), dtype=np.float64)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, i * s_h:i * s_h + f_h, j * s_w:j * s_w + f_w, :]  # (N, f_h, f_w, C_in)
            # every image and every output channel at once: sum over (f_h, f_w, C_in)
            y[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    if b is not None:
        y += b
    return y.astype(dtype)
    # END SOLUTION
