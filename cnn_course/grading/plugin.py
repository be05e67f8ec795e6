"""The pytest plugin that grades the labs.

Load it with ``-p cnn_course.grading.plugin`` (the runner does; ``tests/conftest.py``
registers it for the course's own tests). A lab's tests, ``test_labN.py``, take the ``lab``
fixture: by default the ``solution.py`` beside them (the tests prove the solution), or, with
``--lab-file student.py``, a student's file (the tests grade it). Every test is worth
``@pytest.mark.points(n)`` points (1 by default). A file that cannot even be imported fails
every test with the import error as the reason; an exception, ``NotImplementedError`` or a
timeout fails one test; the run itself never errors.

``--grade-report FILE`` writes every lab test's result as JSON:
``{"tests": [{"lab", "test", "points", "passed", "reason"}, ...]}``. ``--grade-collect FILE``
(with ``--collect-only``) writes the lab tests and their points without running any.
"""

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .runner import load_module
from .starters import lab_module_name

# TensorFlow's first call is slow, and a student's code may be slower still: no deadlines.
# Derandomized and without a database: every student gets the same examples, and grading
# writes nothing into the student's folder.
settings.register_profile("course", deadline=None, max_examples=40, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("course")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

REASON_LENGTH = 160  # characters of a failure's first line kept as its reason
_results_key = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("grading")
    group.addoption("--lab-file", default=None,
                    help="grade this student's file instead of the lab's solution.py")
    group.addoption("--grade-report", default=None,
                    help="write each lab test's result and points to this JSON file")
    group.addoption("--lab-timeout", type=float, default=None,
                    help="seconds each lab test may take, overriding the test files' own limits")
    group.addoption("--grade-collect", default=None,
                    help="write every collected lab test and its points to this JSON file")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): how many points a lab test is worth when grading (default 1)")
    config.stash[_results_key] = []


def pytest_collection_modifyitems(config, items):
    limit = config.getoption("--lab-timeout")
    if limit is not None:
        for item in items:
            if "lab" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.timeout(limit))  # the item's own mark wins


def _points(item):
    marker = item.get_closest_marker("points")
    return marker.args[0] if marker else 1


def pytest_collection_finish(session):
    """With ``--grade-collect FILE``: every lab test that will run and its points, as JSON
    ``{"tests": [{"test", "points"}, ...]}`` (the runner's lab total, known before any
    student's code runs)."""
    path = session.config.getoption("--grade-collect")
    if path:
        tests = [{"test": item.nodeid, "points": _points(item)} for item in session.items
                 if "lab" in getattr(item, "fixturenames", ())]
        Path(path).write_text(json.dumps({"tests": tests}, indent=2))


class BrokenModule:
    """Stands in for a student's file that cannot be imported: every function fails with why."""

    def __init__(self, path, error):
        self._reason = f"could not import {path}: {type(error).__name__}: {error}"

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ImportError(self._reason)
        return fail


_loaded = {}


def _lab_dir(item_or_request):
    """The lab folder a test module sits in: its tests and its solution are there."""
    return Path(item_or_request.module.__file__).resolve().parent


@pytest.fixture
def lab(request):
    """The module under test: the lab's solution, or the file given by ``--lab-file``."""
    lab_dir = _lab_dir(request)
    path = request.config.getoption("--lab-file")
    if path is None:
        path = lab_dir / "solution.py"
        if not path.is_file():
            pytest.fail(f"no solution.py in {lab_dir}: give the file to grade with --lab-file")
    path = Path(path).resolve()
    if path not in _loaded:
        try:
            _loaded[path] = load_module(path, lab_module_name(lab_dir))
        except BaseException as error:  # a syntax error, sys.exit, even KeyboardInterrupt: grade, don't stop
            _loaded[path] = BrokenModule(path, error)
    return _loaded[path]


# ---------------------------------------------------------------- points

def _reason(report):
    """The first line of a failure's message: "NotImplementedError", "AssertionError: ..."."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    return first if len(first) <= REASON_LENGTH else first[: REASON_LENGTH - 1] + "…"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if "lab" not in getattr(item, "fixturenames", ()):
        return
    points = _points(item)
    failed = report.failed or (report.when == "call" and report.skipped)
    if report.when == "call" or failed:
        # one entry per test: the call's outcome, or the set-up/teardown failure
        results = item.config.stash[_results_key]
        previous = [r for r in results if r["test"] == item.nodeid]
        if previous:
            if failed and previous[0]["passed"]:
                previous[0].update(passed=False, reason=_reason(report))
        else:
            results.append({"lab": _lab_dir(item).name, "test": item.nodeid, "points": points,
                            "passed": report.passed and report.when == "call",
                            "reason": _reason(report) if failed else ""})


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash.get(_results_key, [])
    if not results:
        return
    terminalreporter.section("lab points")
    for lab_name in sorted({r["lab"] for r in results}):
        rows = [r for r in results if r["lab"] == lab_name]
        earned = sum(r["points"] for r in rows if r["passed"])
        total = sum(r["points"] for r in rows)
        who = config.getoption("--lab-file") or "solution.py"
        terminalreporter.write_line(f"{lab_name} ({who}): {earned}/{total} points, "
                                    f"{sum(r['passed'] for r in rows)}/{len(rows)} tests passed")
    report_path = config.getoption("--grade-report")
    if report_path:
        Path(report_path).write_text(json.dumps({"tests": results}, indent=2))
