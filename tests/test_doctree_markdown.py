"""The reader-notebook converter on markup the book does not (yet) use, in a book of one page.

`tests/test_reader_notebooks.py` checks the committed reader notebooks of the real book; here a
small Sphinx project with MyST-NB, sphinx-exercise and the book's extensions is built in a
temporary folder, so that plain text that looks like markup, nested lists, a table and a
numbered figure come out as Jupyter renders them, and a construct the converter has no
Markdown for fails the build instead of vanishing.
"""

import io
import json
from pathlib import Path

import nbformat
import pytest
from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parents[1]
BASEURL = "https://example.org/book/"

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
extensions = ["myst_nb", "sphinx_exercise", "reader_notebooks"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
nb_execution_mode = "off"
html_baseurl = {BASEURL!r}
numfig = True
html_theme = "basic"
"""

PAGE = [
    "# A page\n\nPlain text that looks like markup: 2 \\* 3, a\\_b, \\$5, \\<tag\\>, [x], `a``b`, \\[y\\](z).",
    "- one\n- two, with a list inside:\n\n  1. first\n  2. second\n\nInline $x_1^2$ and\n\n$$\ny = \\sum_i x_i\n$$",
    "| a | b |\n| --- | --- |\n| 1 \\| 2 | `c` |\n\n:::{note}\nA note, see {ref}`fig-one`.\n:::",
    "```{figure} pic.png\n:name: fig-one\n:alt: A white square.\n\nThe caption.\n```\n\n{numref}`fig-one` is white.",
    "```{exercise}\n:label: ex-one\n\nWhy?\n```\n\n```{solution} ex-one\n:class: dropdown\n\nBecause.\n```",
]


def build(tmp_path, cells):
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.md").write_text("# Index\n\n```{toctree}\npage\n```\n")
    (tmp_path / "pic.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bb0000000049454e44ae426082"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]
                                        + [nbformat.v4.new_markdown_cell(text) for text in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "page.ipynb")
    warnings = io.StringIO()
    app = Sphinx(tmp_path, tmp_path, tmp_path / "_build", tmp_path / "_doctrees", "html",
                 status=None, warning=warnings, freshenv=True)
    app.build()
    reader = tmp_path / "_build" / "notebooks" / "page.ipynb"
    return (json.loads(reader.read_text()) if reader.is_file() else None), warnings.getvalue()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    notebook, warnings = build(tmp_path_factory.mktemp("book"), PAGE)
    assert notebook is not None, warnings
    return notebook, warnings


def markdown(notebook):
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


def test_each_markdown_cell_stays_a_cell_after_the_code(page):
    notebook, warnings = page
    assert "reader notebook" not in warnings, warnings
    assert [cell["cell_type"] for cell in notebook["cells"]] == ["code"] + ["markdown"] * len(PAGE)


def test_text_that_looks_like_markup_is_escaped(page):
    text = markdown(page[0])[0]
    assert text.startswith("# A page\n\n*A runnable copy of the course's page [A page](" + BASEURL + "page.html).*")
    assert text.endswith(r"2 \* 3, a\_b, \$5, \<tag\>, [x], ```a``b```, [y\](z).")


def test_lists_nest_and_math_stays_tex(page):
    text = markdown(page[0])[1]
    assert "- two, with a list inside:\n\n  1. first\n  2. second" in text
    assert "$x_1^2$" in text and "$$\ny = \\sum_i x_i\n$$" in text


def test_tables_and_admonitions(page):
    text = markdown(page[0])[2]
    assert "| a | b |\n|---|---|\n| 1 \\| 2 | `c` |" in text
    assert text.split("\n\n", 1)[1].startswith("> **Note**")
    assert f"({BASEURL}page.html#fig-one)" in text


def test_figures_are_numbered_attachments_and_references_name_their_number(page):
    cell = [c for c in page[0]["cells"] if c["cell_type"] == "markdown"][3]
    text = "".join(cell["source"])
    assert text.startswith("![A white square.](attachment:fig-one.png)\n\n**Fig. 1** The caption.")
    assert set(cell["attachments"]) == {"fig-one.png"}
    assert f"[Fig. 1]({BASEURL}page.html#fig-one) is white." in text


def test_exercises_stay_and_solutions_become_a_link(page):
    text = markdown(page[0])[4]
    assert text.startswith("**Exercise 1**\n\nWhy?")
    assert "Because" not in text
    assert "[in the book](" + BASEURL + "page.html#" in text


def test_markup_the_converter_cannot_write_fails_the_build_with_its_name(tmp_path):
    notebook, warnings = build(tmp_path, ["# A page", "```{topic} A topic\nText.\n```"])
    assert notebook is None
    assert "reader notebook of page" in warnings and "topic" in warnings
