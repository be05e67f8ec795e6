"""Release a lab to students: a folder and a zip with what they need and nothing they must not see.

``python -m cnn_course.labs release lab2 --out release/`` (or ``release all``) writes::

    release/lab2_conv_forward/          the students' copy
        lab2.py                         the starter
        lab2_conv_forward.ipynb         the lab notebook, without outputs
        test_lab2.py                    the public graded tests
        conftest.py                     loads the course's grading plugin, so `python -m pytest` grades
        requirements.txt                what the tests need (the course package, TensorFlow, ...)
        README.md                       for students: how to work, check and hand in
    release/lab2_conv_forward.zip       the same folder, zipped
    release/gradescope/lab2_conv_forward_autograder.zip
                                        for the instructor: Gradescope's setup.sh and run_autograder,
                                        with every test, hidden ones included

The solution never leaves the instructor's repository, and hidden tests only in the
autograder zip. ``tests/test_release.py`` unpacks every release into an empty folder and
grades it there.
"""

import json
import shutil
import zipfile
from pathlib import Path

from .starters import all_labs, find_lab

# The students' copy installs the course package from its repository, with the graded tests'
# own dependencies; TensorFlow is listed for a machine that does not have it (Colab does).
PACKAGE = "cnn-course @ git+https://github.com/cnn-course/cnn-course"
REQUIREMENTS = f"{PACKAGE}\ntensorflow\nnumpy\nmatplotlib\npytest\npytest-timeout\nhypothesis\n"
CONFTEST = '''"""Loads the course's grading plugin: `python -m pytest` in this folder grades ./{module}.py."""

pytest_plugins = ["cnn_course.grading.plugin"]
'''
STUDENT_README = """# {title}

Your copy of the lab. It holds:

- `{module}.py`: the starter. Write your code where it says `YOUR CODE HERE`; keep the names
  and signatures. This file, alone, is what you hand in.
- `{notebook}`: the lab notebook. It explains each function, checks your work as you go (✓ or
  ✗ with the reason), and ends with *Grade your work*.
- `test_{module}.py`: the graded tests your instructor runs (they may add tests of their own).

## Set up

With Python 3.10 or later, in this folder:

```bash
python -m pip install -r requirements.txt
```

On Colab or Binder, the notebook's first cell does it for you.

## Check your work

Run the notebook top to bottom, or, in this folder:

```bash
python -m pytest
```

Each test says ✓ or ✗; the summary at the end gives your points (the "lab points" line).

## Hand in

`{module}.py`, that file alone, as your instructor asks.
"""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when the autograder image is built.
set -euo pipefail
apt-get install -y -qq python3 python3-pip python3-venv > /dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q -r /autograder/source/requirements.txt
"""
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: the student's {module}.py is in submission/; every
# test (hidden ones included) is graded and written as results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
"$PYTHON" -m cnn_course.labs grade "$ROOT/source/{lab}" "$ROOT/submission" \\
    --format gradescope --out "$ROOT/results/results.json"
"""


def release(lab, out):
    """Write lab ``lab``'s students' copy (a folder and a zip) and its Gradescope autograder zip
    under ``out``; return the paths ``(folder, zip, autograder zip)``."""
    lab = find_lab(lab)
    out = Path(out)
    folder = out / lab.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    shutil.copyfile(lab.starter, folder / lab.starter.name)
    shutil.copyfile(lab.public_tests, folder / lab.public_tests.name)
    (folder / lab.notebook.name).write_text(without_outputs(lab.notebook.read_text()))
    (folder / "conftest.py").write_text(CONFTEST.format(module=lab.module))
    (folder / "requirements.txt").write_text(REQUIREMENTS)
    title = next(cell["source"][0].lstrip("# ").strip() for cell in json.loads(lab.notebook.read_text())["cells"]
                 if cell["cell_type"] == "markdown" and cell["source"][0].startswith("# "))
    (folder / "README.md").write_text(STUDENT_README.format(title=title, module=lab.module,
                                                            notebook=lab.notebook.name))
    archive = _zip(folder, out / f"{lab.name}.zip", prefix=lab.name)

    autograder = out / "gradescope" / f"{lab.name}_autograder.zip"
    autograder.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(autograder, "w", zipfile.ZIP_DEFLATED) as zipped:
        _add(zipped, "setup.sh", SETUP_SH, executable=True)
        _add(zipped, "run_autograder", RUN_AUTOGRADER.format(module=lab.module, lab=lab.name), executable=True)
        _add(zipped, "requirements.txt", REQUIREMENTS)
        for path in [lab.starter, *lab.test_files()]:  # the lab folder: its tests say which lab
            _add(zipped, f"{lab.name}/{path.name}", path.read_text())
    return folder, archive, autograder


def release_all(out):
    """:func:`release` for every lab."""
    return [release(lab, out) for lab in all_labs()]


def without_outputs(notebook_text):
    """The notebook with every output and execution count cleared: students run it themselves,
    and the instructor's outputs come from the solution."""
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _zip(folder, target, prefix):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, f"{prefix}/{path.relative_to(folder)}")
    return target


def _add(zipped, name, text, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zipped.writestr(info, text)
