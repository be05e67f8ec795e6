"""Lab 3: fast convolution by im2col, and its gradients.

A convolution written as loops over pixels (lab 2) is correct but slow: NumPy runs each
loop step in Python. The im2col trick (Chellapilla et al., 2006; CS231n) instead copies
every receptive field of the input into one row of a big matrix. The whole layer is then
**one matrix product**, which NumPy hands to an optimised BLAS library.

Shapes follow TensorFlow (``tf.nn.conv2d``), so every result can be checked against it:

- ``x``: the input, ``(N, H, W, C_in)`` (NHWC, channels last);
- ``w``: the kernels, ``(f_h, f_w, C_in, C_out)`` (HWIO);
- ``b``: the biases, ``(C_out,)``;
- ``y``: the output, ``(N, H_out, W_out, C_out)``.

``padding`` is ``"valid"`` (none) or ``"same"`` (TensorFlow's: ``H_out = ceil(H / stride)``,
an odd number of zeros puts the extra one at the bottom/right).
``cnn_course.conv_arithmetic.output_size`` and ``padding_amounts`` compute both for you.

You write:

0. ``_check_geometry`` and ``_check_kernel``: the input checks the other functions share;
1. ``im2col``: the patch matrix, without a Python loop over pixels (a loop over the
   ``f_h * f_w`` kernel offsets is fine). The same rule holds for ``col2im``, ``conv2d`` and
   ``conv2d_backward``: no Python loop whose length grows with the image (over pixels,
   windows or rows); the graded test counts the lines of your file that run;
2. ``col2im``: its adjoint, adding each row back where it came from (for ``dx``);
3. ``conv2d``: im2col and one matrix product;
4. ``conv2d_backward``: ``dx``, ``dw`` and ``db`` from the upstream gradient ``dy``.

Every function checks its input: given something it cannot use, it raises ``ValueError``
with a message that names the argument, says what was given and what was expected (use
``cnn_course.checks``). Check your work in ``lab3_fast_conv.ipynb``.
"""

import numpy as np

from cnn_course.checks import check_choice, check_dtype, check_positive_int, check_rank, describe
from cnn_course.conv_arithmetic import PADDINGS, output_size, padding_amounts


def _check_geometry(x, f_h, f_w, stride, padding, window="f_h and f_w"):
    """Validate a convolution's input and window; return what every function here needs.

    Parameters
    ----------
    x : array of shape (N, H, W, C_in), floating point
    f_h, f_w : positive ints, the window's height and width
    stride : positive int
    padding : "valid" or "same"
    window : str
        How to name the window in an error message: ``"f_h and f_w"`` from ``im2col``,
        ``"w"`` from ``conv2d`` (where the window is the kernel's shape).

    Returns
    -------
    (x, stride, (H_out, W_out), ((top, bottom), (left, right)))
        ``x`` as an array, the stride as an int, the output's size, and the zeros that
        ``padding`` adds on each side.

    Raises
    ------
    ValueError
        if ``x`` is not a 4-D floating-point array, the stride is not a positive int,
        ``padding`` is unknown, or the window is larger than the (padded) input.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 4, "(N, H, W, C_in), channels last")
    check_dtype("x", x, "f")
    f_h = check_positive_int("f_h", f_h)
    f_w = check_positive_int("f_w", f_w)
    stride = check_positive_int("stride", stride)
    check_choice("padding", padding, PADDINGS)
    _, H, W, _ = x.shape
    if padding == "valid" and (f_h > H or f_w > W):
        # "same" always pads enough; "valid" needs the whole window inside the input.
        raise ValueError(f"{window} (the window, {f_h}x{f_w}) must fit inside the input x "
                         f"with padding='valid', whose images are {H}x{W}; got x of shape {x.shape}")
    out = (output_size(H, f_h, stride, padding), output_size(W, f_w, stride, padding))
    pads = (padding_amounts(H, f_h, stride, padding), padding_amounts(W, f_w, stride, padding))
    return x, stride, out, pads
    # END SOLUTION


def im2col(x, f_h, f_w, stride=1, padding="valid"):
    """Copy every receptive field of ``x`` into one row of a matrix.

    Row ``(n * H_out + i) * W_out + j`` holds the window of image ``n`` whose output is at
    ``(i, j)``, flattened in the order ``(row in the window, column in the window,
    channel)`` -- the order of ``w.reshape(f_h * f_w * C_in, C_out)`` for an HWIO kernel,
    so that ``im2col(x, ...) @ w.reshape(-1, C_out)`` is the convolution.

    Parameters
    ----------
    x : floating-point array of shape (N, H, W, C_in)
    f_h, f_w : positive ints, the window's height and width
    stride : positive int
    padding : "valid" or "same" (TensorFlow's zeros)

    Returns
    -------
    array of shape (N * H_out * W_out, f_h * f_w * C_in), the dtype of ``x``, C-contiguous

    Raises
    ------
    ValueError
        if ``x`` is not a 4-D float array, ``f_h``, ``f_w`` or ``stride`` is not a positive
        int, ``padding`` is unknown, or the window does not fit in the (padded) input.
    """
    # BEGIN SOLUTION
    x, s, (H_out, W_out), ((top, bottom), (left, right)) = _check_geometry(
        x, f_h, f_w, stride, padding)
    if top or bottom or left or right:
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    N, _, _, C = x.shape
    # A view, no copy: once transposed, windows[n, i, j, di, dj, c] = x[n, s*i + di, s*j + dj, c].
    # The windows overlap in memory; the one copy is the reshape below, which builds the rows.
    windows = np.lib.stride_tricks.sliding_window_view(x, (f_h, f_w), axis=(1, 2))
    windows = windows[:, ::s, ::s][:, :H_out, :W_out].transpose(0, 1, 2, 4, 5, 3)
    return windows.reshape(N * H_out * W_out, f_h * f_w * C)
    # END SOLUTION


def col2im(cols, x_shape, f_h, f_w, stride=1, padding="valid"):
    """The adjoint of :func:`im2col`: add every row back onto the pixels it was copied from.

    A pixel that lies in several windows receives the sum of its entries in all of them,
    which is exactly what the chain rule asks for: ``col2im(dcols, ...)`` is ``dx`` when
    ``dcols`` is the gradient with respect to ``im2col(x, ...)``.

    Parameters
    ----------
    cols : floating-point array of shape (N * H_out * W_out, f_h * f_w * C_in)
    x_shape : tuple (N, H, W, C_in), the shape of the input ``im2col`` was given
    f_h, f_w, stride, padding : as for :func:`im2col`

    Returns
    -------
    array of shape ``x_shape``, the dtype of ``cols`` (padding zeros dropped)

    Raises
    ------
    ValueError
        if ``x_shape`` is not four positive ints, the window or ``padding`` is invalid as
        for :func:`im2col`, or ``cols`` does not have the shape ``im2col`` would return.
    """
    # BEGIN SOLUTION
    if (not isinstance(x_shape, (tuple, list)) or len(x_shape) != 4
            or not all(isinstance(n, (int, np.integer)) and n > 0 for n in x_shape)):
        raise ValueError(f"x_shape must be four positive ints (N, H, W, C_in); got {x_shape!r}")
    cols = check_rank("cols", cols, 2, "(N * H_out * W_out, f_h * f_w * C_in)")
    check_dtype("cols", cols, "f")
    N, H, W, C = map(int, x_shape)
    _, s, (H_out, W_out), ((top, bottom), (left, right)) = _check_geometry(
        np.empty((N, H, W, C), dtype=cols.dtype), f_h, f_w, stride, padding)  # empty: no data
    expected = (N * H_out * W_out, f_h * f_w * C)
    if cols.shape != expected:
        raise ValueError(f"cols must have shape {expected} for x_shape {tuple(x_shape)}, "
                         f"a {f_h}x{f_w} window, stride {s} and padding={padding!r}; "
                         f"got {describe(cols)}")
    dx = np.zeros((N, H + top + bottom, W + left + right, C), dtype=cols.dtype)
    cols = cols.reshape(N, H_out, W_out, f_h, f_w, C)
    # One strided add per kernel offset: windows overlap, so a single fancy-indexed
    # assignment would drop repeated pixels (np.add.at is correct but far slower).
    for di in range(f_h):
        for dj in range(f_w):
            dx[:, di:di + s * H_out:s, dj:dj + s * W_out:s, :] += cols[:, :, :, di, dj, :]
    return dx[:, top:top + H, left:left + W, :]
    # END SOLUTION


def _check_kernel(x, w, b, stride, padding):
    """Validate ``conv2d``'s arguments; return ``(x, w, stride, (H_out, W_out))``.

    Raises
    ------
    ValueError
        if ``x`` or ``w`` is not a 4-D float array, ``w``'s input channels (axis 2) differ
        from ``x``'s (axis 3), ``b`` is not ``None`` or of shape (C_out,), the kernel does
        not fit in the (padded) input, ``stride`` is not a positive int or ``padding`` is
        unknown.
    """
    # BEGIN SOLUTION
    w = check_rank("w", w, 4, "(f_h, f_w, C_in, C_out), HWIO")
    check_dtype("w", w, "f")
    x = check_rank("x", x, 4, "(N, H, W, C_in), channels last")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"w must have as many input channels (axis 2) as x has channels "
                         f"(axis 3), {x.shape[3]}; got w of shape {w.shape} for x of shape {x.shape}")
    if b is not None:
        b = check_rank("b", b, 1, "(C_out,), one bias per filter")
        check_dtype("b", b, "f")
        if b.shape[0] != w.shape[3]:
            raise ValueError(f"b must have one bias per filter, shape ({w.shape[3]},); "
                             f"got {describe(b)}")
    x, stride, out, _ = _check_geometry(x, w.shape[0], w.shape[1], stride, padding, window="w")
    return x, w, stride, out
    # END SOLUTION


def conv2d(x, w, b=None, stride=1, padding="valid"):
    """2-D convolution (cross-correlation, as in ``tf.nn.conv2d``) by im2col and one matmul.

    Parameters
    ----------
    x : floating-point array of shape (N, H, W, C_in)
    w : floating-point array of shape (f_h, f_w, C_in, C_out)
    b : None or floating-point array of shape (C_out,)
    stride : positive int, the same along both axes
    padding : "valid" or "same"

    Returns
    -------
    array of shape (N, H_out, W_out, C_out); float32 when ``x`` and ``w`` are float32
    (NumPy's type promotion otherwise), equal to ``tf.nn.conv2d(x, w, stride, padding) + b``

    Raises
    ------
    ValueError
        as listed for the checks: wrong rank or dtype, channel mismatch between ``x`` and
        ``w``, a ``b`` of the wrong shape, a kernel larger than the (padded) input, a
        stride that is not a positive int, an unknown padding.
    """
    # BEGIN SOLUTION
    x, w, stride, (H_out, W_out) = _check_kernel(x, w, b, stride, padding)
    f_h, f_w, C_in, C_out = w.shape
    cols = im2col(x, f_h, f_w, stride, padding)
    # The whole layer is this one product: (N*H_out*W_out, f_h*f_w*C_in) @ (f_h*f_w*C_in, C_out).
    y = cols @ w.reshape(f_h * f_w * C_in, C_out)
    if b is not None:
        y += b  # in place: no second output-sized array
    return y.reshape(x.shape[0], H_out, W_out, C_out)
    # END SOLUTION


def conv2d_backward(dy, x, w, stride=1, padding="valid"):
    """Gradients of :func:`conv2d` with respect to its input, kernels and biases.

    With ``y = conv2d(x, w, b, stride, padding)`` and a loss ``L`` whose gradient with
    respect to ``y`` is ``dy``: each output is ``y = cols @ W + b`` for the patch matrix
    ``cols = im2col(x)`` and ``W = w.reshape(-1, C_out)``, so ``dW = cols.T @ dy``,
    ``db = sum of dy`` over N, H_out, W_out, and ``dcols = dy @ W.T``, which ``col2im``
    adds back onto the pixels to give ``dx``.

    Parameters
    ----------
    dy : floating-point array of shape (N, H_out, W_out, C_out), the shape of conv2d's output
    x, w, stride, padding : the arguments the forward pass was given (``b`` is not needed)

    Returns
    -------
    (dx, dw, db) : arrays of the shapes of ``x``, ``w`` and (C_out,), of the dtype of ``dy``

    Raises
    ------
    ValueError
        as :func:`conv2d` does, and if ``dy`` does not have the shape of ``conv2d``'s output.
    """
    # BEGIN SOLUTION
    x, w, stride, (H_out, W_out) = _check_kernel(x, w, None, stride, padding)
    f_h, f_w, C_in, C_out = w.shape
    dy = check_rank("dy", dy, 4, "(N, H_out, W_out, C_out), the shape of conv2d's output")
    check_dtype("dy", dy, "f")
    expected = (x.shape[0], H_out, W_out, C_out)
    if dy.shape != expected:
        raise ValueError(f"dy must have the shape of conv2d's output, {expected}; got {describe(dy)}")
    dy = dy.reshape(-1, C_out)
    cols = im2col(x, f_h, f_w, stride, padding)
    db = dy.sum(axis=0)
    # cols.T is a transposed view; BLAS reads it in place, no copy.
    dw = (cols.T @ dy).reshape(w.shape)
    dcols = dy @ w.reshape(f_h * f_w * C_in, C_out).T
    dx = col2im(dcols, x.shape, f_h, f_w, stride, padding)
    return dx, dw, db
    # END SOLUTION
