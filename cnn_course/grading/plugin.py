"""The pytest plugin that grades the labs.

Load it with ``-p cnn_course.grading.plugin`` (the runner does; ``tests/conftest.py``
registers it for the course's own tests). A lab's tests, ``test_labN.py``, take the ``lab``
fixture: by default the ``solution.py`` beside them (the tests prove the solution), or, in a
students' copy without one, the ``labN.py`` beside them, or, with
``--lab-file student.py``, a student's file (the tests grade it). Every test is worth
``@pytest.mark.points(n)`` points (1 by default), shared equally among its parametrized cases
(a Hypothesis test is one case), so a skill is worth the same whether it is tested with one
case or twelve; ``@pytest.mark.skill(name)`` names the skill a test grades, and
``@pytest.mark.hidden`` marks a test that grades but is not released to students (a lab's
hidden tests live in ``test_labN_hidden.py``). A file that cannot even be imported fails
every test with the import error as the reason; an exception, ``NotImplementedError`` or a
timeout fails one test; the run itself never errors.

``--grade-report FILE`` writes every lab test's result as JSON:
``{"tests": [{"lab", "test", "points", "skill", "hidden", "passed", "reason"}, ...]}``.
``--grade-collect FILE`` (with ``--collect-only``) writes the lab tests, their points, skills
and visibility without running any. ``--lab-file`` given several times grades several
trusted files in one process (the course's mutation tests; each entry then has ``lab_file``):
students' files are graded one process each, by :mod:`cnn_course.grading.runner`.
"""

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from .lab import Lab
from .runner import load_module

# TensorFlow's first call is slow, and a student's code may be slower still: no deadlines.
# Derandomized and without a database: every student gets the same examples, so the same file
# gets the same points on every run, and grading writes nothing into the student's folder.
# No shrinking: a failing example is reported as found, and a wrong file is graded fast.
settings.register_profile("course", deadline=None, max_examples=40, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("course")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

LAB_TEST_FILE = re.compile(r"test_lab\d+(_hidden)?\.py")
REASON_LENGTH = 160  # characters of a failure's first line kept as its reason
_results_key = pytest.StashKey[list]()
_points_key = pytest.StashKey[float]()


def pytest_addoption(parser):
    group = parser.getgroup("grading")
    group.addoption("--lab-file", action="append", default=None,
                    help="grade this student's file instead of the lab's solution.py "
                         "(several times: several trusted files in one process)")
    group.addoption("--grade-report", default=None,
                    help="write each lab test's result and points to this JSON file")
    group.addoption("--lab-timeout", type=float, default=None,
                    help="seconds each lab test may take, overriding the test files' own limits")
    group.addoption("--grade-collect", default=None,
                    help="write every collected lab test and its points to this JSON file")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): the points a lab test function is worth when grading, "
                                       "shared among its parametrized cases (default 1)")
    config.addinivalue_line("markers", "skill(name): the skill a lab test grades (labs/README.md lists "
                                       "each lab's points by skill)")
    config.addinivalue_line("markers", "hidden: a lab test that grades but is not released to students")
    config.stash[_results_key] = []


def _lab_files(config):
    return config.getoption("--lab-file") or []


def pytest_generate_tests(metafunc):
    """Several ``--lab-file``: every lab test runs once per file."""
    files = _lab_files(metafunc.config)
    if "lab" in metafunc.fixturenames and len(files) > 1:
        metafunc.parametrize("lab", files, indirect=True, ids=[Path(f).stem for f in files])


def _is_lab_test(item):
    """A lab's graded test: in a lab's test file (``test_labN.py``, ``test_labN_hidden.py``),
    taking the ``lab`` fixture."""
    return LAB_TEST_FILE.fullmatch(item.path.name) is not None and "lab" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: a case's share never depends on them
def pytest_collection_modifyitems(config, items):
    cases = {}
    for item in filter(_is_lab_test, items):
        cases.setdefault(_function_key(item), []).append(item)
    for same_function in cases.values():
        marker = same_function[0].get_closest_marker("points")
        share = (marker.args[0] if marker else 1) / len(same_function)
        for item in same_function:
            item.stash[_points_key] = round(share, 6)
    limit = config.getoption("--lab-timeout")
    if limit is not None:
        for item in filter(_is_lab_test, items):
            item.add_marker(pytest.mark.timeout(limit), append=False)  # before, so closer than any other


def _function_key(item):
    """A test function, per graded file: its cases share the function's points."""
    params = getattr(item, "callspec", None)
    lab_file = params.params.get("lab") if params is not None else None
    return item.path, getattr(item, "originalname", item.name), lab_file


def _points(item):
    return item.stash.get(_points_key, 1)


def _skill(item):
    marker = item.get_closest_marker("skill")
    return marker.args[0] if marker else ""


def _timeout(item):
    """The seconds the test may take (pytest-timeout's mark closest to it), or None."""
    marker = item.get_closest_marker("timeout")
    return marker.args[0] if marker and marker.args else None


def _entry(item):
    """What the reports say of a lab test before it runs."""
    entry = {"test": item.nodeid, "points": _points(item), "skill": _skill(item),
             "hidden": item.get_closest_marker("hidden") is not None, "timeout": _timeout(item)}
    params = getattr(item, "callspec", None)
    if params is not None and "lab" in params.params:
        entry["lab_file"] = params.params["lab"]
    return entry


def pytest_collection_finish(session):
    """With ``--grade-collect FILE``: every lab test that will run and its points, as JSON
    ``{"tests": [{"test", "points"}, ...]}`` (the runner's lab total, known before any
    student's code runs)."""
    path = session.config.getoption("--grade-collect")
    if path:
        tests = [_entry(item) for item in session.items if _is_lab_test(item)]
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


def _lab(item_or_request):
    """The lab whose tests the test module is (found from the folder's files, whatever its name)."""
    folder = Path(item_or_request.module.__file__).resolve().parent
    if folder not in _labs:
        _labs[folder] = Lab.at(folder)
    return _labs[folder]


_labs = {}


@pytest.fixture
def lab(request):
    """The module under test: the lab's solution, or the file given by ``--lab-file``."""
    this = _lab(request)
    files = _lab_files(request.config)
    path = getattr(request, "param", None) or (files[0] if files else None)
    if path is None:
        # the instructor's repository grades its solution; a students' copy (a release) the starter
        path = this.solution or this.starter
        if not path.is_file():
            pytest.fail(f"neither solution.py nor {path.name} in {this.folder}: give the file to grade with --lab-file")
    path = Path(path).resolve()
    if path not in _loaded:
        try:
            _loaded[path] = load_module(path, this.module)
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
    if not _is_lab_test(item):
        return
    failed = report.failed or (report.when == "call" and report.skipped)
    if report.when == "call" or failed:
        # one entry per test: the call's outcome, or the set-up/teardown failure
        results = item.config.stash[_results_key]
        previous = [r for r in results if r["test"] == item.nodeid]
        if previous:
            if failed and previous[0]["passed"]:
                previous[0].update(passed=False, reason=_reason(report))
        else:
            results.append({"lab": _lab(item).name, **_entry(item),
                            "passed": report.passed and report.when == "call",
                            "reason": _reason(report) if failed else ""})


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash.get(_results_key, [])
    if not results:
        return
    terminalreporter.section("lab points")
    for lab_name in sorted({r["lab"] for r in results}):
        rows = [r for r in results if r["lab"] == lab_name]
        for who in sorted({r.get("lab_file") for r in rows}, key=str):
            mine = [r for r in rows if r.get("lab_file") == who]
            earned = round(sum(r["points"] for r in mine if r["passed"]), 2)
            total = round(sum(r["points"] for r in mine), 2)
            who = who or (_lab_files(config) or ["solution.py"])[0]
            terminalreporter.write_line(f"{lab_name} ({who}): {earned:g}/{total:g} points, "
                                        f"{sum(r['passed'] for r in mine)}/{len(mine)} tests passed")
    report_path = config.getoption("--grade-report")
    if report_path:
        Path(report_path).write_text(json.dumps({"tests": results}, indent=2))
