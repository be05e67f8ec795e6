"""The grader survives any submission: a corpus of hostile lab-1 files, graded in one run.

Every row is out of the lab's full total, every run that did not complete says why, the
other submissions are graded and still exist afterwards, and the grader finishes.

Which limit ends a run must not depend on how busy the machine is (the suite runs beside
other work): the corpus ends its loops with the CPU-time limit, which counts the work done,
under a wall-clock limit far above any honest run's; the wall-clock limit has a test of its
own, a submission that waits forever without using the CPU.
"""

import ast
import csv
import inspect
import json
import time
from pathlib import Path

import pytest

from cnn_course import labs, layers
from cnn_course.grading.runner import Limits, lab_tests, run_lab_tests

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = (ROOT / "labs/lab1_pixels/solution.py").read_text()
STARTER = (ROOT / "labs/lab1_pixels/lab1.py").read_text()
# Every function of the lab, redefined to loop forever when a test calls it.
HANGING = "\n".join(f"def {node.name}(*args, **kwargs):\n    while True:\n        pass\n"
                    for node in ast.parse(SOLUTION).body
                    if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"))

# The same functions, waiting forever without using the CPU.
SLEEPING = HANGING.replace("    while True:\n        pass\n", "    import time\n    time.sleep(10 ** 6)\n")

# name -> (source, what the row must say: None for a completed run, else a word in its reason)
CORPUS = {
    "solution": (SOLUTION, None),
    "starter": (STARTER, None),
    "exit_at_import": ("import os\nos._exit(0)\n", "exited with code 0"),
    "sys_exit_at_import": ("import sys\nsys.exit(3)\n", None),
    "keyboard_interrupt": ("raise KeyboardInterrupt\n", None),
    "base_exception": ("class Boom(BaseException):\n    pass\n\nraise Boom('at import')\n", None),
    "sigkill_itself": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "signal 9"),
    "infinite_loop": ("while True:\n    pass\n", "CPU-time limit"),
    "every_function_hangs": (SOLUTION + "\n" + HANGING, "CPU-time limit"),
    "allocate_50gb": ("blob = bytearray(50 * 1024 ** 3)\n", "memory limit"),
    "print_50mb": (SOLUTION + "\nprint('x' * (50 * 1024 * 1024))\n", None),
    "delete_files": ("from pathlib import Path\n"
                     "here = Path(__file__).resolve().parent\n"
                     "for folder in (here, here.parent):\n"
                     "    for path in folder.glob('*.py'):\n"
                     "        path.unlink()\n" + SOLUTION, None),
    "fork_children": ("import os, time\n"
                      "for _ in range(20):\n"
                      "    if os.fork() == 0:\n"
                      "        time.sleep(3600)\n"
                      "        os._exit(0)\n" + SOLUTION, None),
    "monkeypatch_pytest_numpy": ("import numpy, pytest\n"
                                 "numpy.testing.assert_allclose = lambda *a, **k: None\n"
                                 "pytest.raises = None\n"
                                 "numpy.zeros = None\n", None),
}


@pytest.mark.slow
def test_hostile_submissions_are_each_graded_out_of_the_full_total(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name, (source, _) in CORPUS.items():
        (submissions / f"{name}.py").write_text(source)
    total = round(sum(t["points"] for t in lab_tests("lab1")), 2)  # cases share points: 1/3 each
    started = time.monotonic()
    # Two at a time, as an instructor on a 2-core machine would (worker processes).
    # An honest lab-1 run takes about 1 s of CPU (lab 1's tests need no TensorFlow): the loops
    # stop at 10 s of CPU, whatever the load, and the wall-clock limit only stops what the
    # CPU-time limit cannot.
    rows = labs.grade("lab1", [submissions], out=tmp_path / "grades/lab1.csv",
                      limits=Limits(wall=300, cpu=10), jobs=2)
    elapsed = time.monotonic() - started
    print(f"graded {len(rows)} hostile submissions in {elapsed:.0f} s")
    by_student = {row["student"]: row for row in rows}
    assert set(by_student) == set(CORPUS)
    for name, (_, says) in CORPUS.items():
        row = by_student[name]
        print(name, f"{row['points']}/{row['max_points']}", row["reason"])
        assert row["max_points"] == total > 0, name
        if says is not None:
            assert says in row["reason"], (name, row)
    assert by_student["solution"]["points"] == total and by_student["solution"]["reason"] == ""
    assert by_student["print_50mb"]["points"] == total  # printing is not cheating
    assert by_student["delete_files"]["points"] == total  # it deleted files in its own copy only
    for name in ("starter", "exit_at_import", "sys_exit_at_import", "keyboard_interrupt", "base_exception",
                 "sigkill_itself", "infinite_loop", "every_function_hangs", "allocate_50gb",
                 "monkeypatch_pytest_numpy"):
        assert by_student[name]["points"] == 0, by_student[name]
    # nothing was deleted or changed in the submissions folder
    assert sorted(p.stem for p in submissions.iterdir()) == sorted(CORPUS)
    for name, (source, _) in CORPUS.items():
        assert (submissions / f"{name}.py").read_text() == source
    # the CSV has a student and a reason column; the JSON a reason for every failed test
    with (tmp_path / "grades/lab1.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert [r["student"] for r in written] == [r["student"] for r in rows]
    assert all(r["max_points"] == f"{total:g}" for r in written)  # "30": a number a spreadsheet sums
    details = json.loads((tmp_path / "grades/lab1.json").read_text())
    for tests in details.values():
        assert round(sum(t["points"] for t in tests), 2) == total
        assert all(t["reason"] for t in tests if not t["passed"])


@pytest.mark.slow
def test_a_hanging_submission_costs_its_wall_clock_limit_once(tmp_path):
    # Each test would wait its 120 s timeout; the submission's wall-clock limit ends them all.
    # The functions wait without using the CPU: only the wall-clock limit can end this run.
    hanging = tmp_path / "hanging.py"
    hanging.write_text(SOLUTION + "\n" + SLEEPING)
    total = round(sum(t["points"] for t in lab_tests("lab1")), 2)
    result = run_lab_tests("lab1", hanging, timeout=120, limits=Limits(wall=20))
    assert result.points == 0 and result.max_points == total
    assert "wall-clock limit of 20 s" in result.reason, result.reason
    # Once: the run is not resumed after the wall-clock limit. The test it stopped in says so,
    # and every test after it says it was never reached, and where the run stopped.
    first, *rest = result.tests
    assert first.reason == "stopped while this test ran: exceeded the wall-clock limit of 20 s", first.reason
    assert all(t.reason.startswith(f"not reached: the run stopped at {first.name} after ") for t in rest), rest[0]


def _graded_variant(tmp_path, lab, name, source, **options):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return run_lab_tests(lab, path, **options)


@pytest.mark.slow
@pytest.mark.parametrize("body, says", [
    ("    while True:\n        pass\n", "ran past its time limit of 3 s, in to_batch (line"),
    ("    return sum(range(10 ** 12))  # a loop in C: no signal handler runs until it ends\n",
     "ran past its time limit of 3 s, in to_batch, and could not be interrupted"),
], ids=["python-loop", "loop-in-c"])
def test_a_function_that_hangs_costs_what_a_missing_one_costs(tmp_path, body, says):
    """A file correct everywhere but one function that hangs keeps every point that does not
    depend on it: exactly the points of the same file with that function unwritten."""
    missing = _graded_variant(tmp_path, "lab1", "missing", SOLUTION + "\n\ndef to_batch(image):\n"
                                                                     "    raise NotImplementedError\n", timeout=3)
    hanging = _graded_variant(tmp_path, "lab1", "hanging", SOLUTION + "\n\ndef to_batch(image):\n" + body,
                              timeout=3, limits=Limits(wall=120))
    assert 0 < hanging.points == missing.points < hanging.max_points
    assert [t.name for t in hanging.tests if not t.passed] == [t.name for t in missing.tests if not t.passed]
    hung, *after = [t for t in hanging.tests if not t.passed]
    assert says in hung.reason, hung.reason
    assert all("to_batch ran past" in t.reason and "not called again" in t.reason for t in after), after
    assert hanging.reason == ""  # the run completed


@pytest.mark.slow
def test_a_hang_inside_a_hypothesis_test_fails_that_test_and_the_run_goes_on(tmp_path):
    """Lab 2's conv2d calls pad; with pad looping forever, the Hypothesis test against TensorFlow
    stops at its limit (it used to hang until the run's wall-clock limit: 0 points)."""
    solution = (ROOT / "labs/lab2_conv_forward/solution.py").read_text()
    only = ["-k", "test_conv2d_matches_tensorflow or test_output_size"]  # the hang starts in Hypothesis
    missing = _graded_variant(tmp_path, "lab2", "missing", solution + "\n\ndef pad(x, padding_hw):\n"
                              "    raise NotImplementedError\n", timeout=10, extra=only)
    hanging = _graded_variant(tmp_path, "lab2", "hanging", solution + "\n\ndef pad(x, padding_hw):\n"
                              "    while True:\n        pass\n", timeout=10, extra=only)
    assert 0 < hanging.points == missing.points and hanging.reason == ""
    by_name = {t.name: t for t in hanging.tests}
    valid, same = by_name["test_conv2d_matches_tensorflow[valid]"], by_name["test_conv2d_matches_tensorflow[same]"]
    assert valid.passed  # "valid" padding never calls pad
    assert not same.passed and "TimeLimitExceeded" in same.reason, same.reason


def test_grading_jobs_must_be_a_positive_integer(tmp_path):
    for jobs in (0, -1, 1.5, True, "2"):
        try:
            labs.grade("lab1", [tmp_path], jobs=jobs)
        except ValueError as error:
            assert "jobs" in str(error) and repr(jobs) in str(error)
        else:
            raise AssertionError(f"jobs={jobs!r} was accepted")


@pytest.mark.slow
def test_cpu_time_beyond_the_limit_is_a_reason(tmp_path):
    spinning = tmp_path / "spinning.py"
    spinning.write_text("while True:\n    pass\n")
    result = run_lab_tests("lab1", spinning, limits=Limits(wall=120, cpu=5), extra=["-k", "to_batch"])
    total = round(sum(t["points"] for t in lab_tests("lab1", ["-k", "to_batch"])), 2)
    assert result.points == 0 and result.max_points == total
    assert "CPU-time limit of 5 s" in result.reason, result.reason
    first, *rest = result.tests  # the loop runs when the first test imports the file
    assert first.reason == "stopped while this test ran: exceeded the CPU-time limit of 5 s", first.reason
    assert all(t.reason.startswith("not reached: ") and t.reason.endswith("(exceeded the CPU-time limit of 5 s)")
               for t in rest), rest


def test_students_are_named_by_file_or_by_folder(tmp_path):
    (tmp_path / "alice.py").write_text("")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob/lab1.py").write_text("")
    (tmp_path / "notes").mkdir()  # a folder without lab1.py is no submission
    (tmp_path / "README.txt").write_text("")
    found = labs.submissions_in("lab1", [tmp_path])
    assert found == [("alice", tmp_path / "alice.py"), ("bob", tmp_path / "bob/lab1.py")]
    assert labs.submissions_in("lab1", [tmp_path / "bob/lab1.py"]) == [("bob", tmp_path / "bob/lab1.py")]


# ---------------------------------------------------------------- the package is not an answer key

LAB3_SOLUTION = (ROOT / "labs/lab3_fast_conv/solution.py").read_text()
LAB3_STARTER = (ROOT / "labs/lab3_fast_conv/lab3.py").read_text()
FORWARD = "conv2d forward (against TensorFlow)"
BACKWARD = "conv2d backward: dx, dw, db (against TensorFlow)"
IM2COL = "im2col and col2im"
# name -> (source, what the reason names, whether lab 3's own im2col skill must keep its points)
COPIES = {
    "reexports_the_layers": (LAB3_STARTER + "\nfrom cnn_course.layers import col2im, conv2d, conv2d_backward, im2col"
                             "  # noqa: E402, F401\n", "cnn_course.layers.", False, {FORWARD, BACKWARD}),
    "wraps_tensorflow": (LAB3_SOLUTION + "\n\ndef conv2d(x, w, b=None, stride=1, padding='valid'):\n"
                         "    import tensorflow as tf\n"
                         "    y = tf.nn.conv2d(x, w, strides=stride, padding=padding.upper()).numpy()\n"
                         "    return y if b is None else y + b\n", "called tensorflow", True, {FORWARD}),
    "through_importlib": (LAB3_SOLUTION + "\n\ndef conv2d(x, w, b=None, stride=1, padding='valid'):\n"
                          "    import importlib\n"
                          "    return importlib.import_module('cnn_course.layers').conv2d(x, w, b, stride, padding)\n",
                          "called cnn_course.layers.conv2d", True, {FORWARD}),
    "through_sys_modules": (LAB3_SOLUTION + "\n\ndef conv2d_backward(dy, x, w, stride=1, padding='valid'):\n"
                            "    import sys\n    __import__('cnn_course.layers')\n"
                            "    return sys.modules['cnn_course.layers'].conv2d_backward(dy, x, w, stride, padding)\n",
                            "called cnn_course.layers.conv2d_backward", True, {BACKWARD}),
}


@pytest.mark.slow
def test_a_file_that_calls_the_package_or_tensorflow_for_the_work_earns_nothing_for_it(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "honest.py").write_text(LAB3_SOLUTION)
    for name, (source, *_) in COPIES.items():
        (submissions / f"{name}.py").write_text(source)
    # Pasted, not called: no call to see, so flagged for the instructor to review, not scored.
    pasted = inspect.getsource(layers.conv2d_backward).replace("dx", "grad_x").replace("dw", "grad_w")
    (submissions / "pastes_the_layers.py").write_text(LAB3_SOLUTION + "\n\n" + pasted)
    labs.grade("lab3", [submissions], out=tmp_path / "grades.csv", jobs=2)
    with (tmp_path / "grades.csv").open() as handle:
        flagged = {row["student"]: row["near copies"] for row in csv.DictReader(handle)}
    assert flagged["pastes_the_layers"].startswith("conv2d_backward ~ cnn_course.layers.conv2d_backward (1.00)")
    assert flagged["honest"] == ""
    details = json.loads((tmp_path / "grades.json").read_text())
    tests = {Path(where).stem: result for where, result in details.items()}
    total = round(sum(t["points"] for t in tests["honest"]), 2)
    assert round(sum(t["points"] for t in tests["honest"] if t["passed"]), 2) == total  # the honest file loses nothing
    for name, (_, names, keeps_im2col, zeroed) in COPIES.items():
        # the skills whose functions call it score 0; the others keep their points
        core = [t for t in tests[name] if t["skill"] in zeroed]
        assert core and not any(t["passed"] for t in core), (name, core)
        assert all(names in t["reason"] and "which lab3 does not allow" in t["reason"] for t in core), core[0]
        untouched = [t for t in tests[name] if t["skill"] in {FORWARD, BACKWARD} - zeroed]
        assert all(t["passed"] for t in untouched), (name, [t["test"] for t in untouched if not t["passed"]])
        if keeps_im2col:  # its own im2col, untouched, keeps its points
            assert all(t["passed"] for t in tests[name] if t["skill"] == IM2COL), name
        print(name, sum(t["points"] for t in tests[name] if t["passed"]), "/", total, "|", core[0]["reason"])
