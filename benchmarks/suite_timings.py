"""Where `make test`'s time goes: its steps, the slowest unit tests and test files, and every
notebook under nbval and in the readers' check.

`make test` records what this reads, in `_build/timings/`: each step's wall time
(`steps.txt`), the unit tests' and nbval's JUnit reports (`unit.xml`, `nbval.xml`), and
the readers' check's report (`_build/reader-check.json`). Run it after `make test`:

    .venv/bin/python -m benchmarks.suite_timings          # prints Markdown tables
    .venv/bin/python -m benchmarks.suite_timings --out benchmarks/suite_timings.md

Seconds of wall time, on a machine whose other work shows in them: compare runs of one
machine, and keep the machine in the table (its CPU is printed).
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from benchmarks.machine import cpu_name

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = ROOT / "_build" / "timings"


def testcases(xml_path):
    """``[(file, test name, seconds)]`` of a JUnit report."""
    cases = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        classname = case.get("classname", "")
        # pytest's classname is the module's dotted path; notebooks keep their file name in it
        file = case.get("file") or classname
        cases.append((file, case.get("name", ""), float(case.get("time", 0))))
    return cases


def by_file(cases):
    totals = defaultdict(float)
    for file, _, seconds in cases:
        totals[file] += seconds
    return sorted(totals.items(), key=lambda item: -item[1])


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(timings=TIMINGS, reader=ROOT / "_build" / "reader-check.json"):
    parts = [f"Machine: {cpu_name()}, {os.cpu_count()} cores.", ""]
    steps = timings / "steps.txt"
    if steps.is_file():
        rows = [line.rsplit(maxsplit=1) for line in steps.read_text().splitlines() if line.strip()]
        lanes = any(name.startswith("lane") for name, _ in rows)
        parts += ["## make test, part by part (wall time)", ""]
        parts += ["Parts run two at a time: lane-pair-1 is the unit tests beside the readers' check (its "
                  "environment's install, reader-venv, included), lane-pair-2 nbval beside the book's build "
                  "and browser test. install + lint + the two lane pairs is the whole of make test.", ""] * lanes
        parts += [table(["part", "seconds", "minutes"],
                        [(name, seconds, f"{int(seconds) / 60:.1f}") for name, seconds in rows]), ""]
    unit = timings / "unit.xml"
    if unit.is_file():
        cases = testcases(unit)
        parts += [f"## Unit tests: {len(cases)} tests, {sum(c[2] for c in cases):.0f} s summed over the workers",
                  "", table(["test file", "seconds"], [(f, f"{s:.1f}") for f, s in by_file(cases)]), "",
                  "Slowest tests:", "",
                  table(["test", "seconds"], [(f"{f}::{n}", f"{s:.1f}")
                                              for f, n, s in sorted(cases, key=lambda c: -c[2])[:15]]), ""]
    nbval = timings / "nbval.xml"
    if nbval.is_file():
        cases = testcases(nbval)
        parts += [f"## nbval: {len(cases)} cells, {sum(c[2] for c in cases):.0f} s summed over the workers", "",
                  table(["notebook", "seconds"], [(f, f"{s:.1f}") for f, s in by_file(cases)]), ""]
    if reader.is_file():
        data = json.loads(reader.read_text())
        rows = [(r["notebook"], r["seconds"], r["peak_mb"], r["tree_peak_mb"]) for r in data["notebooks"]]
        parts += [f"## Readers' check, {data.get('jobs', 1)} notebook(s) at a time", "",
                  table(["notebook", "seconds", "largest process (MB)", "all processes (MB)"],
                        sorted(rows, key=lambda r: -r[1])), ""]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="also write the tables to this Markdown file")
    parser.add_argument("--timings", type=Path, default=TIMINGS, help="the folder make test wrote")
    parser.add_argument("--reader-report", type=Path, default=ROOT / "_build" / "reader-check.json")
    args = parser.parse_args(argv)
    text = report(args.timings, args.reader_report)
    print(text)
    if args.out:
        args.out.write_text("# Where `make test`'s time goes\n\nWritten by `benchmarks/suite_timings.py`.\n\n"
                            + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
