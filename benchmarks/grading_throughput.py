"""Grading throughput: how many submissions a minute `python -m cnn_course.labs grade` grades.

Run from the repository's root::

    .venv/bin/python -m benchmarks.grading_throughput                  # every lab
    .venv/bin/python -m benchmarks.grading_throughput lab1 lab2 --class-size 8

For each lab, a class of ``--class-size`` submissions is written to a temporary folder:
copies of the solution (the slowest kind to grade: every test runs to the end), the starter,
and one-bug variants from ``tools/mutations.py``. The class is graded as an instructor
grades it, with ``labs.grade`` (one process per submission, every limit on, hidden tests
included), once with ``jobs=1`` and once with ``jobs=2``; the time gives submissions per
minute and the projected time for a class of 100. Then one submission whose every function
loops forever is graded under a 30-second wall-clock limit, to show what a hang costs: the
limit, once. The table, the machine and its load go to ``benchmarks/grading_throughput.md``.
"""

import argparse
import ast
import contextlib
import io
import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.machine import cpu_name
from cnn_course import labs
from cnn_course.grading.runner import Limits
from tools import mutations

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "benchmarks" / "grading_throughput.md"
HANG_WALL = 30


def write_class(lab, folder, size):
    """``size`` submissions of ``lab`` in ``folder``: solutions, the starter, mutants."""
    lab = labs.find_lab(lab)
    solution = lab.solution.read_text()
    mutants = mutations.MUTANTS[lab.module]
    kinds = ["solution", "starter"] + [m[0] for m in mutants]
    for number in range(size):
        kind = kinds[number % len(kinds)] if number < len(kinds) else "solution"
        if kind == "solution":
            source = solution
        elif kind == "starter":
            source = lab.starter.read_text()
        else:
            source = mutations.mutate(solution, next(m for m in mutants if m[0] == kind))
        (Path(folder) / f"student{number:03d}.py").write_text(source)


def time_grading(lab, folder, jobs, limits=None):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # one line per submission: not wanted here
        rows = labs.grade(lab, [folder], limits=limits, jobs=jobs)
    return time.perf_counter() - start, rows


def hanging_cost(folder):
    """Seconds to grade one lab-1 submission whose every function hangs, under the wall limit."""
    source = (ROOT / "labs/lab1_pixels/solution.py").read_text()
    hang = "\n\ndef {}(*args, **kwargs):\n    while True:\n        pass\n"
    names = [node.name for node in ast.parse(source).body
             if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
    hanging = Path(folder) / "hanging"
    hanging.mkdir()
    (hanging / "student.py").write_text(source + "".join(hang.format(n) for n in names))
    seconds, rows = time_grading("lab1", hanging, 1, Limits(wall=HANG_WALL))
    return seconds, rows[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", default=[lab.module for lab in labs.all_labs()])
    parser.add_argument("--class-size", type=int, default=4, help="submissions per lab (default 4)")
    args = parser.parse_args(argv)
    if args.class_size < 1:
        parser.error(f"--class-size must be a positive integer; got {args.class_size}")
    load_before = os.getloadavg()
    lines = ["| lab | jobs | class | seconds | submissions/min | s per submission | a class of 100 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for lab in args.labs:
        with tempfile.TemporaryDirectory(prefix=f"throughput-{lab}-") as folder:
            write_class(lab, folder, args.class_size)
            for jobs in (1, 2):
                seconds, rows = time_grading(lab, folder, jobs)
                assert len(rows) == args.class_size and all(r["max_points"] > 0 for r in rows)
                rate = 60 * len(rows) / seconds
                lines.append(f"| {lab} | {jobs} | {len(rows)} | {seconds:.0f} | {rate:.1f} | "
                             f"{seconds / len(rows):.1f} | {100 / rate:.0f} min |")
                print(lines[-1], flush=True)
    with tempfile.TemporaryDirectory(prefix="throughput-hang-") as folder:
        hang_seconds, hang_row = hanging_cost(folder)
    print(f"hanging submission: {hang_seconds:.0f} s ({hang_row['reason']})")
    load_after = os.getloadavg()
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    text = (
        "# Grading throughput\n\n"
        "Written by `benchmarks/grading_throughput.py`. Each lab's class (copies of the solution, "
        "the starter and one-bug variants from `tools/mutations.py`) graded with `labs.grade`, as "
        "`python -m cnn_course.labs grade labN submissions/ --jobs N` does: one process per "
        "submission, every limit on (defaults: wall clock "
        f"{Limits().wall:g} s, CPU {Limits().cpu:g} s, memory {Limits().memory:g} GB), hidden tests "
        "included.\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()}, {os.cpu_count()} cores shared with "
        f"other work (load average {load_before[0]:.1f} before, {load_after[0]:.1f} after); the "
        f"largest graded process peaked at {children_mb:,.0f} MB (ru_maxrss).\n\n"
        + "\n".join(lines) + "\n\n"
        f"A submission whose every function loops forever, graded under a {HANG_WALL} s wall-clock "
        f"limit (each test's own timeout is 120 s): {hang_seconds:.0f} s in all, recorded as "
        f"{hang_row['points']:g}/{hang_row['max_points']:g} with the reason \"{hang_row['reason']}\". "
        "A hang costs the submission's wall-clock limit once, not a timeout per test.\n")
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
