"""Every submission is found, or reported with why: a class as an LMS exports it, zips, a
students' whole folder uploaded to Gradescope (labs/README.md, "How submissions are found")."""

import json
import zipfile
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading import batch, runner

ROOT = Path(__file__).resolve().parent.parent
LAB1 = labs.find_lab("lab1", ROOT / "labs")
SOLUTION = LAB1.solution.read_text()


def write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def zipped(path, files):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.mark.parametrize("name", ["lab1.py", "Lab1.py", "LAB1.PY", "lab1 (1).py", "lab1(2).py", "lab1 copy.py",
                                  "lab1 - Copy.py", "lab1-1.py", "lab1_2.py"])
def test_the_labs_file_is_matched_without_regard_to_case_or_copy_suffixes(name):
    assert batch.is_lab_file(name, "lab1")


@pytest.mark.parametrize("name", ["lab11.py", "lab2.py", "lab1.ipynb", "lab1_pixels.py", "mylab1.py", "lab1.py.txt"])
def test_other_files_are_not_the_labs_file(name):
    assert not batch.is_lab_file(name, "lab1")


@pytest.fixture
def lms_export(tmp_path):
    """A class as an LMS exports it: every way a student hands in, and what is not a submission."""
    folder = tmp_path / "lms"
    write(folder / "alice.py", SOLUTION)
    write(folder / "bob" / "Lab1.py", SOLUTION)
    write(folder / "carol" / "lab1 (1).py", SOLUTION)
    write(folder / "dave" / "lab1.ipynb", "{}")
    write(folder / "erin" / "lab1.py", SOLUTION)
    write(folder / "erin" / "lab1 (1).py", SOLUTION)
    for name in ("lab1.py", "test_lab1.py", "conftest.py", "README.md"):  # the whole students' copy
        write(folder / "frank" / "lab1_pixels" / name, SOLUTION if name == "lab1.py" else "")
    zipped(folder / "grace.zip", {"grace/lab1.py": SOLUTION, "__MACOSX/grace/._lab1.py": "x"})
    (folder / "heidi").mkdir()
    write(folder / "ivan" / "notes.txt", "I ran out of time")
    write(folder / "judy" / "lab1.zip", "not a zip at all")
    write(folder / "test_lab1.py")  # the instructor's copy of the tests, left in the folder
    write(folder / ".DS_Store")
    write(folder / "grades.csv")
    return folder


def test_an_lms_export_finds_every_student_and_says_why_it_skips_one(lms_export, tmp_path):
    found = {s.student: s for s in batch.find_submissions("lab1", [lms_export], tmp_path / "unpacked")}
    graded = {name for name, s in found.items() if s.path}
    assert graded == {"alice", "bob", "carol", "frank", "grace"}
    assert found["frank"].path.name == "lab1.py" and found["grace"].path.read_text() == SOLUTION
    why = {name: s.why for name, s in found.items() if not s.path}
    assert set(why) == {"dave", "erin", "heidi", "ivan", "judy", "grades"}
    assert "notebook" in why["dave"] and "hand in" in why["dave"]
    assert "2 candidate files" in why["erin"] and "lab1 (1).py" in why["erin"]
    assert why["heidi"] == "no lab1.py (found nothing)"
    assert "no lab1.py (found notes.txt)" == why["ivan"]
    assert "could not be unpacked" in why["judy"]
    assert "not a Python file" in why["grades"]


def test_a_zip_of_the_class_is_read_like_its_folder(lms_export, tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped_class:
        for path in sorted(lms_export.rglob("*")):  # folders too: heidi's is empty
            zipped_class.write(path, path.relative_to(lms_export))
    found = batch.find_submissions("lab1", [archive], tmp_path / "u1")
    in_zip = [(s.student, bool(s.path)) for s in found]
    alice = next(s for s in found if s.student == "alice")
    assert batch.shown(alice.path) == f"{archive}/alice.py"  # as the instructor knows it, not a temporary path
    grace = next(s for s in found if s.student == "grace")
    assert batch.shown(grace.path) == f"{archive}/grace.zip/grace/lab1.py"
    in_folder = [(s.student, bool(s.path)) for s in batch.find_submissions("lab1", [lms_export], tmp_path / "u2")]
    assert in_zip == in_folder


def test_a_zip_that_unpacks_too_large_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "UNPACKED_LIMIT", 1000)
    archive = zipped(tmp_path / "class" / "mallory.zip", {"lab1.py": "x" * 2000})
    [found] = batch.find_submissions("lab1", [archive.parent], tmp_path / "unpacked")
    assert found.path is None and "more than" in found.why


@pytest.mark.slow
def test_grading_an_lms_export_grades_five_and_lists_the_rest(lms_export, tmp_path, capsys):
    assert labs.main(["grade", "lab1", str(lms_export), "--out", str(tmp_path / "grades.csv")]) == 0
    printed = capsys.readouterr().out
    assert "lab1: graded 5 of 11 students; 6 not graded" in printed
    rows = {row["student"]: row for row in batch.grade("lab1", [lms_export])}
    total = round(sum(t["points"] for t in runner.lab_tests(LAB1)), 2)
    assert all(row["max_points"] == total for row in rows.values())  # every row out of the full total
    assert {name for name, row in rows.items() if row["points"] == total} == {"alice", "bob", "carol", "frank", "grace"}
    assert rows["dave"]["reason"].startswith("not graded: a notebook")
    assert sorted(p.name for p in lms_export.iterdir()) == sorted(
        ["alice.py", "bob", "carol", "dave", "erin", "frank", "grace.zip", "heidi", "ivan", "judy", "test_lab1.py",
         ".DS_Store", "grades.csv"]), "the submissions are only read"


def test_nothing_to_grade_exits_non_zero(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert labs.main(["grade", "lab1", str(tmp_path / "empty")]) == 1
    out, err = capsys.readouterr()
    assert "graded 0 of 0 students (nothing found in" in out and "nothing was graded" in err
    write(tmp_path / "notebooks" / "alice" / "lab1.ipynb", "{}")
    assert labs.main(["grade", "lab1", str(tmp_path / "notebooks")]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("upload, graded", [
    ({"lab1.py": SOLUTION, "test_lab1.py": "", "conftest.py": "import sys\nsys.exit(3)\n"}, True),  # the whole copy
    ({"my work/Lab1 (1).py": SOLUTION}, True),
    ({"lab1.ipynb": "{}"}, False),
    ({}, False),
    ({"lab1.py": SOLUTION, "lab1 copy.py": SOLUTION}, False),
], ids=["whole-folder", "renamed-in-a-folder", "notebook", "nothing", "two-files"])
def test_gradescope_finds_the_file_in_an_upload_and_always_writes_results(tmp_path, upload, graded):
    submission = tmp_path / "submission"
    submission.mkdir()
    for name, text in upload.items():
        write(submission / name, text)
    out = tmp_path / "results" / "results.json"
    labs.main(["grade", str(LAB1.folder), str(submission), "--format", "gradescope", "--out", str(out)])
    results = json.loads(out.read_text())
    total = round(sum(t["points"] for t in runner.lab_tests(LAB1)), 2)
    assert len(results["tests"]) == len(runner.lab_tests(LAB1))
    if graded:
        assert results["score"] == pytest.approx(total) and "output" not in results
    else:
        assert results["score"] == 0 and "not graded" in results["output"], results.get("output")
