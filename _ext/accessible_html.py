"""Every page of the built book passes an accessibility audit (WCAG 2.1, levels A and AA).

A local Sphinx extension (registered in `_config.yml` under `sphinx: local_extensions`), for
the two defects that the audit of `tests/browser/test_built_book.py` (axe-core) found in HTML
that the book's sources do not write themselves, and that CSS alone cannot mend:

1. **Citations are list items.** docutils writes the bibliography as `<div role="list">`
   holding one `<div role="doc-biblioentry">` per work. DPUB-ARIA 1.1 deprecated that role,
   so browsers and screen readers drop it, and the list then "contains" the links inside the
   entries instead of items: a list that is not one (axe's rules aria-required-children,
   critical, and aria-deprecated-role). Each entry becomes `role="listitem"`, which is what
   the deprecated role meant.

2. **Coloured text in notebook outputs is readable in both colour modes.** Rich, which Keras
   uses for `model.summary()`, writes its colours as inline styles chosen for a black
   terminal: `#00d7ff` on the book's light grey code background is a contrast of 1.56,
   `#0087ff` 3.2 (WCAG asks 4.5 for text), and `#0087ff` on the dark mode's background
   3.7. Every inline `color: #rrggbb` in a page (without a background of its own) keeps its
   hue and saturation and moves in lightness, just enough to reach `CONTRAST` against the
   code background of the light mode, written in place, and of the dark mode, written
   beside it as `--dark-color`, which `_static/accessible-colours.css` applies in dark mode.
   The notebooks' committed outputs stay as Rich wrote them: this is the book's rendering.

The backgrounds are the pydata-sphinx-theme's `--pst-color-surface` of each mode, which
`<pre>` blocks, and so the outputs, sit on. Should the theme change them, the browser test's
audit fails on the colours, naming them.
"""

import colorsys
import re

from sphinx.application import Sphinx

LIGHT_BACKGROUND = "#f3f4f5"
DARK_BACKGROUND = "#29313d"
# WCAG 2.1 AA asks 4.5 for text; the margin keeps rounding to whole RGB steps above it.
CONTRAST = 4.6

CITATION_ROLE = ' role="doc-biblioentry"'
STYLE = re.compile(r'(<[a-zA-Z][^<>]*?\sstyle=")([^"]*)(")')
COLOUR = re.compile(r"(?<![\w-])(color\s*:\s*)(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)")
DECORATION = re.compile(r"(?<![\w-])(text-decoration-color\s*:\s*)(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)")
HAS_BACKGROUND = re.compile(r"(?<![\w-])background(-color)?\s*:")


def _rgb(colour: str) -> tuple[float, float, float]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(max(channel, 0.0), 1.0) * 255):02x}" for channel in rgb)


def luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable(colour: str, background: str, target: float = CONTRAST) -> str:
    """`colour`, darker on a light background or lighter on a dark one, as little as it takes
    for a contrast of `target` with `background`; unchanged when it already has it."""
    if contrast(colour, background) >= target:
        return colour.lower()
    hue, lightness, saturation = colorsys.rgb_to_hls(*_rgb(colour))
    towards = 0.0 if luminance(background) > 0.18 else 1.0  # away from the background
    near, far = lightness, towards  # near fails, far (black or white) passes
    for _ in range(40):
        middle = (near + far) / 2
        if contrast(_hex(colorsys.hls_to_rgb(hue, middle, saturation)), background) >= target:
            far = middle
        else:
            near = middle
    return _hex(colorsys.hls_to_rgb(hue, far, saturation))


def _readable_style(style: str) -> str:
    if HAS_BACKGROUND.search(style) or "--dark-color" in style:
        return style
    found = COLOUR.search(style)
    if found is None:
        return style
    light = readable(found.group(2), LIGHT_BACKGROUND)
    dark = readable(found.group(2), DARK_BACKGROUND)
    style = COLOUR.sub(lambda match: match.group(1) + light, style)
    style = DECORATION.sub(lambda match: match.group(1) + light, style)
    return style.rstrip().rstrip(";") + f"; --dark-color: {dark}"


def readable_colours(html: str) -> str:
    """Every inline `color: #rrggbb` in `html`, readable on the light and the dark background."""
    return STYLE.sub(lambda tag: tag.group(1) + _readable_style(tag.group(2)) + tag.group(3), html)


def citations_as_list_items(html: str) -> str:
    return html.replace(CITATION_ROLE, ' role="listitem"')


def accessible_body(app: Sphinx, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if isinstance(body, str):
        context["body"] = readable_colours(citations_as_list_items(body))


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", accessible_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
