"""The labs' oracles: TensorFlow and Keras imported when a test first calls them, and lab 1's
one-hot reference equal to Keras'.

Every graded run collects the lab's tests first, in a process of its own; TensorFlow takes
seconds to import, so collecting must not import it, and lab 1, whose tests need no
oracle, is graded without it (a class of lab-1 files is graded about four times faster).
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from cnn_course.grading.oracles import LazyModule

LABS = Path(__file__).resolve().parent.parent / "labs"


def _modules_after(pytest_args):
    """The modules a fresh process holds after ``pytest pytest_args`` (with the grading plugin)."""
    script = textwrap.dedent(f"""
        import sys
        import pytest
        code = pytest.main({[*map(str, pytest_args)]!r} + ["-p", "cnn_course.grading.plugin", "-q",
                                                           "-p", "no:cacheprovider"])
        print("EXIT", int(code))
        print("MODULES", " ".join(sorted(sys.modules)))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                         cwd=LABS.parent, timeout=300)
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if line.startswith(("EXIT", "MODULES")))
    assert lines.get("EXIT") == "0", run.stdout[-2000:] + run.stderr[-2000:]
    return set(lines["MODULES"].split())


def test_collecting_every_lab_imports_no_tensorflow():
    modules = _modules_after(["--collect-only", *sorted(LABS.glob("*/test_lab*.py"))])
    assert "tensorflow" not in modules and "keras" not in modules


def test_lab_1_is_graded_without_tensorflow():
    modules = _modules_after(sorted((LABS / "lab1_pixels").glob("test_lab*.py")))
    assert "tensorflow" not in modules and "keras" not in modules


@pytest.mark.parametrize("labels, num_classes", [
    ([5, 0, 4, 1, 9, 2], 10),
    ([2, 2, 0, 1, 2], 4),  # a class that never occurs
    ([0], 1),
    (list(range(7)), 7),
])
def test_lab_1_one_hot_reference_is_keras_to_categorical(labels, num_classes):
    sys.path.insert(0, str(LABS / "lab1_pixels"))
    try:
        from test_lab1 import one_hot_reference
    finally:
        sys.path.remove(str(LABS / "lab1_pixels"))
    for dtype in (np.uint8, np.int64):
        labels_array = np.array(labels, dtype=dtype)
        np.testing.assert_array_equal(one_hot_reference(labels_array, num_classes),
                                      keras.utils.to_categorical(labels_array, num_classes))


def test_a_lazy_module_imports_on_first_use_and_hides_private_names():
    lazy = LazyModule("json")
    assert lazy.dumps([1]) == "[1]"
    with pytest.raises(AttributeError):
        _ = lazy.__wrapped__  # what pytest probes while it collects: never an import
