"""Near-copies of the package's code: a pasted function is found whatever its names; the course's
own solutions are not listed; labs/README.md states the threshold the code uses."""

import inspect
import re
from pathlib import Path

from cnn_course import layers
from cnn_course.grading import copies

ROOT = Path(__file__).resolve().parent.parent


def test_a_pasted_function_is_found_with_its_variables_renamed():
    pasted = inspect.getsource(layers.conv2d_backward).replace("dx", "grad_x").replace("dw", "grad_w")
    assert copies.near_copies(pasted)[0] == ("conv2d_backward", "cnn_course.layers.conv2d_backward", 1.0)


def test_the_courses_own_solutions_are_not_listed():
    for solution in sorted((ROOT / "labs").glob("*/solution.py")):
        assert copies.near_copies(solution.read_text()) == [], solution.parent.name


def test_labs_readme_states_the_threshold_in_use():
    readme = " ".join((ROOT / "labs" / "README.md").read_text().split())
    stated = re.search(r"lists the near-copies, (\d+)% alike or more", readme)
    assert stated and int(stated.group(1)) == round(copies.SIMILAR * 100)


def test_a_file_that_does_not_parse_has_no_copies():
    assert copies.near_copies("def broken(:\n") == []
