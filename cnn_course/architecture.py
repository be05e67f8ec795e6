"""Shapes, parameter counts and receptive fields of a convnet, by formula and from Keras (chapter 4).

The formulas are written out here once -- ``(f·f·c_in + 1)·c_out`` weights for a
convolution, ``r_out = r_in + (f - 1)·j_in`` for the receptive field -- and the functions
that read a Keras model let a chapter check each formula against the framework.
:func:`training_madds` counts the multiply-adds of one training step, layer by layer, with
the one convention chapters 5 and 7 both use.
Also: :func:`draw_conv_volumes`, the picture of input volume, filters and output volume,
and :func:`format_table`, an aligned plain-text table for printing results.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon

from .conv_arithmetic import output_size


def conv_params(f, c_in, c_out, bias=True):
    """Trainable numbers in a Conv2D layer with ``c_out`` filters of shape ``(f, f, c_in)``.

    Each filter has ``f·f·c_in`` weights (as many channels as its input) and one bias:
    ``(f·f·c_in + 1)·c_out``, or ``f·f·c_in·c_out`` without bias.
    """
    return (f * f * c_in + int(bool(bias))) * c_out


def dense_params(n_in, n_out, bias=True):
    """Trainable numbers in a Dense layer from ``n_in`` inputs to ``n_out`` units: ``(n_in + 1)·n_out``."""
    return (n_in + int(bool(bias))) * n_out


def receptive_fields(layers):
    """Receptive field ``r`` and jump ``j`` after each layer of a stack of windows.

    ``layers`` is a sequence of ``(f, s)`` pairs, a window of side ``f`` moved by stride
    ``s`` (a convolution or a pooling layer). Starting from one input pixel (``r = 1``,
    ``j = 1``), each layer gives ``r_out = r_in + (f - 1)·j_in`` and ``j_out = j_in·s``:
    ``j`` is the distance, in input pixels, between two neighbouring units of the layer.
    Padding moves where a field starts, not its size. Returns a list of ``(r, j)`` pairs,
    one per layer.
    """
    r, j = 1, 1
    out = []
    for f, s in layers:
        r, j = r + (f - 1) * j, j * s
        out.append((r, j))
    return out


def _pair(value, name):
    """A Keras ``kernel_size``/``strides`` tuple, required square: its one side."""
    value = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(set(value)) != 1:
        raise ValueError(f"{name} must be square for these helpers; got {value}")
    return int(value[0])


def layer_windows(model):
    """``(name, f, s, padding)`` for each layer of ``model`` that slides a window.

    Conv2D layers give ``kernel_size``, pooling layers ``pool_size``; layers with no window
    (Flatten, Dense, Dropout) are left out.
    """
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        if "kernel_size" in config:
            f = _pair(config["kernel_size"], f"{layer.name} kernel_size")
        elif "pool_size" in config:
            f = _pair(config["pool_size"], f"{layer.name} pool_size")
        else:
            continue
        s = _pair(config["strides"], f"{layer.name} strides")
        rows.append((layer.name, f, s, config["padding"]))
    return rows


def trace_shapes(model, n):
    """Side length after each windowed layer, from ``model`` and from :func:`output_size`.

    Returns a list of ``(name, keras_side, formula_side)``, starting from a square input of
    side ``n``. The two sides agree when the formula is right.
    """
    rows = []
    side = n
    windows = {name: (f, s, padding) for name, f, s, padding in layer_windows(model)}
    for layer in model.layers:
        if layer.name not in windows:
            continue
        f, s, padding = windows[layer.name]
        side = output_size(side, f, s, padding)
        rows.append((layer.name, int(layer.output.shape[1]), side))
    return rows


def training_madds(model):
    """Multiply-adds per image of one training step of ``model``, layer by layer.

    The convention chapters 5 and 7 share (chapter 5, "The cost of a layer"):

    - **forward**: one multiply-add per weight per output value: ``H_o·W_o·k_h·k_w·C_in·C_out``
      for a Conv2D layer, ``n_in·n_out`` for a Dense layer;
    - **backward**: the gradient of the weights (``dK``, ``dW``) costs the same again, and so
      does the gradient of the input (``dX``): every product of the forward pass, an input
      value times a weight, has exactly one partner in ``dX``, an entry of ``dY`` times the
      same weight. That counts only products with an entry of ``dY``, not the zeros of the
      padding a full convolution written as a padded correlation also multiplies; it is
      what an im2col backward pass computes (``dcols = dY @ W.T``, lab 3 and chapter 7);
    - the first layer with weights computes no ``dX``: its input is the data, which nothing
      learns, so its backward pass is ``dK`` alone;
    - pooling, flattening and activations do no multiply-adds and count 0; biases are
      additions and are not counted.

    Conv2D layers may have any stride and padding; with "same" padding the count includes
    the products with the padding's zeros, forward and backward, as im2col computes them.
    Only Conv2D and Dense layers may have weights.

    Returns a list of ``(name, kind, forward, backward)``, one per layer of ``model``, with
    ``kind`` the layer's class name and the two counts Python ints, per image; multiply by
    the batch size for a batch, and by 2 for floating-point operations.

    Raises ValueError for a layer with weights that is neither Conv2D nor Dense.
    """
    rows, first = [], True
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            k_h, k_w = layer.kernel_size
            h_o, w_o, c_out = (int(n) for n in layer.output.shape[1:])
            forward = h_o * w_o * k_h * k_w * int(layer.input.shape[-1]) * c_out
        elif kind == "Dense":
            forward = int(layer.input.shape[-1]) * int(layer.units)
        elif layer.weights:
            raise ValueError(f"training_madds counts Conv2D and Dense layers only; "
                             f"{layer.name} is a {kind} with weights")
        else:
            rows.append((layer.name, kind, 0, 0))
            continue
        backward = forward if first else 2 * forward  # dK, and dX after the first layer
        rows.append((layer.name, kind, forward, backward))
        first = False
    return rows


def format_table(headers, rows, align=None):
    """An aligned plain-text table: a header line, a rule, one line per row.

    ``align`` is a string of ``"<"`` (left) or ``">"`` (right), one per column; by default
    text is left-aligned and numbers right-aligned. Numbers are written as given (use
    ``f"{x:,}"`` before passing to get thousands separators).
    """
    headers = [str(h) for h in headers]
    rows = [list(row) for row in rows]
    for index, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"rows[{index}] must have {len(headers)} cells like headers; "
                             f"got {len(row)}")
    if align is None:
        align = "".join(">" if rows and isinstance(rows[0][c], (int, float, np.integer))
                        else "<" for c in range(len(headers)))
    if len(align) != len(headers):
        raise ValueError(f"align must have one character per column ({len(headers)}); "
                         f"got {align!r}")
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[c]) for row in cells) for c in range(len(headers))]
    lines = ["  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- the volume figure ------------------------------------------------------------------

_DEPTH = (0.45, 0.35)  # how far one unit of depth moves right and up in the oblique view


def _box(ax, x, y, width, height, depth, color, label=None, alpha=1.0):
    """A box seen in oblique projection: front face at (x, y), depth receding up and right."""
    dx, dy = depth * _DEPTH[0], depth * _DEPTH[1]
    faces = [
        [(x, y), (x + width, y), (x + width, y + height), (x, y + height)],  # front
        [(x, y + height), (x + width, y + height), (x + width + dx, y + height + dy),
         (x + dx, y + height + dy)],  # top
        [(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy),
         (x + width, y + height)],  # side
    ]
    for face, shade in zip(faces, (1.0, 0.85, 0.7), strict=True):
        rgb = np.array(plt.matplotlib.colors.to_rgb(color)) * shade
        ax.add_patch(Polygon(face, closed=True, facecolor=rgb, edgecolor="black",
                             linewidth=0.8, alpha=alpha))
    if label:
        ax.text(x + width / 2, y - 0.5, label, ha="center", va="top", fontsize=9)


def draw_conv_volumes(n, c_in, f, n_f, p=0, s=1, colors=None):
    """Input volume ``n × n × c_in``, ``n_f`` filters ``f × f × c_in``, output ``o × o × n_f``.

    Each filter spans the input's full depth and makes one slice of the output, drawn in
    the filter's colour; ``o = floor((n + 2p - f) / s) + 1``. Returns the figure.
    """
    o = output_size(n, f, s, p)
    if colors is None:
        colors = plt.get_cmap("tab10").colors
    fig, ax = plt.subplots(figsize=(9, 3.4))
    _box(ax, 0, 0, n, n, c_in, "#cfe2f3", f"input {n}×{n}×{c_in}")
    x = n + c_in * _DEPTH[0] + 2.0
    step = f + c_in * _DEPTH[0] + 0.8
    for k in range(n_f):
        _box(ax, x + k * step, (n - f) / 2, f, f, c_in, colors[k % len(colors)])
    ax.text(x + (n_f * step - 0.8) / 2, (n - f) / 2 - 0.5,
            f"{n_f} filters {f}×{f}×{c_in}", ha="center", va="top", fontsize=9)
    ax.text(x - 1.0, n / 2, "∗", ha="center", va="center", fontsize=18)
    x_out = x + n_f * step + 1.5
    ax.text(x_out - 0.8, n / 2, "=", ha="center", va="center", fontsize=16)
    y_out = (n - o) / 2
    for k in reversed(range(n_f)):  # back slices first, so the front one is drawn on top
        dx, dy = k * _DEPTH[0], k * _DEPTH[1]
        _box(ax, x_out + dx, y_out + dy, o, o, 1, colors[k % len(colors)])
    ax.text(x_out + o / 2, y_out - 0.5, f"output {o}×{o}×{n_f}", ha="center", va="top",
            fontsize=9)
    ax.set_xlim(-0.5, x_out + o + n_f * _DEPTH[0] + 1.0)
    ax.set_ylim(-2.0, n + c_in * _DEPTH[1] + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def volume_conv_gif(path, n=5, c_in=3, f=3, n_f=2, fps=2, dpi=72, plays=3, colors=None):
    """An animated GIF of chapter 4's 3-D convolution: ``n_f`` filters of depth ``c_in``
    slide over an ``n × n × c_in`` volume ("valid", stride 1), filling the output slices.

    One frame per filter and window position: the filter, as deep as the input, sits on its
    window of the input volume, and the output cell it computes is filled in the filter's
    colour on that filter's slice; a last frame shows the finished output. The slices of
    the ``o × o × n_f`` output are drawn side by side. Plays ``plays`` times, then stops;
    the file is the same byte for byte on every run. Returns the number of frames.
    """
    from matplotlib.animation import FuncAnimation
    from matplotlib.patches import Rectangle

    from .conv_figures import _gif_writer

    o = output_size(n, f)
    colors = colors or plt.get_cmap("tab10").colors
    steps = [(k, i, j) for k in range(n_f) for i in range(o) for j in range(o)]
    x_out = n + c_in * _DEPTH[0] + 2.5
    gap = o + 1.2
    fig, ax = plt.subplots(figsize=(7.5, 3.4))

    def draw(number):
        ax.clear()
        done = number >= len(steps)
        k, i, j = steps[min(number, len(steps) - 1)]
        _box(ax, 0, 0, n, n, c_in, "#cfe2f3", f"input {n}×{n}×{c_in}")
        for t in range(1, n):  # the pixel grid on the front face
            ax.plot([t, t], [0, n], color="grey", linewidth=0.4)
            ax.plot([0, n], [t, t], color="grey", linewidth=0.4)
        if not done:  # the filter on its window: rows go down, the y axis up
            _box(ax, j, n - i - f, f, f, c_in, colors[k % len(colors)], alpha=0.75)
        ax.text(x_out - 1.3, n / 2, "→", ha="center", va="center", fontsize=16)
        y_out = (n - o) / 2
        for slice_ in range(n_f):
            x0 = x_out + slice_ * gap
            _box(ax, x0, y_out, o, o, 1, "white")
            for r in range(o):
                for c in range(o):
                    filled = done or slice_ < k or (slice_ == k and (r, c) <= (i, j))
                    current = not done and (slice_, r, c) == (k, i, j)
                    ax.add_patch(Rectangle((x0 + c, y_out + o - 1 - r), 1, 1,
                                           facecolor=colors[slice_ % len(colors)] if filled else "white",
                                           edgecolor="black", linewidth=2.0 if current else 0.5))
            ax.text(x0 + o / 2, y_out - 0.5, f"slice {slice_ + 1}", ha="center", va="top", fontsize=9)
        title = (f"output {o}×{o}×{n_f}: one slice per filter" if done else
                 f"filter {k + 1} ({f}×{f}×{c_in}) at row {i}, column {j}: "
                 f"{f * f * c_in} products + bias -> one output value")
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-0.5, x_out + n_f * gap + 0.5)
        ax.set_ylim(-1.8, n + c_in * _DEPTH[1] + 0.5)
        ax.set_aspect("equal")
        ax.axis("off")
        return [ax]

    frames = len(steps) + 2  # the finished output twice: a pause before the next play
    animation = FuncAnimation(fig, draw, frames=frames, blit=False)
    animation.save(str(path), writer=_gif_writer(fps, plays), dpi=dpi)
    plt.close(fig)
    return frames
