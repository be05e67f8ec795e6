"""Where the labs are, and each lab's starter generated from its solution.

A lab is a folder (a :class:`~cnn_course.grading.lab.Lab`; in the repository,
``labs/labN_topic/``). The instructor writes ``solution.py`` with every piece of work for the
student fenced by marker lines::

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

import os
from pathlib import Path

from .lab import PUBLIC_TESTS, Lab
from .wheel import CHECKOUT

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HEADER = (
    '# Lab starter: generated from solution.py by `python -m cnn_course.labs generate`.\n'
    '# Write your code where it says "YOUR CODE HERE"; keep the function names and signatures.\n'
)


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
    return in_wheel if in_wheel.is_dir() else CHECKOUT / "labs"


def all_labs(root=None):
    """Every lab under ``root`` (default :func:`labs_root`): each sub-folder holding a lab's tests,
    as a :class:`~cnn_course.grading.lab.Lab`, in the order of their modules (lab1, lab2, ...)."""
    root = labs_root() if root is None else Path(root)
    labs = [Lab.at(path) for path in root.iterdir()
            if path.is_dir() and any(PUBLIC_TESTS.fullmatch(f.name) for f in path.iterdir())]
    return sorted(labs, key=lambda lab: int(lab.module[3:]))


def find_lab(lab, root=None):
    """The :class:`~cnn_course.grading.lab.Lab` for ``lab``: a ``Lab`` (returned as it is), the
    path of a lab's folder (whatever its name: a Gradescope autograder's copy, a renamed
    students' folder), or a name, ``"lab1"``, ``"1"`` or ``"lab1_pixels"``, of a lab under
    ``root`` (default :func:`labs_root`).

    Raises ``ValueError`` naming the known labs when there is no such lab.
    """
    if isinstance(lab, Lab):
        return lab
    if isinstance(lab, Path) or any(separator in str(lab) for separator in ("/", os.sep)):
        return Lab.at(lab)
    wanted = str(lab) if str(lab).startswith("lab") else f"lab{lab}"
    known = all_labs(root)
    for candidate in known:
        if wanted in (candidate.name, candidate.module):
            return candidate
    if str(lab) and Path(lab).is_dir():  # a folder in the working directory, named anything
        return Lab.at(lab)
    raise ValueError(f"lab must be one of {', '.join(c.module for c in known)}; got {lab!r}")


def stale_starters(root=None):
    """The starters whose committed text differs from what :func:`make_starter` generates."""
    return [lab.starter for lab in all_labs(root)
            if not lab.starter.is_file() or lab.starter.read_text() != make_starter(lab.solution.read_text())]
