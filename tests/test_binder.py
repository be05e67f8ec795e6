"""Binder's environment: lean (no authoring stack), pinned like the book's, and runnable alone."""

import re
from pathlib import Path

import pytest

from cnn_course.grading import wheel
from tools import run_alone

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
    # Binder runs the oldest Python the package supports, so the readers' check covers it.
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == f"python-{wheel.minimum_python()}" == "python-3.11"


def test_the_course_package_leaves_tensorflow_to_the_reader():
    # Colab brings its own TensorFlow: the package must neither pin nor install one.
    pyproject = (ROOT / "pyproject.toml").read_text()
    dependencies = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.M | re.S)[1]
    assert "tensorflow" not in dependencies and "keras" not in dependencies
    assert "==" not in dependencies and "<" not in dependencies, "dependencies stay unpinned"


def test_colab_install_line_is_rewritten_to_a_local_wheel(tmp_path):
    local = tmp_path / wheel.wheel_name(wheel.version())
    source = f'try:\n    import cnn_course\nexcept ModuleNotFoundError:\n    {wheel.install_line(wheel.version())}\n'
    rewritten = run_alone.install_from_wheel(source, local)
    assert f'"cnn-course @ {local.as_uri()}"' in rewritten and "github" not in rewritten
    with pytest.raises(ValueError, match="install line"):
        run_alone.install_from_wheel("import cnn_course\n", local)
