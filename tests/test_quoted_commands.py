"""Every grading or checking command the course quotes runs, and every path it names exists.

Where commands are quoted: each lab's starter (labs/*/labN.py), the lab notebooks' Markdown,
README.md, labs/README.md, and the students' README of a release
(cnn_course/grading/templates/README.md.tmpl). A quoted command is a line of a ```bash block,
or an inline code span that starts with a program (python, pytest, make, pip, git, docker,
jupyter, or `grade` / `release` of the labs' command line) or calls `run_tests`.
Placeholders are filled in: labN with each lab (lab 1 where one is run, the quickest),
labN_topic with its folder, FILE with its starter, SECONDS with 60, a release template's
{module} with the lab's module.

What each kind is checked for, so what a pass proves:

- `python -m cnn_course.labs ...`, and `grade ...` or `release ...` quoted alone: the command
  line parses with the command's own parser, the lab exists, and every file it reads exists
  (a student's labN.py in the lab's folder, where the notebook's set-up cell puts it;
  `submissions/...` is the instructor's class, which no repository has). Then each quoted
  `grade` and `release` runs for real (slow), in an empty folder laid out as the command
  expects, the starter standing for each student's file: it must exit 0 and write its --out.
  `generate` is parsed, not run, since it rewrites the checkout's starters
  (tests/test_labs_tooling.py fails when a committed starter is not what it writes).
- `python -m pytest ARGS`: run with --collect-only from the repository's root (slow, a
  process per lab): the test files exist, the plugin named by -p loads, every option parses,
  the tests are collected. A bare
  `python -m pytest` is the students' command in a released folder: collected in a real
  release of lab 1 (tests/test_release.py runs it in every lab's release, for the points).
- `run_tests(...)`: the name is cnn_course.labs.run_tests, the quoted arguments bind to its
  signature, the lab exists. It runs for real in every lab notebook's last cell under nbval,
  and in tests/test_labs_tooling.py.
- `make TARGET`: TARGET is a rule of the Makefile. Not run here: every target installs into
  the virtual environment, and `make test` is what CI runs.
- `python -m benchmarks.NAME`: benchmarks/NAME.py exists. Not run: a benchmark takes
  minutes and rewrites its report.
- Quoted, but neither grading nor checking, so not run: installs (the set-up cell's
  `%pip install` from the repository's tag, `pip install -e .`, `pip install -r
  requirements.txt`, Jupyter), `git tag`, `docker run`. What they name is checked: the tag is
  pyproject.toml's version and the repository the book's, pyproject.toml is there for `-e .`,
  requirements.txt is in a release (both documents quote it for a students' folder), and
  docker's inner command is checked, and run, as the labs' command line.

A quoted command of none of these kinds fails test_every_quoted_command_has_a_check: give it
a check here.
"""

import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cnn_course import labs
from cnn_course.grading.release import release

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
TEMPLATE = "cnn_course/grading/templates/README.md.tmpl"


@dataclass(frozen=True)
class Quoted:
    document: str  # where it is quoted, relative to the repository
    command: str  # as quoted: continuation lines joined, a trailing comment dropped
    lab: str | None  # the lab whose starter or notebook quotes it

    def __str__(self):
        return f"{self.document}: {self.command}"


def documents() -> dict[Path, str | None]:
    """Each document that quotes commands, with the lab it belongs to."""
    found = {ROOT / "README.md": None, ROOT / "labs" / "README.md": None, ROOT / TEMPLATE: None}
    for lab in LABS:
        found[lab.starter] = lab.module
        found[lab.notebook] = lab.module
    return found


def text_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELLS = {"bash", "sh", "shell", "console"}
SPAN = re.compile(r"``(.+?)``|`([^`]+)`", re.DOTALL)
PROGRAM = re.compile(r"(%?pip|python3?|pytest|make|git|docker|jupyter|grade|release)\s+\S")
RUN_TESTS = re.compile(r"((cnn_course\.)?labs\.)?run_tests\(")


def commands_in(text: str) -> list[str]:
    found = []
    for language, body in FENCE.findall(text):
        if language in SHELLS:
            for line in body.replace("\\\n", " ").splitlines():
                line = " ".join(re.sub(r"(^|\s)#.*$", "", line).split())
                if line:
                    found.append(line)
    for match in SPAN.finditer(FENCE.sub("", text)):
        span = " ".join((match.group(1) or match.group(2)).split())
        if PROGRAM.match(span) or RUN_TESTS.match(span):
            found.append(span)
    return found


QUOTED = sorted({Quoted(path.relative_to(ROOT).as_posix(), command, lab)
                 for path, lab in documents().items() for command in commands_in(text_of(path))},
                key=str)


def quoted(pattern: str) -> list[Quoted]:
    return [item for item in QUOTED if re.match(pattern, item.command)]


def ids(items):
    return [str(item)[:110] for item in items]


def fill(command: str, lab) -> str:
    """The command with its placeholders filled in for `lab`."""
    for placeholder, value in ((r"labN_topic", lab.name), (r"(?<![A-Za-z])labN(?![A-Za-z])", lab.module),
                               (r"\bFILE\b", f"labs/{lab.name}/{lab.starter.name}"),
                               (r"\bSECONDS\b", "60"), (r"\{module\}", lab.module)):
        command = re.sub(placeholder, value, command)
    return command


def labs_for(item: Quoted) -> list:
    """The labs a command stands for: its own, or every lab when it has a placeholder."""
    if item.lab:
        return [labs.find_lab(item.lab, ROOT / "labs")]
    return LABS if re.search(r"labN|\{module\}", item.command) else [LABS[0]]


def environment() -> dict[str, str]:
    """This environment without pytest's own variables (a run inside a test is a fresh one)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PYTEST")}


# ------------------------------------------------------------------ every command has a check

LABS_CLI = r"(python3? -m cnn_course\.labs\s|(grade|release|generate|check)\s)"
PYTEST = r"(python3? -m pytest|pytest)(\s|$)"
CALL = RUN_TESTS.pattern
MAKE = r"make\s+[\w-]+(\s+\w+=\S+)*$"  # a target, and variables perhaps
BENCHMARK = r"python3? -m benchmarks\.\w+$"
SET_UP_INSTALL = r"%pip install (-q )?\"cnn-course @ git\+"
EDITABLE_INSTALL = r"pip install -e \.$"
REQUIREMENTS_INSTALL = r"python3? -m pip install -r requirements\.txt$"
JUPYTER = r"(python3? -m pip install jupyterlab|jupyter lab)$"
GIT_TAG = r"git tag v\S+ && git push origin v\S+$"
DOCKER = r"docker run\s"
KINDS = [LABS_CLI, PYTEST, CALL, MAKE, BENCHMARK, SET_UP_INSTALL, EDITABLE_INSTALL, REQUIREMENTS_INSTALL,
         JUPYTER, GIT_TAG, DOCKER]


def test_the_documents_quote_the_commands_we_know_of():
    """The extraction works: the commands this test was written for are found."""
    commands = {item.command for item in QUOTED}
    for expected in ("python -m cnn_course.labs grade lab4 lab4.py", 'run_tests("lab6")',
                     "python -m cnn_course.labs grade labN labN.py", "make test", "python -m pytest",
                     "python -m cnn_course.labs grade lab1 submissions/ --out grades/lab1.csv"):
        assert expected in commands, f"{expected!r} is no longer found; found: {sorted(commands)}"


def test_every_quoted_command_has_a_check():
    unknown = [str(item) for item in QUOTED if not any(re.match(kind, item.command) for kind in KINDS)]
    assert not unknown, "quoted commands this test does not check (add their kind):\n  " + "\n  ".join(unknown)


# ------------------------------------------------------------------ the labs' command line

def labs_argv(command: str, lab=LABS[0]) -> list[str]:
    """The arguments after `python -m cnn_course.labs`: of the command, or of docker's inner
    one. An option quoted with `grade` alone (`grade --timeout SECONDS`) is given a lab and
    its file to grade."""
    inner = re.search(r"python3? -m cnn_course\.labs\s+(.*)$", command)
    argv = shlex.split(inner.group(1) if inner else command)
    if argv[0] == "grade" and argv[1:2] and argv[1].startswith("-"):
        argv[1:1] = [lab.module, lab.starter.name]
    return argv


def parse(argv: list[str]):
    try:
        return labs._parser().parse_args(argv)
    except SystemExit as exit_:
        pytest.fail(f"`python -m cnn_course.labs {shlex.join(argv)}` does not parse (exit {exit_.code})")


def is_the_class(path: str) -> bool:
    """The instructor's folder of submissions and its files: theirs, in no repository."""
    return path.split("/")[0] == "submissions"


def student_file(path: str, lab) -> Path | None:
    """Where a file a lab's command names exists: in the repository, or in the lab's folder
    (a student's labN.py, beside the notebook)."""
    for candidate in (ROOT / path, lab.folder / path):
        if candidate.exists():
            return candidate
    return None


LABS_COMMANDS = quoted(LABS_CLI) + quoted(DOCKER)


@pytest.mark.parametrize("item", LABS_COMMANDS, ids=ids(LABS_COMMANDS))
def test_a_labs_command_parses_and_names_files_that_exist(item):
    for lab in labs_for(item):
        argv = labs_argv(fill(item.command, lab), lab)
        args = parse(argv)
        if args.command in ("grade", "release") and args.lab != "all":
            labs.find_lab(args.lab, ROOT / "labs")  # a ValueError names the known labs
        for path in getattr(args, "submissions", []):
            assert is_the_class(path) or student_file(path, lab), \
                f"{item}: {path} exists neither in the repository nor in {lab.folder.relative_to(ROOT)}"


RUNNABLE = [item for item in LABS_COMMANDS if labs_argv(item.command)[0] in ("grade", "release")]


@pytest.mark.slow
@pytest.mark.parametrize("item", RUNNABLE, ids=ids(RUNNABLE))
def test_a_quoted_grade_or_release_runs(item, tmp_path):
    """Run as quoted (lab 1 for labN), in an empty folder with the files it expects: the
    starter as each student's file. It must exit 0, and write its --out."""
    lab = labs_for(item)[0]
    argv = labs_argv(fill(item.command, lab), lab)
    args = parse(argv)
    graded = labs.find_lab(args.lab, ROOT / "labs") if args.command == "grade" else None
    for path in getattr(args, "submissions", []):
        files = [f"{path}/alice.py", f"{path}/bob.py"] if path.endswith("/") else [path]
        for name in files:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(graded.starter, tmp_path / name)
    run = subprocess.run([sys.executable, "-m", "cnn_course.labs", *argv], cwd=tmp_path, env=environment(),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{item}: exit {run.returncode}\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
    if args.command == "grade" and args.out:
        assert (tmp_path / args.out).is_file(), f"{item}: no {args.out} written\n{run.stdout[-2000:]}"
    if args.command == "release":
        assert (tmp_path / args.out / labs.find_lab(args.lab, ROOT / "labs").name / "README.md").is_file()


# ------------------------------------------------------------------ pytest

PYTEST_COMMANDS = [item for item in quoted(PYTEST) if item.command.split()[-1] != "pytest"]
BARE_PYTEST = [item for item in quoted(PYTEST) if item.command.split()[-1] == "pytest"]


@pytest.mark.slow  # a pytest process per lab
@pytest.mark.parametrize("item", PYTEST_COMMANDS, ids=ids(PYTEST_COMMANDS))
def test_a_quoted_pytest_command_collects_its_tests(item):
    for lab in labs_for(item):
        argv = shlex.split(fill(item.command, lab))
        argv = argv[3:] if argv[0].startswith("python") else argv[1:]
        for index, argument in enumerate(argv):
            if argument == "-p":
                assert importlib.util.find_spec(argv[index + 1]), f"{item}: no plugin {argv[index + 1]}"
            elif argument.endswith(".py"):
                assert (ROOT / argument).is_file(), f"{item}: {argument} does not exist"
        run = subprocess.run([sys.executable, "-m", "pytest", *argv, "--collect-only", "-q", "-p", "no:cacheprovider"],
                             cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and re.search(r"\d+ tests? collected", run.stdout), \
            f"{item} (as {shlex.join(argv)}): exit {run.returncode}\n{run.stdout[-2000:]}{run.stderr[-2000:]}"


@pytest.fixture(scope="module")
def released_lab1(course_wheel, tmp_path_factory):
    """Lab 1's students' copy, as `release` writes it."""
    folder, _, _ = release(LABS[0], tmp_path_factory.mktemp("release"), course_wheel)
    return folder


@pytest.mark.slow
def test_the_students_pytest_and_install_work_in_a_released_folder(released_lab1):
    """A students' folder, where the students' README and labs/README.md quote them:
    `python -m pip install -r requirements.txt` names a file of the release, and a bare
    `python -m pytest` there collects the lab's graded tests."""
    assert BARE_PYTEST and quoted(REQUIREMENTS_INSTALL)
    assert (released_lab1 / "requirements.txt").is_file()
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=released_lab1, env=environment(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "test_lab1.py::" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


# ------------------------------------------------------------------ run_tests, make, benchmarks

CALLS = quoted(CALL)


def argument_value(node, lab):
    """A quoted argument's value; `...` (the arguments left out) stands for the lab."""
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return lab.module
    return ast.literal_eval(node)


@pytest.mark.parametrize("item", CALLS, ids=ids(CALLS))
def test_a_quoted_run_tests_call_binds_to_the_function(item):
    for lab in labs_for(item):
        call = ast.parse(fill(item.command, lab), mode="eval").body
        assert isinstance(call, ast.Call), item
        name = ast.unparse(call.func)
        assert name in ("run_tests", "labs.run_tests", "cnn_course.labs.run_tests"), item
        function = labs.run_tests
        assert importlib.import_module("cnn_course.labs").run_tests is function

        positional = [argument_value(node, lab) for node in call.args]
        keywords = {keyword.arg: argument_value(keyword.value, lab) for keyword in call.keywords}
        inspect.signature(function).bind(*positional, **keywords)  # a TypeError names what does not fit
        labs.find_lab(positional[0] if positional else keywords["lab"], ROOT / "labs")


def makefile_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        rule = re.match(r"([A-Za-z][\w.-]*(?:\s+[A-Za-z][\w.-]*)*)\s*:(?!=)", line)
        if rule:
            targets |= set(rule.group(1).split())
    return targets


def test_every_quoted_make_target_is_a_rule():
    targets = makefile_targets()
    assert {"book", "test", "check", "install"} <= targets  # the parser finds the rules
    missing = [str(item) for item in quoted(MAKE) if item.command.split()[1] not in targets]
    assert not missing, "no such Makefile rule:\n  " + "\n  ".join(missing)


def test_every_quoted_benchmark_exists():
    for item in quoted(BENCHMARK):
        module = item.command.split()[-1]
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), item


# ------------------------------------------------------------------ quoted, not run

def test_what_installs_and_releases_name_exists():
    for item in quoted(SET_UP_INSTALL):
        url = re.search(r"git\+(\S+?)@v([\w.]+)", item.command)
        assert url and url.group(2) == VERSION, f"{item}: not pyproject.toml's version, {VERSION}"
        assert url.group(1) in (REPOSITORY, "https://..."), f"{item}: not the book's repository, {REPOSITORY}"
    for item in quoted(GIT_TAG):
        assert re.findall(r"v([\w.]+)", item.command) == [VERSION, VERSION], f"{item}: not version {VERSION}"
    for item in quoted(EDITABLE_INSTALL):
        assert (ROOT / "pyproject.toml").is_file(), item
    for item in quoted(DOCKER):
        assert re.search(r"python -m cnn_course\.labs grade ", item.command), item  # checked with the rest


# ------------------------------------------------------------------ paths quoted on their own

REPOSITORY_FOLDERS = ("tests/", "tools/", "benchmarks/", "cnn_course/", "labs/", "chapters/", "binder/")


def test_every_repository_path_quoted_exists():
    """A span naming a file or folder of the repository (tests/test_lab_points.py,
    benchmarks/mutation_score.py, ...) names one that exists. Paths with a placeholder
    (labN) and the wheel's layout (cnn_course/lab_files/) are examples, not files."""
    missing = []
    for path in documents():
        for match in SPAN.finditer(FENCE.sub("", text_of(path))):
            span = (match.group(1) or match.group(2)).strip()
            if (span.startswith(REPOSITORY_FOLDERS) and " " not in span and "labN" not in span
                    and not span.startswith("cnn_course/lab_files")):
                if not (ROOT / span.rstrip("/")).exists():
                    missing.append(f"{path.relative_to(ROOT)}: {span}")
    assert not missing, "quoted paths that do not exist:\n  " + "\n  ".join(missing)
