"""The benchmarks still run against today's code: each writes its inputs without error.

They are run by hand (``make benchmarks``), so an API change can break one unnoticed until
the next measurement; these tests run the cheap part of each, never the measurement.
"""

import ast

import pytest

from benchmarks import grading_throughput
from cnn_course import labs


@pytest.mark.parametrize("lab", [lab.module for lab in labs.all_labs()])
def test_grading_throughput_writes_a_class_of_python_files(lab, tmp_path):
    grading_throughput.write_class(lab, tmp_path, 5)
    files = sorted(tmp_path.glob("*.py"))
    assert len(files) == 5
    for path in files:
        ast.parse(path.read_text())  # a solution, the starter or a mutant: Python all


def test_labs_readme_quotes_the_last_grading_throughput():
    """labs/README.md's "How long it takes" gives the range of the last measurement."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    table = (root / "benchmarks" / "grading_throughput.md").read_text()
    rows = [line.strip("|").split("|") for line in table.splitlines() if re.match(r"\| lab\d+ \|", line)]
    per_job = {}
    for row in rows:
        jobs, seconds, minutes = int(row[1]), float(row[5]), int(row[6].split()[0])
        per_job.setdefault(jobs, []).append((seconds, minutes))
    readme = " ".join((root / "labs" / "README.md").read_text().split())
    one, two = per_job[1], per_job[2]
    said = (f"{min(s for s, _ in one):.1f} to {max(s for s, _ in one):.1f} s per submission with one job",
            f"a class of 100 takes {min(m for _, m in one)} to {max(m for _, m in one)} minutes",
            f"{min(s for s, _ in two):.1f} to {max(s for s, _ in two):.1f} s with `--jobs 2`, "
            f"{min(m for _, m in two)} to {max(m for _, m in two)} minutes")
    for phrase in said:
        assert phrase in readme, f"labs/README.md should say: {phrase}"
