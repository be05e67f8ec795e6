"""The students' copy of each lab, as an instructor hands it out and a student unpacks it.

Every release is unzipped into an empty folder and graded there with `python -m pytest`, as
its README tells students: the starter earns 0, the solution dropped in earns every public
point. Nothing of a solution region and no hidden test is in any released file. Both zips
carry the course's wheel, built from this checkout, and install from it, never from the
course's repository; building a release twice gives the same zips, byte for byte. The
Gradescope autograder is run as Gradescope runs it, on lab 1, from the wheel in its zip;
its setup.sh, which only Gradescope's image can run, is read, and run with stand-ins for
apt-get and Python.
"""

import filecmp
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading import runner, wheel
from cnn_course.grading.release import pinned_requirements, render
from cnn_course.grading.starters import BEGIN, END

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")
VERSION = wheel.version()
WHEEL = wheel.wheel_name(VERSION)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    assert labs.main(["release", "all", "--out", str(out)]) == 0
    return out


ARGUMENT_LIST = re.compile(r"[\w\s,()\[\]]*:?")  # "x, f_h, f_w, stride, padding)": no secret


def solution_lines(lab):
    """Every line inside a solution region, stripped, that says something: not one the starter
    also has (``return y``), not a bare argument list."""
    starter = {line.strip() for line in lab.starter.read_text().splitlines()}
    lines, inside = set(), False
    for line in (lab.solution).read_text().splitlines():
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif (inside and len(line.strip()) > 8 and line.strip() not in starter
              and not ARGUMENT_LIST.fullmatch(line.strip())):
            lines.add(line.strip())
    return lines


def released_texts(out):
    """(name, text) of every file released to students, in the folders and inside the zips,
    but the course's wheel (tests/test_colab_path.py checks it holds no solution)."""
    for path in sorted(out.rglob("*")):
        if path.is_file() and "gradescope" not in path.parts and path.suffix != ".whl":
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        if not name.endswith(".whl"):
                            yield f"{path.name}:{name}", archive.read(name).decode()
            else:
                yield str(path.relative_to(out)), path.read_text()


def test_each_release_has_the_students_files_and_nothing_else(released):
    for lab in LABS:
        module = lab.module
        expected = {f"{module}.py", f"test_{module}.py", f"{lab.name}.ipynb", "conftest.py",
                    "requirements.txt", "README.md", WHEEL}
        assert {p.name for p in (released / lab.name).iterdir()} == expected
        with zipfile.ZipFile(released / f"{lab.name}.zip") as archive:
            assert set(archive.namelist()) == {f"{lab.name}/{name}" for name in expected}
            for name in expected:
                assert archive.read(f"{lab.name}/{name}") == (released / lab.name / name).read_bytes()
        notebook = json.loads((released / lab.name / f"{lab.name}.ipynb").read_text())
        assert not [c for c in notebook["cells"] if c.get("outputs")], "students run the notebook themselves"
        markdown = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
        assert "{doc}`" not in markdown and ":::" not in markdown, "the reader notebook, with no MyST"
        assert "A runnable copy of the course's page" in markdown


def test_both_zips_carry_the_wheel_built_from_this_checkout(released):
    shipped = (released / LABS[0].name / WHEEL).read_bytes()
    for lab in LABS:
        for path in (released / f"{lab.name}.zip", released / "gradescope" / f"{lab.name}_autograder.zip"):
            with zipfile.ZipFile(path) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".whl"))
                assert Path(name).name == WHEEL and archive.read(name) == shipped, path.name
    with zipfile.ZipFile(released / LABS[0].name / WHEEL) as package:
        modules = [n for n in package.namelist() if n.startswith("cnn_course/") and n.endswith((".py", ".tmpl"))]
        assert "cnn_course/grading/templates/setup.sh.tmpl" in modules
        different = [n for n in modules if "lab_files" not in n and package.read(n) != (ROOT / n).read_bytes()]
        assert not different, f"the wheel is not this checkout's: {different}"


def test_requirements_install_the_shipped_wheel_with_binders_pins_and_nothing_from_the_repository(released):
    binder = re.findall(r"^[\w.\-\[\]]+==\S+$", (ROOT / "binder" / "requirements.txt").read_text(), re.M)
    assert pinned_requirements() == binder and {"tensorflow", "keras", "numpy", "matplotlib", "pytest",
                                        "pytest-timeout", "hypothesis"} <= {p.split("==")[0] for p in binder}
    lab = LABS[0]
    with zipfile.ZipFile(released / "gradescope" / f"{lab.name}_autograder.zip") as archive:
        autograder = {name: archive.read(name).decode() for name in archive.namelist() if not name.endswith(".whl")}
    for text in ((released / lab.name / "requirements.txt").read_text(), autograder["requirements.txt"]):
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert lines == [f"./{WHEEL}", *binder]
    leaks = [name for name, text in autograder.items() if "git+" in text or "github" in text]
    assert not leaks, f"the autograder must not install from the course's repository: {leaks}"


def set_up_cell(notebook_path):
    notebook = json.loads(Path(notebook_path).read_text())
    return "".join(next(c for c in notebook["cells"] if c["cell_type"] == "code")["source"])


# The set-up cell's install, run as IPython runs it, where cnn_course is missing: %pip is a
# stand-in that prints what it was asked to install, and then "installs" this checkout's package.
RUN_INSTALL = """
import sys
from IPython.core.inputtransformer2 import TransformerManager

class Shell:
    def run_line_magic(self, name, line):
        print(f"%{name} {line}")
        del sys.modules["cnn_course"]

sys.modules["cnn_course"] = None  # not installed: `import cnn_course` raises ModuleNotFoundError
source = open(sys.argv[1]).read()
exec(TransformerManager().transform_cell(source), {"get_ipython": Shell})
"""


@pytest.mark.parametrize("wheel_beside", [True, False], ids=["wheel beside", "notebook alone"])
def test_a_released_notebook_installs_the_wheel_beside_it_else_the_same_version_from_its_tag(
        released, wheel_beside, tmp_path):
    lab = LABS[1]
    source = set_up_cell(released / lab.name / lab.notebook.name)
    install = source[:source.index("cnn_course.setup_notebook()")]  # the rest imports TensorFlow
    (tmp_path / "install.py").write_text(install)
    if wheel_beside:
        shutil.copyfile(released / lab.name / WHEEL, tmp_path / WHEEL)
    run = subprocess.run([sys.executable, "-c", RUN_INSTALL, "install.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = f'install -q "./{WHEEL}"' if wheel_beside else wheel.install_line(VERSION).removeprefix("%pip ")
    assert run.stdout.splitlines() == [f"%pip {expected}"]


def test_the_students_readme_names_the_wheel_and_the_python_pyproject_requires(released):
    readme = (released / LABS[0].name / "README.md").read_text()
    assert wheel.minimum_python() == "3.11" and "With Python 3.11 or later" in readme
    assert WHEEL in readme and "{" not in readme


def test_a_template_and_its_values_must_name_the_same_placeholders():
    assert render("conftest.py.tmpl", module="lab7").startswith('"""Loads') and "./lab7.py" in \
        render("conftest.py.tmpl", module="lab7")
    with pytest.raises(ValueError, match=r"values must fill the placeholders of conftest.py.tmpl, \['module'\]"):
        render("conftest.py.tmpl", modul="lab7")


@pytest.mark.parametrize("bad", ["nothing.whl", "cnn_course-0.0.1-py3-none-any.whl"])
def test_release_refuses_a_wheel_of_another_version(bad, tmp_path):
    (tmp_path / bad).write_bytes(b"")
    with pytest.raises(ValueError, match=rf"wheel must be the course package's wheel at version {VERSION}.*got"):
        labs.release("lab1", tmp_path / "out", tmp_path / bad)


def test_a_release_built_twice_gives_the_same_zips_byte_for_byte(released, tmp_path):
    # A second release, its own wheel built anew, into another folder: the same bytes.
    assert labs.main(["release", "all", "--out", str(tmp_path)]) == 0
    zips = sorted(p.relative_to(released) for p in released.rglob("*.zip"))
    assert zips == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.zip")) and len(zips) == 2 * len(LABS)
    for name in zips:
        assert (released / name).read_bytes() == (tmp_path / name).read_bytes(), f"{name} differs"
    for lab in LABS:
        comparison = filecmp.dircmp(released / lab.name, tmp_path / lab.name)
        assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    with zipfile.ZipFile(released / "gradescope" / f"{LABS[0].name}_autograder.zip") as archive:
        for info in archive.infolist():  # a fixed date and mode, whoever builds it, whenever
            assert info.date_time == time.gmtime(wheel.source_date_epoch())[:6]
            executable = info.filename in ("setup.sh", "run_autograder")
            assert stat.S_IMODE(info.external_attr >> 16) == (0o755 if executable else 0o644), info.filename
        assert archive.namelist() == sorted(archive.namelist())


def test_no_solution_line_and_no_hidden_test_is_released(released):
    secrets = {line: lab.name for lab in LABS for line in solution_lines(lab)}
    assert len(secrets) > 100, "the check must see the solutions"
    for name, text in released_texts(released):
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{name} holds solution lines: {leaked[:3]}"
        assert "mark.hidden" not in text and "_hidden" not in text, f"{name} mentions hidden tests"


def grade_in(folder):
    """Run `python -m pytest` in ``folder`` as a student would; return the report's tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--grade-report=report.json"], cwd=folder, env=env, capture_output=True,
                         text=True, timeout=900)
    report = folder / "report.json"
    assert report.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(report.read_text())["tests"]


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_a_release_unpacked_in_an_empty_folder_grades_the_starter_to_0_and_the_solution_in_full(
        released, lab, tmp_path):
    with zipfile.ZipFile(released / f"{lab.name}.zip") as archive:
        archive.extractall(tmp_path)
    # A student renames the folder: it is the same lab (found from its files, not its name).
    folder = (tmp_path / lab.name).rename(tmp_path / f"my {lab.module} (copy)")
    starter = grade_in(folder)
    assert starter and not [t for t in starter if t["passed"]]
    shutil.copyfile(lab.solution, folder / lab.starter.name)
    solved = grade_in(folder)
    assert len(solved) == len(starter) and all(t["passed"] for t in solved), \
        [t["reason"] for t in solved if not t["passed"]]
    public = [t for t in runner.lab_tests(lab) if not t.get("hidden")]
    assert sum(t["points"] for t in solved) == pytest.approx(sum(t["points"] for t in public))


def autograder_files(released, lab):
    with zipfile.ZipFile(released / "gradescope" / f"{lab.name}_autograder.zip") as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def autograder_site(released, tmp_path_factory):
    """The wheel of lab 1's autograder zip installed in a folder of its own (``pip install
    --target``), for PYTHONPATH: what setup.sh installs on Gradescope, from the same file."""
    folder = tmp_path_factory.mktemp("autograder-wheel")
    (folder / WHEEL).write_bytes(autograder_files(released, LABS[0])[WHEEL])
    target = folder / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", str(folder / WHEEL), "--no-deps", "--no-index", "-q",
                    "--target", str(target)], check=True, capture_output=True, timeout=300)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("which", ["solution", "starter"])
def test_the_gradescope_autograder_grades_every_public_and_hidden_test_from_the_wheel(
        released, autograder_site, which, tmp_path):
    """As on Gradescope: the course package installed from the wheel in the autograder zip
    (which has no hidden tests), the zip unpacked in /autograder/source, run from another folder."""
    lab = LABS[0]
    root = tmp_path / "autograder"
    with zipfile.ZipFile(released / "gradescope" / f"{lab.name}_autograder.zip") as archive:
        archive.extractall(root / "source")
        assert {"setup.sh", "run_autograder", "requirements.txt", WHEEL} <= set(archive.namelist())
        assert f"{lab.name}/{lab.hidden_tests.name}" in archive.namelist()
    (root / "submission").mkdir()
    shutil.copyfile(lab.solution if which == "solution" else lab.starter, root / "submission" / lab.starter.name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "PYTHONPATH": str(autograder_site)}
    package = subprocess.run([sys.executable, "-c", "import cnn_course; print(cnn_course.__file__)"], env=env,
                             cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert package.startswith(str(autograder_site)), package  # the zip's wheel, not this checkout
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=elsewhere, check=True,
                   capture_output=True, timeout=900)
    results = json.loads((root / "results" / "results.json").read_text())
    expected = runner.lab_tests(lab)
    hidden = {t["test"].split("::", 1)[-1] for t in expected if t.get("hidden")}
    assert hidden and len(results["tests"]) == len(expected)
    assert {t["name"].split(" [")[0] for t in results["tests"]} == {t["test"].split("::", 1)[-1] for t in expected}
    total = sum(t["points"] for t in expected)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(total)
    assert results["score"] == (pytest.approx(total) if which == "solution" else 0)
    for test in results["tests"]:
        assert test["score"] == (test["max_score"] if which == "solution" else 0) and test["max_score"] > 0
        assert test["visibility"] == ("after_published" if test["name"].split(" [")[0] in hidden else "visible")


# ---------------------------------------------------------------- setup.sh, which only Gradescope runs

def commands(script):
    """The script's command lines: no comments, no blank lines, continuations joined."""
    text = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_setup_sh_is_valid_bash_that_updates_apt_first_and_installs_from_the_shipped_wheel(released, tmp_path):
    files = autograder_files(released, LABS[0])
    script = files["setup.sh"].decode()
    (tmp_path / "setup.sh").write_text(script)
    checked = subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    lines = commands(script)
    apt = [line for line in lines if "apt-get" in line]
    assert apt[0] == "apt-get update -qq", "a fresh image has no package lists: update before any install"
    assert any(f"python{wheel.minimum_python()}-venv" in line for line in apt)
    assert any("ppa:deadsnakes/ppa" in line for line in lines)
    install = next(line for line in lines if "-m pip install -q -r requirements.txt" in line)
    cd = next(i for i, line in enumerate(lines) if line.startswith('cd "$SOURCE"'))
    assert cd < lines.index(install), "requirements.txt names the wheel by its path from the zip's folder"
    requirements = files["requirements.txt"].decode().splitlines()
    assert f"./{WHEEL}" in requirements and WHEEL in files
    assert "git+" not in script and "github" not in script


# Stand-ins for what setup.sh runs, each logging its command line: apt-get (which "installs"
# python3.11 unless the scenario's distribution lacks it and the deadsnakes PPA is not added
# yet), add-apt-repository, python3 (old or recent, as the scenario says; its venv needs the
# python3-venv package, as on Debian), and the virtual environment's python.
STUB = """#!{bash}
echo "${{0##*/}} $* @ $PWD" >> "$STUB_LOG"
{body}
"""
APT_GET = """
case "$*" in
  *"install"*"python3.11 "*)
    if [ "$SCENARIO" = deadsnakes ] && [ ! -e "$STUBS/.ppa" ]; then exit 100; fi
    cp "$STUBS/.python" "$STUBS/python3.11" ;;
  *"install"*"python3-venv"*) touch "$STUBS/.python3-venv" ;;
esac
"""
PYTHON = """
if [ "$1" = -c ]; then
  [ "${0##*/}" = python3.11 ] || [ "$SCENARIO" = recent-python3 ]
  exit
fi
if [ "$1 $2" = "-m venv" ]; then
  [ "${0##*/}" = python3.11 ] || [ -e "$STUBS/.python3-venv" ] || exit 1
  mkdir -p "$3/bin" && cp "$STUBS/.venv-python" "$3/bin/python"
fi
"""


@pytest.mark.parametrize("scenario", ["recent-python3", "distribution", "deadsnakes"])
def test_setup_sh_brings_python_311_from_wherever_the_image_has_it(released, scenario, tmp_path):
    stubs, root = tmp_path / "stubs", tmp_path / "autograder"
    stubs.mkdir()
    bash = shutil.which("bash")
    for tool in ("dirname", "rm", "mkdir", "cp", "touch"):  # nothing else from this machine
        (stubs / tool).symlink_to(shutil.which(tool))
    for name, body in {"apt-get": APT_GET, "add-apt-repository": "touch \"$STUBS/.ppa\"", "python3": PYTHON,
                       ".python": PYTHON, ".venv-python": ""}.items():
        (stubs / name).write_text(STUB.format(bash=bash, body=body))
        (stubs / name).chmod(0o755)
    with zipfile.ZipFile(released / "gradescope" / f"{LABS[0].name}_autograder.zip") as archive:
        archive.extractall(root / "source")
    log = tmp_path / "log"
    env = {"PATH": str(stubs), "STUBS": str(stubs), "STUB_LOG": str(log), "SCENARIO": scenario,
           "AUTOGRADER_ROOT": str(root)}
    run = subprocess.run([bash, str(root / "source" / "setup.sh")], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    calls = [line.replace(str(root), "ROOT") for line in log.read_text().splitlines()]
    ran = [call.split(" @ ")[0] for call in calls]
    assert ran[0] == "apt-get update -qq"
    python = "python3" if scenario == "recent-python3" else "python3.11"
    assert ran[-4:] == ["python -m pip install -q --upgrade pip", "python -m pip install -q -r requirements.txt",
                        "python -c import cnn_course.grading.plugin, tensorflow",
                        "python -c import cnn_course; cnn_course.load_mnist()"]
    assert calls[-3].endswith("@ ROOT/source"), "requirements.txt is read from the zip's folder"
    assert f"{python} -m venv ROOT/venv" in ran
    installs = [call for call in ran if call.startswith("apt-get install")]
    if scenario == "recent-python3":  # as on Ubuntu 24.04: its own python3, and its venv package
        assert installs == ["apt-get install -y -qq python3-venv"]
        assert ran.count("python3 -m venv ROOT/venv") == 2
    elif scenario == "distribution":  # as on Ubuntu 22.04
        assert installs == ["apt-get install -y -qq python3.11 python3.11-venv"]
    else:  # as on Ubuntu 20.04
        assert "add-apt-repository -y ppa:deadsnakes/ppa" in ran
        assert ran[ran.index("add-apt-repository -y ppa:deadsnakes/ppa") + 1] == "apt-get update -qq"
        assert installs[-1] == "apt-get install -y -qq python3.11 python3.11-venv"


def test_run_autograder_writes_results_even_when_the_grader_cannot_start(released, tmp_path):
    """Gradescope shows "autograder failed" and nothing else without a results.json."""
    lab = LABS[0]
    root = tmp_path / "autograder"
    with zipfile.ZipFile(released / "gradescope" / f"{lab.name}_autograder.zip") as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(tmp_path / "no-such-python")}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "could not grade this submission" in results["output"]
    assert "no-such-python" in results["output"]


def test_labs_readme_cites_the_autograder_footprint_as_measured():
    """labs/README.md's Gradescope settings quote benchmarks/autograder_footprint.md: rerunning
    the benchmark without updating the README fails here."""
    table = (ROOT / "benchmarks" / "autograder_footprint.md").read_text()
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0].startswith("lab") and cells[1] == "2":
            rows[cells[0]] = {"cpu": float(cells[4]), "memory": int(cells[6])}
    assert set(rows) == {f"lab{n}" for n in range(1, 7)}
    readme = " ".join((ROOT / "labs" / "README.md").read_text().split())
    middle = sorted(rows[f"lab{n}"]["memory"] for n in (2, 3, 4))
    for phrase in (f"{rows['lab1']['memory']} MB in lab 1", f"{middle[0]} to {middle[-1]} MB in labs 2 to 4",
                   f"{rows['lab5']['memory']} MB in lab 5", f"{rows['lab6']['memory']} MB in lab 6",
                   f"{rows['lab1']['cpu']:g} s of CPU time in lab 1", f"{rows['lab5']['cpu']:g} s in lab 5",
                   f"{rows['lab6']['cpu']:g} s in lab 6"):
        assert phrase in readme, phrase
    assert all(5.5 <= rows[f"lab{n}"]["cpu"] <= 6.5 for n in (2, 3, 4))  # "about 6 s in labs 2 to 4"
