"""Where a convolution's window goes: a figure and an interactive explorer (chapter 3).

For a square input of side ``n``, a square window of side ``f``, ``p`` zeros of padding on
each side and a stride ``s``, :func:`draw_conv_geometry` draws the padded input with every
position the window takes, next to the output grid those positions fill. :func:`explorer`
puts the same figure behind four sliders (ipywidgets), for Jupyter, Binder or Colab.

Rows and columns are treated alike, so one axis is enough to describe every position.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .checks import check_positive_int
from .conv_arithmetic import output_size

PAD_COLOR = "#d9d9d9"  # zeros added around the input
INPUT_COLOR = "#ffffff"  # the input's own pixels
SKIPPED_COLOR = "#f4a6a6"  # input pixels no window ever covers (the stride does not fit)
FIRST_COLOR = "tab:blue"  # the window of output (0, 0)
SECOND_COLOR = "tab:orange"  # the window of output (0, 1): one stride to the right


def _check_geometry(n, f, p, s):
    """Validate ``n, f, p, s`` and return them as ints; ``p`` may be 0."""
    n = check_positive_int("n", n)
    f = check_positive_int("f", f)
    s = check_positive_int("s", s)
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, np.integer)) or p < 0:
        raise ValueError(f"p must be a non-negative integer (zeros on each side); got {p!r}")
    p = int(p)
    if f > n + 2 * p:
        raise ValueError(f"f must not be larger than the padded input n + 2p = {n + 2 * p}; "
                         f"got f={f}")
    return n, f, p, s


def window_starts(n, f, p=0, s=1):
    """First index of every window position along one axis, in padded coordinates.

    Index 0 is the first padding zero (or the first pixel when ``p == 0``). There are
    ``output_size(n, f, s, p)`` positions: ``0, s, 2s, ...`` while the window still fits.
    Returns a 1-D int array.
    """
    n, f, p, s = _check_geometry(n, f, p, s)
    return np.arange(output_size(n, f, s, p)) * s


def uncovered_pixels(n, f, p=0, s=1):
    """Which of the ``n`` input pixels along one axis no window ever covers.

    Two causes: the stride does not fit, so the last ``(n + 2p - f) % s`` padded positions
    are past the last window; or the stride is longer than the window (``s > f``), so the
    windows leave gaps. Returns a boolean array of length ``n``, True where uncovered.
    """
    n, f, p, s = _check_geometry(n, f, p, s)
    covered = np.zeros(n + 2 * p, dtype=bool)
    for start in window_starts(n, f, p, s):
        covered[start:start + f] = True
    return ~covered[p:p + n]


def draw_conv_geometry(n, f, p=0, s=1, axes=None, title=True):
    """Draw the padded ``n × n`` input, the window's positions, and the output grid.

    Left panel: the ``(n + 2p) × (n + 2p)`` padded input, padding in grey, input pixels
    white, pixels that no window reaches in red. The window of output ``(0, 0)`` is outlined
    in blue, the window of output ``(0, 1)`` (one stride to the right) in orange, and a dot
    marks the centre of every window position. Right panel: the ``o × o`` output, with
    ``o = floor((n + 2p - f) / s) + 1``, its cells ``(0, 0)`` and ``(0, 1)`` coloured to
    match.

    ``axes`` is an optional pair of matplotlib axes to draw on. Returns the figure.
    Raises ``ValueError`` naming the argument when ``n, f, s`` are not positive integers,
    ``p`` is not a non-negative integer, or the window is larger than the padded input.
    """
    n, f, p, s = _check_geometry(n, f, p, s)
    size = n + 2 * p
    starts = window_starts(n, f, p, s)
    o = len(starts)
    if axes is None:
        width = 0.32 * (size + o) + 1.2
        fig, axes = plt.subplots(
            1, 2, figsize=(max(width, 5.0), max(0.32 * size + 1.0, 2.8)),
            gridspec_kw={"width_ratios": [size, max(o, 1)]})
    else:
        fig = axes[0].figure
    ax_in, ax_out = axes

    missed = np.pad(uncovered_pixels(n, f, p, s), p)  # padded coordinates
    for row in range(size):
        for col in range(size):
            inside = p <= row < p + n and p <= col < p + n
            skipped = inside and (missed[row] or missed[col])
            color = SKIPPED_COLOR if skipped else (INPUT_COLOR if inside else PAD_COLOR)
            ax_in.add_patch(Rectangle((col, row), 1, 1, facecolor=color,
                                      edgecolor="#888888", linewidth=0.6))
    centres = starts + f / 2
    rows, cols = np.meshgrid(centres, centres, indexing="ij")
    ax_in.plot(cols.ravel(), rows.ravel(), "o", color="black", markersize=3)
    ax_in.add_patch(Rectangle((0, 0), f, f, fill=False, edgecolor=FIRST_COLOR, linewidth=2.5))
    if o > 1:
        ax_in.add_patch(Rectangle((s, 0), f, f, fill=False, edgecolor=SECOND_COLOR,
                                  linewidth=2.5, linestyle="--"))
    if p:  # a frame around the real input
        ax_in.add_patch(Rectangle((p, p), n, n, fill=False, edgecolor="black", linewidth=1.5))

    for row in range(o):
        for col in range(o):
            color = FIRST_COLOR if (row, col) == (0, 0) else (
                SECOND_COLOR if (row, col) == (0, 1) else "#eeeeee")
            ax_out.add_patch(Rectangle((col, row), 1, 1, facecolor=color,
                                       edgecolor="#888888", linewidth=0.6))

    padded = f", padded to {size}×{size}" if p else ""
    for ax, side, label in ((ax_in, size, f"input {n}×{n}{padded}"),
                            (ax_out, o, f"output {o}×{o}")):
        ax.set_xlim(-0.1, side + 0.1)
        ax.set_ylim(side + 0.1, -0.1)  # row 0 at the top, like an image
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(label, fontsize=9)
    if title:
        fig.suptitle(f"n={n}, f={f}, p={p}, s={s}:  ⌊({n} + 2·{p} − {f})/{s}⌋ + 1 = {o}",
                     fontsize=10)
    return fig


def _show(n, f, p, s):
    """The explorer's callback: draw, or explain why these values make no convolution."""
    try:
        draw_conv_geometry(n, f, p, s)
    except ValueError as error:
        print(f"No convolution for these values: {error}")
        return
    plt.show()


def explorer(n=7, f=3, p=1, s=2, max_n=12):
    """Sliders for ``n, f, p, s`` that redraw :func:`draw_conv_geometry` as they move.

    Returns the ``ipywidgets.interactive`` widget (the object behind ``ipywidgets.interact``)
    without displaying it; end a notebook cell with it to show it. The starting values must
    describe a valid convolution. Needs a running kernel to react; building it does not.
    """
    import ipywidgets as widgets

    _check_geometry(n, f, p, s)
    max_n = check_positive_int("max_n", max_n)
    if n > max_n:
        raise ValueError(f"n must be at most max_n={max_n}; got n={n}")
    slider = dict(continuous_update=False)
    return widgets.interactive(
        _show,
        n=widgets.IntSlider(value=n, min=1, max=max_n, description="n (input)", **slider),
        f=widgets.IntSlider(value=f, min=1, max=7, description="f (window)", **slider),
        p=widgets.IntSlider(value=p, min=0, max=3, description="p (padding)", **slider),
        s=widgets.IntSlider(value=s, min=1, max=4, description="s (stride)", **slider),
    )
