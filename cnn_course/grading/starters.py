"""Where the labs are, and each lab's starter generated from its solution.

A lab is a folder ``labN_topic/`` (in the repository, under ``labs/``). The instructor
writes ``solution.py`` with every piece of work for the student fenced by marker lines::

    def normalize(images):
        \"\"\"Docstring the student keeps.\"\"\"
        # BEGIN SOLUTION
        ...
        # END SOLUTION

:func:`make_starter` replaces each fenced region by ``# YOUR CODE HERE`` and
``raise NotImplementedError``, giving ``labN.py``, the file students edit and hand in.
The lab's graded tests, ``test_labN.py``, sit beside it.

The installed package carries every lab folder without its solution, as
``cnn_course/lab_files/`` (pyproject.toml maps ``labs/`` there), so a notebook opened alone
on Colab or Binder can fetch its starter and run its tests.
"""

import re
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HEADER = (
    '# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.\n'
    '# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.\n'
)
LAB_FOLDER = re.compile(r"(lab\d+)_\w+")


def make_starter(solution_source):
    """Return the student's starter: ``solution_source`` with every solution region replaced.

    Raises ``ValueError`` on unbalanced or nested markers, so a typo in a solution file is
    caught when its starter is generated rather than by a student.
    """
    out, inside, opened_at = [HEADER], False, 0
    for number, line in enumerate(solution_source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN!r} inside the region opened on line {opened_at}")
            inside, opened_at = True, number
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f"{indent}raise NotImplementedError\n")
        elif stripped == END:
            if not inside:
                raise ValueError(f"line {number}: {END!r} without a matching {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"line {opened_at}: {BEGIN!r} is never closed by {END!r}")
    return "".join(out)


def labs_root():
    """The folder holding the lab folders: ``labs/`` in a checkout or an editable install,
    ``cnn_course/lab_files/`` in an installed wheel (which has no solutions)."""
    in_wheel = Path(__file__).resolve().parent.parent / "lab_files"
    return in_wheel if in_wheel.is_dir() else Path(__file__).resolve().parents[2] / "labs"


def lab_dirs(root=None):
    """Every lab folder (``labN_topic``) under ``root`` (default :func:`labs_root`), sorted."""
    root = labs_root() if root is None else Path(root)
    return sorted(path for path in root.iterdir() if path.is_dir() and LAB_FOLDER.fullmatch(path.name))


def lab_module_name(lab_dir):
    """``labs/lab1_pixels`` -> ``"lab1"``: the starter's module name."""
    match = LAB_FOLDER.fullmatch(Path(lab_dir).name)
    if match is None:
        raise ValueError(f"lab_dir must be a folder named like 'lab1_pixels'; got {Path(lab_dir).name!r}")
    return match.group(1)


def starter_path(lab_dir):
    """``labs/lab1_pixels`` -> ``labs/lab1_pixels/lab1.py``."""
    return Path(lab_dir) / f"{lab_module_name(lab_dir)}.py"


def test_path(lab_dir):
    """``labs/lab1_pixels`` -> ``labs/lab1_pixels/test_lab1.py``: the lab's graded tests."""
    return Path(lab_dir) / f"test_{lab_module_name(lab_dir)}.py"


def hidden_test_path(lab_dir):
    """``labs/lab1_pixels`` -> ``labs/lab1_pixels/test_lab1_hidden.py``: tests that grade but
    are not released to students (each marked ``@pytest.mark.hidden``)."""
    return Path(lab_dir) / f"test_{lab_module_name(lab_dir)}_hidden.py"


def test_paths(lab_dir, hidden=True):
    """The lab's graded test files: the public ones, and the hidden ones if ``hidden`` and any."""
    paths = [test_path(lab_dir)]
    if hidden and hidden_test_path(lab_dir).is_file():
        paths.append(hidden_test_path(lab_dir))
    return paths


test_path.__test__ = hidden_test_path.__test__ = test_paths.__test__ = False  # helpers, not tests


def find_lab(name, root=None):
    """The lab folder for ``name``: ``"lab1"``, ``"1"`` or ``"lab1_pixels"``, or the path of a lab
    folder anywhere (a Gradescope autograder's copy, holding the tests).

    Raises ``ValueError`` naming the known labs when there is no such lab.
    """
    if Path(name).is_dir() and LAB_FOLDER.fullmatch(Path(name).resolve().name):
        return Path(name).resolve()
    wanted = str(name) if str(name).startswith("lab") else f"lab{name}"
    folders = lab_dirs(root)
    for lab_dir in folders:
        if wanted in (lab_dir.name, lab_module_name(lab_dir)):
            return lab_dir
    known = ", ".join(lab_module_name(d) for d in folders)
    raise ValueError(f"lab must be one of {known}; got {name!r}")


def stale_starters(root=None):
    """The starters whose committed text differs from what :func:`make_starter` generates."""
    return [starter_path(d) for d in lab_dirs(root)
            if not starter_path(d).is_file()
            or starter_path(d).read_text() != make_starter((d / "solution.py").read_text())]
