"""A reader notebook as Jupyter renders it, beside the book's page, cropped to the same place.

    python tools/reader_screenshots.py --page chapters/03_stride_padding [--around exercise]

writes `_build/screenshots/compare/<page>-notebook.png` and `<page>-book.png`: the first glued
figure with its caption (or the first exercise) in the reader notebook (`notebooks/<page>.ipynb`,
what Colab and Binder open) and in the built book (`_build/html/<page>.html`), for a person to
compare. Needs a book build (`jupyter-book build .`): the notebook's math is typeset by the
book's own MathJax, so that nothing is fetched from the network.

The rendering is shared with the browser test, tests/browser/test_reader_notebooks_rendered.py:
`render_reader_notebook` exports a reader notebook with nbconvert's "lab" template (the HTML of
JupyterLab's notebook view), `open_offline` opens it in Chromium with the network blocked.
"""

import argparse
import importlib
import sys
import warnings
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import jinja2
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
READER_NOTEBOOKS = ROOT / "notebooks"
READER_HTML = ROOT / "_build" / "reader-html"
BOOK = ROOT / "_build" / "html"
MATHJAX = BOOK / "_static" / "mathjax" / "tex-mml-chtml.js"
COMPARE = ROOT / "_build" / "screenshots" / "compare"

READER_PAGES = sorted(path.relative_to(READER_NOTEBOOKS).with_suffix("").as_posix()
                      for path in READER_NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)

# The lab template with two blocks replaced, so that the page fetches nothing from the network:
# - require.js (always loaded from cdnjs) serves only widgets' JavaScript and application/javascript
#   outputs; the reader notebooks have neither. (The template's other network loads happen only
#   when needed: the widget manager for a notebook with saved widget state, mermaid for a mermaid
#   output. The reader notebooks have none; the browser test would fail on the request.)
# - MathJax: the template configures MathJax 2 (MathJax.Hub.Config in a text/x-mathjax-config
#   script), which MathJax 3, the book's, ignores: it would then typeset only $$...$$ and leave
#   every $...$ as raw TeX. The configuration here is JupyterLab's own (its mathjax-extension).
READER_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
                        processEscapes: true, processEnvironments: true}};
</script>
<script src="{{ resources.mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
"""


@cache
def reader_exporter() -> HTMLExporter:
    return HTMLExporter(template_name="lab", template_file="reader.html.j2",
                        extra_loaders=[jinja2.DictLoader({"reader.html.j2": READER_TEMPLATE})],
                        mathjax_url=MATHJAX.as_uri())


def render_reader_notebook(page: str) -> Path:
    """notebooks/<page>.ipynb as HTML, the way JupyterLab shows it, in _build/reader-html/<page>.html."""
    notebook = nbformat.read(READER_NOTEBOOKS / f"{page}.ipynb", as_version=4)
    with warnings.catch_warnings():
        # glue's records (application/papermill.record/*) have no mimetype a front end shows;
        # JupyterLab shows an empty output for them (jupyterlab#6559), nbconvert nothing but warns.
        warnings.filterwarnings("ignore", message="Your element with mimetype", category=UserWarning)
        html, _ = reader_exporter().from_notebook_node(notebook, resources={"metadata": {"name": Path(page).name}})
    target = READER_HTML / f"{page}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def is_local(url: str) -> bool:
    """A file:// URL, or something the page made itself (the attachments are data: URIs)."""
    return urlparse(url).scheme in ("file", "data", "blob", "about")


@cache
def browser_test():
    """The book's browser test, tests/browser/test_built_book.py: its Chromium, its flags, and
    its way of opening a page offline, which the reader notebooks share."""
    for folder in (str(ROOT), str(ROOT / "tests" / "browser")):  # it imports tools.translations
        if folder not in sys.path:
            sys.path.insert(0, folder)
    return importlib.import_module("test_built_book")


def open_offline(context, html: Path, outside_requests: list[str], errors: list[str]):
    """A new tab on `html`, every request that is not local aborted and added to `outside_requests`,
    console and page errors added to `errors`; returned once MathJax has typeset the page (the
    book's browser test opens its pages the same way)."""
    return browser_test().open_offline(context, html.as_uri(), is_local, outside_requests,
                                       errors.append, errors.append)


# The region to crop, in page coordinates, in the reader notebook (lab template) or the book.
# Notebook: the figure is a Markdown image, its caption the paragraph after it (**Fig. N** ...);
# an exercise is a paragraph **Exercise N**, up to the link to its solution in the book.
# Book: the figure is a <figure>; an exercise a div.exercise, followed by its solution's dropdown.
REGION_JS = """([around, where]) => {
    let first, last;
    if (where === 'book') {
        first = document.querySelector(around === 'figure' ? 'article figure' : 'article div.exercise');
        last = first && first.nextElementSibling && first.nextElementSibling.matches('div.solution')
            ? first.nextElementSibling : first;
    } else if (around === 'figure') {
        const image = document.querySelector('.jp-RenderedMarkdown img');
        first = image && (image.closest('p') || image);
        last = first && (first.nextElementSibling || first);
    } else {
        first = [...document.querySelectorAll('.jp-RenderedMarkdown p')].find(p => /^Exercise\\b/.test(p.innerText));
        last = first;
        while (last && last.nextElementSibling && !/^Solution to/.test(last.innerText)) last = last.nextElementSibling;
    }
    if (!first) return null;
    const top = first.getBoundingClientRect(), bottom = last.getBoundingClientRect(), margin = 16;
    const left = Math.min(top.left, bottom.left), right = Math.max(top.right, bottom.right);
    return {x: Math.max(0, left - margin + scrollX), y: Math.max(0, top.top - margin + scrollY),
            width: right - left + 2 * margin, height: bottom.bottom - top.top + 2 * margin};
}"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", default="chapters/03_stride_padding",
                        help="a reader notebook, as its path under notebooks/ without .ipynb")
    parser.add_argument("--around", default="figure", choices=["figure", "exercise"],
                        help="crop to the first glued figure (default) or to the first exercise")
    args = parser.parse_args(argv)
    if args.page not in READER_PAGES:
        parser.error(f"no notebooks/{args.page}.ipynb; the reader notebooks: {', '.join(READER_PAGES)}")
    if not MATHJAX.is_file():
        parser.error(f"no {MATHJAX.relative_to(ROOT)}: build the book first (jupyter-book build .)")

    # The browser and the book's page as the book's browser test opens them (Debian's Chromium,
    # its flags, the desktop width, the network blocked).
    book = browser_test()

    COMPARE.mkdir(parents=True, exist_ok=True)
    outside_requests, errors = [], []
    book_visit = book.Visit(args.page)
    with book.start_playwright() as playwright:
        browser = book.launch(playwright)
        context = browser.new_context(**book.WIDTHS["desktop"])
        tabs = {"notebook": open_offline(context, render_reader_notebook(args.page), outside_requests, errors),
                "book": book.open_page(context, f"{args.page}.html", book_visit, "desktop")}
        for where, tab in tabs.items():
            region = tab.evaluate(REGION_JS, [args.around, where])
            if region is None:
                parser.exit(1, f"{args.page}: no {args.around} in the {where}\n")
            target = COMPARE / f"{args.page}-{where}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=target, full_page=True, clip=region)
            print(target.relative_to(ROOT))
        browser.close()
    for url in outside_requests + book_visit.outside_requests:
        print(f"blocked: {url}", file=sys.stderr)
    for error in errors + book_visit.console_errors + book_visit.page_errors:
        print(f"error: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
