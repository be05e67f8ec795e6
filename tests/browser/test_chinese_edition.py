"""The Chinese edition, page by page against the English: translated, same numbers, linked.

Run after the strict build of both languages (`make browser-test`); `test_built_book.py`
already opens every page of both in Chromium (requests, scripts, math, images, phone width,
accessibility). Here each page of `_build/html/zh_CN/` is read beside its English page:

- `<html lang="zh-CN">`, and the theme's interface in Chinese (搜索, 上一页/下一页);
- every paragraph, heading, caption, table cell and alt text that has English prose on the
  English page has a Chinese character on the Chinese one (code, math, outputs, numbers and
  proper names are not prose: they stay as they are);
- every glued value (MyST-NB's `pasted-text`) shows, and the same values, on both pages;
- the language switch leads to the other language's same page, and back;
- the search index knows Chinese words (Sphinx splits Chinese with jieba when installed);
- the interface, as Chromium shows it once the scripts ran, speaks Chinese: buttons, tooltips,
  the search field, the labels a screen reader reads (``title``, ``aria-label``), which the
  themes and sphinx-togglebutton write in English unless a catalog translates them
  (`_ext/book_messages.py`);
- a solution's title reads 练习 1.1 的解答.

The last run's findings go to `_build/chinese-report.json`: pages, blocks compared, glued
values compared.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.browser.test_built_book import WIDTHS, Visit, launch, open_page, start_playwright
from tools.book_sources import toc_pages

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "_build" / "html"
ZH = BOOK / "zh_CN"
REPORT = ROOT / "_build" / "chinese-report.json"


PAGES = toc_pages()
CJK = re.compile(r"[\u4e00-\u9fff]")
# Names that stay as they are in Chinese text.
PROPER_NAMES = {
    "keras", "tensorflow", "numpy", "mnist", "colab", "binder", "jupyter", "jupyterlab", "github", "google",
    "chollet", "lecun", "pytorch", "relu", "rmsprop", "adam", "glorot", "xavier", "python", "gradescope",
    "nbgrader", "otter", "matplotlib", "imagenet", "myst", "sphinx", "conv1", "conv2", "conv3", "dense1",
    "dense2", "softmax", "float32", "float64", "uint8", "int64", "nhwc", "rgb", "rgba", "gpu", "cpu", "csv",
    "json", "zip", "html", "lms", "url", "api", "ide", "cs231n", "d2l", "vgg", "alexnet", "resnet", "lenet",
    "im2col", "col2im", "sgd", "fft", "blas", "gemm", "openblas", "mkl", "pip", "venv", "jieba", "unicode",
}
BLOCKS = "p, h1, h2, h3, h4, h5, h6, th, td, dt, figcaption, caption"
NOT_PROSE = "code, pre, .math, mjx-container, .pasted-text, .section-number, .headerlink, .caption-number"


def read(path):
    """(the page's soup, its glued values, its blocks): text blocks and alt texts in order,
    code, math, glued values and numbering taken out, outputs and the bibliography left out."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    root = soup.select_one("article.bd-article") or soup
    values = Counter(" ".join(span.get_text(" ").split()) for span in root.select(".pasted-text"))
    for node in root.select(NOT_PROSE):
        node.decompose()
    found = [("text", " ".join(el.get_text(" ").split())) for el in root.select(BLOCKS)
             if not inside_output_or_bibliography(el) and not (el.name == "p" and el.find_parent(BLOCKS[3:]))]
    found += [("alt", img.get("alt", "")) for img in root.select("img") if not inside_output_or_bibliography(img)]
    return soup, values, found


def inside_output_or_bibliography(element):
    """Outputs, code, the bibliography, and the glossary's term names (each entry lists its
    English and Chinese names, in both editions)."""
    if element.name == "dt" and element.find_parent("dl", class_="glossary"):
        return True
    return any(parent.name == "pre" or {"cell_output", "output", "citation", "bibliography", "highlight"}
               & set(parent.get("class", [])) for parent in element.parents)


def english_words(text):
    return [w for w in re.findall(r"\b[A-Za-z][A-Za-z'-]{2,}\b", text) if w.lower() not in PROPER_NAMES]


@pytest.fixture(scope="module")
def report():
    findings = {}
    yield findings
    REPORT.write_text(json.dumps(findings, indent=1, ensure_ascii=False))


@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_page_is_translated_with_the_same_numbers(page, report):
    english, chinese = BOOK / f"{page}.html", ZH / f"{page}.html"
    assert chinese.is_file(), f"{chinese} is missing: build the book first (make book-strict)"
    soup, values_zh, zh = read(chinese)
    assert soup.html.get("lang") == "zh-CN"
    interface = soup.get_text(" ")
    assert "搜索" in interface and ("上一页" in interface or "下一页" in interface), "the theme's interface in Chinese"
    _, values_en, en = read(english)
    assert len(en) == len(zh), "the two pages do not have the same blocks"
    pairs = list(zip(en, zh, strict=True))
    untranslated = [f"{kind}: {theirs[:90]!r}" for (kind, theirs), (_, ours) in pairs
                    if english_words(theirs) and not CJK.search(ours)]
    report[page] = {"blocks": len(pairs), "glued values": sum(values_en.values()),
                    "untranslated": untranslated[:20]}
    assert not untranslated, f"{len(untranslated)} blocks with no Chinese:\n" + "\n".join(untranslated[:15])
    assert "" not in values_zh, "an empty glued value"
    assert values_zh == values_en, f"glued values differ: English only {values_en - values_zh}, " \
                                   f"Chinese only {values_zh - values_en}"


@pytest.mark.parametrize("page", PAGES)
def test_the_language_switch_leads_to_the_same_page_and_back(page):
    for here, there in ((BOOK / f"{page}.html", ZH / f"{page}.html"), (ZH / f"{page}.html", BOOK / f"{page}.html")):
        soup = BeautifulSoup(here.read_text(encoding="utf-8"), "html.parser")
        switch = soup.select_one("a.language-switch")
        assert switch is not None, f"{here.relative_to(BOOK)} has no language switch"
        assert (here.parent / switch["href"]).resolve() == there.resolve(), switch["href"]


SEARCH_TERMS = ["卷积", "步幅", "感受野"]


def test_the_chinese_search_finds_chinese_words():
    index = (ZH / "searchindex.js").read_text(encoding="utf-8")
    data = json.loads(index[index.index("(") + 1:index.rindex(")")])
    docnames = data["docnames"]
    for term in SEARCH_TERMS:
        hits = data["terms"].get(term)
        assert hits is not None, f"{term} is not a word of the Chinese search index"
        pages = [docnames[i] for i in ([hits] if isinstance(hits, int) else hits)]
        assert pages, term


@pytest.mark.parametrize("page", PAGES)
def test_the_chinese_pages_open_the_chinese_reader_notebooks(page):
    """Colab and Binder links on a Chinese page, the theme's buttons and the labs' table,
    open notebooks/zh_CN/, never the English reader notebook or a MyST source."""
    soup = BeautifulSoup((ZH / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    launches = [a["href"] for a in soup.select("a[href]")
                if "colab.research.google.com/github" in a["href"] or "mybinder.org/v2" in a["href"]]
    wrong = [href for href in launches if "/notebooks/zh_CN/" not in href]
    assert not wrong, wrong


def test_a_solution_title_reads_in_each_languages_order():
    """sphinx-exercise writes "Solution to Exercise 1.1"; Chinese puts the exercise first,
    练习 1.1 的解答, its link kept (book_messages.SolutionTitleInOrder)."""
    for book, expected in ((BOOK, r"Solution to Exercise \d+\.\d+"), (ZH, r"练习 \d+\.\d+ 的解答")):
        soup = BeautifulSoup((book / "chapters" / "01_pixels.html").read_text(encoding="utf-8"), "html.parser")
        titles = soup.select(".solution .admonition-title")
        assert titles, f"{book.relative_to(ROOT)}: no solution on chapter 1's page"
        for title in titles:
            text = " ".join(title.get_text(" ").split())
            assert re.fullmatch(expected, text), text
            assert title.select_one("a[href^='#']"), f"{text}: the exercise is no longer a link"


# The interface words a reader or a screen reader meets: every tooltip, label and placeholder,
# and the text of every button. The pages: one of each kind of interface (a chapter with
# solutions and hidden cells, one with figures, a lab, the glossary).
INTERFACE_PAGES = ["intro", "chapters/01_pixels", "chapters/06_mnist_convnet", "labs/lab1_pixels/lab1_pixels",
                   "glossary"]
INTERFACE_JS = """() => {
  const words = [];
  const attributes = ['title', 'aria-label', 'placeholder', 'data-bs-original-title', 'data-toggle-hint'];
  for (const element of document.querySelectorAll('*')) {
    const lang = element.closest('[lang]');
    if (lang && !lang.lang.startsWith('zh')) continue;  // the language switch speaks English
    if (element.closest('.bibtex-citation')) continue;  // a citation's tooltip is the work, as published
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value) words.push(`${element.tagName.toLowerCase()}[${name}]: ${value}`);
    }
    if (element.matches('button, summary, [role=button], .dropdown-item, .btn__text-container'))
      words.push(`${element.tagName.toLowerCase()}: ${element.innerText.trim()}`);
  }
  return words;
}"""
# Names that stay as they are in a Chinese interface.
INTERFACE_NAMES = {"binder", "colab", "pdf", "ipynb", "ctrl", "english"}


def test_the_interface_of_the_chinese_pages_speaks_chinese():
    english = []
    with start_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(**WIDTHS["desktop"])
        for page in INTERFACE_PAGES:
            tab = open_page(context, f"zh_CN/{page}.html", Visit(page), "desktop")
            for word in tab.evaluate(INTERFACE_JS):
                _, text = word.split(": ", 1)
                if CJK.search(text) is None and [w for w in english_words(text) if w.lower() not in INTERFACE_NAMES]:
                    english.append(f"{page}: {' '.join(word.split())[:100]}")
            tab.close()
        browser.close()
    assert not english, "English in the Chinese interface (_ext/locales/zh_CN/LC_MESSAGES/ translates it):\n" + \
        "\n".join(sorted(set(english)))
