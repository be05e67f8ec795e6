"""The chapter 2 figures: the written-out sum, the window figure and the GIF."""

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from cnn_course import conv_figures

matplotlib.use("Agg")  # no display needed

X = np.arange(9).reshape(3, 3)
K = np.arange(4).reshape(2, 2)


def test_arithmetic_writes_out_the_d2l_example():
    assert conv_figures.arithmetic(X, K) == "0×0 + 1×1 + 3×2 + 4×3 = 19"
    assert conv_figures.arithmetic(X, K, 1, 1).endswith("= 43")


def test_arithmetic_brackets_negative_numbers_and_shortens_floats():
    text = conv_figures.arithmetic(np.array([[0.5, 2.0]]), np.array([[-1, 1]]))
    assert text == "0.50×(-1) + 2×1 = 1.50"



def test_window_figure_has_three_panels_and_the_sum_as_title():
    fig = conv_figures.window_figure(X, K, 0, 1)
    try:
        assert len(fig.axes) == 3
        assert fig._suptitle.get_text() == conv_figures.arithmetic(X, K, 0, 1)
    finally:
        plt.close(fig)


def test_sliding_gif_is_small_animated_and_repeatable(tmp_path):
    first, second = tmp_path / "a.gif", tmp_path / "b.gif"
    frames = conv_figures.sliding_gif(X[:2], K, first, dpi=30)  # kept tiny: two positions
    conv_figures.sliding_gif(X[:2], K, second, dpi=30)
    assert frames == 3  # two output cells and a pause
    assert first.read_bytes() == second.read_bytes()
    with Image.open(first) as gif:
        assert gif.n_frames > 1
        assert gif.info["loop"] == 2  # three plays, then it stops


def test_sliding_gif_played_once_has_no_loop_extension(tmp_path):
    conv_figures.sliding_gif(X[:2], K, tmp_path / "once.gif", dpi=30, plays=1)
    with Image.open(tmp_path / "once.gif") as gif:
        assert "loop" not in gif.info


def test_the_books_gif_stops(tmp_path):
    with Image.open(Path(__file__).parent.parent / "chapters/figures/conv_sliding.gif") as gif:
        assert gif.info.get("loop", 0) > 0 or "loop" not in gif.info
