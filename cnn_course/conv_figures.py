"""Figures of a convolution's sliding window (chapter 2).

A small input ``X``, a kernel ``K`` and the output ``Y`` side by side: the window on ``X``,
the sum it computes written out, and the output cell it fills. :func:`window_figure` draws
one position; :func:`sliding_gif` writes an animated GIF of the window visiting every
position. Both compute cross-correlation, what ``keras.layers.Conv2D`` computes, with "valid"
padding and stride 1; the chapter explains why.
"""

import numpy as np

from .convolution import corr2d

# Light cells keep the black numbers readable; cells not yet computed stay white.
CMAP = "Blues"




def _number(value):
    """A value as it reads in a sum: ``3`` rather than ``3.0``, two decimals otherwise."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def arithmetic(X, K, i=0, j=0):
    """The sum behind output cell ``(i, j)``, written out: ``"0×0 + 1×1 + 3×2 + 4×3 = 19"``.

    ``X`` is an ``(H, W)`` array, ``K`` an ``(f_h, f_w)`` kernel; ``(i, j)`` is the window's
    top-left corner, ``0 <= i <= H - f_h`` and ``0 <= j <= W - f_w``.
    """
    X, K = np.asarray(X), np.asarray(K)
    patch = X[i:i + K.shape[0], j:j + K.shape[1]]
    def term(v):
        return f"({_number(v)})" if v < 0 else _number(v)

    terms = " + ".join(f"{term(x)}×{term(k)}" for x, k in zip(patch.ravel(), K.ravel(), strict=True))
    return f"{terms} = {_number((patch * K).sum())}"


def _draw_grid(ax, M, filled=None, highlight=None, title=None, vmin=None, vmax=None):
    """A matrix as coloured cells with its numbers; cells outside ``filled`` stay blank."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    M = np.asarray(M)
    filled = np.ones(M.shape, bool) if filled is None else filled
    cmap = plt.get_cmap(CMAP).with_extremes(bad="white")
    ax.imshow(np.ma.masked_array(M, ~filled), cmap=cmap,
              vmin=M.min() if vmin is None else vmin, vmax=M.max() if vmax is None else vmax)
    for (row, col), value in np.ndenumerate(M):
        if filled[row, col]:
            ax.text(col, row, _number(value), ha="center", va="center", fontsize=11)
    ax.set_xticks(np.arange(-0.5, M.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, M.shape[0]), minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.8)
    ax.tick_params(which="both", length=0)
    ax.set_xticks([])
    ax.set_yticks([])
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False,
                               edgecolor="tab:red", linewidth=3))
    if title:
        ax.set_title(title)


def _pale(M):
    """Colour limits that use only the light part of the colour map, so black text reads."""
    return {"vmin": M.min(), "vmax": M.max() + 1.5 * (M.max() - M.min() + 1)}


def _draw_step(axes, X, K, Y, i, j, fill_all=False):
    """Draw the window at ``(i, j)`` on ``axes`` = (input, kernel, output)."""
    f_h, f_w = K.shape
    order = np.arange(Y.size).reshape(Y.shape)
    filled = np.ones(Y.shape, bool) if fill_all else order <= order[i, j]
    for ax in axes:
        ax.clear()
    _draw_grid(axes[0], X, highlight=(i, j, f_h, f_w), title="input X", **_pale(X))
    _draw_grid(axes[1], K, title="kernel K", **_pale(K))
    _draw_grid(axes[2], Y, filled=filled, highlight=(i, j, 1, 1), title="output Y", **_pale(Y))


def _figure(X, K, Y, scale):
    import matplotlib.pyplot as plt

    widths = [X.shape[1], K.shape[1], Y.shape[1]]
    height = max(X.shape[0], K.shape[0], Y.shape[0])
    fig, axes = plt.subplots(1, 3, figsize=(scale * (sum(widths) + 2), scale * (height + 1.2)),
                             gridspec_kw={"width_ratios": widths})
    return fig, axes


def window_figure(X, K, i=0, j=0, scale=0.55):
    """A figure of the window at ``(i, j)``: the input with its patch, the kernel, the output.

    ``X`` is an ``(H, W)`` array, ``K`` an ``(f_h, f_w)`` kernel; the output is their "valid"
    cross-correlation, ``(H - f_h + 1, W - f_w + 1)``, with cell ``(i, j)`` outlined and the
    sum that fills it as the title. Returns the figure (not shown; the caller shows or glues it).
    """
    X, K = np.asarray(X), np.asarray(K)
    Y = corr2d(X, K)
    fig, axes = _figure(X, K, Y, scale)
    _draw_step(axes, X, K, Y, i, j, fill_all=True)
    fig.suptitle(arithmetic(X, K, i, j))
    fig.tight_layout()
    return fig


def sliding_gif(X, K, path, fps=2, dpi=72, scale=0.55, plays=3):
    """Write an animated GIF of the window sliding over ``X``, filling the output cell by cell.

    One frame per output cell, row by row, then one frame of the finished output; each frame's
    title is the sum written out. The animation plays ``plays`` times and stops on the
    finished output: motion that never stops distracts readers (WCAG 2.2.2). Matplotlib's
    Pillow writer makes the file byte-for-byte the same on every run. Returns the number of
    frames written.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    X, K = np.asarray(X), np.asarray(K)
    Y = corr2d(X, K)
    positions = [(i, j) for i in range(Y.shape[0]) for j in range(Y.shape[1])]
    fig, axes = _figure(X, K, Y, scale)
    title = fig.suptitle("")

    def frame(number):
        i, j = positions[min(number, len(positions) - 1)]
        _draw_step(axes, X, K, Y, i, j)
        title.set_text(arithmetic(X, K, i, j))
        return [*axes, title]

    fig.tight_layout(rect=(0, 0, 1, 0.92))
    frames = len(positions) + 1  # the last position twice: a pause before the next play
    animation = FuncAnimation(fig, frame, frames=frames, blit=False)
    animation.save(str(path), writer=_gif_writer(fps, plays), dpi=dpi)
    plt.close(fig)
    return frames


def _gif_writer(fps, plays):
    """Matplotlib's ``PillowWriter``, but playing ``plays`` times instead of forever."""
    from matplotlib.animation import PillowWriter

    class FinitePillowWriter(PillowWriter):
        def finish(self):
            # A GIF's loop count is the number of repeats after the first play; without
            # one, the GIF plays once. PillowWriter always writes 0, "forever".
            repeats = {"loop": plays - 1} if plays > 1 else {}
            self._frames[0].save(self.outfile, save_all=True, append_images=self._frames[1:],
                                 duration=int(1000 / self.fps), **repeats)

    return FinitePillowWriter(fps=fps)
