"""Binder's environment: lean (no authoring stack), pinned like the book's, and runnable alone."""

import re
from pathlib import Path

import nbformat
import pytest
import run_alone

ROOT = Path(__file__).resolve().parent.parent
AUTHORING = {"jupyter-book", "sphinx", "sphinx-exercise", "myst-nb", "nbval", "nbconvert", "playwright"}


def pins(path):
    """``{package: version}`` for every ``name==version`` line of a requirements file."""
    found = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", path.read_text(), re.M)
    return {name.lower(): version for name, version in found}


def test_binder_pins_what_the_book_pins():
    book, binder = pins(ROOT / "requirements.txt"), pins(ROOT / "binder" / "requirements.txt")
    assert binder, "binder/requirements.txt pins nothing"
    different = {name: (version, book.get(name)) for name, version in binder.items()
                 if book.get(name) != version}
    assert not different, f"binder pin differs from requirements.txt (binder, book): {different}"


def test_binder_installs_no_authoring_tools_and_the_course_package():
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert not AUTHORING & set(pins(ROOT / "binder" / "requirements.txt"))
    assert re.search(r"^\.$", text, re.M), "binder installs the course package from the checkout"
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_the_course_package_leaves_tensorflow_to_the_reader():
    # Colab brings its own TensorFlow: the package must neither pin nor install one.
    pyproject = (ROOT / "pyproject.toml").read_text()
    dependencies = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.M | re.S)[1]
    assert "tensorflow" not in dependencies and "keras" not in dependencies
    assert "==" not in dependencies and "<" not in dependencies, "dependencies stay unpinned"


def test_colab_install_line_is_rewritten_to_a_local_wheel(tmp_path):
    wheel = tmp_path / "cnn_course-0.1.0-py3-none-any.whl"
    source = 'try:\n    import cnn_course\nexcept ModuleNotFoundError:\n' \
             '    %pip install -q "cnn-course @ git+https://github.com/cnn-course/cnn-course"\n'
    rewritten = run_alone.install_from_wheel(source, wheel)
    assert f'"cnn-course @ {wheel.as_uri()}"' in rewritten and "github" not in rewritten
    with pytest.raises(ValueError, match="install line"):
        run_alone.install_from_wheel("import cnn_course\n", wheel)


def notebook_printing(*texts):
    return nbformat.from_dict({"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": t}]} for t in texts]})


def test_a_lab_notebook_beside_its_solution_must_show_every_check_passed_and_full_points():
    # The readers' check runs each lab's notebook beside the lab's solution (tests/run_alone.py).
    full = notebook_printing("✓ normalize\n", "✓ test_normalize\nlab1: 30/30 points, 18 of 18 tests passed\n")
    assert run_alone.short_of_full_marks(full, "lab1") is None
    assert "ran no check" in run_alone.short_of_full_marks(notebook_printing("lab1: 30/30 points\n"), "lab1")
    failed = notebook_printing("✗ normalize: not implemented yet\n", "lab1: 30/30 points\n")
    assert "✗ normalize" in run_alone.short_of_full_marks(failed, "lab1")
    partial = notebook_printing("✓ normalize\n", "lab1: 20/30 points, 12 of 18 tests passed\n")
    assert "20/30" in run_alone.short_of_full_marks(partial, "lab1")


def test_lab_notebooks_are_run_beside_their_solution_and_chapters_alone():
    for notebook in sorted((ROOT / "labs").glob("lab*_*/lab*_*.ipynb")):
        solution, starter = run_alone.lab_files(notebook)
        assert solution.name == "solution.py" and starter.name == f"{notebook.parent.name.split('_')[0]}.py"
    assert run_alone.lab_files(ROOT / "chapters" / "01_pixels.ipynb") is None
