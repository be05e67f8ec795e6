"""Labs: what students and instructors call, from a notebook or the command line.

In a lab notebook (Jupyter, Colab or Binder)::

    cnn_course.labs.fetch_starter("lab2")   # put the starter lab2.py here, unless it is here
    check("pad keeps the dtype", lambda: ...)   # one quick check: prints ✓ or ✗ and why
    cnn_course.labs.run_tests("lab2")       # the graded tests on ./lab2.py: ✓/✗ and points

Command line (from the repository's root)::

    python -m cnn_course.labs generate      # write every labs/*/labN.py from solution.py
    python -m cnn_course.labs check         # exit 1 if a committed starter is stale
    python -m cnn_course.labs grade lab1 submissions/ --out grades/lab1.csv
    python -m cnn_course.labs grade lab1 submission/ --format gradescope --out results/results.json
    python -m cnn_course.labs release lab1 --out release/   # or `release all`: the students' copy

Grading itself (the pytest plugin, the runner, the starters) lives in :mod:`cnn_course.grading`.
"""

import argparse
import contextlib
import csv
import json
import multiprocessing
import shutil
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from .grading.gradescope import write_gradescope_results
from .grading.release import release, release_all
from .grading.runner import LabResult, Limits, TestResult, lab_tests, run_lab_tests
from .grading.starters import find_lab, lab_dirs, lab_module_name, make_starter, stale_starters, starter_path

__all__ = ["check", "fetch_starter", "run_tests", "grade", "submissions_in", "release", "release_all",
           "make_starter", "lab_dirs", "starter_path", "find_lab", "stale_starters"]


# ---------------------------------------------------------------- a lab notebook's set-up

def fetch_starter(lab, folder="."):
    """Copy lab ``lab``'s starter (``labN.py``) into ``folder`` unless a file of that name is there.

    A student's file is never overwritten: the printed line says whether the starter was
    copied or the file already there was kept. Returns the path of ``labN.py`` in ``folder``.
    """
    source = starter_path(find_lab(lab))
    if not Path(folder).is_dir():
        raise ValueError(f"folder must be an existing folder; got {str(folder)!r}")
    target = Path(folder) / source.name
    if target.exists():
        print(f"{target.name} is already here: kept as it is (an existing file is never overwritten).")
    else:
        shutil.copyfile(source, target)
        print(f"{target.name}: the starter, copied here. Write your code in it.")
    return target


# ---------------------------------------------------------------- the graded tests, from a notebook

def run_tests(lab, lab_file=None, timeout=None):
    """Run lab ``lab``'s graded tests on ``lab_file`` (default: ``labN.py`` in the working
    directory), print one line per test (✓, or ✗ and why) and the points, and return the
    :class:`~cnn_course.grading.runner.LabResult`.

    The tests run in a separate process, on the file as saved, so the result is what the
    instructor's grading gives. Raises ``ValueError`` for an unknown lab or a missing file.
    """
    lab_dir = find_lab(lab)
    lab_file = Path(lab_file if lab_file is not None else starter_path(lab_dir).name)
    if not lab_file.is_file():
        raise ValueError(f"lab_file must be your {starter_path(lab_dir).name}; got {str(lab_file)!r}, "
                         f"which does not exist in {Path.cwd()} (run the notebook's set-up cell first)")
    result = run_lab_tests(lab_dir.name, lab_file, timeout=timeout, hidden=False)
    if not result.tests:
        print(f"✗ the graded tests did not run; pytest said:\n{result.output}")
    for test in result.tests:
        unit = "point" if test.points == 1 else "points"
        line = f"{'✓' if test.passed else '✗'} {test.name} ({test.points:.3g} {unit})"
        print(line + (f": {test.reason}" if test.reason else ""))
    print(result.summary())
    return result


# ---------------------------------------------------------------- checks in lab notebooks

class CheckResult:
    """What :func:`check` returns: true when the check passed.

    It shows nothing when it is a cell's last value: the check has printed its line already.
    """

    def __init__(self, passed):
        self.passed = passed

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"CheckResult(passed={self.passed})"

    def _ipython_display_(self):
        pass


def check(description, compute, expected=None, raises=None, atol=1e-6):
    """Run ``compute()`` and print one line: a tick, or a cross and why.

    A lab notebook calls this on the student's functions. It never raises, so the notebook
    runs top to bottom whatever state the student's file is in. ``expected`` is compared
    with ``np.allclose`` (shapes and dtypes too when it is an array); ``raises`` names the
    exception that the call should raise instead. The result is true when the check passed.
    """
    try:
        result = compute()
    except NotImplementedError:
        return _report(False, description, "not implemented yet")
    except Exception as error:  # the student's bug, shown, not raised
        if raises is not None and isinstance(error, raises):
            return _report(True, description, f"raised {type(error).__name__}: {error}")
        where = traceback.extract_tb(error.__traceback__)[-1]
        return _report(False, description, f"{type(error).__name__}: {error} (line {where.lineno})")
    if raises is not None:
        return _report(False, description, f"expected {raises.__name__}, but nothing was raised")
    if expected is None:
        return _report(True, description, "")
    problem = _difference(result, expected, atol)
    return _report(problem is None, description, problem or "")


def _difference(result, expected, atol):
    if isinstance(expected, np.ndarray):
        result = np.asarray(result)
        if result.shape != expected.shape:
            return f"shape {result.shape}, expected {expected.shape}"
        if result.dtype != expected.dtype:
            return f"dtype {result.dtype}, expected {expected.dtype}"
        if not np.allclose(result, expected, atol=atol):
            return f"largest difference {np.max(np.abs(result - expected)):.3g}"
        return None
    if result != expected:
        return f"got {result!r}, expected {expected!r}"
    return None


def _report(passed, description, detail):
    mark = "✓" if passed else "✗"
    print(f"{mark} {description}" + (f": {detail}" if detail else ""))
    return CheckResult(passed)


# ---------------------------------------------------------------- grading a folder

def submissions_in(lab, submissions):
    """``(student, file)`` for every submission: a ``.py`` file (the student is its name,
    ``alice.py`` -> ``alice``; ``alice/lab1.py`` -> ``alice``), or a folder of them, where
    each student is a file or a folder holding ``labN.py``."""
    module = starter_path(find_lab(lab)).name
    found = []

    def add(path):
        path = Path(path)
        found.append((path.parent.name if path.name == module else path.stem, path))

    for item in map(Path, submissions):
        if not item.is_dir():
            add(item)
            continue
        for child in sorted(item.iterdir()):
            if child.is_dir() and (child / module).is_file():
                add(child / module)
            elif child.is_file() and child.suffix == ".py":
                add(child)
    return found


FORMATS = ("csv", "gradescope")


def grade(lab, submissions, out=None, timeout=120, limits=None, format="csv", jobs=1):
    """Grade each submission (a ``.py`` file, or a folder of them) with the lab's tests.

    Each file is graded in its own process, from a copy in a temporary folder, under
    ``limits`` (a :class:`~cnn_course.grading.runner.Limits`; see
    :func:`cnn_course.grading.runner.run_lab_tests`), so one student's crash, loop or
    deleted files cannot touch another's grade. Every row is out of the lab's full total.
    Returns rows ``{"student", "submission", "points", "max_points", "passed", "failed",
    "reason"}`` (``reason`` is empty when the run completed). With ``out`` and
    ``format="csv"``, also writes them as CSV (one row per submission) and every test's result,
    with why it failed, as JSON beside it; with ``format="gradescope"`` (one submission),
    writes Gradescope's ``results.json`` to ``out``.

    ``jobs`` submissions are graded at once (each still in its own process, under its own
    limits); rows come in the submissions' order whatever finishes first.
    ``benchmarks/grading_throughput.md`` measures what ``jobs=2`` gains on two cores.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer (submissions graded at once); got {jobs!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    expected = lab_tests(lab)  # an unknown lab is an error before any grading starts
    found = submissions_in(lab, submissions)
    if format == "gradescope" and len(found) != 1:
        raise ValueError(f"submissions must hold exactly one file for format='gradescope' (Gradescope grades "
                         f"one submission at a time); got {len(found)}: {[str(path) for _, path in found]}")
    rows, details = [], {}
    grade_one = partial(_grade_one, lab, expected=expected, timeout=timeout, limits=limits)
    paths = [path for _, path in found]
    # Worker processes, not threads: each starts its graded run with preexec_fn (the limits),
    # which is unsafe in a process that runs threads. "spawn": a clean worker.
    with (ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1
          else contextlib.nullcontext()) as pool:
        results = pool.map(grade_one, paths) if pool else map(grade_one, paths)
        for (student, path), result in zip(found, results, strict=True):
            rows.append({"student": student, "submission": str(path), "points": result.points,
                         "max_points": result.max_points, "passed": result.passed, "failed": result.failed,
                         "reason": result.reason})
            details[str(path)] = [vars(test) for test in result.tests]
            print(f"{student}: {result.points:g}/{result.max_points:g} points"
                  + (f" ({result.reason})" if result.reason else ""), flush=True)
    if out is not None and format == "gradescope":
        write_gradescope_results(result, out)
    elif out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["student", "submission", "points", "max_points",
                                                        "passed", "failed", "reason"])
            writer.writeheader()
            writer.writerows(rows)
        out.with_suffix(".json").write_text(json.dumps(details, indent=2))
    return rows


def _grade_one(lab, path, expected, timeout, limits):
    """Grade one submission; a file that cannot even be copied is recorded, not fatal."""
    try:
        return run_lab_tests(lab, path, timeout=timeout, limits=limits)
    except (ValueError, OSError) as error:  # unreadable, vanished
        return _not_graded(lab, path, expected, f"not graded: {error}")


def _not_graded(lab, path, expected, reason):
    """The result of a submission that could not even be run: every test failed, with why."""
    tests = [TestResult(t["test"].split("::", 1)[-1], t["points"], False, reason, t.get("skill", ""),
                        t.get("hidden", False)) for t in expected]
    return LabResult(lab=lab_module_name(find_lab(lab)), lab_file=str(path), tests=tests, reason=reason)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnn_course.labs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write every lab's starter from its solution")
    commands.add_parser("check", help="exit 1 if a committed starter is stale")
    grading = commands.add_parser("grade", help="grade submissions with a lab's tests")
    grading.add_argument("lab", help="lab1, lab2, ... (or the folder name)")
    grading.add_argument("submissions", nargs="+", help="student .py files or folders of them")
    grading.add_argument("--out", help="CSV file for the grades (a JSON of per-test results is written beside it)")
    grading.add_argument("--format", choices=FORMATS, default="csv",
                         help="csv: a row per student (and per-test JSON beside it); gradescope: "
                              "Gradescope's results.json for one submission")
    grading.add_argument("--timeout", type=int, default=120, help="seconds allowed per test")
    grading.add_argument("--jobs", type=int, default=1,
                         help="submissions graded at once, each in its own process (default 1; 2 helps "
                              "when a second core is free: benchmarks/grading_throughput.md)"),
    defaults = Limits()
    grading.add_argument("--wall-limit", type=float, default=defaults.wall,
                         help=f"seconds of wall-clock time per submission (default {defaults.wall:g})")
    grading.add_argument("--cpu-limit", type=float, default=defaults.cpu,
                         help=f"seconds of CPU time per submission (default {defaults.cpu:g})")
    grading.add_argument("--memory-limit", type=float, default=defaults.memory,
                         help=f"GB of address space per submission (default {defaults.memory:g})")
    releasing = commands.add_parser("release", help="write a lab's students' copy (folder and zip) and "
                                                    "its Gradescope autograder")
    releasing.add_argument("lab", help="lab1, lab2, ... or all")
    releasing.add_argument("--out", required=True, help="folder to write the release into")
    args = parser.parse_args(argv)

    if args.command == "generate":
        for lab_dir in lab_dirs():
            starter_path(lab_dir).write_text(make_starter((lab_dir / "solution.py").read_text()))
            print(f"wrote {starter_path(lab_dir)}")
    elif args.command == "check":
        stale = stale_starters()
        for path in stale:
            print(f"{path} is stale: run `python -m cnn_course.labs generate`")
        return 1 if stale else 0
    elif args.command == "release":
        for folder, archive, autograder in (release_all(args.out) if args.lab == "all"
                                            else [release(args.lab, args.out)]):
            print(f"{folder.name}: {folder}/, {archive.name} ({archive.stat().st_size / 1024:.0f} KB), "
                  f"autograder {autograder} ({autograder.stat().st_size / 1024:.0f} KB)")
    else:
        grade(args.lab, args.submissions, args.out, args.timeout,
              Limits(wall=args.wall_limit, cpu=args.cpu_limit, memory=args.memory_limit), args.format,
              jobs=args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
