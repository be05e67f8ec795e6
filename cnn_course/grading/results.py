"""What grading produces, and the forms it is written in.

:class:`TestResult` is one graded test; :class:`LabResult` one file's run of a lab's tests
(every test, those that never ran failed with why). Each writes itself:
:meth:`LabResult.to_csv_row` (a row of the class's CSV: the points, then one column per
skill), :meth:`LabResult.to_json` (every test, with why it failed) and
:meth:`LabResult.to_gradescope` (Gradescope's ``results.json``,
https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

CSV_FIELDS = ["student", "submission", "points", "max_points", "passed", "failed", "reason", "first problem"]


def number(points):
    """Points as a spreadsheet reads them: ``30`` for 30.0, ``12.5`` for 12.5, two decimals at most."""
    points = round(float(points), 2)
    return int(points) if points.is_integer() else points


def graded_line(name, points, passed, reason=""):
    """One test as a student reads it: ``"✗ test_x (0.5 points): why"``, the reason's further
    lines indented. The notebook's ``run_tests`` and a student's ``python -m pytest`` print it."""
    unit = "point" if points == 1 else "points"
    line = f"{'✓' if passed else '✗'} {name} ({points:.3g} {unit})"
    return line + (f": {reason}".replace("\n", "\n    ") if reason else "")


def public_only_note(public_points, lab_points, hidden_ran):
    """What a student's points line adds when only the public tests ran: the instructor's
    total and what the hidden tests carry."""
    if hidden_ran:
        return ""
    if lab_points and lab_points > public_points:
        return (f" (the public tests: {number(public_points)} of the lab's {number(lab_points)} points; "
                f"your instructor's hidden tests of the same skills carry the other "
                f"{number(lab_points - public_points)})")
    return " (the public tests: your instructor's grade adds hidden tests of the same skills)"


@dataclass
class TestResult:
    """One graded test: its name (``test_pad[0]``), points (its share of its function's),
    outcome and, if failed, why; the skill it grades, and whether it is a hidden test."""

    name: str
    points: float
    passed: bool
    reason: str = ""
    skill: str = ""
    hidden: bool = False

    __test__ = False  # not a test class, for pytest

    @classmethod
    def expected(cls, entry, passed=False, reason=""):
        """A result for ``entry``, one of the collected tests (``{"test", "points", "skill", "hidden"}``)."""
        return cls(entry["test"].split("::", 1)[-1], entry["points"], passed, reason,
                   entry.get("skill", ""), entry.get("hidden", False))


@dataclass
class LabResult:
    """One file's graded run: every test's result, and the points they add up to.

    ``tests`` always holds every one of the lab's tests (those that never ran failed, with
    the run's reason). ``reason`` is empty when the run completed, else why it did not
    ("killed by signal 9 (SIGKILL)", "exceeded the wall-clock limit of 300 s", ...).
    ``output`` keeps the end of pytest's output, to explain a run in which no test ran.
    """

    lab: str
    lab_file: str
    tests: list = field(default_factory=list)
    output: str = ""
    reason: str = ""

    @classmethod
    def not_run(cls, lab, lab_file, expected, reason):
        """The result of a file that could not be run at all: every expected test failed, with ``reason``."""
        return cls(lab=str(lab), lab_file=str(lab_file), reason=reason,
                   tests=[TestResult.expected(entry, reason=reason) for entry in expected])

    @property
    def points(self):
        """Points earned: the sum over the passed tests (to 2 decimals: cases share points)."""
        return round(sum(t.points for t in self.tests if t.passed), 2)

    @property
    def max_points(self):
        """Points available: the sum over every test."""
        return round(sum(t.points for t in self.tests), 2)

    @property
    def passed(self):
        """How many tests passed."""
        return sum(t.passed for t in self.tests)

    @property
    def failed(self):
        """How many tests failed."""
        return len(self.tests) - self.passed

    def skills(self):
        """``{skill: (points earned, points available)}``, in the order the tests come."""
        totals = {}
        for test in self.tests:
            earned, available = totals.get(test.skill, (0.0, 0.0))
            totals[test.skill] = (earned + (test.points if test.passed else 0), available + test.points)
        return {skill: (round(earned, 2), round(available, 2)) for skill, (earned, available) in totals.items()}

    def summary(self, lab_points=None):
        """The points line: ``"lab1: 12/21 points, 10 of 25 tests passed"``; given the whole
        lab's points (``lab_points``, hidden tests included) when only the public tests ran, it
        says what the instructor grades out of."""
        line = (f"{self.lab}: {self.points:g}/{self.max_points:g} points, "
                f"{self.passed} of {len(self.tests)} tests passed")
        return line + public_only_note(self.max_points, lab_points, any(t.hidden for t in self.tests))

    def to_csv_row(self, student):
        """This result as a row of the class's CSV (:data:`CSV_FIELDS`, then a column per skill,
        its points earned), points as plain numbers."""
        row = {"student": student, "submission": self.lab_file, "points": number(self.points),
               "max_points": number(self.max_points), "passed": self.passed, "failed": self.failed,
               "reason": self.reason, "first problem": self.first_problem()}
        row.update({skill_column(skill): number(earned) for skill, (earned, _) in self.skills().items()})
        return row

    def first_problem(self):
        """One line for the class's sheet: the first failed test's skill, name and reason ("" if none)."""
        failed = next((test for test in self.tests if not test.passed), None)
        if failed is None:
            return ""
        lines = failed.reason.splitlines() or ["failed"]
        reason = lines[0] + (f" ({lines[1]})" if len(lines) > 1 and lines[1].startswith("with ") else "")
        return f"{failed.skill or 'other'}: {failed.name}: {reason}"

    def to_feedback(self, student):
        """Feedback an instructor can send the student, in Markdown: the points, each skill's
        points, and every failed test with why, skill by skill."""
        summary = (f"**{number(self.points)}/{number(self.max_points)} points**, {self.passed} of "
                   f"{len(self.tests)} tests passed.")
        if self.reason:
            summary += f" The run did not complete: {self.reason}."
        lines = [f"# {self.lab}: {student}", "", summary, "", "| skill | points |", "| --- | --- |"]
        lines += [f"| {skill or 'other'} | {number(earned)}/{number(available)} |"
                  for skill, (earned, available) in self.skills().items()]
        for skill in self.skills():
            failed = [test for test in self.tests if test.skill == skill and not test.passed]
            if failed:
                lines += ["", f"## {skill or 'other'}: what failed", ""]
                for test in failed:
                    reason = (test.reason or "failed").replace("\n", "\n  ")
                    hidden = " (a hidden test)" if test.hidden else ""
                    unit = "point" if test.points == 1 else "points"
                    lines.append(f"- `{test.name}`{hidden}, {number(test.points)} {unit}: {reason}")
        return "\n".join(lines) + "\n"

    def to_json(self):
        """Every test's result (``name, points, passed, reason, skill, hidden``), as JSON-ready dicts."""
        return [asdict(test) for test in self.tests]

    def to_gradescope(self):
        """Gradescope's ``results.json`` document: every test with its points, its reason when it
        failed, and its visibility (hidden tests shown once grades are published)."""
        tests = [{"name": test.name + (f" [{test.skill}]" if test.skill else ""),
                  "score": test.points if test.passed else 0,  # a case's share, to 6 decimals
                  "max_score": test.points,
                  "output": test.reason,
                  "visibility": "after_published" if test.hidden else "visible"}
                 for test in self.tests]
        document = {"score": number(self.points), "tests": tests, "visibility": "visible",
                    "stdout_visibility": "hidden"}
        if self.reason:  # the run did not complete: say why at the top, where the student looks first
            document["output"] = f"The graded run did not complete: {self.reason}."
        return document


def apply_forbidden(entries):
    """A skill whose tests called what the lab does not allow scores 0: every test of that skill
    (for that file) fails, with the call as the reason. ``entries`` are the grading plugin's
    result dicts (``"forbidden"`` set on a test that made such a call); changed in place."""
    why = {}
    for entry in entries:
        if entry.get("forbidden"):
            why.setdefault((entry.get("lab_file"), entry.get("skill", "")), entry["forbidden"])
    for entry in entries:
        reason = why.get((entry.get("lab_file"), entry.get("skill", "")))
        if reason:
            entry.update(passed=False, reason=f"{reason}: no points for {entry.get('skill') or 'this skill'!r}")
    return entries


def skill_column(skill):
    """The CSV column of a skill's points: ``"skill: input validation"``."""
    return f"skill: {skill or 'other'}"


def write_json(document, path):
    """Write ``document`` as indented JSON to ``path``, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path
