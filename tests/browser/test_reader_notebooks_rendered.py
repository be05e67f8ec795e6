"""The reader notebooks as Jupyter renders them, in a real browser, offline.

The reader notebooks (`notebooks/`, written by the book's build) are what Colab and Binder
open; the book's own browser test never sees them. Here each one is exported with nbconvert's
"lab" template, the HTML of JupyterLab's notebook view, to `_build/reader-html/<page>.html`
(tools/reader_screenshots.py, which also puts a notebook's figure beside the book's), and
opened in Chromium with the network blocked, its math typeset by the book's own MathJax
(`_build/html/_static/mathjax`, so a book build must come first: `make browser-test`). Each
notebook must show:

- no MyST left over (roles, directives, colon fences): the build resolves them all, and
  Jupyter would show them as raw text;
- its math typeset, and no raw TeX in the prose of its Markdown cells;
- every image of its Markdown cells (the figures, cell attachments) loaded, with alt text;
- nothing fetched from outside file:// (nothing at all: nbconvert's require.js and MathJax 2
  are replaced, see tools/reader_screenshots.py), and no script or console error.

A full-page screenshot of each, at desktop width, goes to `_build/screenshots/reader/<page>.png`
for a person to look at.
"""

import json
import re
import shutil
from dataclasses import dataclass, field

import pytest

# tests/browser has no __init__.py: pytest's default import mode (prepend) puts this folder on
# sys.path for its test modules, so the book's browser test is importable by its name.
from test_built_book import RAW_MATH, WIDTHS, image_problems, in_context, launch, start_playwright

from tools.reader_screenshots import MATHJAX, READER_NOTEBOOKS, READER_PAGES, ROOT, open_offline, render_reader_notebook

SCREENSHOTS = ROOT / "_build" / "screenshots" / "reader"

# What MyST source looks like once it is only text: roles, directive fences, colon fences.
MYST_MARKERS = ["{glue", "{term}", "{doc}", "{numref}", "{cite", "{exercise}", "{solution}", "```{", ":::"]
# Any other role ({ref}, {eq}, {prf:ref}, ...): in rendered prose a role's name is followed by
# its target, which Markdown turned into code.
MYST_ROLE = re.compile(r"\{[a-z][\w:-]*\}")
# TeX left over: the book's check (\(, \[, $$, \begin{) and an inline $...$ pair.
RAW_TEX = re.compile(RAW_MATH.pattern + r"|\$[^$]+\$")
DOLLAR_MATH = re.compile(r"\$[^$]+\$")

# What the rendered page shows, read in the browser once MathJax has typeset it.
AUDIT_JS = """() => {
    const markdown = [...document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')];
    // The prose of each Markdown cell: its text outside code and outside the typeset math.
    const prose = markdown.map(cell => {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT, {acceptNode: node =>
            node.parentElement.closest('code, pre, mjx-container, script, style')
                ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
        let text = '';
        while (walker.nextNode()) text += walker.currentNode.data;
        return text;
    });
    return {
        text: document.body.innerText,
        prose,
        // A fenced directive (```{note}) that Markdown took for a code block in the language "{note}".
        directiveBlocks: markdown.flatMap(cell => [...cell.querySelectorAll('code[class*="language-{"]')])
            .map(code => code.className + ': ' + code.textContent.slice(0, 60)),
        typesetMath: document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
        // TeX MathJax could not parse, and macros it does not know (shown as red text: a macro
        // the book defines would be one, as Jupyter has only MathJax's own).
        mathErrors: [...document.querySelectorAll(
            'mjx-merror, [data-mjx-error], mjx-assistive-mml mtext[mathcolor="red"]')]
            .map(error => error.getAttribute('data-mjx-error') || error.textContent),
        images: markdown.flatMap(cell => [...cell.querySelectorAll('img')]).map(image => ({
            src: image.getAttribute('src').slice(0, 60), alt: image.getAttribute('alt'),
            loaded: image.complete && image.naturalWidth > 0})),
    };
}"""


@dataclass
class ReaderVisit:
    """What one reader notebook showed and did in the browser."""
    page: str
    has_math: bool  # its Markdown cells hold $...$ or $$...$$
    outside_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console and page errors
    audit: dict = field(default_factory=dict)  # AUDIT_JS's result


def markdown_sources(page: str) -> list[str]:
    cells = json.loads((READER_NOTEBOOKS / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]


@pytest.fixture(scope="module")
def visits() -> dict[str, ReaderVisit]:
    """Every reader notebook rendered and opened once, in one browser; a screenshot of each."""
    if not MATHJAX.is_file():
        pytest.fail(f"no {MATHJAX.relative_to(ROOT)}: build the book first (`make book-strict`)", pytrace=False)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    results = {}
    with start_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(**WIDTHS["desktop"])
        for page in READER_PAGES:
            visit = results[page] = ReaderVisit(
                page, has_math=any(DOLLAR_MATH.search(source) for source in markdown_sources(page)))
            tab = open_offline(context, render_reader_notebook(page), visit.outside_requests, visit.errors)
            visit.audit = tab.evaluate(AUDIT_JS)
            screenshot = SCREENSHOTS / f"{page}.png"
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=screenshot, full_page=True)
            tab.close()
        context.close()
        browser.close()
    return results


# The checks: each returns what is wrong in one notebook, one line per finding.

def myst_left_over(visit: ReaderVisit) -> list[str]:
    text = visit.audit["text"]
    return ([f"{marker!r}: " + " | ".join(in_context(re.compile(re.escape(marker)), text))
             for marker in MYST_MARKERS if marker in text]
            + [f"a role: {found}" for prose in visit.audit["prose"] for found in in_context(MYST_ROLE, prose)]
            + [f"a directive shown as code: {block}" for block in visit.audit["directiveBlocks"]])


def untypeset_math(visit: ReaderVisit) -> list[str]:
    audit = visit.audit
    problems = [f"raw TeX: {found}" for prose in audit["prose"] for found in in_context(RAW_TEX, prose)]
    problems += [f"MathJax error: {error}" for error in audit["mathErrors"]]
    if visit.has_math and not audit["typesetMath"]:
        problems.append("the Markdown holds $ math, but MathJax typeset none (did it load?)")
    return problems


def broken_or_unlabelled_images(visit: ReaderVisit) -> list[str]:
    return image_problems(visit.audit["images"], name=lambda src: src[:60] + "...")


def requests_outside_file_urls(visit: ReaderVisit) -> list[str]:
    """Offline, nothing may be missing; online, no third party learns who reads what."""
    return sorted(set(visit.outside_requests))


def console_and_page_errors(visit: ReaderVisit) -> list[str]:
    return visit.errors


CHECKS = [myst_left_over, untypeset_math, broken_or_unlabelled_images, requests_outside_file_urls,
          console_and_page_errors]


def test_there_are_reader_notebooks():
    assert READER_PAGES, f"no reader notebook in {READER_NOTEBOOKS}"


@pytest.mark.parametrize("page", READER_PAGES)
def test_reader_notebook_renders_in_jupyter(visits, page):
    visit = visits[page]
    problems = [f"{check.__name__.replace('_', ' ')}: {found}" for check in CHECKS for found in check(visit)]
    assert not problems, f"notebooks/{page}.ipynb as Jupyter renders it:\n  " + "\n  ".join(problems)
