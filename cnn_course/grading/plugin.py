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

Time limits: each lab test may run for its ``timeout`` mark's seconds (or ``--lab-timeout``'s);
this plugin enforces it, not pytest-timeout, with an alarm that interrupts the test wherever
it is (Hypothesis included) and again every second until it ends, and names the student's
function it hung in; that function then fails at once in later tests. ``--grade-progress
FILE`` appends each test's start and result as they happen, and faulthandler writes a hung
test's traceback to ``FILE.hang``, so the runner can stop a hang in C code and resume
(``--lab-done``, ``--lab-stop-calling``).

``--grade-report FILE`` writes every lab test's result as JSON:
``{"tests": [{"lab", "test", "points", "skill", "hidden", "passed", "reason"}, ...]}``.
``--grade-collect FILE`` (with ``--collect-only``) writes the lab tests, their points, skills
and visibility without running any. ``--lab-file`` given several times grades several
trusted files in one process (the course's mutation tests; each entry then has ``lab_file``):
students' files are graded one process each, by :mod:`cnn_course.grading.runner`.
"""

import contextlib
import faulthandler
import functools
import gc
import json
import os
import re
import signal
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from .lab import Lab
from .results import apply_forbidden, graded_line, public_only_note
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
REASON_LINES, REASON_LENGTH = 6, 600  # of a failure's message, kept as its reason
PYTEST_HINTS = ("Use -v to get", "Full diff:", "Omitting ")  # about pytest's options, not the student's code
_results_key = pytest.StashKey[list]()
_points_key = pytest.StashKey[float]()
_limit_key = pytest.StashKey[float]()
_graded_key = pytest.StashKey[str]()


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
    group.addoption("--grade-progress", default=None,
                    help="append each lab test's start and result to this file as they happen (JSON lines), "
                         "for a runner that may have to stop the run; a test still running past its limit "
                         "gets its traceback written beside it (FILE.hang)")
    group.addoption("--lab-done", default=None,
                    help="a JSON list of node ids that already have a result (an earlier, stopped run): not run again")
    group.addoption("--lab-stop-calling", action="append", default=[],
                    help="a function of the graded file that hung in an earlier run: it fails at once")


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
    override = config.getoption("--lab-timeout")
    for item in filter(_is_lab_test, items):
        marker = item.get_closest_marker("timeout")
        item.stash[_limit_key] = override if override is not None else (marker.args[0] if marker and marker.args
                                                                        else None)
        # This plugin enforces the limit (see "time limits" below), not pytest-timeout's single alarm.
        item.add_marker(pytest.mark.timeout(0), append=False)
    done = config.getoption("--lab-done")
    if done:  # exact node ids: pytest's --deselect also drops every test whose id merely begins so
        done = set(json.loads(Path(done).read_text()))
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in done])
        items[:] = [item for item in items if item.nodeid not in done]


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
    """The seconds the test may take: ``--lab-timeout``, else its test file's ``timeout`` mark."""
    return item.stash.get(_limit_key, None)


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
        # the file's name only: graded in a temporary folder, its full path changes every run
        self._reason = f"could not import {Path(path).name}: {type(error).__name__}: {error}"

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ImportError(self._reason)
        return fail


_loaded = {}
_student_files = set()  # the graded files' paths, as their code objects name them


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
    request.config.stash[_graded_key] = str(path)  # the file the "lab points" line names
    if path not in _loaded:
        _student_files.add(str(path))
        try:
            _loaded[path] = load_module(path, this.module)
        except BaseException as error:  # a syntax error, sys.exit, even KeyboardInterrupt: grade, don't stop
            _loaded[path] = BrokenModule(path, error)
        for name in request.config.getoption("--lab-stop-calling"):  # hung in an earlier process
            _stop_calling(_loaded[path], name, "an earlier test", None)
        allowed = _allowed(request.node)
        if allowed is not None and isinstance(_loaded[path], types.ModuleType):
            _instrument(_loaded[path], this.module, allowed)
    return _loaded[path]


# ---------------------------------------------------------------- time limits

class TimeLimitExceeded(BaseException):
    """A lab test ran past its time limit. A ``BaseException``, as ``KeyboardInterrupt`` is, so
    that neither a student's ``except Exception`` nor Hypothesis (which replays a failing
    example) holds it: the test fails, and the run goes on to the next one."""


def _student_frame(frame):
    """The innermost frame of the student's own file in a stack, or None."""
    files = {str(path): module for path, module in _loaded.items()}
    while frame is not None:
        if frame.f_code.co_filename in files:
            return frame, files[frame.f_code.co_filename]
        frame = frame.f_back
    return None, None


def _stop_calling(module, name, test_name, limit):
    """After ``name`` hung, it fails at once in the tests after this one: they would each wait
    out their own limit, and the run's wall-clock limit would end them all, losing the points
    of the tests that never call it."""
    if isinstance(getattr(module, name, None), types.FunctionType):
        past = f"the time limit of {limit:g} s" if limit else "its time limit"
        def hung(*args, **kwargs):
            raise TimeLimitExceeded(f"{name} ran past {past} in {test_name}, so it is not called again")
        setattr(module, name, hung)


def _enforce_limit(item):
    """A context for one phase of a lab test: past its limit, raise :class:`TimeLimitExceeded`
    inside whatever runs, then again every second until the phase ends (a loop that catches it,
    or a replay of the failing example, is interrupted again)."""
    limit = item.stash.get(_limit_key, None) if _is_lab_test(item) else None
    if not limit or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()

    def on_alarm(signum, frame):
        student, module = _student_frame(frame)
        if student is None:
            raise TimeLimitExceeded(f"ran past its time limit of {limit:g} s")
        name = student.f_code.co_name
        where = f"{name} (line {student.f_lineno} of {Path(student.f_code.co_filename).name})"
        _stop_calling(module, name, item.name, limit)
        raise TimeLimitExceeded(f"ran past its time limit of {limit:g} s, in {where}")

    @contextlib.contextmanager
    def armed():
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
        hang_file = _hang_file(item.config)
        if hang_file is not None:  # where a hang in C code is (no Python handler can run there)
            faulthandler.dump_traceback_later(limit + 2, file=hang_file)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if hang_file is not None:
                faulthandler.cancel_dump_traceback_later()

    return armed()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _enforce_limit(item), _watch_calls(item):  # the lab fixture imports the student's file here
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _enforce_limit(item), _watch_calls(item):
        yield


# ---------------------------------------------------------------- what a lab allows

_forbidden_key = pytest.StashKey[str]()


def _allowed(item):
    """The modules (``"numpy"``) and functions (``"cnn_course.layers.conv2d"``) the lab's graded
    functions may call: ``ALLOWED_CALLS`` in the lab's test file, or None (no check)."""
    allowed = getattr(item.module, "ALLOWED_CALLS", None)
    return tuple(allowed) if allowed is not None else None


def _is_allowed(module, function, allowed, own):
    # the plugin's own code runs in the student's frames too: its alarm handler, a hung function's stand-in
    if not module or module in ("builtins", own, __name__) or module.split(".")[0] in sys.stdlib_module_names:
        return True
    return any(module == entry or module.startswith(entry + ".") or f"{module}.{function}" == entry
               for entry in allowed)


_watched = []  # [(item, allowed names, the lab's module name)] while a lab test with a policy runs
_depth = [0]  # how many of the student's functions are on the stack (the profile is on while > 0)


def _watch_calls(item):
    """A context for one phase of a lab test in which the call check is on (see :func:`_instrument`)."""
    allowed = _allowed(item) if _is_lab_test(item) else None
    if allowed is None:
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def watching():
        _watched[:] = [(item, allowed, _lab(item).module)]
        try:
            yield
        finally:
            _watched.clear()

    return watching()


def _record(message):
    """The first forbidden call of a test decides; after it, nothing more to watch."""
    if _watched:
        _watched[0][0].stash.setdefault(_forbidden_key, message)
    sys.setprofile(None)


def _profile(frame, event, arg):
    """Every call made from the student's own file into a module the lab does not allow,
    however it was reached (an import, ``importlib``, ``sys.modules``, an attribute of an
    allowed module). Calls made inside allowed code (Keras calling TensorFlow) are not the
    student's. On only while the student's functions run: kept lean."""
    if event == "call":
        caller = frame.f_back
        if caller is None or caller.f_code.co_filename not in _student_files:
            return
        module, function = frame.f_globals.get("__name__", ""), frame.f_code.co_name
    elif event == "c_call":
        caller = frame
        if caller.f_code.co_filename not in _student_files:
            return
        module, function = getattr(arg, "__module__", None), getattr(arg, "__name__", "")
    else:
        return
    if _watched:
        _, allowed, own = _watched[0]
        if not _is_allowed(module, function, allowed, own) and not _called_by_the_interpreter(frame, event):
            _record(f"{caller.f_code.co_name} called {module}.{function}, which {own} does not allow "
                    f"(it allows {', '.join(allowed)} and the standard library)")


def _called_by_the_interpreter(frame, event):
    """Code Python runs in the student's frame without the student calling it: an object's
    ``__del__`` (a TensorFlow tensor of the tests' oracle, collected then), a garbage
    collector callback (Hypothesis registers one)."""
    if event != "call":
        return False
    return frame.f_code.co_name == "__del__" or any(getattr(callback, "__code__", None) is frame.f_code
                                                    for callback in gc.callbacks)


def _instrument(module, own, allowed):
    """Set the call check on the student's loaded ``module``: each function of their file turns
    the profile on while it runs (so the tests' own TensorFlow oracles run unwatched, at full
    speed), and each name bound to a function the lab does not allow (``from cnn_course.layers
    import conv2d``, ``conv2d = functools.partial(tf.nn.conv2d, ...)``) records the call when
    a test calls it: calling it is calling that module."""
    for name, value in list(vars(module).items()):
        target = getattr(value, "func", value)  # a functools.partial's function
        code = getattr(target, "__code__", None)
        if code is None or not callable(value):
            continue
        if code.co_filename in _student_files:
            if isinstance(value, types.FunctionType):
                setattr(module, name, _watching(value))
        elif not name.startswith("_"):
            home = getattr(target, "__module__", "") or ""
            if not _is_allowed(home, code.co_name, allowed, own):
                setattr(module, name, _reporting(value, f"{name} is {home}.{code.co_name}, imported into your file, "
                                                        f"which {own} does not allow (it allows "
                                                        f"{', '.join(allowed)} and the standard library)"))


def _watching(function):
    @functools.wraps(function)
    def watched(*args, **kwargs):
        if not _watched or _depth[0]:  # outside a graded test, or a call between the student's functions
            return function(*args, **kwargs)
        _depth[0] += 1
        previous = sys.getprofile()
        sys.setprofile(_profile)
        try:
            return function(*args, **kwargs)
        finally:
            sys.setprofile(previous)
            _depth[0] -= 1
    return watched


def _reporting(function, message):
    @functools.wraps(getattr(function, "func", function))
    def reported(*args, **kwargs):
        if _watched:
            _record(message)
        return function(*args, **kwargs)
    return reported


_hang_key = pytest.StashKey[object]()


def _hang_file(config):
    """The open ``FILE.hang`` beside ``--grade-progress``, or None: faulthandler writes a hung
    test's traceback there from a thread of its own, even while the test is stuck in C code."""
    path = config.getoption("--grade-progress")
    if not path:
        return None
    if _hang_key not in config.stash:
        config.stash[_hang_key] = open(f"{path}.hang", "w")  # noqa: SIM115 (open for the whole run)
    return config.stash[_hang_key]


def _progress(config, **record):
    """Append one line to ``--grade-progress``: a runner that stops a hung run reads what finished."""
    path = config.getoption("--grade-progress")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if _is_lab_test(item):
        _progress(item.config, start=item.nodeid, at=time.time())


# ---------------------------------------------------------------- points

def _short(value):
    """A parameter's value in a reason: small arrays in full, others by shape and dtype."""
    import numpy as np  # the labs' tests import it anyway
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return f"np.array({value.tolist()!r}, {value.dtype})"
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _inputs(item):
    """The parametrized inputs of a failed case, one line (its pytest id may say nothing, such
    as ``args2``); None for a test without parameters or with only functions as parameters."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    shown = [f"{name}={_short(value)}" for name, value in params.items() if not callable(value)]
    if not shown:
        return None
    line = "with " + ", ".join(shown)
    return line if len(line) <= 200 else line[:199] + "…"


def _reason(report, call=None, item=None):
    """Why a test failed, in a few lines: the exception and its message ("AssertionError: what
    was compared", NumPy's mismatch lines, "Regex pattern did not match" with the pattern and the
    message given), without the traceback, and without the notes Hypothesis adds (its failing
    example names a temporary path that changes from run to run)."""
    error = call.excinfo.value if call is not None and call.excinfo is not None else None
    if error is not None:
        message = str(error).strip()
        text = f"{type(error).__name__}: {message}" if message else type(error).__name__
        if not isinstance(error, NotImplementedError):  # the input Hypothesis failed on, for a bug
            example = [note for note in getattr(error, "__notes__", ()) if note.startswith(("Falsifying", "Failing"))]
            if example:  # without the lab=<module ... from '/tmp/...'> argument, which changes every run
                arguments = re.sub(r"\s*lab=<module [^>]*>,?", "", example[0]).split("(", 1)[-1].strip().rstrip(")")
                shown = " ".join(arguments.split()).rstrip(",")
                text += "\non " + (shown if len(shown) <= 200 else shown[:199] + "…")
    else:
        crash = getattr(report.longrepr, "reprcrash", None)
        text = crash.message if crash is not None else str(report.longrepr or "")
    # which case failed, said before the detail that may be cut; not when the test's own message
    # names its input ("conv2d(x of shape ...)") or Hypothesis already said it ("on ...")
    named = " of shape " in text.partition("\n")[0] or "\non " in text
    inputs = _inputs(item) if item is not None and not isinstance(error, NotImplementedError) and not named else None
    if inputs:
        first, _, rest = text.partition("\n")
        text = f"{first}\n{inputs}" + (f"\n{rest}" if rest else "")
    # pytest's "+ where" lines name the call that gave a value: keep them, without memory
    # addresses and temporary paths (they change every run), and without "f = lab2.f" lines
    text = re.sub(r"<function (\w+) at 0x[0-9a-f]+>", r"\1", text)
    text = re.sub(r"<module '(\w+)' from '[^']*'>", r"\1", text)
    lines = [line.rstrip() for line in text.splitlines()
             if line.strip() and not line.strip().startswith(PYTEST_HINTS)
             and not re.fullmatch(r"\+\s+where (\w+) = \w+\.\1", line.strip())][:REASON_LINES] or ["failed"]
    if lines[0].endswith(":") and len(lines) > 1:  # "AssertionError:" then NumPy's message on the next line
        lines[:2] = [f"{lines[0]} {lines[1].strip()}"]
    reason = "\n".join(lines)
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


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
                previous[0].update(passed=False, reason=_reason(report, call, item))
                _progress(item.config, result=previous[0])
        else:
            results.append({"lab": _lab(item).name, **_entry(item),
                            "passed": report.passed and report.when == "call",
                            "reason": _reason(report, call, item) if failed else ""})
            if _forbidden_key in item.stash:
                results[-1]["forbidden"] = item.stash[_forbidden_key]
            _progress(item.config, result=results[-1])


def pytest_terminal_summary(terminalreporter, config):
    results = apply_forbidden(config.stash.get(_results_key, []))
    if not results:
        return
    terminalreporter.section("lab points")
    several = len({r.get("lab_file") for r in results}) > 1  # the mutation suite's many files: totals only
    for lab_name in sorted({r["lab"] for r in results}):
        rows = [r for r in results if r["lab"] == lab_name]
        for who in sorted({r.get("lab_file") for r in rows}, key=str):
            mine = [r for r in rows if r.get("lab_file") == who]
            if not several:  # a student's `python -m pytest`: each test, ✓ or ✗ and why, as run_tests shows
                for r in mine:
                    terminalreporter.write_line(graded_line(r["test"].split("::", 1)[-1], r["points"], r["passed"],
                                                          r["reason"]))
            earned = round(sum(r["points"] for r in mine if r["passed"]), 2)
            total = round(sum(r["points"] for r in mine), 2)
            who = who or config.stash.get(_graded_key, None) or (_lab_files(config) or ["solution.py"])[0]
            lab_points = next(iter(_labs.values())).points if len(_labs) == 1 else None
            terminalreporter.write_line(
                f"{lab_name} ({Path(who).name}): {earned:g}/{total:g} points, "
                f"{sum(r['passed'] for r in mine)}/{len(mine)} tests passed"
                + public_only_note(total, lab_points, any(r["hidden"] for r in mine)))
    report_path = config.getoption("--grade-report")
    if report_path:
        Path(report_path).write_text(json.dumps({"tests": results}, indent=2))
