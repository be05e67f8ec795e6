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
