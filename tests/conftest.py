"""Test configuration: the course's grading plugin (``--lab-file``, points, the ``lab``
fixture) lives in the package, :mod:`cnn_course.grading.plugin`; registering it here gives
the course's own tests the same options and hypothesis profile as a graded run.

Also here: the course's wheel, built once for the whole run (``make test`` builds it once for
the unit tests and the readers' check and names it in ``$CNN_COURSE_WHEEL``), and a reminder,
after the run, of tests that took long but are not marked ``slow`` (``make check`` skips the
slow ones; the time is reported, never asserted).
"""

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import run_alone

pytest_plugins = ["cnn_course.grading.plugin"]

SLOW_SECONDS = 10  # a test slower than this belongs under @pytest.mark.slow


@pytest.fixture(scope="session")
def course_wheel(tmp_path_factory, worker_id):
    """The course package's wheel, as ``pip install "cnn-course @ git+https://..."`` builds it
    on Colab: ``$CNN_COURSE_WHEEL`` if set, else built once and shared by every xdist worker."""
    given = os.environ.get("CNN_COURSE_WHEEL")
    if given:
        return Path(given)
    # Workers share the parent of their own temporary folders (pytest-xdist's recipe).
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait and reuse
        built = sorted((shared / "wheel").glob("cnn_course-*.whl"))
        return built[0] if built else run_alone.build_wheel(shared / "wheel")


@pytest.fixture(scope="session")
def installed_wheel(course_wheel, tmp_path_factory):
    """A folder holding the course's wheel installed (``pip install --target``), for PYTHONPATH:
    the package as Colab and Gradescope have it, not this editable checkout."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", str(course_wheel), "--no-deps", "--no-index", "-q",
                    "--target", str(target)], check=True, capture_output=True, timeout=300)
    return target


_slow_found = []  # (seconds, node id); in the controller, which sees every worker's reports


def pytest_runtest_logreport(report):
    if report.when == "call" and report.duration > SLOW_SECONDS and "slow" not in report.keywords:
        _slow_found.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter):
    if _slow_found:
        terminalreporter.section("slow tests not marked slow")
        for seconds, nodeid in sorted(_slow_found, reverse=True):
            terminalreporter.write_line(f"{seconds:6.1f} s  {nodeid}  (mark it @pytest.mark.slow)")
