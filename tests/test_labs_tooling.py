"""The lab machinery: starters are generated from solutions, solutions earn every point,
starters earn none, and grading survives whatever a student's file does."""

import csv
import functools
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading import batch, runner
from cnn_course.grading.runner import load_module

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")
LAB1_SOLUTION = ROOT / "labs/lab1_pixels/solution.py"


def test_committed_starters_are_up_to_date():
    assert LABS, "no labs found"
    stale = labs.stale_starters(ROOT / "labs")
    assert not stale, f"stale: run `make generated` (or `python -m cnn_course.labs generate`): {stale}"


def test_check_command_passes_from_the_repository_root():
    run = subprocess.run([sys.executable, "-m", "cnn_course.labs", "check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


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


def test_starters_have_no_solution_code():
    for lab in LABS:
        text = lab.starter.read_text()
        assert "BEGIN SOLUTION" not in text and "NotImplementedError" in text


def test_every_lab_folder_has_its_starter_tests_and_notebook():
    for lab in LABS:
        assert lab.solution and lab.starter.is_file()
        assert lab.public_tests.is_file() and lab.notebook


@pytest.mark.parametrize("name", ["lab9", "9", "pixels", ""])
def test_an_unknown_lab_is_a_value_error_naming_the_known_ones(name):
    with pytest.raises(ValueError, match=r"lab must be one of lab1, lab2.*got"):
        labs.find_lab(name)


def test_find_lab_accepts_number_short_and_folder_names():
    assert labs.find_lab("2") == labs.find_lab("lab2") == labs.find_lab("lab2_conv_forward")


# ---------------------------------------------------------------- the loader

def test_load_module_registers_the_module_while_it_executes(tmp_path):
    path = tmp_path / "student.py"
    path.write_text("import sys\nSEEN = sys.modules.get('lab_under_test') is not None\n")
    module = load_module(path, "lab_under_test")
    try:
        assert module.SEEN and sys.modules["lab_under_test"] is module
    finally:
        sys.modules.pop("lab_under_test", None)


def test_load_module_forgets_a_module_that_fails_to_execute(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("raise RuntimeError('at import')\n")
    with pytest.raises(RuntimeError):
        load_module(path, "lab_that_fails")
    assert "lab_that_fails" not in sys.modules


# ---------------------------------------------------------------- grading, through the runner

@functools.cache
def graded(lab_name, which):
    """The solution's or the starter's grade, hidden tests included: one grading run per lab
    and file, shared by the three tests below (``grouped`` keeps them on one xdist worker)."""
    lab = labs.find_lab(lab_name, ROOT / "labs")
    return runner.run_lab_tests(lab, None if which == "solution" else lab.starter)


def grouped(labs_):
    return [pytest.param(lab, id=lab.name, marks=pytest.mark.xdist_group(f"grade-{lab.name}")) for lab in labs_]


@pytest.mark.slow
@pytest.mark.parametrize("lab", grouped(LABS))
def test_solution_earns_every_point(lab):
    result = graded(lab.name, "solution")
    assert result.tests, result.output
    failed = [f"{t.name}: {t.reason}" for t in result.tests if not t.passed]
    assert not failed, "\n".join(failed)
    assert result.points == result.max_points > 0


@pytest.mark.slow
@pytest.mark.parametrize("lab", grouped(LABS))
def test_starter_grades_to_zero_without_internal_errors(lab):
    result = graded(lab.name, "starter")
    assert result.tests and result.points == 0, result.output
    assert all(t.reason for t in result.tests), "every failed test says why"
    assert "INTERNALERROR" not in result.output


HIDDEN = [lab for lab in LABS if lab.hidden_tests]


@pytest.mark.slow
@pytest.mark.parametrize("lab", grouped(HIDDEN))
def test_hidden_tests_pass_on_the_solution_and_fail_on_the_starter(lab):
    # The instructors' hidden tests (test_labN_hidden.py, never shipped) are proven like the
    # others, from the same two gradings: each of them ran, passed on the solution, failed on the starter.
    hidden_file = lab.hidden_tests.name
    expected = [t for t in runner.lab_tests(lab) if t.get("hidden")]
    assert expected and all(hidden_file in t["test"] for t in expected)
    for which, passed in (("solution", True), ("starter", False)):
        results = [t for t in graded(lab.name, which).tests if t.hidden]
        wrong = [t.name for t in results if t.passed != passed]
        assert len(results) == len(expected) and not wrong, f"{which}: {wrong}"


@pytest.mark.slow
def test_a_file_that_does_not_import_fails_every_test_but_is_graded(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def normalize(images:\n")  # a syntax error
    result = runner.run_lab_tests("lab1", broken)
    assert result.tests and result.points == 0
    assert "INTERNALERROR" not in result.output
    assert all("could not import" in t.reason for t in result.tests)


@pytest.mark.slow
def test_reasons_say_what_was_compared_on_which_input_and_what_differed(tmp_path):
    """A student reads the reason alone: it names the case, and what differed."""
    source = (ROOT / "labs/lab2_conv_forward/solution.py").read_text()
    source = source.replace('raise ValueError(f"f (the window, {f}) must not be larger than n',
                            'raise ValueError(f"the window ({f}) must not be larger than the input')
    source = source.replace("    if b is not None:\n        y += b\n", "")  # the bias forgotten
    student = tmp_path / "lab2.py"
    student.write_text(source)
    result = runner.run_lab_tests("lab2", student, extra=["-k", "output_size_rejects or bias"], hidden=False)
    reasons = {t.name: t.reason for t in result.tests if not t.passed}
    message = reasons["test_output_size_rejects_bad_input[args2-f]"]
    assert message.splitlines()[1] == "with args=(5, 6, 1, 'valid'), word='f'", message  # the case's inputs
    assert "Expected regex" in message and "Actual message: \"the window (6)" in message, message
    bias = reasons["test_conv2d_adds_one_bias_per_output_channel[valid-x1x4x4x2-w2x2x2x3-stride1-bias]"]
    assert bias.startswith("AssertionError: conv2d(x of shape (1, 4, 4, 2), w of shape (2, 2, 2, 3), b=given"), bias
    assert "first difference at index (0, 0, 0, 0)" in bias and "27 of 27 values differ" in bias, bias
    assert all(len(r.splitlines()) <= 6 and str(tmp_path) not in r and "0x" not in r for r in reasons.values())


@pytest.mark.slow
def test_a_hanging_function_is_a_failed_test(tmp_path):
    hanging = tmp_path / "hanging.py"
    hanging.write_text(LAB1_SOLUTION.read_text() + "\n\ndef to_batch(image):\n    while True:\n        pass\n")
    result = runner.run_lab_tests("lab1", hanging, timeout=3, extra=["-k", "to_batch"])
    assert result.tests and not any(t.passed for t in result.tests)
    assert any("TimeLimitExceeded: ran past its time limit of 3 s, in to_batch" in t.reason for t in result.tests)


@pytest.mark.slow
def test_run_tests_prints_a_line_per_test_and_the_points(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab1.py").write_text(LAB1_SOLUTION.read_text())
    result = labs.run_tests("lab1")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(result.tests) + 1 and all(line.startswith("✓ test_") for line in lines[:-1])
    hidden = 30 - result.max_points  # lab 1's LAB_POINTS, less the public tests' points
    assert lines[-1] == (f"lab1: {result.max_points:g}/{result.max_points:g} points, "
                         f"{len(result.tests)} of {len(result.tests)} tests passed (the public tests: "
                         f"{result.max_points:g} of the lab's 30 points; your instructor's hidden tests "
                         f"of the same skills carry the other {hidden:g})")


def test_run_tests_without_the_file_is_a_value_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"lab_file must be your lab1\.py; got 'lab1\.py'"):
        labs.run_tests("lab1")


def test_fetch_starter_copies_once_and_never_overwrites(tmp_path, capsys):
    target = labs.fetch_starter("lab1", tmp_path)
    assert target.read_text() == labs.find_lab("lab1").starter.read_text()
    target.write_text("# my work\n")
    labs.fetch_starter("lab1", tmp_path)
    assert target.read_text() == "# my work\n"
    first, second = capsys.readouterr().out.splitlines()
    assert "copied" in first and "never overwritten" in second


def test_fetch_starter_into_a_missing_folder_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"folder must be an existing folder; got '.*nowhere'"):
        labs.fetch_starter("lab1", tmp_path / "nowhere")


@pytest.mark.slow
def test_grade_command_writes_csv(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "alice.py").write_text(LAB1_SOLUTION.read_text())
    (submissions / "bob.py").write_text((ROOT / "labs/lab1_pixels/lab1.py").read_text())
    rows = labs.grade("lab1", [submissions], out=tmp_path / "grades.csv")
    by_name = {Path(r["submission"]).name: r for r in rows}
    assert by_name["alice.py"]["points"] == by_name["alice.py"]["max_points"] > 0
    assert by_name["bob.py"]["points"] == 0
    assert by_name["alice.py"]["student"] == "alice" and by_name["alice.py"]["reason"] == ""
    with (tmp_path / "grades.csv").open() as handle:
        written = {row["student"]: row for row in csv.DictReader(handle)}
    skills = {t["skill"] for t in runner.lab_tests("lab1")}
    header = list(written["alice"])
    assert header[:8] == ["student", "submission", "points", "max_points", "passed", "failed", "reason",
                          "first problem"]
    assert header[8:-1] == [f"skill: {s}" for s in dict.fromkeys(t["skill"] for t in runner.lab_tests("lab1"))]
    assert len(header[8:-1]) == len(skills) and header[-1] == "near copies"
    # numbers a spreadsheet sums: "30", not "30.0"; a skill's points add up to the total
    total = round(sum(t["points"] for t in runner.lab_tests("lab1")), 2)
    assert total == int(total) and written["alice"]["points"] == written["alice"]["max_points"] == f"{total:g}"
    assert sum(float(written["alice"][column]) for column in header[8:-1]) == pytest.approx(total)
    assert written["bob"]["points"] == "0" and all(written["bob"][column] == "0" for column in header[8:-1])
    # a line to act on for bob, and a feedback file per student to send
    assert written["bob"]["first problem"].endswith(": NotImplementedError") and written["alice"]["first problem"] == ""
    feedback = (tmp_path / "grades_feedback" / "bob.md").read_text()
    assert feedback.startswith("# lab1: bob\n\n**0/") and "NotImplementedError" in feedback
    assert (tmp_path / "grades_feedback" / "alice.md").is_file()


def test_notebook_check_reports_without_raising(capsys):
    import numpy as np

    def not_done():
        raise NotImplementedError

    assert labs.check("ok", lambda: np.ones(2), expected=np.ones(2))
    assert not labs.check("todo", not_done)
    assert labs.check("error", lambda: 1 / 0, raises=ZeroDivisionError)
    assert not labs.check("shape", lambda: np.ones(3), expected=np.ones(2))
    assert not labs.check("values", lambda: np.array([1.0, 2.0]), expected=np.array([1.0, 3.0]))
    out = capsys.readouterr().out
    assert "✓ ok" in out and "✗ todo: not implemented yet" in out and "shape (3,)" in out
    # as the graded tests say it: where the arrays first differ, and both values there
    assert "✗ values: first difference at index (1,): got 2, expected 3; 1 of 2 values differ" in out


# ---------------------------------------------------------------- time limits (labs/README.md, "Time limits")

@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_every_lab_test_has_a_time_limit_from_its_test_file(lab):
    collected = runner.lab_tests(lab)
    assert collected and all(isinstance(t["timeout"], (int, float)) and t["timeout"] > 0 for t in collected), \
        [t["test"] for t in collected if not t["timeout"]]


def test_an_instructors_timeout_replaces_every_tests_own_limit():
    lab3 = labs.find_lab("lab3", ROOT / "labs")
    assert 7 not in {t["timeout"] for t in runner.lab_tests(lab3)}
    assert {t["timeout"] for t in runner.lab_tests(lab3, ["--lab-timeout", "7"])} == {7}


def test_a_students_check_and_the_instructors_grade_use_the_same_limits(tmp_path, monkeypatch):
    """Both leave every test its own limit (no override), unless asked for one."""
    seen = []

    def record(lab, lab_file=None, timeout=None, **options):
        seen.append(timeout)
        return labs.LabResult.not_run("lab1", lab_file, [], "recorded")

    monkeypatch.setattr(labs, "run_lab_tests", record)
    monkeypatch.setattr(batch, "run_lab_tests", record)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab1.py").write_text("")
    labs.run_tests("lab1")
    labs.grade("lab1", [tmp_path / "lab1.py"])
    assert labs.main(["grade", "lab1", str(tmp_path / "lab1.py")]) == 0
    assert seen == [None, None, None]
