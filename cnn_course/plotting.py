"""Figures that more than one chapter draws.

Every function draws on matplotlib axes and returns them (or the figure), so a chapter can
add a title or an arrow; none calls ``plt.show()``.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


def show_matrix(matrix, ax=None, annotate=True, fmt=None, cmap="gray", vmin=None, vmax=None,
                highlight=None, highlight_color="tab:red", fontsize=None, title=None):
    """Draw a 2-D array as a heatmap, optionally writing each value in its cell.

    ``highlight`` is ``(row, col, height, width)``: a rectangle drawn around that block of
    cells (a convolution window, a pooling window). Values are written in black or white,
    whichever reads better on the cell's shade. Used from chapter 1 on.
    """
    matrix = np.asarray(matrix)
    if ax is None:
        size = max(2.0, 0.45 * max(matrix.shape))
        _, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax)
    if annotate:
        if fmt is None:
            fmt = "{:d}" if matrix.dtype.kind in "iub" else "{:.2g}"
        low, high = image.get_clim()
        middle = (low + high) / 2
        fontsize = fontsize or (5 if max(matrix.shape) > 14 else 10)
        for (row, col), value in np.ndenumerate(matrix):
            light_cell = (value > middle) if cmap == "gray" else (value < middle)
            ax.text(col, row, fmt.format(value.item()), ha="center", va="center",
                    fontsize=fontsize, color="black" if light_cell else "white")
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False,
                               edgecolor=highlight_color, linewidth=2.5))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def show_images(images, titles=None, ncols=8, cmap="gray", size=1.4, vmin=None, vmax=None,
                suptitle=None):
    """Draw a grid of images (2-D arrays, or H×W×3 colour images) with optional titles.

    Returns the figure. Used for MNIST samples, feature maps, filters and misclassified digits.
    """
    images = list(images)
    ncols = max(1, min(ncols, len(images)))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(np.squeeze(images[index]), cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[index], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_feature_maps(feature_maps, title=None, ncols=8, max_maps=None, size=1.1):
    """Draw the channels of one feature map, an ``(H, W, C)`` array, as a grid of images."""
    feature_maps = np.asarray(feature_maps)
    channels = feature_maps.shape[-1] if max_maps is None else min(max_maps, feature_maps.shape[-1])
    maps = [feature_maps[..., c] for c in range(channels)]
    return show_images(maps, titles=[f"{c}" for c in range(channels)], ncols=ncols,
                       cmap="viridis", size=size, suptitle=title)
