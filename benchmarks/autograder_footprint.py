"""What each lab's Gradescope autograder needs: peak memory and the time of a full run on the solution.

Run from the repository's root::

    .venv/bin/python -m benchmarks.autograder_footprint                    # every lab, on 2 cores and on 1
    .venv/bin/python -m benchmarks.autograder_footprint lab5 --cores 1 --repeat 1

Each lab is released as an instructor releases it (``labs.release_all``: one wheel, built
from the checkout), and its autograder zip is run as Gradescope runs it, and as
``tests/test_release.py`` does: unpacked into a temporary root's ``source/``, the lab's
solution as ``submission/labN.py``, and ``run_autograder`` started with ``AUTOGRADER_ROOT``
at that root, ``AUTOGRADER_PYTHON`` at this environment's Python (its TensorFlow, Keras and
NumPy are the versions the zip's requirements.txt pins) and ``PYTHONPATH`` at the zip's
wheel, installed with ``pip install --target``. For each run:

- **wall time**: the whole ``run_autograder``, from its start to ``results.json``: collecting
  the tests, then grading the submission in its own process (every test, hidden ones too);
- **CPU time**: user + system, of all its processes (from ``wait4``). Gradescope gives an
  autograder half a virtual CPU by default: a run there takes at least twice this;
- **peak memory**, twice: the largest single process (``ru_maxrss`` from ``wait4``; in
  practice the graded pytest process, with TensorFlow), and all its processes at once (their
  RSS summed, polled every 0.1 s), which is what a container's memory limit counts.

``--cores`` (default ``2,1``) pins each run to that many CPU cores (``sched_setaffinity``, which
its processes inherit); one core stands in for Gradescope's "1.0 CPU" setting. Each lab runs
``--repeat`` times per core count: the best time and the highest memory are kept. The
Markdown report, with each zip's size, goes to ``benchmarks/autograder_footprint.md``.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import psutil

from benchmarks.machine import cpu_name
from cnn_course import labs
from cnn_course.grading import wheel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "autograder_footprint.md"
MB = 2 ** 20


def install_wheel(autograder_zip, folder):
    """The wheel in ``autograder_zip`` installed into ``folder``/site (for PYTHONPATH)."""
    name = wheel.wheel_name(wheel.version())
    with zipfile.ZipFile(autograder_zip) as archive:
        (Path(folder) / name).write_bytes(archive.read(name))
    site = Path(folder) / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", str(Path(folder) / name), "--no-deps", "--no-index",
                    "-q", "--target", str(site)], check=True, capture_output=True)
    return site


def run_autograder(autograder_zip, lab, site, cores):
    """One run of ``lab``'s autograder on its solution, pinned to ``cores`` CPU cores; return
    ``{"seconds", "cpu_seconds", "largest_mb", "all_mb", "score", "every_test_passed"}``."""
    with tempfile.TemporaryDirectory(prefix="autograder-") as folder:
        root = Path(folder) / "autograder"
        with zipfile.ZipFile(autograder_zip) as archive:
            archive.extractall(root / "source")
        (root / "submission").mkdir()
        shutil.copyfile(lab.solution, root / "submission" / lab.starter.name)
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
               "PYTHONPATH": str(site)}
        cpus = sorted(os.sched_getaffinity(0))[:cores]
        start = time.perf_counter()
        process = subprocess.Popen(["bash", str(root / "source" / "run_autograder")], cwd=folder, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        shell, all_peak = psutil.Process(process.pid), 0
        while True:
            # wait4, not Popen.wait: its resource usage covers the run's whole process tree
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            all_peak = max(all_peak, _tree_rss(shell))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        results = json.loads((root / "results" / "results.json").read_text())
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "largest_mb": usage.ru_maxrss / 1024, "all_mb": all_peak / MB, "score": results["score"],
            "every_test_passed": all(test["score"] == test["max_score"] for test in results["tests"])}


def _tree_rss(process):
    """The summed RSS of ``process`` and its descendants now (0 for those that just ended)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", default=[lab.module for lab in labs.all_labs()])
    parser.add_argument("--cores", default="2,1", help="core counts to pin each run to (default 2,1)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per lab and core count (default 2)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be a positive integer; got {args.repeat}")
    available = len(os.sched_getaffinity(0))
    try:
        core_counts = [int(count) for count in args.cores.split(",")]
    except ValueError:
        parser.error(f"--cores must be core counts separated by commas, e.g. 2,1; got {args.cores!r}")
    if not all(1 <= count <= available for count in core_counts):
        parser.error(f"--cores must be counts from 1 to {available}, this machine's; got {args.cores!r}")

    load_before = os.getloadavg()
    rows, sizes = [], []
    with tempfile.TemporaryDirectory(prefix="footprint-") as folder:
        released = labs.release_all(Path(folder) / "release")
        site = install_wheel(released[0][2], folder)
        wheel_kb = (released[0][0] / wheel.wheel_name(wheel.version())).stat().st_size / 1024
        for lab_folder, students_zip, autograder_zip in released:
            lab = labs.find_lab(lab_folder.name)
            if lab.module not in args.labs:
                continue
            sizes.append(f"| {lab.module} | {students_zip.stat().st_size / 1024:.0f} | "
                         f"{autograder_zip.stat().st_size / 1024:.0f} |")
            for cores in core_counts:
                runs = [run_autograder(autograder_zip, lab, site, cores) for _ in range(args.repeat)]
                if not all(run["every_test_passed"] for run in runs):
                    sys.exit(f"{lab.module}: the solution did not earn every point: {runs}")
                rows.append(f"| {lab.module} | {cores} | {runs[0]['score']:g} | "
                            f"{min(r['seconds'] for r in runs):.1f} | {min(r['cpu_seconds'] for r in runs):.1f} | "
                            f"{max(r['largest_mb'] for r in runs):,.0f} | {max(r['all_mb'] for r in runs):,.0f} |")
                print(rows[-1], flush=True)
    load_after = os.getloadavg()
    text = (
        "# The Gradescope autograder's footprint\n\n"
        "Written by `benchmarks/autograder_footprint.py`. Each lab's autograder zip (from "
        "`python -m cnn_course.labs release`) run as Gradescope runs it, on the lab's solution, under a "
        "temporary root: `run_autograder` grades it with every test, hidden ones included, with the "
        "course's package installed from the zip's wheel and this environment's pinned TensorFlow, "
        "Keras and NumPy. Wall time: the best of "
        f"{args.repeat} runs; CPU time: user + system of all the run's processes (the best run); memory: "
        "the highest peak, of the largest process (ru_maxrss) and of all the run's processes at once "
        "(summed RSS, polled every 0.1 s; what a container's memory limit counts). \"cores\": the CPU "
        "cores the run was pinned to.\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_name()}, {os.cpu_count()} cores shared with other "
        f"work (load average {load_before[0]:.1f} before, {load_after[0]:.1f} after), Python "
        f"{sys.version.split()[0]}.\n\n"
        "| lab | cores | points | wall time (s) | CPU time (s) | largest process (MB) | all processes (MB) |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "\n".join(rows) + "\n\n"
        f"The zips, in KB (each carries the course's wheel, {wheel_kb:.0f} KB):\n\n"
        "| lab | students' zip | autograder zip |\n| --- | ---: | ---: |\n"
        + "\n".join(sizes) + "\n")
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
