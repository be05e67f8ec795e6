"""The labs' oracles: TensorFlow and Keras imported when a test first calls them, and lab 1's
one-hot reference equal to Keras'.

Every graded run collects the lab's tests first, in a process of its own; TensorFlow takes
seconds to import, so collecting must not import it, and lab 1, whose tests need no
oracle, is graded without it (a class of lab-1 files is graded about four times faster).
"""

import functools
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



def _avg_pool_same(v, tf, pool, stride):
    return tf.nn.avg_pool2d(tf.constant(v), [pool, 1], [stride, 1], "SAME").numpy()


def test_tensorflow_average_pooling_gradient_is_wrong_only_where_lab_4_says():
    """TensorFlow 2.21's float64 gradient of avg_pool2d is wrong for some "same" windows (longer
    than the input, two or more padding cells before it). Lab 4's tests keep those cases away
    from the TensorFlow oracle (``tf_avg_pool_gradient_is_wrong``): here, every case where
    TensorFlow disagrees with centred finite differences of its own forward pass, along one
    axis up to 7 long, must be one it excludes, and none can be drawn by lab 4's random cases,
    whose windows are at most 3 long. (A TensorFlow that fixes it passes too.)"""
    import importlib.util

    from cnn_course.gradcheck import numerical_gradient
    from cnn_course.grading.oracles import tf

    path = Path(__file__).resolve().parent.parent / "labs" / "lab4_pooling" / "test_lab4.py"
    spec = importlib.util.spec_from_file_location("lab4_tests_for_the_oracle", path)
    lab4_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab4_tests)
    rng = np.random.default_rng(0)
    wrong = []
    for side in range(1, 8):
        for pool in range(1, 10):
            for stride in range(1, 4):
                x = rng.normal(size=(1, side, 2, 1))
                forward = functools.partial(_avg_pool_same, tf=tf, pool=pool, stride=stride)
                dy = rng.normal(size=forward(x).shape)
                tape = lab4_tests.tape_gradient(tf.nn.avg_pool2d, x, dy, (pool, 1), (stride, 1), "same")
                if not np.allclose(tape, numerical_gradient(forward, x, dy, h=1e-3), atol=1e-6):
                    wrong.append((side, pool, stride))
    missed = [(side, pool, stride) for side, pool, stride in wrong if not lab4_tests.tf_avg_pool_gradient_is_wrong(
        (1, side, 2, 1), (pool, 1), (stride, 1), "same")]
    assert not missed, f"TensorFlow's gradient is wrong where lab 4 still uses it (side, pool, stride): {missed}"
    assert all(pool > 3 for _, pool, _ in wrong), f"lab 4's random windows reach a wrong case: {wrong}"
