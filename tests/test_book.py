"""The book's structure: every page exists, every notebook is in the book, set up and executed."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import cnn_course
from cnn_course.grading import wheel
from cnn_course.notebook import glue
from tools.book_sources import toc_pages
from tools.run_alone import INSTALL_LINE

ROOT = Path(__file__).resolve().parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = toc_pages()
NOTEBOOKS = sorted(p for folder in ("chapters", "labs") for p in (ROOT / folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
SETUP_LINE = "cnn_course.setup_notebook()"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_the_toc_exists(page):
    assert any((ROOT / f"{page}{ext}").is_file() for ext in (".md", ".ipynb")), page


def test_every_notebook_is_in_the_book():
    missing = [str(p.relative_to(ROOT)) for p in NOTEBOOKS
               if str(p.relative_to(ROOT).with_suffix("")) not in PAGES]
    assert not missing, f"add to _toc.yml: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_set_up_and_committed_with_outputs(path):
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    first = code[0]
    assert SETUP_LINE in "".join(first["source"]), "the first code cell is the course's set-up"
    assert INSTALL_LINE.search("".join(first["source"])), "the set-up cell installs the package on Colab"
    assert "remove-cell" in first["metadata"].get("tags", []), "the set-up cell is hidden"
    never_run = [i for i, c in enumerate(code) if "".join(c["source"]).strip() and c["execution_count"] is None]
    assert not never_run, f"code cells never executed: {never_run}"
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, "a committed notebook shows an error"


def test_every_set_up_cell_has_the_same_install_line():
    # The readers' check proves the install once for all notebooks (tools/run_alone.py).
    lines = {INSTALL_LINE.search("".join(next(c for c in json.loads(p.read_text())["cells"]
                                              if c["cell_type"] == "code")["source"])).group(0)
             for p in NOTEBOOKS}
    assert len(lines) == 1, f"the notebooks install the course package in different ways: {lines}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_set_up_cell_installs_the_current_version_from_its_tag(path):
    # On Colab a notebook gets the package of its own version, never a moving main: after a
    # version change in pyproject.toml, every set-up cell names the new tag.
    source = "".join(next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")["source"])
    expected = wheel.install_line(wheel.version())
    assert INSTALL_LINE.search(source).group(0) == expected, f"the set-up cell must run {expected}"
    assert cnn_course.__version__ == wheel.version(), "cnn_course.__version__ differs from pyproject.toml's"


def test_glossary_has_the_core_terms_in_both_languages():
    lines = set((ROOT / "glossary.md").read_text().splitlines())
    for english, chinese in [("pixel", "像素"), ("channel", "通道"), ("convolution", "卷积"),
                             ("kernel", "卷积核"), ("stride", "步幅"), ("padding", "填充"),
                             ("border effect", "边界效应"), ("max pooling", "最大池化"),
                             ("downsampling", "下采样"), ("feature map", "特征图"),
                             ("flatten", "展平"), ("dense layer", "密集连接层"),
                             ("backpropagation", "反向传播"), ("translation invariance", "平移不变性")]:
        assert english in lines and chinese in lines, english
    # filter is 滤波器; the source's 滤镜 (a photo effect) is noted, never a term
    assert "滤波器" in lines and "滤镜" not in lines


def test_no_data_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    data = [f for f in tracked if f.endswith((".npz", ".npy", ".pkl", ".gz", ".h5", ".keras"))]
    assert not data, f"data files must not be committed: {data}"


# ---------------------------------------------------------------- figures a reader can't see

HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell"}  # outputs the book never renders
GLUE_FIGURE = re.compile(r"```\{glue:figure\}[^\n]*\n(?P<body>.*?)```", re.S)
MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)]+)\)")


def _real_alt(alt):
    """Alt text that describes: not empty, not a file name."""
    alt = (alt or "").strip()
    return len(alt) >= 15 and not re.fullmatch(r"[\w./-]+\.(png|gif|jpe?g|svg)", alt)


def figures_without_alt_text(notebook):
    """Every figure of ``notebook`` that the book would render without alt text or caption."""
    missing = []
    for number, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for figure in GLUE_FIGURE.finditer(source):
                options = dict(re.findall(r"^:(\w+):\s*(.*)$", figure["body"], re.M))
                caption = re.sub(r"^:\w+:.*$", "", figure["body"], flags=re.M).strip()
                if not _real_alt(options.get("alt")) or not caption:
                    missing.append(f"cell {number}: a glue:figure without :alt: or caption")
            for image in MARKDOWN_IMAGE.finditer(source):
                if not _real_alt(image["alt"]):
                    missing.append(f"cell {number}: image {image['src']} without alt text")
            continue
        if cell["cell_type"] != "code" or HIDDEN_OUTPUT_TAGS & set(cell["metadata"].get("tags", [])):
            continue
        shows_image = any(key.startswith("image/") for output in cell.get("outputs", [])
                          for key in output.get("data", {}))
        mystnb = cell["metadata"].get("mystnb", {})
        if shows_image and not (_real_alt(mystnb.get("image", {}).get("alt"))
                                and mystnb.get("figure", {}).get("caption")):
            missing.append(f"cell {number}: a figure output without mystnb image alt and figure caption")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_the_book_shows_has_alt_text_and_a_caption(path):
    missing = figures_without_alt_text(json.loads(path.read_text()))
    assert not missing, "\n".join(missing)


def test_the_alt_text_check_catches_a_bare_figure():
    bare = {"cells": [{"cell_type": "code", "source": ["plt.show()"], "metadata": {},
                       "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}]},
                      {"cell_type": "markdown", "source": ["![](figures/conv_sliding.gif)"], "metadata": {}},
                      {"cell_type": "markdown", "metadata": {},
                       "source": ["```{glue:figure} fig\n:alt: fig.png\n\nA caption.\n```"]}]}
    assert len(figures_without_alt_text(bare)) == 3


# ---------------------------------------------------------------- glued values as prose shows them

# An inline glue role names its page: {glue:text}`06_mnist_convnet.ipynb::test_acc:.4f`. Without the
# page, a translated sentence, parsed again on its own, finds no glued value and shows nothing.
GLUE_REFERENCE = re.compile(r"\{glue(?::(?P<role>\w+))?\}`(?:(?P<page>[^`:]+)::)?(?P<key>[^`:]+)")


def glued_values(notebook):
    """``{name: text/plain}`` of every value a notebook glues."""
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                values[name] = "".join(text)
    return values


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glued_values_read_as_prose(path):
    notebook = json.loads(path.read_text())
    values = glued_values(notebook)
    reprs = {name: text for name, text in values.items() if re.match(r"np\.\w+\(", text)}
    assert not reprs, f"NumPy reprs would show in the prose; glue int() or float(): {reprs}"
    markdown = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    quoted = [m["key"] for m in GLUE_REFERENCE.finditer(markdown)
              if m["role"] in (None, "", "any") and values.get(m["key"], "")[:1] in ("'", '"')]
    assert not quoted, f"{{glue:}} shows a string with its quotes; use {{glue:text}}: {quoted}"


def test_the_readmes_quote_chapter_6s_accuracy_as_it_measured():
    """The READMEs are read on GitHub, not built, so they cannot glue: their "about 99%" is
    checked against the test accuracy chapter 6 glues, rounded the same way."""
    notebook = json.loads((ROOT / "chapters" / "06_mnist_convnet.ipynb").read_text())
    rounded = f"{float(glued_values(notebook)['test_acc']):.0%}"
    english = " ".join((ROOT / "README.md").read_text().split())
    chinese = "".join((ROOT / "README.zh-CN.md").read_text().split())
    assert f"MNIST to about {rounded} test" in english, f"README.md should say about {rounded}"
    assert f"测试精度约{rounded}" in chinese, f"README.zh-CN.md should say 测试精度约 {rounded}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_glued_values_hold_no_english_words(path):
    """The Chinese edition shows the same glued values: "2, 5, 6", not "2, 5 and 6"."""
    values = glued_values(json.loads(path.read_text()))
    english = {name: text for name, text in values.items() if not text.startswith("<Figure")
               and re.search(r"\b(and|or|the|of|to|with|for|is|are)\b", text, re.I)}
    assert not english, f"glue language-neutral values (numbers, code, symbols): {english}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_inline_glue_names_its_own_page(path):
    """The Chinese edition translates whole sentences: a glue role in one must name its page."""
    cells = json.loads(path.read_text())["cells"]
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    wrong = [m.group(0) for m in GLUE_REFERENCE.finditer(markdown) if m["page"] != path.name]
    assert not wrong, f"write {{glue:text}}`{path.name}::key:format` (a format is needed, :s for text): {wrong}"
    unformatted = [m.group(0) for m in re.finditer(r"\{glue:text\}`[^`:]+::[^`:]+`", markdown)]
    assert not unformatted, f"add a format after the key (:s for text), or MyST-NB reads 'page:' as the key: " \
                            f"{unformatted}"


def test_without_myst_nb_glue_shows_plain_numbers(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # as on Colab: no MyST-NB to import
    glue("count", np.int64(213), display=False)
    assert capsys.readouterr().out == "count = 213\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_widget_state_is_stored(path):
    # With saved widget state, MyST-NB makes the page load require.js and the widget manager
    # from a CDN: a request outside the book, and a console error offline. Strip it after
    # re-executing a notebook with widgets (chapter 3's explorer).
    assert "widgets" not in json.loads(path.read_text())["metadata"], \
        "notebook metadata has widget state: delete metadata['widgets']"


# ---------------------------------------------------------------- the intro's table is current

DOC_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?(?P<target>[^`<>]+)>?`")


def toc_files(caption):
    """The pages of the _toc.yml part named ``caption``, in order."""
    return [chapter["file"] for part in TOC["parts"] if part["caption"] == caption
            for chapter in part["chapters"]]


def intro_table(text):
    """The rows of the intro's "What you will learn" table, each a list of its cells."""
    section = text.split("## What you will learn", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]  # no header


def intro_table_problems(text, chapters, labs):
    """What is missing or out of order in the intro's table: every chapter in its first column,
    numbered as the book numbers it, every lab in its last column as 'Lab N'."""
    rows = intro_table(text)
    problems = []
    listed = [(cell, DOC_LINK.findall(cell)) for cell in (row[0] for row in rows)]
    for number, chapter in enumerate(chapters, start=1):
        if not any(links == [chapter] and cell.startswith(f"{number}. ") for cell, links in listed):
            problems.append(f"chapter {number}, {chapter}, is not in the table as '{number}. {{doc}}`{chapter}`'")
    if [links for _, links in listed] != [[chapter] for chapter in chapters]:
        problems.append("the table's chapters are not the book's, in the book's order")
    lab_links = [(m["target"], m[0]) for row in rows for m in DOC_LINK.finditer(row[-1])]
    for lab in labs:
        number = re.search(r"lab(\d+)_", lab)[1]
        if (lab, f"{{doc}}`Lab {number} <{lab}>`") not in lab_links:
            problems.append(f"lab {number}, {lab}, is not in the table's last column as 'Lab {number}'")
    if [target for target, _ in lab_links] != labs:
        problems.append("the table's labs are not the book's, in the book's order")
    return problems


def test_the_intro_table_lists_every_chapter_and_lab():
    chapters = toc_files("Chapters")
    labs = [page for page in toc_files("Labs") if page != "labs/README"]
    assert len(chapters) >= 7 and len(labs) >= 6
    problems = intro_table_problems((ROOT / "intro.md").read_text(), chapters, labs)
    assert not problems, "\n".join(problems)


def test_the_intro_table_check_catches_a_missing_chapter_and_lab():
    text = (ROOT / "intro.md").read_text()
    chapters = toc_files("Chapters")
    labs = [page for page in toc_files("Labs") if page != "labs/README"]
    last_row = next(line for line in text.splitlines() if chapters[-1] in line)
    problems = intro_table_problems(text.replace(last_row + "\n", ""), chapters, labs)
    assert any(chapters[-1] in p for p in problems) and any(labs[-1] in p for p in problems)
    swapped = text.replace("1. {doc}`chapters/01", "2. {doc}`chapters/01", 1)
    assert intro_table_problems(swapped, chapters, labs)
