"""The book's structure: every page exists, every notebook is in the book, set up and executed."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"]] + [chapter["file"] for part in TOC["parts"] for chapter in part["chapters"]]
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
    assert "remove-cell" in first["metadata"].get("tags", []), "the set-up cell is hidden"
    never_run = [i for i, c in enumerate(code) if "".join(c["source"]).strip() and c["execution_count"] is None]
    assert not never_run, f"code cells never executed: {never_run}"
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, "a committed notebook shows an error"


def test_glossary_has_the_core_terms_in_both_languages():
    lines = set((ROOT / "glossary.md").read_text().splitlines())
    for english, chinese in [("pixel", "像素"), ("channel", "通道"), ("convolution", "卷积"),
                             ("kernel", "卷积核"), ("stride", "步幅"), ("padding", "填充"),
                             ("border effect", "边界效应"), ("max pooling", "最大池化"),
                             ("downsampling", "下采样"), ("feature map", "特征图"),
                             ("flatten", "展平"), ("dense layer", "密集连接层"),
                             ("backpropagation", "反向传播"), ("translation invariance", "平移不变性")]:
        assert english in lines and chinese in lines, english


def test_no_data_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    data = [f for f in tracked if f.endswith((".npz", ".npy", ".pkl", ".gz", ".h5", ".keras"))]
    assert not data, f"data files must not be committed: {data}"
