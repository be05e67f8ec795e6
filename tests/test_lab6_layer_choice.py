"""Lab 6 composes the student's own convolution (``lab3.py``) and pooling (``lab4.py``) when
they sit in the working directory and work, and the course's reference layers
(``cnn_course.layers``) otherwise (``cnn_course.lab_layers``); ``LAYERS_USED`` says which, and
why. Each case imports lab 6 (its solution, as ``lab6.py``) in a fresh process, in a folder
holding only the files named, and prints ``LAYERS_USED``: importing it prints nothing."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABS = ROOT / "labs"
LAB6 = LABS / "lab6_numpy_training/solution.py"
SHOW = ("import lab6; print(lab6.LAYERS_USED); print('MODULES', lab6.conv2d.__module__, "
        "lab6.conv2d_backward.__module__, lab6.max_pool2d.__module__, lab6.max_pool2d_backward.__module__)")


def import_lab6(folder, files):
    """Import lab6.py in ``folder`` beside ``files`` ({name: text}); (printed lines, modules)."""
    (folder / "lab6.py").write_text(LAB6.read_text())
    for name, text in files.items():
        (folder / name).write_text(text)
    run = subprocess.run([sys.executable, "-c", SHOW], cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    return lines[:-1], lines[-1].split()[1:]


def solution(lab):
    return (LABS / lab / "solution.py").read_text()


def starter(lab, name):
    return (LABS / lab / name).read_text()


def test_alone_it_uses_the_reference_layers_and_says_so(tmp_path):
    printed, modules = import_lab6(tmp_path, {})
    assert modules == ["cnn_course.layers"] * 4
    assert printed == ["lab6 uses",
                       "- conv2d and conv2d_backward: the course's reference (no lab3.py in the working directory)",
                       "- max_pool2d and max_pool2d_backward: the course's reference "
                       "(no lab4.py in the working directory)"]


def test_working_lab3_and_lab4_files_are_used(tmp_path):
    printed, modules = import_lab6(tmp_path, {"lab3.py": solution("lab3_fast_conv"),
                                              "lab4.py": solution("lab4_pooling")})
    assert modules == ["_lab6_uses_lab3"] * 2 + ["_lab6_uses_lab4"] * 2
    assert "- conv2d and conv2d_backward: yours, from lab3.py" in printed
    assert "- max_pool2d and max_pool2d_backward: yours, from lab4.py" in printed


@pytest.mark.parametrize("lab3, lab4, reasons", [
    (starter("lab3_fast_conv", "lab3.py"), "def max_pool2d(x:\n",
     ["lab3.py is not finished (NotImplementedError)", "lab4.py could not be imported (SyntaxError"]),
    (solution("lab3_fast_conv") + "\n\ndef conv2d(x, w, b=None, stride=1, padding='valid'):\n"
                                  "    return 0 * x[:, :-2, :-2, :1]\n",
     solution("lab4_pooling").replace("def max_pool2d_backward(dy, cache):",
                                      "def max_pool2d_backward(dy, cache):\n    raise KeyError('where')"),
     ["its conv2d gives a wrong result", "lab4.py raised KeyError"]),
], ids=["unfinished-and-broken", "wrong-and-raising"])
def test_unfinished_broken_or_wrong_files_fall_back_to_the_reference(tmp_path, lab3, lab4, reasons):
    printed, modules = import_lab6(tmp_path, {"lab3.py": lab3, "lab4.py": lab4})
    assert modules == ["cnn_course.layers"] * 4
    text = "\n".join(printed)
    for reason in reasons:
        assert reason in text, text


def test_importing_lab6_prints_nothing(tmp_path):
    for name in ("solution.py", "lab6.py"):
        (tmp_path / "lab6.py").write_text((LABS / "lab6_numpy_training" / name).read_text())
        run = subprocess.run([sys.executable, "-c", "import lab6"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0 and run.stdout == "", (name, run.stdout, run.stderr)
