"""The lab machinery: starters are generated from solutions and graded to zero."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent


def test_committed_starters_are_up_to_date(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert labs.lab_dirs(), "no labs found"
    stale = labs.stale_starters()
    assert not stale, f"regenerate with `python -m cnn_course.labs generate`: {stale}"


def test_make_starter_replaces_regions_keeping_indentation():
    source = "def f(x):\n    '''Doc.'''\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n"
    starter = labs.make_starter(source)
    assert "return x" not in starter
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n" in starter
    assert "'''Doc.'''" in starter


@pytest.mark.parametrize("source", [
    "# BEGIN SOLUTION\nx = 1\n",                              # never closed
    "# END SOLUTION\n",                                       # never opened
    "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n",   # nested
])
def test_make_starter_rejects_unbalanced_markers(source):
    with pytest.raises(ValueError, match="line"):
        labs.make_starter(source)


def test_starters_have_no_solution_code(monkeypatch):
    monkeypatch.chdir(ROOT)
    for lab_dir in labs.lab_dirs():
        text = labs.starter_path(lab_dir).read_text()
        assert "BEGIN SOLUTION" not in text and "NotImplementedError" in text


def grade(test_file, lab_file, tmp_path):
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider",
         f"--lab-file={lab_file}", f"--grade-report={report}"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    return run, json.loads(report.read_text())["tests"]


@pytest.mark.parametrize("lab_dir", labs.lab_dirs(ROOT / "labs"), ids=lambda d: d.name)
def test_starter_grades_to_zero_without_internal_errors(lab_dir, tmp_path):
    starter = labs.starter_path(lab_dir)
    run, tests = grade(ROOT / "tests/labs" / f"test_{starter.stem}.py", starter, tmp_path)
    assert tests and not any(t["passed"] for t in tests), run.stdout[-3000:]
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert " 0/" in run.stdout  # the points line: nothing earned


def test_a_file_that_does_not_import_fails_every_test_but_is_graded(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def normalize(images:\n")  # a syntax error
    run, tests = grade(ROOT / "tests/labs/test_lab1.py", broken, tmp_path)
    assert tests and not any(t["passed"] for t in tests)
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert "could not import" in run.stdout


def test_a_hanging_function_is_a_failed_test(tmp_path):
    solution = (ROOT / "labs/lab1_pixels/solution.py").read_text()
    hanging = tmp_path / "hanging.py"
    hanging.write_text(solution + "\n\ndef to_batch(image):\n    while True:\n        pass\n")
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/labs/test_lab1.py", "-q", "-p", "no:cacheprovider",
         "-k", "to_batch", f"--lab-file={hanging}", f"--grade-report={report}", "--lab-timeout=3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    tests = json.loads(report.read_text())["tests"]
    assert tests and not any(t["passed"] for t in tests)


def test_grade_command_writes_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "alice.py").write_text((ROOT / "labs/lab1_pixels/solution.py").read_text())
    (submissions / "bob.py").write_text((ROOT / "labs/lab1_pixels/lab1.py").read_text())
    rows = labs.grade("lab1", [submissions], out=tmp_path / "grades.csv")
    by_name = {Path(r["submission"]).name: r for r in rows}
    assert by_name["alice.py"]["points"] == by_name["alice.py"]["max_points"] > 0
    assert by_name["bob.py"]["points"] == 0
    assert (tmp_path / "grades.csv").read_text().startswith("submission,points")


def test_notebook_check_reports_without_raising(capsys):
    import numpy as np

    def not_done():
        raise NotImplementedError

    assert labs.check("ok", lambda: np.ones(2), expected=np.ones(2))
    assert not labs.check("todo", not_done)
    assert labs.check("error", lambda: 1 / 0, raises=ZeroDivisionError)
    assert not labs.check("shape", lambda: np.ones(3), expected=np.ones(2))
    out = capsys.readouterr().out
    assert "✓ ok" in out and "✗ todo: not implemented yet" in out and "shape (3,)" in out
