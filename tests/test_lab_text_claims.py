"""Numbers the lab notebooks' Markdown states, computed: a sentence that drifts from what the
code does fails here.

Lab 6, "To think about" 2: RMSprop's first step, from v = 0, moves a weight by
η|g|/√((1−ρ)g² + ε). It is about η/√(1−ρ) ≈ 3.2η only where |g| is well above
√(ε/(1−ρ)) = 1e-3; below that ε dominates the square root and the step shrinks with the
gradient (0.03η at |g| = 1e-5). The sentence once said 3.2η "whatever the size of its
gradient", which is false for small gradients (chapter 7 says it right).

Every function a student writes is called, with its arguments, in the notebook's prose:
the prose states each task, so the Chinese edition, which translates prose but not
docstrings, states every task too.
"""

import ast
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cnn_course.grading.runner import load_module

ROOT = Path(__file__).resolve().parent.parent
LAB6 = ROOT / "labs" / "lab6_numpy_training"


def markdown(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def think_about(notebook: Path, number: int) -> str:
    """Item `number` of the notebook's "To think about" list, as one line of Markdown."""
    text = markdown(notebook).split("## To think about", 1)[1].split("\n## ", 1)[0]
    items = {}
    for line in text.splitlines():
        if line[:1].isdigit() and ". " in line[:4]:
            current = int(line.split(".", 1)[0])
            items[current] = line.split(". ", 1)[1]
        elif line.startswith("   ") and items:
            items[current] += " " + line.strip()
    return items[number]


@pytest.fixture(scope="module")
def first_step():
    """The distance a weight moves in RMSprop's first step, per η, by the lab's solution
    (whose rmsprop_update the graded tests compare with Keras'), with Keras' defaults."""
    solution = load_module(LAB6 / "solution.py", "lab6_solution_for_claims")
    eta = 1e-3

    def step(gradient):
        param = np.zeros(1)
        moved, _ = solution.rmsprop_update(param, np.array([gradient]), np.zeros(1), learning_rate=eta)
        return abs(moved[0]) / eta

    return step


def test_the_first_step_is_3_2_eta_only_for_gradients_well_above_1e_3(first_step):
    rho, epsilon = 0.9, 1e-7
    threshold = math.sqrt(epsilon / (1 - rho))
    assert threshold == pytest.approx(1e-3)
    assert 1 / math.sqrt(1 - rho) == pytest.approx(3.2, abs=0.05)
    for gradient in (1e-2, 1.0, 1e3):
        assert first_step(gradient) == pytest.approx(3.2, abs=0.06)
    assert first_step(1e-3) < 2.3  # at the threshold ε already counts as much as the gradient
    assert first_step(1e-5) == pytest.approx(0.03, abs=0.002)
    assert first_step(1e-5) == pytest.approx(1e-5 / math.sqrt(epsilon), rel=1e-3)


def test_lab6_says_so():
    item = think_about(LAB6 / "lab6_numpy_training.ipynb", 2)
    assert "RMSprop" in item
    for said in (r"3.2\,\eta", r"10^{-3}", r"0.03\,\eta", r"|g| = 10^{-5}", r"\epsilon"):
        assert said in item, f"lab 6's 'To think about' 2 no longer says {said!r}: {item}"
    assert "whatever the size of its gradient" not in item


LABS = sorted(p for p in (ROOT / "labs").glob("lab*_*") if p.is_dir())


def students_functions(starter: Path) -> dict[str, list[str]]:
    """``{name: [parameter names]}`` of the starter's public functions whose body the student
    writes (a private helper's task is in the Raises of the public functions that call it)."""
    tree = ast.parse(starter.read_text(encoding="utf-8"))
    return {node.name: [a.arg for a in node.args.args] for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
            and "NotImplementedError" in ast.unparse(node)}


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.name)
def test_the_notebook_prose_states_every_task(lab):
    starter = next(lab.glob("lab[0-9].py"))
    text = markdown(lab / f"{lab.name}.ipynb")
    functions = students_functions(starter)
    assert functions
    unstated = [f"{name}({', '.join(args)})" for name, args in functions.items()
                if not re.search(rf"`{name}\({re.escape(args[0]) if args else ''}", text)]
    assert not unstated, f"say in the notebook's Markdown what each of these does, with a call: {unstated}"
