"""Labs: one source of truth, a generated starter, and checks for the lab notebooks.

Each lab lives in ``labs/labN_topic/``. The instructor writes ``solution.py`` with every
piece of work for the student fenced by marker lines::

    def normalize(images):
        \"\"\"Docstring the student keeps.\"\"\"
        # BEGIN SOLUTION
        ...
        # END SOLUTION

:func:`make_starter` replaces each fenced region by ``# YOUR CODE HERE`` and
``raise NotImplementedError``, giving ``labN.py``, the file students edit and hand in.

Command line (from the repository's root)::

    python -m cnn_course.labs generate      # write every labs/*/labN.py from solution.py
    python -m cnn_course.labs check         # exit 1 if a committed starter is stale
    python -m cnn_course.labs grade lab1 submissions/ --out grades/lab1.csv
"""

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HEADER = (
    '# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.\n'
    '# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.\n'
)


def make_starter(solution_source):
    """Return the student's starter: ``solution_source`` with every solution region replaced.

    Raises ``ValueError`` on unbalanced or nested markers, so a typo in a solution file is
    caught when its starter is generated rather than by a student.
    """
    out, inside, opened_at = [HEADER], False, 0
    for number, line in enumerate(solution_source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN!r} inside the region opened on line {opened_at}")
            inside, opened_at = True, number
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f"{indent}raise NotImplementedError\n")
        elif stripped == END:
            if not inside:
                raise ValueError(f"line {number}: {END!r} without a matching {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"line {opened_at}: {BEGIN!r} is never closed by {END!r}")
    return "".join(out)


def lab_dirs(root="labs"):
    """Every lab folder under ``root``: the folders that hold a ``solution.py``."""
    return sorted(path.parent for path in Path(root).glob("lab*/solution.py"))


def starter_path(lab_dir):
    """``labs/lab1_pixels`` -> ``labs/lab1_pixels/lab1.py``."""
    lab_dir = Path(lab_dir)
    number = re.match(r"lab(\d+)", lab_dir.name)
    if number is None:
        raise ValueError(f"lab folder names start with 'lab' and a number; got {lab_dir.name!r}")
    return lab_dir / f"lab{number.group(1)}.py"


def find_lab(name, root="labs"):
    """The lab folder for ``name``: ``"lab1"``, ``"1"`` or ``"lab1_pixels"``."""
    wanted = name if name.startswith("lab") else f"lab{name}"
    for lab_dir in lab_dirs(root):
        if lab_dir.name == wanted or starter_path(lab_dir).stem == wanted:
            return lab_dir
    known = ", ".join(starter_path(d).stem for d in lab_dirs(root))
    raise ValueError(f"lab must be one of {known}; got {name!r}")


def stale_starters(root="labs"):
    """The starters whose committed text differs from what :func:`make_starter` generates."""
    return [starter_path(d) for d in lab_dirs(root)
            if not starter_path(d).is_file()
            or starter_path(d).read_text() != make_starter((d / "solution.py").read_text())]


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

def grade(lab, submissions, out=None, timeout=120):
    """Grade each submission (a ``.py`` file, or a folder of them) with the lab's tests.

    Runs ``pytest tests/labs/test_labN.py --lab-file SUBMISSION`` once per file, in a
    separate process so one student's crash cannot touch another's grade, and returns rows
    ``{"submission", "points", "max_points", "passed", "failed"}``; with ``out``, also
    writes them as CSV (one row per submission) and a JSON file per-test beside it.
    """
    lab_dir = find_lab(lab)
    test_file = Path("tests/labs") / f"test_{starter_path(lab_dir).stem}.py"
    files = []
    for item in map(Path, submissions):
        files.extend(sorted(item.glob("*.py")) if item.is_dir() else [item])
    rows, details = [], {}
    for path in files:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            subprocess.run(
                [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider",
                 f"--lab-file={path}", f"--grade-report={report}", f"--lab-timeout={timeout}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )
            result = json.loads(report.read_text()) if report.is_file() else {"tests": []}
        tests = result["tests"]
        rows.append({
            "submission": str(path),
            "points": sum(t["points"] for t in tests if t["passed"]),
            "max_points": sum(t["points"] for t in tests),
            "passed": sum(t["passed"] for t in tests),
            "failed": sum(not t["passed"] for t in tests),
        })
        details[str(path)] = tests
        print(f"{path}: {rows[-1]['points']}/{rows[-1]['max_points']} points")
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["submission"])
            writer.writeheader()
            writer.writerows(rows)
        out.with_suffix(".json").write_text(json.dumps(details, indent=2))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnn_course.labs", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write every lab's starter from its solution")
    commands.add_parser("check", help="exit 1 if a committed starter is stale")
    grading = commands.add_parser("grade", help="grade submissions with a lab's tests")
    grading.add_argument("lab", help="lab1, lab2, ... (or the folder name)")
    grading.add_argument("submissions", nargs="+", help="student .py files or folders of them")
    grading.add_argument("--out", help="CSV file for the grades (a JSON of per-test results is written beside it)")
    grading.add_argument("--timeout", type=int, default=120, help="seconds allowed per test")
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
    else:
        grade(args.lab, args.submissions, args.out, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
