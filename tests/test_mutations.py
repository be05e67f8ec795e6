"""The mutation suite: every one-bug variant of a lab's solution (``tools/mutations.py``)
loses points; a bug that makes the lab's core computation wrong on most inputs at least half
of them, a bug in one aspect of it (the bias, the stride, one backward pass) less than half.

Each lab's mutants are graded in one pytest process (about 10 to 20 s of CPU for labs 1-4,
about 75 to 100 s for lab 5, whose mutants train, and 40 to 75 s for lab 6;
``benchmarks/mutation_score.md`` has the last measurement). Run with ``-s`` to see each lab's table.

The same file gets the same points on every run: Hypothesis is derandomized (its examples
depend on the test function, never on the run), no test depends on the clock (lab 3's speed
test counts the Python steps a function takes, it does not time them), and what must be caught is pinned with
``@example`` or plain parametrized cases. The proxy tested here: labs 2 and 4, whose core
tests are Hypothesis tests, have every file graded twice in one run, as two files, the second
after every other mutant ran (module-level random generators then give the second copy other
inputs than the first), and both copies must get the same points.
"""

import pytest

from tools import mutations

TWICE = {"lab2", "lab4"}
MIN_MUTANTS = 10


@pytest.mark.parametrize("lab_name", sorted(mutations.MUTANTS))
def test_every_mutant_applies_to_the_solution_once(lab_name):
    source = mutations.solution_path(lab_name).read_text()
    assert len(mutations.MUTANTS[lab_name]) >= MIN_MUTANTS
    assert len({m[0] for m in mutations.MUTANTS[lab_name]}) == len(mutations.MUTANTS[lab_name]), "names repeat"
    for mutant in mutations.MUTANTS[lab_name]:
        mutated = mutations.mutate(source, mutant)  # raises unless each old_text occurs once
        assert mutated != source
        compile(mutated, mutant[0], "exec")


def test_mutate_refuses_text_that_is_missing_or_repeated():
    with pytest.raises(ValueError, match="exactly once.*0 times"):
        mutations.mutate("a = 1\n", ("missing", False, "b = 2", "b = 3"))
    with pytest.raises(ValueError, match="exactly once.*2 times"):
        mutations.mutate("a = 1\na = 1\n", ("repeated", False, "a = 1", "a = 2"))


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("lab_name", sorted(mutations.MUTANTS))
def test_every_mutant_loses_points(lab_name):
    result = mutations.grade_mutants(lab_name, copies=2 if lab_name in TWICE else 1)
    print(f"\n{mutations.table({lab_name: result})}\n(wall {result['wall']:.0f} s)")
    full, rows = result["full"], result["rows"]
    control = rows[0]
    assert control["name"] == mutations.CONTROL and set(control["points"]) == {full}, (
        f"the unchanged solution should earn {full:g} points; got {control['points']}")
    problems = []
    for row in rows[1:]:
        points = row["points"]
        if len(set(points)) != 1:
            problems.append(f"{row['name']}: different points on two gradings, {points}")
        if max(points) >= full:
            problems.append(f"{row['name']}: survives with {max(points):g}/{full:g} points")
        elif row["core"] and max(points) > full / 2:
            problems.append(f"{row['name']} (core): keeps {max(points):g}/{full:g} points, more than half")
        elif not row["core"] and max(points) <= full / 2:
            problems.append(f"{row['name']} (one aspect): keeps {max(points):g}/{full:g} points, "
                            f"half or less: a bug should cost what it breaks")
    assert not problems, "\n".join(problems)
