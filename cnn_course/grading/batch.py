"""Grading a class: every submission in a folder, each in its own process, written as CSV and
JSON (or, for one submission on Gradescope, as its ``results.json``).

``python -m cnn_course.labs grade lab2 submissions/ --out grades/lab2.csv`` calls :func:`grade`.
"""

import contextlib
import csv
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from .results import CSV_FIELDS, LabResult, skill_column, write_json
from .runner import lab_tests, run_lab_tests
from .starters import find_lab

FORMATS = ("csv", "gradescope")


def submissions_in(lab, submissions):
    """``(student, file)`` for every submission: a ``.py`` file (the student is its name,
    ``alice.py`` -> ``alice``; ``alice/lab1.py`` -> ``alice``), or a folder of them, where
    each student is a file or a folder holding ``labN.py``."""
    module = find_lab(lab).starter.name
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


def grade(lab, submissions, out=None, timeout=None, limits=None, format="csv", jobs=1):
    """Grade each submission (a ``.py`` file, or a folder of them) with the lab's tests.

    Each file is graded in its own process, from a copy in a temporary folder, under
    ``limits`` (a :class:`~cnn_course.grading.runner.Limits`; see
    :func:`cnn_course.grading.runner.run_lab_tests`), so one student's crash, loop or
    deleted files cannot touch another's grade. Every row is out of the lab's full total.
    ``timeout`` replaces every test's own time limit (default: the limits the lab's test files
    set, as in the student's ``run_tests``; labs/README.md, "Time limits").
    Returns one row per submission (:meth:`~cnn_course.grading.results.LabResult.to_csv_row`:
    ``student, submission, points, max_points, passed, failed, reason``, then the points of
    each skill; ``reason`` is empty when the run completed). With ``out`` and
    ``format="csv"``, also writes them as CSV and every test's result, with why it failed, as
    JSON beside it; with ``format="gradescope"`` (one submission), writes Gradescope's
    ``results.json`` to ``out``.

    ``jobs`` submissions are graded at once (each still in its own process, under its own
    limits); rows come in the submissions' order whatever finishes first.
    ``benchmarks/grading_throughput.md`` measures what ``jobs=2`` gains on two cores.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer (submissions graded at once); got {jobs!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    lab = find_lab(lab)  # an unknown lab is an error before any grading starts
    expected = lab_tests(lab)
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
            rows.append(result.to_csv_row(student))
            details[str(path)] = result.to_json()
            print(f"{student}: {result.points:g}/{result.max_points:g} points"
                  + (f" ({result.reason})" if result.reason else ""), flush=True)
    if out is not None and format == "gradescope":
        write_json(result.to_gradescope(), out)
    elif out is not None:
        write_csv(rows, out, skills=dict.fromkeys(t.get("skill", "") for t in expected))
        write_json(details, Path(out).with_suffix(".json"))
    return rows


def write_csv(rows, path, skills):
    """The class's grades, one row per submission: :data:`~cnn_course.grading.results.CSV_FIELDS`,
    then one column per skill in ``skills``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS + [skill_column(s) for s in skills])
        writer.writeheader()
        writer.writerows(rows)


def _grade_one(lab, path, expected, timeout, limits):
    """Grade one submission; a file that cannot even be copied is recorded, not fatal."""
    try:
        return run_lab_tests(lab, path, timeout=timeout, limits=limits)
    except (ValueError, OSError) as error:  # unreadable, vanished
        return LabResult.not_run(lab.module, path, expected, f"not graded: {error}")
