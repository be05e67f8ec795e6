"""A lab as a value: its folder and files, found once and passed to everything that grades.

A lab is a folder holding its public tests, ``test_labN.py``; the file name says the module
students write (``labN.py``). The folder's own name does not matter: a students' copy
renamed ``my lab 2/``, or a Gradescope autograder's ``/autograder/source/lab2_conv_forward``,
is the same lab. In the repository the folders are ``labs/labN_topic/``; the installed package
carries them, without solutions, as ``cnn_course/lab_files/``.
"""

import re
from dataclasses import dataclass
from pathlib import Path

PUBLIC_TESTS = re.compile(r"test_(lab\d+)\.py")
# The whole lab's points, hidden tests included, as its public test file states them (a
# students' copy has no hidden tests to add up; tests/test_lab_points.py keeps it true).
LAB_POINTS = re.compile(r"^LAB_POINTS = (\d+)\b", re.MULTILINE)


@dataclass(frozen=True)
class Lab:
    """One lab's folder and files. ``solution``, ``hidden_tests`` and ``notebook`` are None
    where the folder has none (a students' copy has no solution and no hidden tests)."""

    folder: Path
    module: str  # "lab2": students write lab2.py
    starter: Path
    solution: Path | None
    public_tests: Path
    hidden_tests: Path | None
    notebook: Path | None

    @classmethod
    def at(cls, folder):
        """The lab in ``folder``, found from its files. Raises ``ValueError`` unless the folder
        holds exactly one lab's public tests."""
        folder = Path(folder).resolve()
        if not folder.is_dir():
            raise ValueError(f"folder must be a lab's folder; got {str(folder)!r}, which is not a folder")
        modules = sorted(m.group(1) for path in folder.iterdir() if (m := PUBLIC_TESTS.fullmatch(path.name)))
        if len(modules) != 1:
            raise ValueError(f"folder must hold one lab's tests (test_labN.py); got {str(folder)!r} with "
                             f"{len(modules)}: {', '.join(f'test_{m}.py' for m in modules) or 'none'}")
        module = modules[0]

        def optional(path):
            return path if path.is_file() else None

        notebooks = sorted(folder.glob("*.ipynb"))
        named = folder / f"{folder.name}.ipynb"
        notebook = named if named.is_file() else (notebooks[0] if len(notebooks) == 1 else None)
        return cls(folder=folder, module=module, starter=folder / f"{module}.py",
                   solution=optional(folder / "solution.py"), public_tests=folder / f"test_{module}.py",
                   hidden_tests=optional(folder / f"test_{module}_hidden.py"), notebook=notebook)

    @property
    def name(self):
        """The folder's name: ``lab2_conv_forward`` in the repository."""
        return self.folder.name

    @property
    def points(self):
        """The lab's total, hidden tests included (``LAB_POINTS`` in the public tests), or None."""
        found = LAB_POINTS.search(self.public_tests.read_text(encoding="utf-8"))
        return int(found.group(1)) if found else None

    def test_files(self, hidden=True):
        """The graded test files: the public ones, and the hidden ones if ``hidden`` and any."""
        return [self.public_tests] + ([self.hidden_tests] if hidden and self.hidden_tests else [])

    def __str__(self):
        return self.module

    __test__ = False  # not a test class (test_files), for pytest
