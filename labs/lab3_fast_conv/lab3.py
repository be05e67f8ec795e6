# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.
# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.
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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError
