"""Run one lab's graded tests against one file, in a fresh process, and collect the results;
and the one loader that imports a lab's file by path (:func:`load_module`).

Every grading path goes through :func:`run_lab_tests`: a student's ``run_tests`` call in a
notebook, the instructor's ``grade`` command, and the course's own tests. A fresh process
per file means one student's crash, hang or global state cannot touch another's grade.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .starters import find_lab, lab_module_name, test_path

PLUGIN = "cnn_course.grading.plugin"
OUTPUT_TAIL = 3000  # characters of pytest's output kept for when the tests could not run


@dataclass
class TestResult:
    """One graded test: its name (``test_pad[0]``), points, outcome and, if failed, why."""

    name: str
    points: int
    passed: bool
    reason: str = ""

    __test__ = False  # not a test class, for pytest


@dataclass
class LabResult:
    """What :func:`run_lab_tests` returns: every test's result, and the points they add up to.

    ``output`` keeps the end of pytest's output, to explain a run in which no test ran.
    """

    lab: str
    lab_file: str
    tests: list = field(default_factory=list)
    output: str = ""

    @property
    def points(self):
        """Points earned: the sum over the passed tests."""
        return sum(t.points for t in self.tests if t.passed)

    @property
    def max_points(self):
        """Points available: the sum over every test."""
        return sum(t.points for t in self.tests)

    @property
    def passed(self):
        """How many tests passed."""
        return sum(t.passed for t in self.tests)

    @property
    def failed(self):
        """How many tests failed."""
        return len(self.tests) - self.passed

    def summary(self):
        """The points line: ``"lab1: 12/21 points, 10 of 25 tests passed"``."""
        return (f"{self.lab}: {self.points}/{self.max_points} points, "
                f"{self.passed} of {len(self.tests)} tests passed")


def pytest_command(test_file, lab_file=None, report=None, timeout=None, extra=()):
    """The one pytest command line that grades: ``python -m pytest TEST_FILE -p PLUGIN ...``."""
    command = [sys.executable, "-m", "pytest", str(test_file), "-p", PLUGIN, "-q", "-p", "no:cacheprovider"]
    if lab_file is not None:
        command.append(f"--lab-file={lab_file}")
    if report is not None:
        command.append(f"--grade-report={report}")
    if timeout is not None:
        command.append(f"--lab-timeout={timeout}")
    return command + list(extra)


def run_lab_tests(lab, lab_file=None, timeout=None, extra=(), cwd=None):
    """Run lab ``lab``'s graded tests against ``lab_file`` (default: its solution) in a subprocess.

    ``lab`` is ``"lab2"``, ``"2"`` or ``"lab2_conv_forward"``; ``timeout`` overrides every
    test's time limit (seconds); ``extra`` adds pytest arguments (``["-k", "pad"]``).
    Returns a :class:`LabResult`. Raises ``ValueError`` for an unknown lab or a missing file.
    """
    lab_dir = find_lab(lab)
    if lab_file is not None:
        lab_file = Path(lab_file).resolve()
        if not lab_file.is_file():
            raise ValueError(f"lab_file must be an existing Python file; got {str(lab_file)!r}")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        # hypothesis keeps a cache in .hypothesis/: in the temporary folder, not the student's
        env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(Path(tmp) / ".hypothesis")}
        run = subprocess.run(pytest_command(test_path(lab_dir), lab_file, report, timeout, extra),
                             cwd=cwd, env=env, capture_output=True, text=True, check=False)
        tests = json.loads(report.read_text())["tests"] if report.is_file() else []
    return LabResult(
        lab=lab_module_name(lab_dir),
        lab_file=str(lab_file or lab_dir / "solution.py"),
        tests=[TestResult(t["test"].split("::", 1)[-1], t["points"], t["passed"], t.get("reason", ""))
               for t in tests],
        output=(run.stdout + run.stderr)[-OUTPUT_TAIL:],
    )


def load_module(path, name):
    """Import the file at ``path`` as a fresh module called ``name`` and return the module.

    The module is in ``sys.modules[name]`` while it executes and afterwards, as for a normal
    import (dataclasses, pickle and ``typing`` look their module up there); if executing it
    raises, the entry is removed and the error propagates.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ValueError(f"path must be a Python file; got {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
