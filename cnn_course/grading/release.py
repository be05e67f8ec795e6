"""Release a lab to students: a folder and a zip with what they need and nothing they must not see.

``python -m cnn_course.labs release lab2 --out release/`` (or ``release all``) writes::

    release/lab2_conv_forward/          the students' copy
        lab2.py                         the starter
        lab2_conv_forward.ipynb         the lab's reader notebook (plain Jupyter, from notebooks/),
                                        without outputs; its set-up cell installs the wheel beside it
        test_lab2.py                    the public graded tests
        conftest.py                     loads the course's grading plugin, so `python -m pytest` grades
        cnn_course-0.1.0-py3-none-any.whl
                                        the course's package, built from this checkout
        requirements.txt                that wheel, and the versions the course is tested with
        README.md                       for students: how to set up, work, check and hand in
    release/lab2_conv_forward.zip       the same folder, zipped
    release/gradescope/lab2_conv_forward_autograder.zip
                                        for the instructor: Gradescope's setup.sh and run_autograder,
                                        requirements.txt, the wheel, and the lab's folder with every
                                        test, hidden ones included

Nothing installs from the course's repository: a course copied to another organisation, or
graded after the repository moved, installs from the zips. The versions pinned are those of
``binder/requirements.txt`` (:func:`pinned_requirements`), the environment ``make reader-check`` runs
the notebooks and the graded tests in. The texts written (README, conftest.py, requirements,
setup.sh, run_autograder, the set-up cell's install) are files in ``templates/``.

The solution never leaves the instructor's repository, and hidden tests only in the
autograder zip. ``tests/test_release.py`` unpacks every release into an empty folder and
grades it there. A release is reproducible: built twice from one checkout, its zips are the
same byte for byte (the wheel's build is, :mod:`cnn_course.grading.wheel`; every zip entry
is dated ``SOURCE_DATE_EPOCH``, with a fixed mode, in sorted order).
"""

import json
import re
import shutil
import stat
import tempfile
import time
import zipfile
from importlib import resources
from pathlib import Path

from .starters import all_labs, find_lab
from .wheel import build_wheel, checkout, install_line, minimum_python, source_date_epoch, version, wheel_name

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")  # lowercase: the shell's ${ROOT} is left alone
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._\-\[\]]*)==(\S+)")
ZIP_EPOCH = 315532800  # 1980-01-01: a zip cannot date a file earlier


def release(lab, out, wheel=None):
    """Write lab ``lab``'s students' copy (a folder and a zip) and its Gradescope autograder zip
    under ``out``; return the paths ``(folder, zip, autograder zip)``.

    Both zips carry the course package's wheel: ``wheel``, built from this checkout (by
    :func:`~cnn_course.grading.wheel.build_wheel`), or, by default, one built now.
    Raises ``ValueError`` for an unknown lab, a lab without its notebook (an installed copy of
    the package has none: releases are made from the repository), or a ``wheel`` of another
    name than this version's.
    """
    lab = find_lab(lab)
    if lab.notebook is None:
        raise ValueError(f"lab must be a lab of the course's repository, with its notebook; got {str(lab.folder)!r}, "
                         "which has none")
    notebook = reader_notebook(lab)
    course_version = version()
    if wheel is None:
        with tempfile.TemporaryDirectory(prefix="release-wheel-") as folder:
            return release(lab, out, build_wheel(folder))
    wheel = Path(wheel)
    if wheel.name != wheel_name(course_version) or not wheel.is_file():
        raise ValueError(f"wheel must be the course package's wheel at version {course_version}, "
                         f"{wheel_name(course_version)}; got {str(wheel)!r}")

    out = Path(out)
    values = {"version": course_version, "python": minimum_python(), "wheel": wheel.name}
    students = {
        lab.starter.name: lab.starter.read_bytes(),
        lab.public_tests.name: lab.public_tests.read_bytes(),
        lab.notebook.name: students_notebook(notebook.read_text(), wheel.name, course_version).encode(),
        "conftest.py": render("conftest.py.tmpl", module=lab.module).encode(),
        "requirements.txt": render("requirements.txt.tmpl", pins="\n".join(pinned_requirements()),
                                   **values).encode(),
        "README.md": render("README.md.tmpl", title=_title(notebook), module=lab.module,
                            notebook=lab.notebook.name, **values).encode(),
        wheel.name: wheel.read_bytes(),
    }
    folder = out / lab.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in students.items():
        (folder / name).write_bytes(data)
    archive = write_zip(out / f"{lab.name}.zip", {f"{lab.name}/{name}": data for name, data in students.items()})

    autograder = {
        "setup.sh": render("setup.sh.tmpl", python=values["python"]).encode(),
        "run_autograder": render("run_autograder.tmpl", module=lab.module, lab=lab.name).encode(),
        "requirements.txt": render("autograder_requirements.txt.tmpl", pins="\n".join(pinned_requirements()),
                                   version=course_version, wheel=wheel.name).encode(),
        wheel.name: wheel.read_bytes(),
        # the lab's folder: its tests say which lab it is
        **{f"{lab.name}/{path.name}": path.read_bytes() for path in [lab.starter, *lab.test_files()]},
    }
    (out / "gradescope").mkdir(parents=True, exist_ok=True)
    grader = write_zip(out / "gradescope" / f"{lab.name}_autograder.zip", autograder,
                       executable={"setup.sh", "run_autograder"})
    return folder, archive, grader


def release_all(out):
    """:func:`release` for every lab, with one wheel, built once."""
    with tempfile.TemporaryDirectory(prefix="release-wheel-") as folder:
        wheel = build_wheel(folder)
        return [release(lab, out, wheel) for lab in all_labs()]


def pinned_requirements(root=None):
    """Every ``name==version`` line of ``binder/requirements.txt`` in the checkout ``root``, in
    its order: the versions ``make reader-check`` runs the notebooks and the graded tests with."""
    lines = (checkout(root) / "binder" / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if PIN.fullmatch(line.strip())]


def render(template, **values):
    """The text of ``templates/<template>`` with each ``{name}`` replaced by ``values[name]``.
    Raises ``ValueError`` when the template and ``values`` do not name the same placeholders."""
    text = (resources.files(__package__) / "templates" / template).read_text()
    named = set(PLACEHOLDER.findall(text))
    if named != set(values):
        raise ValueError(f"values must fill the placeholders of {template}, {sorted(named)}; "
                         f"got {sorted(values)}")
    return PLACEHOLDER.sub(lambda found: str(values[found[1]]), text)


def reader_notebook(lab):
    """The lab's reader notebook, ``notebooks/labs/<lab>/<lab>.ipynb`` in the checkout: the lab
    notebook as plain Jupyter shows it (no MyST), which the book's build generates. Raises
    ``ValueError`` when it is missing."""
    path = lab.folder.parent.parent / "notebooks" / "labs" / lab.name / lab.notebook.name
    if not path.is_file():
        raise ValueError(f"lab {lab.module} needs its reader notebook, {path}, which does not exist: "
                         "run `make generated`")
    return path


def students_notebook(notebook_text, wheel, course_version):
    """The lab notebook as students get it: :func:`without_outputs`, and its set-up cell's
    install line (:func:`~cnn_course.grading.wheel.install_line`) replaced by an install of
    the wheel named ``wheel`` when that file is beside the notebook, the same line otherwise.
    Raises ``ValueError`` unless the set-up cell has that install line for ``course_version``."""
    notebook = json.loads(without_outputs(notebook_text))
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    source, line = "".join(cell["source"]), install_line(course_version)
    found = re.search(rf"^([ \t]*){re.escape(line)}$", source, re.M)
    if found is None:
        raise ValueError(f"notebook_text's set-up cell must install cnn-course {course_version} with {line!r}; "
                         f"got:\n{source}")
    block = render("setup_cell_install.py.tmpl", wheel=wheel, install_line=line).rstrip("\n")
    indented = "\n".join(found[1] + row if row else row for row in block.splitlines())
    cell["source"] = (source[:found.start()] + indented + source[found.end():]).splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def without_outputs(notebook_text):
    """The notebook with every output and execution count cleared: students run it themselves,
    and the instructor's outputs come from the solution."""
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell.get("metadata", {}).pop("execution", None)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write_zip(target, files, executable=()):
    """Zip ``files`` (``{name in the zip: bytes}``) into ``target`` and return its path.

    Reproducible: entries in sorted order, each dated ``SOURCE_DATE_EPOCH``, mode 644 (755 for
    the names in ``executable``), so the same files give the same zip, byte for byte.
    """
    date = time.gmtime(max(source_date_epoch(), ZIP_EPOCH))[:6]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=date)
            info.create_system = 3  # Unix, wherever it is written, so that the modes below hold
            info.external_attr = (stat.S_IFREG | (0o755 if name in executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, files[name])
    return Path(target)


def _title(notebook):
    """The notebook's title: its first Markdown heading."""
    return next(cell["source"][0].lstrip("# ").strip() for cell in json.loads(notebook.read_text())["cells"]
                if cell["cell_type"] == "markdown" and cell["source"][0].startswith("# "))
