"""The course package as a release ships it: its version, its wheel, and the notebooks' install line.

A release (:mod:`cnn_course.grading.release`) carries a wheel of this package built from the
checkout, so students and Gradescope install it from the zip, never from the course's
repository, and get exactly the code the release was made with. Colab, which has only the
notebook, installs the same version from its tag: :func:`install_line`, the line every
notebook's set-up cell runs when ``cnn_course`` is missing.

Builds are reproducible: one checkout gives the same wheel, byte for byte. setuptools writes
the files in sorted order and dates them ``SOURCE_DATE_EPOCH`` (:func:`source_date_epoch`);
the file modes, which it copies from the sources, are normalised here.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/cnn-course/cnn-course"
# 2026-01-01 00:00:00 UTC: the date of every file in the wheel and in a release's zips, unless
# SOURCE_DATE_EPOCH (the reproducible-builds convention) says otherwise.
DEFAULT_EPOCH = 1767225600
# What the wheel is built from (pyproject.toml's readme, licence, packages and package data):
# copying only these keeps anything else in the checkout (a release/ folder, say) out of the build.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cnn_course", "labs")
NOT_SOURCES = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", ".pytest_cache",
                                     ".hypothesis", "build")


def checkout(root=None):
    """``root`` (default: the checkout this package was imported from) as a ``Path``; raises
    ``ValueError`` unless it is a checkout of the course's repository."""
    root = Path(CHECKOUT if root is None else root)
    if not ((root / "pyproject.toml").is_file() and (root / "labs").is_dir()):
        raise ValueError(f"root must be a checkout of the course's repository (with pyproject.toml and labs/); "
                         f"got {str(root)!r}, which is not one (an installed copy of the package?)")
    return root


def project(root=None):
    """pyproject.toml's ``[project]`` table."""
    return tomllib.loads((checkout(root) / "pyproject.toml").read_text())["project"]


def version(root=None):
    """The package's version, from pyproject.toml: ``"0.1.0"``."""
    return project(root)["version"]


def minimum_python(root=None):
    """The oldest Python the package supports, from pyproject.toml's ``requires-python``: ``"3.11"``."""
    requires = project(root)["requires-python"]
    found = re.fullmatch(r">=\s*(\d+\.\d+)", requires.strip())
    if not found:
        raise ValueError(f"requires-python must read '>=X.Y'; got {requires!r}")
    return found[1]


def install_requirement(version):
    """The package at ``version``, from its tag in the course's repository (what Colab installs)."""
    return f"cnn-course @ git+{REPOSITORY}@v{version}"


def install_line(version):
    """The line every notebook's set-up cell runs when ``cnn_course`` is missing: the package of
    ``version``, from its tag (never a moving main), and nothing else, so Colab keeps its own
    TensorFlow, NumPy and matplotlib."""
    return f'%pip install -q "{install_requirement(version)}"'


def wheel_name(version):
    """The file name of the package's wheel at ``version``."""
    return f"cnn_course-{version}-py3-none-any.whl"


def source_date_epoch():
    """Seconds since 1970 that date every file of the wheel and of a release's zips:
    ``$SOURCE_DATE_EPOCH`` if set, else :data:`DEFAULT_EPOCH`."""
    given = os.environ.get("SOURCE_DATE_EPOCH", str(DEFAULT_EPOCH))
    if not given.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970; got {given!r}")
    return int(given)


def build_wheel(out_dir, root=None):
    """Build the package's wheel from the checkout ``root`` (default: this one) into ``out_dir``;
    return its path.

    Built from a copy of :data:`WHEEL_SOURCES`: setuptools writes build/ beside the sources,
    and a stale build/ could slip old files into the wheel. Offline with this environment's
    setuptools when it has one (the authors' .venv), else in pip's isolated build environment.
    Reproducible: ``SOURCE_DATE_EPOCH`` dates every file (setuptools' wheel writer reads it and
    sorts the files), and every file is copied with mode 644, whatever the checkout's umask.
    Raises ``RuntimeError`` with pip's message if the build fails.
    """
    root = checkout(root)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    offline = importlib.util.find_spec("setuptools") is not None
    with tempfile.TemporaryDirectory(prefix="wheel-source-") as folder:
        source = Path(folder) / "cnn-course"
        source.mkdir()
        for name in WHEEL_SOURCES:
            if (root / name).is_dir():
                shutil.copytree(root / name, source / name, ignore=NOT_SOURCES)
            else:
                shutil.copyfile(root / name, source / name)
        for path in source.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                               *(["--no-build-isolation", "--no-index"] if offline else []),
                               "--wheel-dir", str(out_dir), str(source)],
                              env={**os.environ, "SOURCE_DATE_EPOCH": str(source_date_epoch())},
                              capture_output=True, text=True)
    wheel = out_dir / wheel_name(version(root))
    if done.returncode != 0 or not wheel.is_file():  # setuptools' warnings otherwise: not worth a screen
        raise RuntimeError(f"building the course package's wheel failed:\n{done.stderr[-3000:]}")
    return wheel
