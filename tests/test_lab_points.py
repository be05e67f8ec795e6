"""Each lab's points by skill: every graded test names its skill; the lab's core computation
carries most of the points and input validation at most a quarter; and the table in
labs/README.md ("Points by skill") is what the tests add up to, hidden tests included, so
it cannot go stale."""

import re
from pathlib import Path

import pytest

from cnn_course import labs
from cnn_course.grading import runner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "labs" / "README.md"
LABS = [lab.module for lab in labs.all_labs(ROOT / "labs")]
VALIDATION = "input validation"

# The skills that make each lab's core computation: together at least half the lab's points.
CORE = {
    "lab1": ["from RGB bytes to a model's input", "grayscale (BT.601 weights)",
             "scaling pixels to [0, 1]", "channel and batch axes"],
    "lab2": ["conv2d: windows without padding", "conv2d: same padding", "conv2d: stride",
             "conv2d: channels and batch", "conv2d: bias", "conv2d: dtype",
             "conv2d: everything at once (against TensorFlow)"],
    "lab3": ["conv2d forward (against TensorFlow)", "conv2d backward: dx, dw, db (against TensorFlow)",
             "gradients (finite differences)"],
    "lab4": ["max pooling (forward and backward)", "average pooling (forward and backward)",
             "gradients (finite differences)"],
    "lab5": ["the convnet learns (end to end)", "building the model (Keras)",
             "training (epochs, batch size, test set)"],
    "lab6": ["whole network forward and backward", "training step"],
}


def points_by_skill(lab):
    """``{skill: (points, hidden points)}`` of lab ``lab``'s graded tests, hidden ones included."""
    skills = {}
    for test in runner.lab_tests(lab):
        points, hidden = skills.get(test["skill"], (0, 0))
        skills[test["skill"]] = (points + test["points"], hidden + (test["points"] if test["hidden"] else 0))
    return {skill: (round(p, 2), round(h, 2)) for skill, (p, h) in skills.items()}


def readme_table():
    """``{lab: {skill: (points, hidden points)}}`` as labs/README.md's "Points by skill" table says."""
    section = README.read_text().split("## Points by skill", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"lab\d+", cells[0]) and cells[1] != "**total**":
            table.setdefault(cells[0], {})[cells[1]] = (float(cells[2]), float(cells[3] or 0))
    return table


def markdown(lab):
    """The README's rows for lab ``lab``, largest skill first (to paste when points change)."""
    skills = sorted(points_by_skill(lab).items(), key=lambda item: (-item[1][0], item[0]))
    rows = [f"| {lab} | {skill} | {p:g} | {h:g} |" for skill, (p, h) in skills]
    total = sum(p for p, _ in points_by_skill(lab).values())
    return "\n".join(rows + [f"| {lab} | **total** | {total:g} | |"])


@pytest.mark.parametrize("lab_name", LABS)
def test_every_lab_test_names_its_skill(lab_name):
    unnamed = [t["test"] for t in runner.lab_tests(lab_name) if not t["skill"]]
    assert not unnamed, f"give these a @pytest.mark.skill(...): {unnamed}"


@pytest.mark.parametrize("lab_name", LABS)
def test_core_skills_carry_most_and_validation_at_most_a_quarter(lab_name):
    skills = points_by_skill(lab_name)
    total = sum(p for p, _ in skills.values())
    assert total % 10 == 0, f"{lab_name}: a total easy to read, a multiple of 10; got {total:g}"
    assert lab_name in CORE, f"{lab_name}: name its core skills in CORE"
    unknown = set(CORE[lab_name]) - set(skills)
    assert not unknown, f"{lab_name}: CORE names skills that no test has: {unknown}"
    core = sum(skills[s][0] for s in CORE[lab_name])
    assert core / total >= 0.5, f"{lab_name}: the core skills carry {core:g} of {total:g} points"
    validation = skills.get(VALIDATION, (0, 0))[0]
    assert validation / total <= 0.25, f"{lab_name}: input validation carries {validation:g} of {total:g} points"


# A bug costs what it breaks: no test function grades a whole skill at once. Lab 5's end-to-end
# test is the exception: one model, trained once, learns or does not.
MOST_FOR_ONE_TEST = 0.25
ONE_TEST_EXCEPTIONS = {"test_the_convnet_learns"}


@pytest.mark.parametrize("lab_name", LABS)
def test_no_test_function_carries_more_than_a_quarter_of_the_lab(lab_name):
    tests = runner.lab_tests(lab_name)
    total = sum(t["points"] for t in tests)
    by_function = {}
    for t in tests:
        function = t["test"].split("::")[-1].split("[")[0]
        by_function[function] = by_function.get(function, 0) + t["points"]
    heavy = {f: round(p, 2) for f, p in by_function.items()
             if p > MOST_FOR_ONE_TEST * total and f not in ONE_TEST_EXCEPTIONS}
    assert not heavy, f"{lab_name}: split these over the aspects they grade (of {total:g} points): {heavy}"


@pytest.mark.parametrize("lab_name", LABS)
def test_every_lab_has_hidden_tests_of_its_skills(lab_name):
    hidden = [t for t in runner.lab_tests(lab_name) if t["hidden"]]
    functions = {t["test"].split("::")[-1].split("[")[0] for t in hidden}
    assert len(functions) >= 3, f"{lab_name}: at least 3 hidden tests; got {sorted(functions)}"
    assert all(t["skill"] and t["points"] > 0 for t in hidden)


@pytest.mark.parametrize("lab_name", LABS)
def test_readme_table_is_what_the_tests_add_up_to(lab_name):
    assert readme_table().get(lab_name) == points_by_skill(lab_name), (
        f"labs/README.md's 'Points by skill' table is stale for {lab_name}; its rows are now:\n"
        f"{markdown(lab_name)}")


@pytest.mark.parametrize("lab_name", LABS)
def test_lab_points_is_the_whole_lab_hidden_tests_included(lab_name):
    # a student's run of the public tests says "36 of the lab's 40 points" from this number
    lab = labs.find_lab(lab_name, ROOT / "labs")
    total = sum(p for p, _ in points_by_skill(lab_name).values())
    assert lab.points == total, f"{lab.public_tests.name}: LAB_POINTS = {lab.points}; the tests add up to {total:g}"
