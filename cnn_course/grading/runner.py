"""Run one lab's graded tests against one file, in a fresh process, and collect the results;
and the one loader that imports a lab's file by path (:func:`load_module`).

Every grading path goes through :func:`run_lab_tests`: a student's ``run_tests`` call in a
notebook, the instructor's ``grade`` command (:mod:`cnn_course.grading.batch`), and the
course's own tests. Results are :mod:`cnn_course.grading.results`. Each file is graded
in its own process, started in a fresh temporary folder holding a copy of the file alone
(the original is only read), with limits (:class:`Limits`): wall-clock time for the whole
run (the process group is killed), CPU time, address space, file size, and only the end of
its output is read. Whatever the file does -- exit, kill itself, loop, allocate, fork, print
megabytes, delete files -- the result holds every one of the lab's tests, out of the lab's
full total (collected once in a separate process, before any student's code runs), and says
why the run did not complete. The limits are not a sandbox: the code runs with the grader's
permissions (see ``labs/README.md``, "Grading safely").
"""

import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: the wall-clock limit only
    resource = None

from .results import LabResult, TestResult, apply_forbidden
from .starters import find_lab

PLUGIN = "cnn_course.grading.plugin"
OUTPUT_TAIL = 3000  # characters of pytest's output kept for when the tests could not run
OUTPUT_READ = 64 * 1024  # bytes read from the end of each of stdout and stderr
GB = 1024 ** 3
MEMORY_HINTS = ("MemoryError", "bad_alloc", "Cannot allocate memory")


@dataclass(frozen=True)
class Limits:
    """What one graded run may use. ``wall`` and ``cpu`` in seconds, ``memory`` (address
    space, which TensorFlow maps generously: the labs' solutions peak at 1.5-2.8 GB) and
    ``file_size`` (the largest file it may write) in GB."""

    wall: float = 300
    cpu: float = 300
    memory: float = 8
    file_size: float = 1

    def apply(self):
        """Set the limits on the current process (the child, before it runs pytest)."""
        if resource is None:
            return
        for which, value in ((resource.RLIMIT_AS, int(self.memory * GB)),
                             (resource.RLIMIT_CPU, int(self.cpu)),
                             (resource.RLIMIT_FSIZE, int(self.file_size * GB)),
                             (resource.RLIMIT_CORE, 0)):
            hard = resource.getrlimit(which)[1]
            soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
            if which == resource.RLIMIT_CPU:  # SIGXCPU at the limit, SIGKILL a little later
                new_hard = soft + 5 if hard == resource.RLIM_INFINITY else min(soft + 5, hard)
            else:
                new_hard = soft
            resource.setrlimit(which, (soft, new_hard))


def pytest_command(test_files, lab_file=None, report=None, timeout=None, extra=()):
    """The one pytest command line that grades: ``python -m pytest TEST_FILES -p PLUGIN ...``.
    ``lab_file`` is a path, or a list of trusted files graded in one process."""
    # The lab folder is the root, wherever the run starts: node ids ("test_lab1.py::test_x")
    # are the same when the tests are collected and when they run, in any copy of the lab.
    command = [sys.executable, "-m", "pytest", *map(str, test_files), "-p", PLUGIN, "-q",
               "-p", "no:cacheprovider", f"--rootdir={Path(test_files[0]).parent}"]
    for path in [lab_file] if isinstance(lab_file, (str, Path)) else lab_file or []:
        command.append(f"--lab-file={path}")
    if report is not None:
        command.append(f"--grade-report={report}")
    if timeout is not None:
        command.append(f"--lab-timeout={timeout}")
    return command + list(extra)


def lab_tests(lab, extra=(), hidden=True):
    """Every graded test of ``lab`` (a :class:`~cnn_course.grading.lab.Lab`, or anything
    :func:`~cnn_course.grading.starters.find_lab` takes), selected by ``extra`` (e.g.
    ``["-k", "pad"]``), the hidden ones too unless ``hidden`` is false, with its points, skill
    and visibility: ``[{"test": node id, "points", "skill", "hidden"}, ...]``, collected in a
    separate process that runs no student code, and cached. Raises ``RuntimeError`` if they
    cannot be collected."""
    files = tuple(str(path.resolve()) for path in find_lab(lab).test_files(hidden))
    return _collect(files, tuple(Path(f).stat().st_mtime for f in files), tuple(extra))


@functools.lru_cache(maxsize=32)
def _collect(test_files, mtimes, extra):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "collected.json"
        command = pytest_command(test_files, extra=extra) + ["--collect-only", f"--grade-collect={out}"]
        run = subprocess.run(command, cwd=tmp, env={**os.environ, "TMPDIR": tmp}, capture_output=True,
                             text=True, check=False, timeout=600)
        if not out.is_file():
            raise RuntimeError(f"could not collect the tests in {', '.join(test_files)}:\n"
                               f"{(run.stdout + run.stderr)[-OUTPUT_TAIL:]}")
        return json.loads(out.read_text())["tests"]


def run_lab_tests(lab, lab_file=None, timeout=None, extra=(), limits=None, hidden=True):
    """Run ``lab``'s graded tests against ``lab_file`` (default: its solution) in a subprocess.

    ``lab`` is a :class:`~cnn_course.grading.lab.Lab`, or what
    :func:`~cnn_course.grading.starters.find_lab` takes (``"lab2"``, ``"2"``,
    ``"lab2_conv_forward"``, a lab's folder); ``timeout`` overrides every
    test's time limit (seconds); ``extra`` adds pytest arguments (``["-k", "pad"]``);
    ``limits`` is a :class:`Limits` (default ``Limits()``); ``hidden=False`` leaves out the
    hidden tests (a student's own run). The file is copied alone, as
    ``labN.py``, into a fresh temporary folder, the run's working directory.

    A hang keeps what was earned: each test's result is recorded as it finishes, a test past
    its limit fails and the run goes on (the plugin interrupts it), and a test that cannot be
    interrupted (a loop inside C code) is stopped by killing the run, which then resumes in a
    new process with the tests not yet reached, until the wall-clock limit.
    Returns a :class:`LabResult`. Raises ``ValueError`` for an unknown lab or a missing file.
    """
    lab = find_lab(lab)
    limits = limits or Limits()
    if lab_file is not None:
        lab_file = Path(lab_file).resolve()
        if not lab_file.is_file():
            raise ValueError(f"lab_file must be an existing Python file; got {str(lab_file)!r}")
    expected = lab_tests(lab, extra, hidden)  # before any student code runs
    limit_of = {t["test"]: timeout or t.get("timeout") or DEFAULT_TEST_LIMIT for t in expected}
    started, deadline = time.monotonic(), time.monotonic() + limits.wall
    reported, stopped, runs, hung_functions = {}, {}, [], []
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        tmp = Path(tmp)
        while True:
            attempt = tmp / f"attempt-{len(runs)}"  # a fresh folder and copy for every process
            work, private, scratch = attempt / "work", attempt / "run", attempt / "tmp"
            for folder in (work, private, scratch):
                folder.mkdir(parents=True)
            copy = None
            if lab_file is not None:
                copy = work / lab.starter.name
                shutil.copyfile(lab_file, copy)
            progress = private / "progress.jsonl"
            # hypothesis keeps a cache in .hypothesis/: in the temporary folder, not the student's
            env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(scratch / ".hypothesis"), "TMPDIR": str(scratch)}
            done = private / "done.json"  # tests with a result from an earlier, stopped process
            done.write_text(json.dumps([*reported, *stopped]))
            command = pytest_command(lab.test_files(hidden), copy, None, timeout,
                                     [*extra, f"--lab-done={done}",
                                      *(f"--lab-stop-calling={name}" for name in hung_functions)])
            run = _run_watched(command + [f"--grade-progress={progress}"], work, env, limits, private,
                               deadline, limit_of, progress)
            runs.append(run)
            reported.update(run.results)
            if run.hung is None:
                break
            function = _hung_function(Path(f"{progress}.hang"), copy)
            if function:
                hung_functions.append(function)
            stopped[run.hung] = (f"TimeLimitExceeded: ran past its time limit of {limit_of[run.hung]:g} s"
                                 + (f", in {function}" if function else "") + ", and could not be interrupted "
                                 f"(inside C code?): stopped after {run.hung_for:.0f} s; the tests after it ran in "
                                 "a new process")
            if all(t["test"] in reported or t["test"] in stopped for t in expected) or time.monotonic() >= deadline:
                break
    last = runs[-1]
    return _result(lab, lab_file, expected, list(reported.values()), stopped, last, limits,
                   elapsed=time.monotonic() - started)


DEFAULT_TEST_LIMIT = 300  # seconds, for a test without a limit of its own (every lab test has one)
HANG_GRACE = 10  # seconds past a test's limit before the run is killed: the plugin's alarm had its chance
POLL = 0.25  # seconds between looks at a running process


@dataclass
class _Run:
    """One graded process: how it ended, and what it reported as it went."""

    returncode: int
    timed_out: bool  # by the wall-clock limit
    cpu: float
    output: str
    results: dict  # node id -> the plugin's result entry
    current: str | None  # the test running when the process ended, if one was
    hung: str | None = None  # the test the watchdog stopped
    hung_for: float = 0.0


def _hung_function(dump, copy):
    """The student's function a hung test was stuck in: the innermost frame of ``copy`` in the
    traceback faulthandler dumped (most recent call first), or "" if none is there."""
    if copy is None or not dump.is_file():
        return ""
    for line in dump.read_text(errors="replace").splitlines():
        match = re.match(r'\s*File "(.+)", line \d+ in (\w+)', line)
        if match and Path(match.group(1)).name == copy.name and match.group(2) != "<module>":
            return match.group(2)
    return ""


def _read_progress(path):
    """(results by node id, the test started but not finished or None, when it started)."""
    results, current, since = {}, None, None
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a kill
                continue
            if "start" in record:
                current, since = record["start"], record.get("at")
            elif "result" in record:
                results[record["result"]["test"]] = record["result"]
                if record["result"]["test"] == current:
                    current, since = None, None
    return results, current, since


def _run_watched(command, cwd, env, limits, private, deadline, limit_of, progress):
    """Run ``command`` in its own session under ``limits`` until it ends, the wall-clock
    ``deadline`` passes, or a test runs :data:`HANG_GRACE` s past its limit (it is then killed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
    timed_out, hung, hung_for = False, None, 0.0
    with open(private / "stdout", "wb") as out, open(private / "stderr", "wb") as err:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, start_new_session=True,
                                   preexec_fn=limits.apply if resource else None)
        try:
            while True:
                try:
                    process.wait(timeout=POLL)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                _, current, since = _read_progress(progress)
                if current is not None and since is not None:
                    running = time.time() - since
                    if running > limit_of.get(current, DEFAULT_TEST_LIMIT) + HANG_GRACE:
                        hung, hung_for = current, running
                        break
        finally:
            _kill_group(process.pid)  # the run, and every child it left behind
            process.wait()
    cpu = 0.0
    if resource:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    output = "".join(_tail(private / name) for name in ("stdout", "stderr"))
    results, current, _ = _read_progress(progress)
    return _Run(process.returncode, timed_out, cpu, output, results, current, hung, hung_for)


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path, size=OUTPUT_READ):
    """The last ``size`` bytes of the file at ``path``, as text."""
    with open(path, "rb") as handle:
        handle.seek(max(0, handle.seek(0, os.SEEK_END) - size))
        return handle.read().decode("utf-8", errors="replace")


def _run_reason(returncode, timed_out, cpu, output, limits, complete):
    """Why a run did not complete ("" when it did)."""
    out_of_memory = any(hint in output for hint in MEMORY_HINTS)
    if timed_out:
        return f"exceeded the wall-clock limit of {limits.wall:g} s"
    if returncode < 0:
        number = -returncode
        # Only the CPU-time limit sends SIGXCPU; its SIGKILL follows at the hard limit. The
        # measured CPU time can fall a tick short of the limit, hence the 5% slack.
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= 0.95 * limits.cpu):
            return f"exceeded the CPU-time limit of {limits.cpu:g} s"
        if number == signal.SIGXFSZ:
            return f"exceeded the file-size limit of {limits.file_size:g} GB"
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        memory = f"; exceeded the memory limit of {limits.memory:g} GB?" if out_of_memory else ""
        return f"killed by signal {number} ({name}){memory}"
    if complete and returncode in (0, 1):
        # a failed test's MemoryError, most likely the address-space limit
        return f"exceeded the memory limit of {limits.memory:g} GB (MemoryError)" if out_of_memory else ""
    if returncode == 2:
        return "the test run was interrupted (exit code 2: KeyboardInterrupt?)"
    if returncode in (0, 1):
        return (f"the process exited with code {returncode} before the tests finished "
                "(os._exit or sys.exit in the submission?)")
    return f"the test run ended with exit code {returncode} before the tests finished"


def _result(lab, lab_file, expected, reported, stopped, last, limits, elapsed):
    by_id = {t["test"]: t for t in apply_forbidden(reported)}
    complete = all(t["test"] in by_id or t["test"] in stopped for t in expected)
    failures = last.output + "".join(t.get("reason", "") for t in reported if not t.get("passed"))
    if complete and all(by_id.get(t["test"], {}).get("passed") for t in expected):
        failures = ""  # every test passed: whatever the output says, memory was enough
    reason = _run_reason(last.returncode, last.timed_out, last.cpu, failures, limits, complete)
    current = last.current if last.hung is None else None  # the test running when the run ended
    tests = []
    for want in expected:
        got = by_id.get(want["test"])
        if want["test"] in stopped:
            tests.append(TestResult.expected(want, reason=stopped[want["test"]]))
        elif got is not None:
            passed = bool(got.get("passed"))
            tests.append(TestResult.expected(want, passed, "" if passed else (got.get("reason") or reason or "failed")))
        elif want["test"] == current:
            tests.append(TestResult.expected(want, reason=f"stopped while this test ran: {reason or 'no result'}"))
        elif current is not None:
            tests.append(TestResult.expected(want, reason=f"not reached: the run stopped at "
                                                          f"{current.split('::', 1)[-1]} after {elapsed:.0f} s "
                                                          f"({reason or 'no result'})"))
        else:
            tests.append(TestResult.expected(want, reason=f"did not run: {reason or 'no result'}"))
    return LabResult(lab=lab.module, lab_file=str(lab_file or lab.solution), tests=tests,
                     output=last.output[-OUTPUT_TAIL:], reason=reason)


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
