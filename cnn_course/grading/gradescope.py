"""Gradescope's ``results.json`` from a graded run: one submission, every test with its points,
its reason when it failed, and its visibility (hidden tests shown only once grades are published).

The format: https://gradescope-autograders.readthedocs.io/en/latest/specs/
"""

import json
from pathlib import Path


def gradescope_results(result):
    """The ``results.json`` document for a :class:`~cnn_course.grading.runner.LabResult`."""
    tests = [{"name": test.name + (f" [{test.skill}]" if test.skill else ""),
              "score": test.points if test.passed else 0,
              "max_score": test.points,
              "output": test.reason,
              "visibility": "after_published" if test.hidden else "visible"}
             for test in result.tests]
    document = {"score": result.points, "tests": tests, "visibility": "visible", "stdout_visibility": "hidden"}
    if result.reason:  # the run did not complete: say why at the top, where the student looks first
        document["output"] = f"The graded run did not complete: {result.reason}."
    return document


def write_gradescope_results(result, path):
    """Write :func:`gradescope_results` of ``result`` as JSON to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gradescope_results(result), indent=2))
