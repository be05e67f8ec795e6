"""The task as written agrees with what the tests grade, where a machine can read both.

Every ``pytest.raises(ValueError, match=...)`` in a lab's tests (hidden ones included) must
match a whole word, and that word must be written, in double backticks, in the docstring of
the function the test called or of a lab function the error passed through: the starter's
docstring is the student's task, so a message test may only ask for a name the task names.
The records come from running each lab's input-validation tests on its solution with
``tools/error_words.py``.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")
WORD = re.compile(r"^(?:\\b|\(\?<!\[\\w\]\))(.+?)(?:\\b|\(\?!\[\\w\]\))$")


def docstrings(starter):
    """``{function name: docstring}`` of a starter, read without importing it."""
    tree = ast.parse(starter.read_text(encoding="utf-8"))
    return {node.name: ast.get_docstring(node) or "" for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def error_checks(lab, tmp_path):
    out = tmp_path / f"{lab.module}.json"
    env = {**os.environ, "ERROR_WORDS_OUT": str(out)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *map(str, lab.test_files()), "-q", "-p", "no:cacheprovider",
         "-p", "cnn_course.grading.plugin", "-p", "tools.error_words", "-k", "reject or bad"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("lab", LABS, ids=[lab.module for lab in LABS])
def test_every_error_word_a_test_asks_for_is_in_the_task(lab, tmp_path):
    checks = error_checks(lab, tmp_path)
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
