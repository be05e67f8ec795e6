"""`python -m cnn_course.labs` as an instructor types it: a regrade updates the class's sheet,
a mistake is one line and exit code 2, `--help` shows the defaults."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LAB1 = labs.find_lab("lab1", ROOT / "labs")


def sheet(path):
    with path.open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_regrading_one_student_updates_their_row_and_keeps_the_class(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ("alice", "bob", "carol"):
        (submissions / f"{name}.py").write_text(LAB1.starter.read_text())
    out = tmp_path / "grades" / "lab1.csv"
    assert labs.main(["grade", "lab1", str(submissions), "--out", str(out)]) == 0
    assert [row["points"] for row in sheet(out)] == ["0", "0", "0"]
    # bob hands in again, correct this time: only his row changes, in its place
    (submissions / "bob.py").write_text(LAB1.solution.read_text())
    assert labs.main(["grade", "lab1", str(submissions / "bob.py"), "--out", str(out)]) == 0
    rows = sheet(out)
    assert [row["student"] for row in rows] == ["alice", "bob", "carol"]
    assert [row["points"] for row in rows] == ["0", "30", "0"]
    details = json.loads(out.with_suffix(".json").read_text())
    assert len(details) == 3  # every student's tests, bob's new ones among them


def test_an_out_file_that_is_not_a_grades_sheet_is_refused(tmp_path, capsys):
    out = tmp_path / "notes.csv"
    out.write_text("name,comment\nalice,good\n")
    (tmp_path / "alice.py").write_text("")
    with pytest.raises(SystemExit) as stopped:
        labs.main(["grade", "lab1", str(tmp_path / "alice.py"), "--out", str(out)])
    assert stopped.value.code == 2
    assert "out must be a grades sheet" in capsys.readouterr().err
    assert out.read_text() == "name,comment\nalice,good\n"  # untouched


@pytest.mark.parametrize("argv, says", [
    (["grade", "lab9", "x.py"], "lab must be one of lab1"),
    (["grade", "lab1", "x.py", "--jobs", "0"], "jobs must be a positive integer"),
    (["release", "lab42", "--out", "release"], "lab must be one of lab1"),
])
def test_a_users_mistake_is_one_line_and_exit_code_2(argv, says, tmp_path):
    run = subprocess.run([sys.executable, "-m", "cnn_course.labs", *argv], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in run.stderr, run.stderr


def test_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit):
        labs.main(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 300)" in text and "(default: 1)" in text and "(default: csv)" in text
