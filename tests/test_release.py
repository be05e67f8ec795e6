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
from cnn_course.grading import runner
from cnn_course.grading.starters import BEGIN, END

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    assert labs.main(["release", "all", "--out", str(out)]) == 0
    return out


ARGUMENT_LIST = re.compile(r"[\w\s,()\[\]]*:?")  # "x, f_h, f_w, stride, padding)": no secret


def solution_lines(lab):
    """Every line inside a solution region, stripped, that says something: not one the starter
    also has (``return y``), not a bare argument list."""
    starter = {line.strip() for line in lab.starter.read_text().splitlines()}
    lines, inside = set(), False
    for line in (lab.solution).read_text().splitlines():
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
    for lab in LABS:
        module = lab.module
        expected = {f"{module}.py", f"test_{module}.py", f"{lab.name}.ipynb", "conftest.py",
                    "requirements.txt", "README.md"}
        assert {p.name for p in (released / lab.name).iterdir()} == expected
        with zipfile.ZipFile(released / f"{lab.name}.zip") as archive:
            assert set(archive.namelist()) == {f"{lab.name}/{name}" for name in expected}
        notebook = json.loads((released / lab.name / f"{lab.name}.ipynb").read_text())
        assert not [c for c in notebook["cells"] if c.get("outputs")], "students run the notebook themselves"


def test_no_solution_line_and_no_hidden_test_is_released(released):
    secrets = {line: lab.name for lab in LABS for line in solution_lines(lab)}
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
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_a_release_unpacked_in_an_empty_folder_grades_the_starter_to_0_and_the_solution_in_full(
        released, lab, tmp_path):
    with zipfile.ZipFile(released / f"{lab.name}.zip") as archive:
        archive.extractall(tmp_path)
    # A student renames the folder: it is the same lab (found from its files, not its name).
    folder = (tmp_path / lab.name).rename(tmp_path / f"my {lab.module} (copy)")
    starter = grade_in(folder)
    assert starter and not [t for t in starter if t["passed"]]
    shutil.copyfile(lab.solution, folder / lab.starter.name)
    solved = grade_in(folder)
    assert len(solved) == len(starter) and all(t["passed"] for t in solved), \
        [t["reason"] for t in solved if not t["passed"]]
    public = [t for t in runner.lab_tests(lab) if not t.get("hidden")]
    assert sum(t["points"] for t in solved) == pytest.approx(sum(t["points"] for t in public))


@pytest.mark.slow
@pytest.mark.parametrize("which", ["solution", "starter"])
def test_the_gradescope_autograder_grades_every_public_and_hidden_test_from_the_wheel(
        released, installed_wheel, which, tmp_path):
    """As on Gradescope: the course package installed from its wheel (which has no hidden
    tests), the autograder zip unpacked in /autograder/source, run from another folder."""
    lab = LABS[0]
    root = tmp_path / "autograder"
    with zipfile.ZipFile(released / "gradescope" / f"{lab.name}_autograder.zip") as archive:
        archive.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(archive.namelist())
        assert f"{lab.name}/{lab.hidden_tests.name}" in archive.namelist()
    (root / "submission").mkdir()
    shutil.copyfile(lab.solution if which == "solution" else lab.starter, root / "submission" / lab.starter.name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "PYTHONPATH": str(installed_wheel)}
    package = subprocess.run([sys.executable, "-c", "import cnn_course; print(cnn_course.__file__)"], env=env,
                             cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert package.startswith(str(installed_wheel)), package  # the wheel, not this checkout
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=elsewhere, check=True,
                   capture_output=True, timeout=900)
    results = json.loads((root / "results" / "results.json").read_text())
    expected = runner.lab_tests(lab)
    hidden = {t["test"].split("::", 1)[-1] for t in expected if t.get("hidden")}
    assert hidden and len(results["tests"]) == len(expected)
    assert {t["name"].split(" [")[0] for t in results["tests"]} == {t["test"].split("::", 1)[-1] for t in expected}
    total = sum(t["points"] for t in expected)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(total)
    assert results["score"] == (pytest.approx(total) if which == "solution" else 0)
    for test in results["tests"]:
        assert test["score"] == (test["max_score"] if which == "solution" else 0) and test["max_score"] > 0
        assert test["visibility"] == ("after_published" if test["name"].split(" [")[0] in hidden else "visible")
