"""_ext/accessible_html.py, the book's accessibility mends, without building the book.

The browser test audits the built pages with axe-core; these tests pin the pieces on their
own: the contrast arithmetic against WCAG's definition, the colours Rich writes (every colour
of its 256-colour palette reaches the contrast on both backgrounds, keeping its hue), the
rewriting of a page's HTML, and the two theme backgrounds the extension assumes.
"""

import colorsys
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import accessible_html as ext  # noqa: E402  (a Sphinx local extension, not a package)

sys.path.remove(str(ROOT / "_ext"))

WHITE, BLACK = "#ffffff", "#000000"
# Rich's 256 colours (those of xterm): 16 system colours, a 6×6×6 cube, 24 greys.
CUBE = [0, 95, 135, 175, 215, 255]
SYSTEM = ["#000000", "#800000", "#008000", "#808000", "#000080", "#800080", "#008080", "#c0c0c0",
          "#808080", "#ff0000", "#00ff00", "#ffff00", "#0000ff", "#ff00ff", "#00ffff", "#ffffff"]
PALETTE = (SYSTEM + [f"#{r:02x}{g:02x}{b:02x}" for r in CUBE for g in CUBE for b in CUBE]
           + [f"#{grey:02x}{grey:02x}{grey:02x}" for grey in range(8, 248, 10)])


def test_contrast_is_wcags():
    assert ext.contrast(WHITE, BLACK) == pytest.approx(21)
    assert ext.contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert ext.contrast(WHITE, "#767676") == pytest.approx(4.54, abs=0.01)
    # the numbers the audit reported before the mend
    assert ext.contrast("#00d7ff", ext.LIGHT_BACKGROUND) == pytest.approx(1.56, abs=0.01)
    assert ext.contrast("#0087ff", ext.DARK_BACKGROUND) == pytest.approx(3.69, abs=0.01)


@pytest.mark.parametrize("background", [ext.LIGHT_BACKGROUND, ext.DARK_BACKGROUND])
def test_every_colour_rich_writes_becomes_readable_keeping_its_hue(background):
    for colour in PALETTE:
        mended = ext.readable(colour, background)
        assert ext.contrast(mended, background) >= ext.CONTRAST > 4.5, (colour, mended)
        if ext.contrast(colour, background) >= ext.CONTRAST:
            assert mended == colour  # readable already: unchanged
            continue
        hue, _, saturation = colorsys.rgb_to_hls(*ext._rgb(colour))
        new_hue, new_lightness, _ = colorsys.rgb_to_hls(*ext._rgb(mended))
        # a hue, where there is one to keep (not a grey, and not rounded to near black or white)
        if saturation > 0.2 and 0.1 < new_lightness < 0.9:
            assert min(abs(new_hue - hue), 1 - abs(new_hue - hue)) < 0.02, (colour, mended)


def test_the_light_colour_is_readable_on_white_too():
    """An output outside a grey code block sits on the page's white."""
    for colour in PALETTE:
        assert ext.contrast(ext.readable(colour, ext.LIGHT_BACKGROUND), WHITE) >= 4.5


def test_a_rich_span_gets_both_colours():
    html = '<span style="color: #0087ff; text-decoration-color: #0087ff">Conv2D</span>'
    mended = ext.readable_colours(html)
    light, dark = ext.readable("#0087ff", ext.LIGHT_BACKGROUND), ext.readable("#0087ff", ext.DARK_BACKGROUND)
    assert mended == (f'<span style="color: {light}; text-decoration-color: {light}; '
                      f'--dark-color: {dark}">Conv2D</span>')
    assert ext.readable_colours(mended) == mended  # a second pass changes nothing


@pytest.mark.parametrize("html", [
    '<span style="font-weight: bold">Model</span>',  # no colour
    '<span style="color: #ffffff; background-color: #0087ff">x</span>',  # its own background
    '<pre style="white-space:pre;overflow-x:auto">x</pre>',
    '<p>color: #00d7ff is a colour</p>',  # text, not a style
])
def test_what_is_left_alone(html):
    assert ext.readable_colours(html) == html


def test_citations_become_list_items():
    html = ('<div role="list" class="citation-list">\n'
            '<div class="citation" id="id2" role="doc-biblioentry">\n<p>Chollet</p></div></div>')
    assert ext.citations_as_list_items(html) == html.replace('role="doc-biblioentry"', 'role="listitem"')


def test_the_backgrounds_are_the_themes():
    """The extension's two backgrounds are the installed theme's surface colour, on which
    <pre> blocks, and so the outputs, sit (a theme update that changes them fails here)."""
    spec = importlib.util.find_spec("pydata_sphinx_theme")
    css = next(Path(spec.origin).parent.rglob("pydata-sphinx-theme.css")).read_text()
    for mode, background in (("light", ext.LIGHT_BACKGROUND), ("dark", ext.DARK_BACKGROUND)):
        blocks = re.findall(rf"html\[data-theme={mode}\]\{{([^}}]*)\}}", css)
        surfaces = {value.lower() for block in blocks
                    for value in re.findall(r"--pst-color-surface:(#[0-9a-fA-F]{3,6})", block)}
        assert surfaces == {background}, (mode, surfaces)
