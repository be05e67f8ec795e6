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

Grading itself (the lab, the pytest plugin, the runner, the results, batch grading, the
starters and releases) lives in :mod:`cnn_course.grading`; this module is the command line and
what a lab notebook calls.
"""

import argparse
import shutil
import sys
import traceback
from pathlib import Path

import numpy as np

from .grading.batch import FORMATS, NOT_GRADED, find_submissions, grade, submissions_in
from .grading.compare import assert_close
from .grading.release import release, release_all
from .grading.results import LabResult, TestResult, graded_line
from .grading.runner import Limits, run_lab_tests
from .grading.starters import all_labs, find_lab, make_starter, stale_starters

__all__ = ["check", "fetch_starter", "run_tests", "grade", "find_submissions", "submissions_in", "release",
           "release_all", "make_starter", "all_labs", "find_lab", "stale_starters", "LabResult", "TestResult",
           "Limits"]


# ---------------------------------------------------------------- a lab notebook's set-up

def fetch_starter(lab, folder="."):
    """Copy lab ``lab``'s starter (``labN.py``) into ``folder`` unless a file of that name is there.

    A student's file is never overwritten: the printed line says whether the starter was
    copied or the file already there was kept. Returns the path of ``labN.py`` in ``folder``.
    """
    source = find_lab(lab).starter
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
    :class:`~cnn_course.grading.results.LabResult`.

    The tests run in a separate process, on the file as saved, each under the same time limit
    as in the instructor's grading, so the result is what that grading gives on the public
    tests. Raises ``ValueError`` for an unknown lab or a missing file.
    """
    lab = find_lab(lab)
    lab_file = Path(lab_file if lab_file is not None else lab.starter.name)
    if not lab_file.is_file():
        raise ValueError(f"lab_file must be your {lab.starter.name}; got {str(lab_file)!r}, "
                         f"which does not exist in {Path.cwd()} (run the notebook's set-up cell first)")
    result = run_lab_tests(lab, lab_file, timeout=timeout, hidden=False)
    if not result.tests:
        print(f"✗ the graded tests did not run; pytest said:\n{result.output}")
    for test in result.tests:
        print(graded_line(test.name, test.points, test.passed, test.reason))
    print(result.summary(lab_points=lab.points))
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
        try:  # the graded tests' comparison: where the arrays first differ, and both values there
            assert_close(result, expected, rtol=1e-5, atol=atol)
        except AssertionError as error:
            return str(error).replace("\n", "; ")
        return None
    if result != expected:
        return f"got {result!r}, expected {expected!r}"
    return None


def _report(passed, description, detail):
    mark = "✓" if passed else "✗"
    print(f"{mark} {description}" + (f": {detail}" if detail else ""))
    return CheckResult(passed)


def main(argv=None):
    """The command line. A user's mistake (an unknown lab, ``--jobs 0``, a missing file) is one
    line on stderr and exit code 2, never a traceback."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ValueError as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")


def _parser():
    parser = argparse.ArgumentParser(prog="python -m cnn_course.labs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    defaults_shown = {"formatter_class": argparse.ArgumentDefaultsHelpFormatter}
    commands.add_parser("generate", help="write every lab's starter from its solution", **defaults_shown)
    commands.add_parser("check", help="exit 1 if a committed starter is stale", **defaults_shown)
    grading = commands.add_parser("grade", help="grade submissions with a lab's tests", **defaults_shown)
    grading.add_argument("lab", help="lab1, lab2, ... (or the lab's folder)")
    grading.add_argument("submissions", nargs="+",
                         help="a class: a folder (or a zip) with a .py file, a sub-folder or a zip per student "
                              "(labs/README.md, \"How submissions are found\"); or students' .py files")
    grading.add_argument("--out", help="CSV file for the grades, with a JSON of every test's result beside it; "
                                       "an existing sheet is updated: the students graded now replace their "
                                       "rows, every other row is kept")
    grading.add_argument("--format", choices=FORMATS, default="csv",
                         help="csv: a row per student (and per-test JSON beside it); gradescope: "
                              "Gradescope's results.json for one student's upload")
    grading.add_argument("--timeout", type=float, default=None,
                         help="seconds allowed per test, replacing each test's own limit (none: the limits "
                              "the lab's test files set, the same as in a student's run_tests)")
    grading.add_argument("--jobs", type=int, default=1,
                         help="submissions graded at once, each in its own process (2 helps when a second "
                              "core is free: benchmarks/grading_throughput.md)")
    defaults = Limits()
    grading.add_argument("--wall-limit", type=float, default=defaults.wall,
                         help="seconds of wall-clock time per submission")
    grading.add_argument("--cpu-limit", type=float, default=defaults.cpu, help="seconds of CPU time per submission")
    grading.add_argument("--memory-limit", type=float, default=defaults.memory,
                         help="GB of address space per submission")
    releasing = commands.add_parser("release", help="write a lab's students' copy (folder and zip) and "
                                                    "its Gradescope autograder", **defaults_shown)
    releasing.add_argument("lab", help="lab1, lab2, ... or all")
    releasing.add_argument("--out", required=True, help="folder to write the release into")
    return parser


def _run(args):
    if args.command == "generate":
        for lab in all_labs():
            lab.starter.write_text(make_starter(lab.solution.read_text()))
            print(f"wrote {lab.starter}")
    elif args.command == "check":
        stale = stale_starters()
        for path in stale:
            print(f"{path} is stale: run `make generated` (or `python -m cnn_course.labs generate`)")
        return 1 if stale else 0
    elif args.command == "release":
        for folder, archive, autograder in (release_all(args.out) if args.lab == "all"
                                            else [release(args.lab, args.out)]):
            print(f"{folder.name}: {folder}/, {archive.name} ({archive.stat().st_size / 1024:.0f} KB), "
                  f"autograder {autograder} ({autograder.stat().st_size / 1024:.0f} KB)")
    else:
        rows = grade(args.lab, args.submissions, args.out, args.timeout,
                     Limits(wall=args.wall_limit, cpu=args.cpu_limit, memory=args.memory_limit), args.format,
                     jobs=args.jobs)
        if args.format == "csv" and not [row for row in rows if not row["reason"].startswith(NOT_GRADED)]:
            print("nothing was graded: see labs/README.md, \"How submissions are found\"", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
