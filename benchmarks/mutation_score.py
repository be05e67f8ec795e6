"""The mutation score of every lab's tests: how many one-bug variants of the solution lose points.

Run from the repository's root::

    .venv/bin/python -m benchmarks.mutation_score             # every lab
    .venv/bin/python -m benchmarks.mutation_score lab2 lab4   # some

The mutants are in ``tools/mutations.py`` (one place, shared with ``tests/test_mutations.py``,
which asserts what this script only reports): realistic mistakes written as substitutions in
each lab's ``solution.py``, graded all of one lab in one pytest process, hidden tests
included, beside the unchanged solution as a control. A mutant is killed when it loses points:
at least half of them if it makes the lab's core computation wrong on most inputs ("core"),
less than half if it breaks one aspect of it. The table, each
lab's CPU time and the machine go to ``benchmarks/mutation_score.md``.
"""

import os
import platform
import sys
import time

from tools import mutations

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OUT = os.path.join(ROOT, "benchmarks", "mutation_score.md")


def main(labs):
    results, start = {}, time.perf_counter()
    for lab in labs:
        results[lab] = mutations.grade_mutants(lab)
        print(f"{lab}: {results[lab]['cpu']:.0f} s CPU, {results[lab]['wall']:.0f} s wall", flush=True)
    wall = time.perf_counter() - start
    cpu = sum(r["cpu"] for r in results.values())
    table = mutations.table(results)
    text = (f"# Mutation score\n\nWritten by `benchmarks/mutation_score.py` (the mutants: "
            f"`tools/mutations.py`). Each lab's mutants are graded in one pytest process, hidden "
            f"tests included; a mutant is killed when it loses points: at least half of them for a bug "
            f"that makes the lab's core computation wrong on most inputs (core), less than half for "
            f"a bug in one aspect of it. Points are out of the lab's total; the "
            f"unchanged solution is the control.\n\n"
            f"Measured on {platform.machine()}, {os.cpu_count()} cores shared with other work: "
            f"{cpu:.0f} s of CPU and {wall:.0f} s of wall-clock time in all.\n\n{table}\n")
    print(table)
    if set(labs) == set(mutations.MUTANTS):
        with open(OUT, "w") as out:
            out.write(text)
        print(f"wrote {OUT}")
    else:
        print("(a subset of the labs: benchmarks/mutation_score.md left as it is)")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(mutations.MUTANTS))
