"""The students' copy of each lab, as an instructor hands it out and a student unpacks it.

Every release is unzipped into an empty folder and graded there with `python -m pytest`, as
its README tells students: the starter earns 0, the solution dropped in earns every public
point. Nothing of a solution region and no hidden test is in any released file. The
Gradescope autograder is run as Gradescope runs it, on lab 1.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading.starters import BEGIN, END, hidden_test_path

ROOT = Path(__file__).resolve().parent.parent
LAB_DIRS = labs.lab_dirs(ROOT / "labs")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    assert labs.main(["release", "all", "--out", str(out)]) == 0
    return out


ARGUMENT_LIST = re.compile(r"[\w\s,()\[\]]*:?")  # "x, f_h, f_w, stride, padding)": no secret


def solution_lines(lab_dir):
    """Every line inside a solution region, stripped, that says something: not one the starter
    also has (``return y``), not a bare argument list."""
    starter = {line.strip() for line in labs.starter_path(lab_dir).read_text().splitlines()}
    lines, inside = set(), False
    for line in (lab_dir / "solution.py").read_text().splitlines():
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif (inside and len(line.strip()) > 8 and line.strip() not in starter
              and not ARGUMENT_LIST.fullmatch(line.strip())):
            lines.add(line.strip())
    return lines


def released_texts(out):
    """(name, text) of every file released to students: in the folders and inside the zips."""
    for path in sorted(out.rglob("*")):
        if path.is_file() and "gradescope" not in path.parts:
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        yield f"{path.name}:{name}", archive.read(name).decode()
            else:
                yield str(path.relative_to(out)), path.read_text()


def test_each_release_has_the_students_files_and_nothing_else(released):
    for lab_dir in LAB_DIRS:
        module = labs.starter_path(lab_dir).stem
        expected = {f"{module}.py", f"test_{module}.py", f"{lab_dir.name}.ipynb", "conftest.py",
                    "requirements.txt", "README.md"}
        assert {p.name for p in (released / lab_dir.name).iterdir()} == expected
        with zipfile.ZipFile(released / f"{lab_dir.name}.zip") as archive:
            assert set(archive.namelist()) == {f"{lab_dir.name}/{name}" for name in expected}
        notebook = json.loads((released / lab_dir.name / f"{lab_dir.name}.ipynb").read_text())
        assert not [c for c in notebook["cells"] if c.get("outputs")], "students run the notebook themselves"


def test_no_solution_line_and_no_hidden_test_is_released(released):
    secrets = {line: lab_dir.name for lab_dir in LAB_DIRS for line in solution_lines(lab_dir)}
    assert len(secrets) > 100, "the check must see the solutions"
    for name, text in released_texts(released):
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{name} holds solution lines: {leaked[:3]}"
        assert "mark.hidden" not in text and "_hidden" not in text, f"{name} mentions hidden tests"


def grade_in(folder):
    """Run `python -m pytest` in ``folder`` as a student would; return the report's tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--grade-report=report.json"], cwd=folder, env=env, capture_output=True,
                         text=True, timeout=900)
    report = folder / "report.json"
    assert report.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(report.read_text())["tests"]


@pytest.mark.slow
@pytest.mark.parametrize("lab_dir", LAB_DIRS, ids=lambda d: d.name)
def test_a_release_unpacked_in_an_empty_folder_grades_the_starter_to_0_and_the_solution_in_full(
        released, lab_dir, tmp_path):
    with zipfile.ZipFile(released / f"{lab_dir.name}.zip") as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / lab_dir.name
    starter = grade_in(folder)
    assert starter and not [t for t in starter if t["passed"]]
    shutil.copyfile(lab_dir / "solution.py", folder / labs.starter_path(lab_dir).name)
    solved = grade_in(folder)
    assert len(solved) == len(starter) and all(t["passed"] for t in solved), \
        [t["reason"] for t in solved if not t["passed"]]
    public = [t for t in labs.lab_tests(lab_dir.name) if not t.get("hidden")]
    assert sum(t["points"] for t in solved) == pytest.approx(sum(t["points"] for t in public))


@pytest.mark.slow
def test_the_gradescope_autograder_grades_a_submission_with_every_test(released, tmp_path):
    lab_dir = LAB_DIRS[0]
    root = tmp_path / "autograder"
    with zipfile.ZipFile(released / "gradescope" / f"{lab_dir.name}_autograder.zip") as archive:
        archive.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(archive.namelist())
        if hidden_test_path(lab_dir).is_file():
            assert f"{lab_dir.name}/{hidden_test_path(lab_dir).name}" in archive.namelist()
    (root / "submission").mkdir()
    shutil.copyfile(lab_dir / "solution.py", root / "submission" / labs.starter_path(lab_dir).name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True,
                   capture_output=True, timeout=900)
    results = json.loads((root / "results" / "results.json").read_text())
    expected = labs.lab_tests(lab_dir.name)
    assert len(results["tests"]) == len(expected)
    assert results["score"] == pytest.approx(sum(t["points"] for t in expected))
    hidden = {t["test"].split("::", 1)[-1] for t in expected if t.get("hidden")}
    for test in results["tests"]:
        assert test["score"] == test["max_score"] > 0
        assert test["visibility"] == ("after_published" if test["name"].split(" [")[0] in hidden else "visible")
