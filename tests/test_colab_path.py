"""The labs as Colab and Binder run them: the course installed from a (non-editable) wheel,
a lab notebook alone in an empty folder, no network.

The wheel is what ``pip install "cnn-course @ git+https://..."`` builds on Colab: it must
carry each lab's starter and graded tests, and never a solution.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")


# Slow: a wheel build (shared with the readers' check), a package install, notebook runs.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(course_wheel):
    """The course's wheel, built offline from the working tree (tests/conftest.py)."""
    return course_wheel


@pytest.fixture(scope="module")
def installed(installed_wheel):
    """The wheel installed in a folder of its own, for PYTHONPATH (tests/conftest.py)."""
    return installed_wheel


def test_the_wheel_carries_each_labs_starter_and_tests_but_no_solution(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for lab in LABS:
            for path in (lab.starter, lab.public_tests):
                packed = f"cnn_course/lab_files/{lab.name}/{path.name}"
                assert packed in names
                assert archive.read(packed) == path.read_bytes(), f"{packed} differs from {path}"
        assert {"cnn_course/grading/plugin.py", "cnn_course/grading/oracles.py"} <= names
        assert not [n for n in names if n.endswith("solution.py")]
        assert not [n for n in names if n.endswith("_hidden.py")], "hidden tests are not released"
        leaks = [n for n in names if n.endswith(".py") and b"BEGIN SOLUTION" in archive.read(n)
                 and not n.endswith("grading/starters.py")]  # the generator names its markers
        assert not leaks, f"solution regions in the wheel: {leaks}"
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist")]
    assert {"pytest", "pytest-timeout", "hypothesis"} <= set(requires), "unpinned, so Colab keeps its own"
    assert not [r for r in requires if r.startswith(("tensorflow", "keras"))], "Colab's TensorFlow is used"


def test_the_wheel_carries_the_release_templates_and_renders_them_installed(wheel, installed):
    # A release's texts are package data (pyproject.toml), read with importlib.resources.
    templates = sorted((ROOT / "cnn_course" / "grading" / "templates").glob("*.tmpl"))
    assert {"README.md.tmpl", "conftest.py.tmpl", "requirements.txt.tmpl", "setup.sh.tmpl",
            "run_autograder.tmpl"} <= {path.name for path in templates}
    with zipfile.ZipFile(wheel) as archive:
        for path in templates:
            packed = f"cnn_course/grading/templates/{path.name}"
            assert packed in archive.namelist() and archive.read(packed) == path.read_bytes(), packed
    rendered = subprocess.run([sys.executable, "-c", "from cnn_course.grading.release import render; "
                               "import cnn_course; print(cnn_course.__file__); "
                               "print(render('conftest.py.tmpl', module='lab3'))"],
                              env={**os.environ, "PYTHONPATH": str(installed)}, cwd=installed,
                              capture_output=True, text=True, check=True).stdout
    assert rendered.startswith(str(installed)) and "grades ./lab3.py" in rendered


def run_alone(notebook_path, folder, installed):
    """Execute a copy of the notebook in ``folder`` (its only other file: what is already
    there), with the wheel's package importable and no network, and return it executed."""
    notebook = nbformat.read(notebook_path, as_version=4)
    # where the package was imported from, printed last, so the test can check it
    notebook.cells.append(nbformat.v4.new_code_cell("print('package at', cnn_course.__file__)"))
    env = {**os.environ, "PYTHONPATH": str(installed)}
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute(env=env)
    nbformat.write(notebook, folder / notebook_path.name)
    return notebook


def outputs(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")


@pytest.mark.timeout(900)
def test_a_lab_notebook_alone_fetches_its_starter_and_grades_it(installed, tmp_path):
    lab = labs.find_lab("lab1", ROOT / "labs")
    notebook_path = lab.notebook
    starter = tmp_path / "lab1.py"

    # First run: an empty folder. The set-up cell copies the starter; grading gives 0 points.
    notebook = run_alone(notebook_path, tmp_path, installed)
    assert starter.read_text() == lab.starter.read_text()
    assert "lab1.py: the starter, copied here" in outputs(notebook.cells[0])
    assert f"package at {installed}" in outputs(notebook.cells[-1])
    grading = outputs(notebook.cells[-2]).splitlines()
    assert grading[-1].startswith("lab1: 0/") and all(line.startswith("✗") for line in grading[:-1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab1.py", notebook_path.name], "nothing else written"

    # The student's work (here the solution) replaces the starter: kept, and graded in full.
    shutil.copyfile(lab.solution, starter)
    notebook = run_alone(notebook_path, tmp_path, installed)
    assert "lab1.py is already here" in outputs(notebook.cells[0])
    assert starter.read_bytes() == (lab.solution).read_bytes()
    points = outputs(notebook.cells[-2]).splitlines()[-1]
    earned, total = points.removeprefix("lab1: ").split(" points")[0].split("/")
    assert earned == total != "0", points
