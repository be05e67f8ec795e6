"""Grading a class: every submission in a folder, each in its own process, written as CSV and
JSON (or, for one submission on Gradescope, as its ``results.json``).

``python -m cnn_course.labs grade lab2 submissions/ --out grades/lab2.csv`` calls :func:`grade`.
"""

import contextlib
import csv
import json
import multiprocessing
import re
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .copies import describe, near_copies
from .results import CSV_FIELDS, LabResult, skill_column, write_json
from .runner import lab_tests, run_lab_tests
from .starters import find_lab

FORMATS = ("csv", "gradescope")


# ---------------------------------------------------------------- finding the submissions

UNPACKED_LIMIT = 200 * 1024 ** 2  # bytes a zip may unpack to: an upload, not a data set
NOT_SUBMISSIONS = ("conftest.py",)  # a students' copy's own files, uploaded along with the work


@dataclass(frozen=True)
class Submission:
    """One student's submission as found: the file to grade, or None and why not."""

    student: str
    source: Path  # what was found: a file, a folder or a zip
    path: Path | None = None  # the labN.py to grade
    why: str = ""  # why there is nothing to grade


def is_lab_file(name, module):
    """Whether a file's name is the lab's module, ``lab2.py``, as students and LMSs write it:
    any case (``Lab2.py``), with a copy suffix (``lab2 (1).py``, ``lab2 copy.py``, ``lab2-1.py``)."""
    copy = r"(\s*\(\d+\)|\s*-?\s*copy(\s*\(?\d+\)?)?|[ _-]\d+)?"
    return (Path(name).suffix.lower() == ".py"
            and re.fullmatch(rf"{module}{copy}", Path(name).stem, re.IGNORECASE) is not None)


def find_submissions(lab, submissions, unpack_to):
    """Every student in ``submissions`` (files, folders, zips), each with the file to grade or
    why there is none. The rules (labs/README.md, "How submissions are found"):

    - a folder given is a class: each ``.py`` file in it is one student, named by the file
      (``alice.py``); each sub-folder is one student, named by the folder, whose ``labN.py`` is
      found at any depth (``frank/lab2_conv_forward/lab2.py``), its name matched without regard
      to case or copy suffixes (``bob/Lab2.py``, ``carol/lab2 (1).py``); each zip is one student,
      named by the zip, unpacked and searched like a folder;
    - a zip given is a class, unpacked and read like a folder; a ``.py`` file given is one
      student, named by the file, or by its folder when the file is ``labN.py``;
    - ``test_*.py`` and ``conftest.py`` are a students' copy's own files, never a submission;
    - a notebook (``.ipynb``) is reported, not graded (the lab asks for ``labN.py``), and so is
      a student with two candidate files (never guessed) or none.

    Zips are unpacked under ``unpack_to``. Returns :class:`Submission` s in the order found.
    """
    lab = find_lab(lab)
    found = []
    for item in map(Path, submissions):
        if item.is_dir():
            found += _class_folder(lab, item, unpack_to)
        elif item.suffix.lower() == ".zip":
            folder, problem = _unpack(item, unpack_to)
            found += [Submission(item.stem, item, why=problem)] if problem else _class_folder(lab, folder, unpack_to)
        elif item.suffix.lower() == ".py":
            student = item.parent.name if is_lab_file(item.name, lab.module) else item.stem
            found.append(Submission(student, item, item) if item.is_file()
                         else Submission(student, item, why=f"{item} does not exist"))
        else:
            found.append(Submission(item.stem, item, why=_not_python(item.name, lab)))
    return found


def find_one(lab, folder, unpack_to):
    """One student's upload (Gradescope's ``submission/``): their ``labN.py`` found at any depth
    among whatever they uploaded, as in a class's sub-folder."""
    return _student_folder(find_lab(lab), Path(folder).name, Path(folder), unpack_to)


def _class_folder(lab, folder, unpack_to):
    found = []
    for child in sorted(folder.iterdir(), key=lambda path: path.name.lower()):
        if child.name.startswith((".", "__")):  # .DS_Store, __MACOSX, __pycache__
            continue
        if child.is_dir():
            found.append(_student_folder(lab, child.name, child, unpack_to))
        elif child.suffix.lower() == ".zip":
            unpacked, problem = _unpack(child, unpack_to)
            found.append(Submission(child.stem, child, why=problem) if problem
                         else _student_folder(lab, child.stem, unpacked, unpack_to, source=child))
        elif child.suffix.lower() == ".py" and not _copy_file(child.name):
            found.append(Submission(child.stem, child, child))
        elif child.suffix.lower() != ".py":
            found.append(Submission(child.stem, child, why=_not_python(child.name, lab)))
    return found


def _files(folder, prefix=""):
    """``{shown name: path}`` of every file under ``folder`` but hidden ones (``.git``, ``__MACOSX``)."""
    return {prefix + str(path.relative_to(folder)): path for path in sorted(folder.rglob("*"))
            if path.is_file() and not any(part.startswith((".", "__")) for part in path.relative_to(folder).parts)}


def _student_folder(lab, student, folder, unpack_to, source=None):
    """One student's folder (or unpacked zip): their labN.py, found at any depth."""
    source = source or folder
    files = _files(folder)
    for shown, archive in list(files.items()):
        if archive.suffix.lower() == ".zip":
            unpacked, problem = _unpack(archive, unpack_to)
            if problem:
                return Submission(student, source, why=problem)
            files.update(_files(unpacked, prefix=f"{shown}/"))
    candidates = [shown for shown, path in files.items() if is_lab_file(path.name, lab.module)]
    if len(candidates) == 1:
        return Submission(student, source, files[candidates[0]])
    if candidates:
        return Submission(student, source, why=f"{len(candidates)} candidate files ({', '.join(candidates)}): "
                                               f"hand in one {lab.starter.name}")
    notebooks = [shown for shown in files if shown.lower().endswith(".ipynb")]
    if notebooks:
        return Submission(student, source, why=_not_python(notebooks[0], lab))
    listed = ", ".join(list(files)[:5]) + (", ..." if len(files) > 5 else "") or "nothing"
    return Submission(student, source, why=f"no {lab.starter.name} (found {listed})")


def _copy_file(name):
    """A students' copy's own files: its tests and conftest, never anyone's work."""
    return name in NOT_SUBMISSIONS or (name.startswith("test_") and name.endswith(".py"))


def _not_python(name, lab):
    if name.lower().endswith(".ipynb"):
        return (f"a notebook ({name}), not {lab.starter.name}: the lab's work is in {lab.starter.name}, "
                "hand in that file")
    return f"not a Python file, a folder or a zip ({name})"


def _unpack(archive, unpack_to):
    """Unpack ``archive`` into a fresh folder under ``unpack_to``: (folder, "") or (None, why not)."""
    Path(unpack_to).mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=f"{archive.stem[:40]}-", dir=unpack_to))
    target.with_name(target.name + ".source").write_text(str(archive))  # for shown()
    try:
        with zipfile.ZipFile(archive) as zipped:
            if sum(info.file_size for info in zipped.infolist()) > UNPACKED_LIMIT:
                return None, f"{archive.name} unpacks to more than {UNPACKED_LIMIT // 1024 ** 2} MB"
            zipped.extractall(target)  # names with ".." or a leading "/" stay inside target
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return None, f"{archive.name} could not be unpacked ({type(error).__name__}: {error})"
    return target, ""


def shown(path):
    """How the instructor knows ``path``: as it is, or, inside an unpacked zip, as
    ``class.zip/alice/lab1.py`` (the temporary folder it was unpacked into is gone after grading)."""
    path = Path(path)
    for folder in path.parents:
        source = folder.with_name(folder.name + ".source") if folder.name else None
        if source is not None and source.is_file():
            return f"{shown(source.read_text())}/{path.relative_to(folder).as_posix()}"
    return str(path)


def submissions_in(lab, submissions, unpack_to=None):
    """``(student, file)`` for every submission :func:`find_submissions` finds a file for
    (zips unpacked under ``unpack_to``, default a new temporary folder)."""
    unpack_to = unpack_to or tempfile.mkdtemp(prefix="submissions-")
    return [(s.student, s.path) for s in find_submissions(lab, submissions, unpack_to) if s.path]


NOT_GRADED = "not graded: "  # how a row whose submission could not be graded begins its reason


def grade(lab, submissions, out=None, timeout=None, limits=None, format="csv", jobs=1):
    """Grade every submission found in ``submissions`` (files, folders, zips:
    :func:`find_submissions`) with the lab's tests.

    Each file is graded in its own process, from a copy in a temporary folder, under
    ``limits`` (a :class:`~cnn_course.grading.runner.Limits`; see
    :func:`cnn_course.grading.runner.run_lab_tests`), so one student's crash, loop or
    deleted files cannot touch another's grade. Every row is out of the lab's full total.
    ``timeout`` replaces every test's own time limit (default: the limits the lab's test files
    set, as in the student's ``run_tests``; labs/README.md, "Time limits").
    Returns one row per student (:meth:`~cnn_course.grading.results.LabResult.to_csv_row`:
    ``student, submission, points, max_points, passed, failed, reason``, then the points of
    each skill; ``reason`` is empty when the run completed, and begins "not graded: " for a
    student with nothing to grade, saying why). Prints what was graded and what was not, with
    counts. With ``out`` and ``format="csv"``, also writes the rows as CSV and every test's
    result, with why it failed, as JSON beside it, and a feedback file per student (Markdown: each
    skill's points and every failed test with why) in ``<out>_feedback/``.

    ``format="gradescope"`` grades one student's upload (``submissions`` is one folder or one
    file; the lab's file is found among whatever they uploaded) and always writes Gradescope's
    ``results.json`` to ``out``, saying what went wrong when it could not grade.

    ``jobs`` submissions are graded at once (each still in its own process, under its own
    limits); rows come in the submissions' order whatever finishes first.
    ``benchmarks/grading_throughput.md`` measures what ``jobs=2`` gains on two cores.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer (submissions graded at once); got {jobs!r}")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    lab = find_lab(lab)  # an unknown lab is an error before any grading starts
    if format == "gradescope":
        return [_grade_for_gradescope(lab, submissions, out, timeout, limits)]
    expected = lab_tests(lab)
    with tempfile.TemporaryDirectory(prefix="unpacked-") as unpacked:
        found = find_submissions(lab, submissions, Path(unpacked))
        rows, details, feedback = [], {}, {}
        grade_one = partial(_grade_one, lab, expected=expected, timeout=timeout, limits=limits)
        # Worker processes, not threads: each starts its graded run with preexec_fn (the limits),
        # which is unsafe in a process that runs threads. "spawn": a clean worker.
        with (ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1
              else contextlib.nullcontext()) as pool:
            gradable = [s.path for s in found if s.path]
            results = iter(pool.map(grade_one, gradable) if pool else map(grade_one, gradable))
            for submission in found:
                result = (next(results) if submission.path else
                          LabResult.not_run(lab.module, submission.source, expected, NOT_GRADED + submission.why))
                where = shown(submission.path or submission.source)
                pasted = _near_copies(submission.path)
                rows.append({**result.to_csv_row(submission.student), "submission": where, NEAR_COPIES: pasted})
                details[where] = result.to_json()
                feedback[submission.student] = result.to_feedback(submission.student)
                print(f"{submission.student}: " + (f"{result.points:g}/{result.max_points:g} points"
                                                   + (f" ({result.reason})" if result.reason else "")
                                                   if submission.path else result.reason)
                      + (f" [near copies of the course's code, to review: {pasted}]" if pasted else ""), flush=True)
    graded = sum(1 for row in rows if not row["reason"].startswith(NOT_GRADED))
    print(f"{lab.module}: graded {graded} of {len(found)} students"
          + (f"; {len(found) - graded} not graded, each with why above" if graded < len(found) else "")
          + ("" if found else f" (nothing found in {', '.join(map(str, submissions))})"), flush=True)
    if out is not None:
        kept = write_csv(rows, out, skills=dict.fromkeys(t.get("skill", "") for t in expected))
        json_path = Path(out).with_suffix(".json")
        earlier = json.loads(json_path.read_text()) if kept and json_path.is_file() else {}
        write_json({**earlier, **details}, json_path)
        if kept:
            print(f"{out}: {len(rows)} rows written, {kept} other students' rows kept", flush=True)
        folder = feedback_folder(out)
        folder.mkdir(parents=True, exist_ok=True)
        for student, text in feedback.items():  # one file per student, to send as it is
            (folder / f"{_safe_name(student)}.md").write_text(text)
    return rows


def feedback_folder(out):
    """Where :func:`grade` writes each student's feedback: ``grades/lab2.csv`` -> ``grades/lab2_feedback/``."""
    return Path(out).with_name(Path(out).stem + "_feedback")


def _safe_name(student):
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def _grade_for_gradescope(lab, submissions, out, timeout, limits):
    """One student's upload, graded; its ``results.json`` written to ``out`` whatever happens."""
    expected = []
    try:
        expected = lab_tests(lab)
        items = [Path(s) for s in submissions]
        with tempfile.TemporaryDirectory(prefix="unpacked-") as unpacked:
            if len(items) == 1 and items[0].is_dir():
                found = find_one(lab, items[0], Path(unpacked))
            else:
                found = find_submissions(lab, items, Path(unpacked))
                if len(found) != 1:
                    found = Submission("student", items[0] if items else Path("."),
                                       why=f"submissions must be one upload; got {len(found)}")
                else:
                    found = found[0]
            result = (_grade_one(lab, found.path, expected, timeout, limits) if found.path
                      else LabResult.not_run(lab.module, found.source, expected, NOT_GRADED + found.why))
    except Exception as error:  # an autograder must leave a results.json that says what went wrong
        result = LabResult.not_run(lab.module, "", expected, f"{NOT_GRADED}the grader failed "
                                                             f"({type(error).__name__}: {error})")
        if out is not None:
            write_json(result.to_gradescope(), out)
        raise
    if out is not None:
        write_json(result.to_gradescope(), out)
    print(f"{lab.module}: {result.points:g}/{result.max_points:g} points"
          + (f" ({result.reason})" if result.reason else ""), flush=True)
    return result.to_csv_row("student")


NEAR_COPIES = "near copies"  # the CSV column: functions nearly the package's own, for review (not scored)


def _near_copies(path):
    """:func:`~cnn_course.grading.copies.near_copies` of the file at ``path``, described ("" if none)."""
    if path is None:
        return ""
    try:
        return describe(near_copies(Path(path).read_text(errors="replace")))
    except (OSError, ValueError, RecursionError):  # unreadable, or too odd to parse: nothing to report
        return ""


def write_csv(rows, path, skills):
    """The class's grades, one row per submission: :data:`~cnn_course.grading.results.CSV_FIELDS`,
    then one column per skill in ``skills``, then the near copies of the course's code.

    An existing sheet is updated, never replaced: a student graded again (regrading one file)
    gets their row replaced in place, every other row is kept, in its order. Returns how many
    rows were kept. Raises ``ValueError`` if the existing file is not such a sheet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = CSV_FIELDS + [skill_column(s) for s in skills] + [NEAR_COPIES]
    earlier = []
    if path.is_file() and path.stat().st_size:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "student" not in reader.fieldnames:
                raise ValueError(f"out must be a grades sheet (a CSV with a student column) or a new file; "
                                 f"got {str(path)!r}, which has columns {reader.fieldnames}")
            earlier = list(reader)
    new = {row["student"]: row for row in rows}
    merged = [new.pop(row["student"]) if row["student"] in new else row for row in earlier] + list(new.values())
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
    return len(merged) - len(rows)


def _grade_one(lab, path, expected, timeout, limits):
    """Grade one submission; a file that cannot even be copied is recorded, not fatal."""
    try:
        return run_lab_tests(lab, path, timeout=timeout, limits=limits)
    except (ValueError, OSError) as error:  # unreadable, vanished
        return LabResult.not_run(lab.module, path, expected, f"not graded: {error}")
