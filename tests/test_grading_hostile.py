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
import json
import time
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading.runner import Limits, lab_tests

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
    total = sum(t["points"] for t in lab_tests("lab1"))
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
        assert sum(t["points"] for t in tests) == total
        assert all(t["reason"] for t in tests if not t["passed"])


@pytest.mark.slow
def test_a_hanging_submission_costs_its_wall_clock_limit_once(tmp_path):
    # Each test would wait its 120 s timeout; the submission's wall-clock limit ends them all.
    # The functions wait without using the CPU: only the wall-clock limit can end this run.
    from cnn_course.grading.runner import run_lab_tests

    hanging = tmp_path / "hanging.py"
    hanging.write_text(SOLUTION + "\n" + SLEEPING)
    total = sum(t["points"] for t in lab_tests("lab1"))  # collected before the clock starts
    started = time.monotonic()
    result = run_lab_tests("lab1", hanging, timeout=120, limits=Limits(wall=20))
    elapsed = time.monotonic() - started
    assert result.points == 0 and result.max_points == total
    assert "wall-clock limit of 20 s" in result.reason, result.reason
    assert elapsed < 20 + 30, f"took {elapsed:.0f} s"  # the limit, plus copying and killing: generous


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
    from cnn_course.grading.runner import run_lab_tests

    spinning = tmp_path / "spinning.py"
    spinning.write_text("while True:\n    pass\n")
    result = run_lab_tests("lab1", spinning, limits=Limits(wall=120, cpu=5), extra=["-k", "to_batch"])
    assert result.points == 0 and result.max_points == sum(t["points"] for t in lab_tests("lab1", ["-k", "to_batch"]))
    assert "CPU-time limit of 5 s" in result.reason, result.reason
    assert all(t.reason.startswith("did not run: exceeded the CPU-time limit") for t in result.tests)


def test_students_are_named_by_file_or_by_folder(tmp_path):
    (tmp_path / "alice.py").write_text("")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob/lab1.py").write_text("")
    (tmp_path / "notes").mkdir()  # a folder without lab1.py is no submission
    (tmp_path / "README.txt").write_text("")
    found = labs.submissions_in("lab1", [tmp_path])
    assert found == [("alice", tmp_path / "alice.py"), ("bob", tmp_path / "bob/lab1.py")]
    assert labs.submissions_in("lab1", [tmp_path / "bob/lab1.py"]) == [("bob", tmp_path / "bob/lab1.py")]
