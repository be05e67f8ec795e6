"""The task as written agrees with what the tests grade, where a machine can read both.

The starter's docstrings are the student's task. Each lab's tests (hidden ones included) run
on its solution with ``tools/task_probe.py``, which records what they ask, and:

- every ``pytest.raises(ValueError, match=...)`` must match a whole word, written, in double
  backticks, in the docstring of the function the test called or of a lab function the error
  passed through: a message test may only ask for a name the task names;
- every lab function that returns arrays must state their dtype in its Returns section, and
  every call the tests made must follow the stated rule ("float32 array", "the dtype of
  ``x``", "same dtype and values", lab 2's and lab 3's rules for two inputs). The tests pass
  on the solution, so what they expect is what the docstring says.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")
# each lab's two tests on one xdist worker, so that they share one probe run
BY_LAB = pytest.mark.parametrize("lab", [pytest.param(lab, id=lab.module, marks=pytest.mark.xdist_group(
    f"task-probe-{lab.module}")) for lab in LABS])
WORD = re.compile(r"^(?:\\b|\(\?<!\[\\w\]\))(.+?)(?:\\b|\(\?!\[\\w\]\))$")


def docstrings(starter):
    """``{function name: docstring}`` of a starter, read without importing it."""
    tree = ast.parse(starter.read_text(encoding="utf-8"))
    return {node.name: ast.get_docstring(node) or "" for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


# Lab 5 trains Keras models in most of its tests: its probe runs the ones that do not.
SKIP_SLOW = {"lab5": ["-k", "not learns and not train_and_evaluate_uses and not one_epoch"]}


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    """``{lab module: what tools/task_probe.py recorded}``, each lab's tests run once."""
    return {}


def probe(lab, probes, tmp_path):
    if lab.module not in probes:
        out = tmp_path / f"{lab.module}.json"
        env = {**os.environ, "TASK_PROBE_OUT": str(out)}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *map(str, lab.test_files()), "-q", "-p", "no:cacheprovider",
             "-p", "cnn_course.grading.plugin", "-p", "tools.task_probe", *SKIP_SLOW.get(lab.module, [])],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        probes[lab.module] = json.loads(out.read_text())
    return probes[lab.module]


def returns_section(doc):
    found = re.search(r"Returns\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+|\Z)", doc, re.S)
    return " ".join(found.group(1).split()) if found else ""


def dtype_rule(returns):
    """The dtype rule a Returns section states, as ``rule(inputs, outputs) -> wanted dtype``
    (inputs: argument name -> dtype; None when it names no argument of the call), or None."""
    if "float32 for float32 (or integer) inputs, float64 if either input is float64" in returns:
        return lambda inputs, outputs: "float64" if "float64" in (inputs.get("x"), inputs.get("w")) else "float32"
    if "float32 when ``x`` and ``w`` are float32 (NumPy's type promotion otherwise)" in returns:
        return lambda inputs, outputs: str(np.result_type(inputs["x"], inputs["w"]))
    named = re.search(r"(?:dtype of|same dtype as) ``(\w+)``", returns)
    if named:
        return lambda inputs, outputs: inputs.get(named.group(1))
    if "same dtype and values" in returns:
        return lambda inputs, outputs: next(iter(inputs.values()), None)
    if re.search(r"\bfloat32 arrays?\b", returns):
        return lambda inputs, outputs: "float32"
    return None


@BY_LAB
def test_every_dtype_the_tests_see_is_the_one_the_task_states(lab, probes, tmp_path):
    docs = docstrings(lab.starter)
    problems = []
    for call in probe(lab, probes, tmp_path)["dtypes"]:
        rule = dtype_rule(returns_section(docs.get(call["function"], "")))
        if rule is None:
            problems.append(f"{call['function']} returns {call['outputs']} but its Returns section states no dtype")
            continue
        wanted = rule(call["inputs"], call["outputs"])
        if wanted is not None and any(dtype != wanted for dtype in call["outputs"]):
            problems.append(f"{call['function']} on {call['inputs']} returned {call['outputs']}; "
                            f"its docstring says {wanted}")
    assert not problems, "\n".join(sorted(set(problems)))


@BY_LAB
def test_every_error_word_a_test_asks_for_is_in_the_task(lab, probes, tmp_path):
    checks = probe(lab, probes, tmp_path)["errors"]
    assert checks, f"{lab.module}: no input-validation test ran"
    docs = docstrings(lab.starter)
    problems = []
    for check in checks:
        found = WORD.match(check["pattern"])
        if not found:
            problems.append(f"{check['test']}: match={check['pattern']!r} is not a whole word (\\b...\\b)")
            continue
        word = re.sub(r"\\(.)", r"\1", found.group(1))
        written = [name for name in [check["function"], *check["inner"]]
                   if re.search(rf"``[^`]*(?<![\w]){re.escape(word)}(?![\w])[^`]*``", docs.get(name, ""))]
        if not written:
            problems.append(f"{check['test']}: expects {word!r} in {check['function']}'s message, "
                            f"which its docstring never names")
    assert not problems, "\n".join(problems)
