"""cnn_course.explorer: the window positions agree with the formula, and the figure draws them."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.conv_arithmetic import output_size
from cnn_course.explorer import draw_conv_geometry, explorer, uncovered_pixels, window_starts

matplotlib.use("Agg")


@st.composite
def geometries(draw):
    """A valid (n, f, p, s): the window fits in the padded input."""
    n = draw(st.integers(1, 12))
    p = draw(st.integers(0, 3))
    f = draw(st.integers(1, n + 2 * p))
    s = draw(st.integers(1, 4))
    return n, f, p, s


@settings(max_examples=60)
@given(geometries())
def test_window_starts_match_output_size(geometry):
    n, f, p, s = geometry
    starts = window_starts(n, f, p, s)
    assert len(starts) == output_size(n, f, s, p)
    assert starts[-1] + f <= n + 2 * p  # the last window fits
    assert starts[-1] + s + f > n + 2 * p  # one more stride would not
    np.testing.assert_array_equal(np.diff(starts), s)


@settings(max_examples=60)
@given(geometries())
def test_uncovered_pixels_when_stride_fits_window(geometry):
    n, f, p, s = geometry
    if s > f:
        return
    leftover = (n + 2 * p - f) % s  # padded positions past the last window
    expected = np.zeros(n, bool)
    expected[n - max(leftover - p, 0):] = True
    np.testing.assert_array_equal(uncovered_pixels(n, f, p, s), expected)


def test_uncovered_pixels_stride_longer_than_window():
    assert uncovered_pixels(5, 1, 0, 2).tolist() == [False, True, False, True, False]
    assert uncovered_pixels(1, 1, 1, 2).tolist() == [True]  # windows on the two zeros only


@pytest.mark.parametrize("n, f, p, s", [(7, 3, 1, 2), (8, 3, 0, 2), (5, 5, 0, 1), (1, 1, 0, 1)])
def test_figure_shows_every_window_and_output_cell(n, f, p, s):
    fig = draw_conv_geometry(n, f, p, s)
    ax_in, ax_out = fig.axes
    o = output_size(n, f, s, p)
    dots = ax_in.lines[0]
    assert len(dots.get_xdata()) == o * o  # one dot per window position
    assert len(ax_out.patches) == o * o  # one cell per output value
    assert f"= {o}" in fig.get_suptitle()
    plt.close(fig)


def test_figure_draws_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert draw_conv_geometry(4, 2, 0, 1, axes=axes, title=False) is fig
    plt.close(fig)


@pytest.mark.parametrize("args, word", [
    ((0, 3, 0, 1), "n"), ((5, 0, 0, 1), "f"), ((5, 3, -1, 1), "p"), ((5, 3, 1.5, 1), "p"),
    ((5, 3, 0, 0), "s"), ((3, 6, 1, 1), "f"), ((5, 3, True, 1), "p"),
])
def test_bad_arguments_name_the_argument(args, word):
    with pytest.raises(ValueError, match=rf"^{word} must"):
        draw_conv_geometry(*args)


def test_explorer_builds_headless_with_four_sliders():
    widget = explorer(n=7, f=3, p=1, s=2)
    values = {child.description.split()[0]: child.value for child in widget.children[:4]}
    assert values == {"n": 7, "f": 3, "p": 1, "s": 2}
    plt.close("all")
    with pytest.raises(ValueError, match="^n must be at most"):
        explorer(n=20)
