"""The built book in a real browser, offline: every page of `_build/html` in Chromium.

Run by `make browser-test`, which `make test` runs after the strict book build. Pages are
opened as file:// URLs, as a reader of a downloaded copy opens them; with the network
blocked, so that anything fetched from elsewhere (a CDN, a font host) shows up as a
failure here instead of working quietly on a connected machine. The published site is the
same folder served over HTTP, which can only load more, not less.

Each page is loaded once at desktop width and once at a phone's (390 px), a screenshot of
each goes to `_build/screenshots/<page>-desktop.png` and `-phone.png` for a person to look
at, and `_build/browser-report.json` records what every check found on every page.

Every page is also audited for accessibility by axe-core (the engine of most accessibility
checkers; its JavaScript comes inside the pinned `axe-playwright-python` package, nothing is
downloaded), with the rules of WCAG 2.1 levels A and AA, twice: in the light colour mode and
in the dark one, which the theme shows to readers whose system asks for it
(`default_mode: auto` in `_config.yml`). A translation's pages are audited in the light mode
only: their stylesheet, and so their colours, are the English pages'.

The pages are `PAGES`, every HTML page under `_build/html`: a translation built into a folder
of its own there (`_build/html/zh/`, say) is in that list as it is, and every check, the
accessibility audit included, runs on its pages too.

Needs Playwright's Python package (pinned in requirements.txt) and a Chromium: Debian's
`/usr/bin/chromium`, or the one named by $CHROMIUM. Playwright's own browser download is
not used (CI cannot reach it). Without either the tests fail, saying how to install it.
"""

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from PIL import Image

from tools.translations import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
REPORT = ROOT / "_build" / "browser-report.json"
AUDIT_JS = (Path(__file__).parent / "page_audit.js").read_text()
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

# The first test waits for the `visits` fixture: every page opened three times, screenshot at
# two widths, audited in two colour modes (about four minutes on our 2-core machine when it is
# shared), past the 300 s that pyproject.toml gives a unit test.
pytestmark = pytest.mark.timeout(1200)

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
TRANSLATIONS = set(LANGUAGES)  # each built into a folder of its own under _build/html
# Headless as root in a container; no GPU. Without the background-networking flags Chromium
# itself calls Google hosts (updates, field trials), which is not the book's doing.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = {
    "desktop": dict(viewport={"width": 1280, "height": 900}, color_scheme="light"),
    "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                  color_scheme="light"),
}
# The accessibility audit's colour modes: the light one in the desktop visit, the dark one in
# a visit of its own at the same width (contrast and structure do not change with the width).
DARK = dict(WIDTHS["desktop"], color_scheme="dark")


def is_translation(page: str) -> bool:
    """A page of a translation, built into a folder of its own (``zh_CN/...``)."""
    return page.split("/", 1)[0] in TRANSLATIONS


def is_redirect(path: Path) -> bool:
    """Jupyter Book's index.html: a meta refresh to the first page, not a page of its own."""
    return 'http-equiv="refresh"' in path.read_text(errors="replace")[:3000].lower()


# index.html is Jupyter Book's redirect to the first page (a meta refresh), not a page of its
# own: test_index_opens_the_first_page follows it instead of auditing it.
REDIRECT = BOOK / "index.html"
FIRST_PAGE = TOC["root"] + ".html"
PAGES = sorted(path.relative_to(BOOK).as_posix() for path in BOOK.rglob("*.html")
               if not {"_static", "_sources"} & set(path.relative_to(BOOK).parts) and not is_redirect(path))

# The accessibility audit: axe-core's rules for WCAG 2.1, levels A and AA. A violation of any
# of them fails an A or AA success criterion, whatever the impact axe gives it (minor to
# critical), so every one fails the test. A rule may be turned off only here, with the reason.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DISABLED_RULES = {
    "css-orientation-lock": (
        "WCAG 1.3.4, no display locked to portrait or landscape. axe reads every stylesheet a "
        "second time for it, through XMLHttpRequest, which Chromium refuses to a file:// page "
        "(its origin is null): a console error per stylesheet, and the rule sees none of them. "
        "test_no_stylesheet_locks_the_orientation checks the built CSS for it instead."),
}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "rules": {rule: {"enabled": False} for rule in DISABLED_RULES},
    "preload": False,  # the stylesheets' second reading, which only css-orientation-lock needs
    "resultTypes": ["violations"],
}
# A media query on the orientation is how a page would lock it (axe's css-orientation-lock).
ORIENTATION_QUERY = re.compile(r"@media[^{]*\borientation\b", re.IGNORECASE)

# The numbered chapters, by the file name of their page: the number `Chapter N` must give.
CHAPTER_NUMBERS = {Path(chapter["file"]).name + ".html": number
                   for part in TOC["parts"] if part.get("numbered")
                   for number, chapter in enumerate(part["chapters"], start=1)}

# Whatever is left of a TeX delimiter after MathJax ran means the math was not typeset.
RAW_MATH = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{")
# A value glued into prose with its Python repr instead of its text: numpy scalars
# (np.int64(213)), tensors, and str values shown with their quotes ('28 × 28').
PYTHON_REPR = re.compile(r"\bnp\.[a-z]+\d*_?\(|\btf\.Tensor\(|'[^'\n]{0,40}×[^'\n]{0,40}'")
FILE_NAME = re.compile(r"\S+\.(png|jpe?g|gif|svg|webp|bmp)", re.IGNORECASE)


@dataclass
class Visit:
    """What one page did and showed in the browser, at both widths."""
    page: str
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    audits: dict[str, dict] = field(default_factory=dict)  # width name -> page_audit.js result
    accessibility: dict[str, list[dict]] = field(default_factory=dict)  # colour mode -> axe's violations


def inside_the_book(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):  # made by the page itself, not fetched
        return True
    return parsed.scheme == "file" and Path(unquote(parsed.path)).resolve().is_relative_to(BOOK)


def book_file(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def open_offline(context, url: str, allowed, outside_requests: list[str], on_console_error, on_page_error):
    """A new tab on `url`: every request that `allowed(url)` refuses aborted and added to
    `outside_requests`, console errors and page errors passed to the two callbacks; returned
    once MathJax has typeset the page and its fonts have loaded."""
    tab = context.new_page()

    def route(request_route):
        request = request_route.request.url
        if allowed(request):
            request_route.continue_()
        else:
            outside_requests.append(request)
            request_route.abort()

    def console(message):
        if message.type == "error":
            on_console_error(f"{message.text} ({message.location.get('url')})")

    tab.route("**/*", route)
    tab.on("console", console)
    tab.on("pageerror", lambda error: on_page_error(str(error)))
    tab.goto(url, wait_until="load")
    # MathJax typesets after the load event; its fonts load after that. The theme sets the
    # colour mode once the page is parsed, and its buttons fade into the mode's colours
    # (0.15 s CSS transitions): a contrast check run before they end reads a colour of the
    # other mode (black on the dark background), on a busy machine only. Wait for them too.
    tab.evaluate("""async () => {
        if (window.MathJax && window.MathJax.startup) await window.MathJax.startup.promise;
        await document.fonts.ready;
        const ending = document.getAnimations()
            .filter(animation => animation.effect.getComputedTiming().endTime !== Infinity);
        await Promise.all(ending.map(animation => animation.finished.catch(() => null)));
    }""")
    return tab


def open_page(context, page: str, visit: Visit, width: str):
    """A new tab on the book's `page`, every request outside the book aborted and recorded."""
    return open_offline(context, (BOOK / page).as_uri(), inside_the_book, visit.outside_requests,
                        lambda error: visit.console_errors.append(f"[{width}] {error}"),
                        lambda error: visit.page_errors.append(f"[{width}] {error}"))


def start_playwright():
    """Playwright's entry point; a failure (not a skip) when it or the browser is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: `make install` (requirements.txt pins it)",
                    pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) "
                    "or set CHROMIUM to a Chromium or Chrome binary", pytrace=False)
    return sync_playwright()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)


def start_axe():
    """axe-core, from the pinned axe-playwright-python package (which bundles its script)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("axe-playwright-python is not installed: `make install` (requirements.txt pins it)",
                    pytrace=False)
    return Axe()


def accessibility_audit(axe, tab) -> list[dict]:
    """axe-core's violations of the WCAG 2.1 A and AA rules on the page open in `tab`."""
    violations = axe.run(tab, options=AXE_OPTIONS).response["violations"]
    return [{
        "rule": violation["id"],
        "impact": violation["impact"],
        "help": violation["help"],
        "elements": [" ".join(node["target"]) + ": " + " ".join(node.get("failureSummary", "").split())
                     for node in violation["nodes"]],
    } for violation in violations]


@pytest.fixture(scope="module")
def visits() -> dict[str, Visit]:
    """Every page at both widths in one browser, a screenshot of each; then the JSON report."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    started = time.monotonic()
    results = {page: Visit(page) for page in PAGES}
    axe = start_axe()
    with start_playwright() as playwright:
        browser = launch(playwright)
        for width, options in WIDTHS.items():
            context = browser.new_context(**options)
            for page, visit in results.items():
                tab = open_page(context, page, visit, width)
                visit.audits[width] = tab.evaluate(AUDIT_JS, options["viewport"]["width"])
                screenshot = SCREENSHOTS / f"{Path(page).with_suffix('')}-{width}.png"
                tab.screenshot(path=screenshot, full_page=True)
                if width == "desktop":
                    visit.accessibility["light"] = accessibility_audit(axe, tab)
                tab.close()
            context.close()
        context = browser.new_context(**DARK)
        for page, visit in results.items():
            if is_translation(page):
                continue  # same stylesheet, same colours: the English page's dark audit covers it
            tab = open_page(context, page, visit, "dark")
            visit.accessibility["dark"] = accessibility_audit(axe, tab)
            tab.close()
        context.close()
        version = browser.version
        browser.close()
    write_report(results, version, time.monotonic() - started)
    return results


# The checks. Each takes a page's Visit and returns what is wrong on it, one line per
# offending request, message or element; the test and the JSON report both use them.

def requests_outside_the_book(visit: Visit) -> list[str]:
    """The book must work offline and tell no third party who reads it."""
    return sorted(set(visit.outside_requests))


def console_and_page_errors(visit: Visit) -> list[str]:
    return visit.console_errors + visit.page_errors


def in_context(pattern: re.Pattern, text: str) -> list[str]:
    """Each match of pattern in text, with some of the text around it, on one line."""
    return ["..." + " ".join(text[max(0, m.start() - 40):m.end() + 40].split()) + "..."
            for m in pattern.finditer(text)]


def untypeset_math(visit: Visit) -> list[str]:
    audit = visit.audits["desktop"]
    return ([f"raw TeX: {found}" for found in in_context(RAW_MATH, audit["prose"])]
            + [f"MathJax error: {error}" for error in audit["mathjaxErrors"]])


def image_problems(images: list[dict], name=lambda src: src.rsplit("/", 1)[-1]) -> list[str]:
    """Every image loads, and says in words what it shows (a file name is no description).
    ``images`` as page_audit.js reports them; ``name`` shortens a source for the message."""
    problems = []
    for image in images:
        alt = (image["alt"] or "").strip()
        if not image["loaded"]:
            problems.append(f"{name(image['src'])} did not load")
        if not alt or FILE_NAME.fullmatch(alt):
            problems.append(f"{name(image['src'])} has no alt text (alt={image['alt']!r})")
    return problems


def broken_or_unlabelled_images(visit: Visit) -> list[str]:
    return image_problems(visit.audits["desktop"]["images"])


def images_animated_forever(visit: Visit) -> list[str]:
    """An animation that never stops distracts from the text beside it (WCAG 2.2.2)."""
    problems = []
    for image in visit.audits["desktop"]["images"]:
        path = book_file(image["src"])
        if path is None or path.suffix.lower() != ".gif" or not path.is_file():
            continue
        with Image.open(path) as gif:
            # Pillow's loop is the GIF's NETSCAPE2.0 count: 0 is forever; absent is once.
            if getattr(gif, "n_frames", 1) > 1 and gif.info.get("loop") == 0:
                problems.append(f"{path.name} loops forever ({gif.n_frames} frames)")
    return problems


def python_reprs_in_prose(visit: Visit) -> list[str]:
    return in_context(PYTHON_REPR, visit.audits["desktop"]["prose"])


def sideways_scroll_on_a_phone(visit: Visit) -> list[str]:
    audit, screen = visit.audits["phone"], WIDTHS["phone"]["viewport"]["width"]
    if audit["scrollWidth"] <= screen:
        return []
    return [f"the page is {audit['scrollWidth']} px wide on a {screen} px screen"] + audit["tooWide"]


def footer_without_the_licences(visit: Visit) -> list[str]:
    footer = " ".join(visit.audits["desktop"]["footer"].split())
    return [f"the footer names no {name} licence: {footer!r}"
            for name in ("CC BY 4.0", "MIT") if name not in footer]


def accessibility_violations(visit: Visit) -> list[str]:
    """WCAG 2.1 A and AA as axe-core audits them, in both colour modes: no violation at all.

    Each rule broken, with its impact and every element that breaks it (for contrast, the
    colours and the ratio).
    """
    problems = []
    for mode, violations in visit.accessibility.items():
        for violation in violations:
            problems.append(f"[{mode} mode] {violation['rule']} ({violation['impact']}, "
                            f"{len(violation['elements'])} elements): {violation['help']}")
            problems += [f"    {element}" for element in violation["elements"]]
    return problems


def chapter_word_before_a_title(visit: Visit) -> list[str]:
    """'Chapter' before a link to a chapter says its number, and the right one.

    MyST's {doc}`../chapters/06_mnist_convnet` renders as the chapter's title, so "Chapter
    {doc}`...`" reads "Chapter Training a small convnet ...". Write {doc}`chapter 6 <...>`
    (or "the chapter “{doc}`...`”"). A number, after the word or in the link's text, must be
    the linked chapter's number in `_toc.yml`.
    """
    problems = []
    for link in visit.audits["desktop"]["chapterLinks"]:
        text = link["text"]
        number = re.match(r"(?:chapters?\s+)?(\d+)\b", text, re.IGNORECASE)
        target = book_file(link["href"])
        expected = CHAPTER_NUMBERS.get(target.name) if target else None
        if link["afterTheWord"] and not number:
            problems.append(f"...{link['before']}[{text}]: the word chapter, then the chapter's title "
                            f"instead of its number")
        elif number and expected is not None and int(number.group(1)) != expected:
            problems.append(f"...{link['before']}[{text}]: the link leads to chapter {expected}")
    return problems


CHECKS = [requests_outside_the_book, console_and_page_errors, untypeset_math,
          broken_or_unlabelled_images, images_animated_forever, python_reprs_in_prose,
          sideways_scroll_on_a_phone, footer_without_the_licences, accessibility_violations,
          chapter_word_before_a_title]


def write_report(results: dict[str, Visit], browser_version: str, seconds: float) -> None:
    REPORT.write_text(json.dumps({
        "browser": f"Chromium {browser_version}",
        "seconds": round(seconds, 1),
        "pages": {page: {
            "outside_requests": requests_outside_the_book(visit),
            "console_errors": visit.console_errors,
            "page_errors": visit.page_errors,
            "problems": {check.__name__: found for check in CHECKS if (found := check(visit))},
            # Every rule axe found broken, in each colour mode, with how many elements broke it.
            "accessibility": {mode: {violation["rule"]: len(violation["elements"]) for violation in violations}
                              for mode, violations in visit.accessibility.items()},
        } for page, visit in results.items()},
    }, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_page(visits, check, page):
    problems = check(visits[page])
    assert not problems, f"{page}: {check.__name__.replace('_', ' ')}:\n  " + "\n  ".join(problems)


def test_no_stylesheet_locks_the_orientation():
    """WCAG 1.3.4 (axe's css-orientation-lock, which cannot read the stylesheets of a file://
    page): no stylesheet of the book, file or <style> element, has a media query on the
    orientation, so none can lock the display to portrait or landscape."""
    sheets = {path.relative_to(BOOK).as_posix(): path.read_text(errors="replace")
              for path in BOOK.rglob("*.css")}
    for page in PAGES:
        html = (BOOK / page).read_text(errors="replace")
        sheets |= {f"{page} <style> {n}": style
                   for n, style in enumerate(re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL | re.IGNORECASE))}
    assert sheets, f"no stylesheet in {BOOK}: build the book first"
    locking = [f"{name}: {found}" for name, text in sheets.items() for found in in_context(ORIENTATION_QUERY, text)]
    assert not locking, "a media query on the orientation:\n  " + "\n  ".join(locking)


def test_the_book_is_built():
    assert PAGES, f"no pages in {BOOK}: build the book first (`make book`)"


def test_index_opens_the_first_page():
    """A downloaded copy is opened at index.html, which must lead to the book's first page."""
    with start_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page()
        tab.goto(REDIRECT.as_uri())
        tab.wait_for_url((BOOK / FIRST_PAGE).as_uri(), timeout=5000)
        browser.close()
