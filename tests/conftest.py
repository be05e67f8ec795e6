"""Test configuration, and the grading plugin for the labs.

Lab tests take the ``lab`` fixture: by default the lab's ``solution.py`` (the tests prove
the solution), or, with ``--lab-file student.py``, a student's file (the tests grade it).
Every test is worth ``@pytest.mark.points(n)`` points (1 by default). A student's file that
cannot even be imported fails every test with the import error as the reason; an exception,
``NotImplementedError`` or a timeout fails one test; the run itself never errors.
"""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# TensorFlow's first call is slow, and a student's code may be slower still: no deadlines.
settings.register_profile("course", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("course")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    group = parser.getgroup("grading")
    group.addoption("--lab-file", default=None,
                    help="grade this student's file instead of the lab's solution.py")
    group.addoption("--grade-report", default=None,
                    help="write each lab test's result and points to this JSON file")
    group.addoption("--lab-timeout", type=float, default=None,
                    help="seconds each lab test may take, overriding the test files' own limits")


def pytest_collection_modifyitems(config, items):
    limit = config.getoption("--lab-timeout")
    if limit is not None:
        for item in items:
            if "lab" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.timeout(limit))  # the item's own mark wins


class BrokenModule:
    """Stands in for a student's file that cannot be imported: every function fails with why."""

    def __init__(self, path, error):
        self._reason = f"could not import {path}: {type(error).__name__}: {error}"

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ImportError(self._reason)
        return fail


def load_module(path, name):
    """Import the file at ``path`` as a fresh module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_loaded = {}


@pytest.fixture
def lab(request):
    """The module under test: the lab's solution, or the file given by ``--lab-file``."""
    lab_name = getattr(request.module, "LAB", None)
    if lab_name is None:
        pytest.fail("a lab test module must set LAB = 'labN_topic'")
    path = request.config.getoption("--lab-file") or ROOT / "labs" / lab_name / "solution.py"
    path = Path(path).resolve()
    if path not in _loaded:
        try:
            _loaded[path] = load_module(path, f"graded_{lab_name}")
        except BaseException as error:  # a syntax error or a crash at import: grade, don't stop
            if isinstance(error, KeyboardInterrupt):
                raise
            _loaded[path] = BrokenModule(path, error)
    return _loaded[path]


# ---------------------------------------------------------------- points

_results = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if "lab" not in getattr(item, "fixturenames", ()):
        return
    marker = item.get_closest_marker("points")
    points = marker.args[0] if marker else 1
    lab_name = getattr(item.module, "LAB", "?")
    failed = report.failed or (report.when == "call" and report.skipped)
    if report.when == "call" or failed:
        # one entry per test: the call's outcome, or the set-up/teardown failure
        previous = [r for r in _results if r["test"] == item.nodeid]
        if previous:
            previous[0]["passed"] = previous[0]["passed"] and not failed
        else:
            _results.append({"lab": lab_name, "test": item.nodeid, "points": points,
                             "passed": report.passed and report.when == "call"})


def pytest_terminal_summary(terminalreporter, config):
    if not _results:
        return
    labs = sorted({r["lab"] for r in _results})
    terminalreporter.section("lab points")
    for lab_name in labs:
        rows = [r for r in _results if r["lab"] == lab_name]
        earned = sum(r["points"] for r in rows if r["passed"])
        total = sum(r["points"] for r in rows)
        who = config.getoption("--lab-file") or f"labs/{lab_name}/solution.py"
        terminalreporter.write_line(f"{lab_name} ({who}): {earned}/{total} points, "
                                    f"{sum(r['passed'] for r in rows)}/{len(rows)} tests passed")
    report_path = config.getoption("--grade-report")
    if report_path:
        Path(report_path).write_text(json.dumps({"tests": _results}, indent=2))
