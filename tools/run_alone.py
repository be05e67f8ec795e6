"""Run each notebook alone in an empty folder, as Colab opens it: the readers' environment check.

``make reader-check`` builds a separate virtual environment from ``binder/requirements.txt``
(what Binder installs: TensorFlow, Keras, NumPy, matplotlib, ipywidgets, the kernel and the
labs' test tools; no MyST-NB, no jupyter-book) and runs this script with it::

    _build/reader-venv/bin/python tools/run_alone.py --jobs 2 chapters/*.ipynb labs/*/*.ipynb

It first proves the set-up cell's install: it uninstalls the course package, so the
environment has only what Colab has, and runs a set-up cell alone in a fresh kernel in an
empty folder, its install line (``%pip install "cnn-course @ git+https://..."``) rewritten to
install a wheel built from this checkout instead, since CI cannot reach GitHub. The package
must then be installed. Every notebook's set-up cell has the same install line
(``tests/test_book.py`` checks them; one that differs gets a run of its own), so the
environment is installed once, this way, not once per notebook; then

1. every notebook is copied, and nothing else, into a new empty folder (its install line
   rewritten the same way, though the package is there by then);
2. executed there, top to bottom, in a fresh kernel, ``--jobs`` notebooks at a time, each in
   a process of its own that records the wall time and the peak memory: of the largest
   process (``ru_maxrss``, in practice the kernel) and of the kernel with everything it
   starts (the sum of their RSS, polled; a lab's graded tests run in a second process beside
   the kernel). Binder's limit applies to the sum.

It fails when a cell raises, when a notebook has no Colab install line, when the set-up cell
does not install the package, when MyST-NB or jupyter-book is importable (the check would then
not be testing the readers' path), or when a notebook's peak memory reaches Binder's limit
(mybinder restarts a kernel above 2 GB). The results are printed and written as JSON
(``--report``), in the order the notebooks were given."""

import argparse
import importlib.util
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER_MEMORY_LIMIT_MB = 2048
# The set-up cell's install line: the package from GitHub, perhaps with extras.
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks
INSTALL_LINE = re.compile(r'%pip install -q "cnn-course(\[[^\]]*\])? @ git\+[^"]+"')


def build_wheel(out_dir):
    """Build the course package's wheel from this checkout into ``out_dir``; return its path.

    ``make test`` builds it once (``make wheel``) for the unit tests and this check. The build
    is the package's own, :func:`cnn_course.grading.wheel.build_wheel`, which releases use too
    (reproducible: the same checkout gives the same wheel, byte for byte). Imported from this
    checkout, since the readers' environment has the package uninstalled.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from cnn_course.grading.wheel import build_wheel as build

    return build(out_dir, ROOT)


def install_from_wheel(source, wheel):
    """``source`` with its Colab install line pointing at ``wheel``; ValueError if it has none."""
    if not INSTALL_LINE.search(source):
        raise ValueError("the set-up cell has no Colab install line "
                         '(%pip install -q "cnn-course @ git+https://...")')
    return INSTALL_LINE.sub(lambda m: f'%pip install -q "cnn-course{m.group(1) or ""} @ {wheel.as_uri()}"',
                            source, count=1)


def execute_alone(notebook, wheel, timeout, setup_only=False):
    """Run ``notebook`` (or only its set-up cell) alone in an empty folder in a fresh process;
    return its result row."""
    with tempfile.TemporaryDirectory(prefix="alone-") as folder:
        copy = Path(folder) / notebook.name
        shutil.copyfile(notebook, copy)
        start = time.perf_counter()
        # A process of its own per notebook, so ru_maxrss of its children is this kernel's peak.
        done = subprocess.run([sys.executable, __file__, "--worker", str(copy), "--wheel", str(wheel),
                               "--timeout", str(timeout), *(["--setup-only"] if setup_only else [])],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        left = sorted(p.name for p in Path(folder).iterdir() if p.name != notebook.name)
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        result = {"error": f"the worker crashed:\n{done.stderr[-3000:]}", "peak_mb": None,
                  "tree_peak_mb": None}
    return {"notebook": str(notebook.relative_to(ROOT)), "seconds": round(seconds, 1),
            "files_written": left, **result}


def check_install(notebooks, wheel, timeout):
    """Uninstall the course package, then, for each distinct install line among ``notebooks``'
    set-up cells, run the first such set-up cell alone: it must install the package (from
    ``wheel``). Return what went wrong."""
    problems, seen = [], set()
    for notebook in notebooks:
        line = INSTALL_LINE.search(_setup_cell(notebook))
        if line is None:
            problems.append(f"{notebook.relative_to(ROOT)}: the set-up cell has no Colab install line")
            continue
        if line.group(0) in seen:  # the same install, already proven
            continue
        seen.add(line.group(0))
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", "cnn-course"],
                       check=True, capture_output=True)
        row = execute_alone(notebook, wheel, timeout, setup_only=True)
        print(f"set-up cell of {row['notebook']:37} {row['seconds']:7.1f} s  "
              f"{'installs the package' if row['error'] is None else 'FAILED'}", flush=True)
        if row["error"]:
            problems.append(f"{row['notebook']}, its set-up cell alone: {row['error']}")
    return problems


def _setup_cell(notebook):
    import nbformat

    return next(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")


def worker(path, wheel, timeout, setup_only=False):
    """Execute one notebook in place (its folder is the kernel's working directory); with
    ``setup_only``, only its first code cell."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    if setup_only:
        nb.cells = [next(c for c in nb.cells if c.cell_type == "code")]
    error = None
    tree_peak = _poll_tree_memory()
    try:
        nb.cells[0].source = install_from_wheel(nb.cells[0].source, Path(wheel))
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    except CellExecutionError as failure:
        error = ANSI_COLOUR.sub("", str(failure))[-3000:]
    except Exception as failure:  # a timeout, a dead kernel, no install line
        error = f"{type(failure).__name__}: {failure}"[-3000:]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KB on Linux
    if error is None and not _installed("cnn-course"):
        error = "the set-up cell did not install the course package"
    print(json.dumps({"error": error, "peak_mb": round(peak_mb), "tree_peak_mb": round(tree_peak())}))


def _poll_tree_memory(interval=0.2):
    """Start polling the summed RSS of this process's descendants; return a reader of the peak."""
    import threading

    import psutil  # ipykernel's dependency: always in a kernel's environment

    me, peak = psutil.Process(), [0]

    def poll():
        while True:
            try:
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in me.children(recursive=True)))
            except psutil.Error:  # a process ended between listing and reading
                pass
            time.sleep(interval)

    threading.Thread(target=poll, daemon=True).start()
    return lambda: peak[0] / 2**20


def _installed(distribution):
    """Whether ``distribution`` is installed now (asked in a new process: no stale caches)."""
    return subprocess.run([sys.executable, "-m", "pip", "show", "--quiet", distribution],
                          capture_output=True).returncode == 0


def check_environment():
    """The readers' environment must not have the book's toolchain; return what is wrong."""
    return [f"{name} is installed here, but Colab and Binder do not have it"
            for name in ("myst_nb", "jupyter_book", "nbval", "sphinx")
            if importlib.util.find_spec(name) is not None]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--report", type=Path, help="write the results to this JSON file")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at a time (default 1)")
    parser.add_argument("--wheel", type=Path, help="the course's wheel (default: build one from this checkout)")
    parser.add_argument("--build-wheel", type=Path, metavar="FOLDER",
                        help="only build the course's wheel into FOLDER (make wheel)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.wheel, args.timeout, args.setup_only)
        return 0
    if args.build_wheel:
        try:
            print(build_wheel(args.build_wheel))
        except RuntimeError as failure:
            sys.exit(str(failure))
        return 0
    if not args.notebooks:
        parser.error("give the notebooks to run")
    if args.jobs < 1:
        parser.error(f"--jobs must be a positive integer; got {args.jobs}")

    problems = check_environment()
    if problems:  # also keeps this script from uninstalling the package from the authors' .venv
        sys.exit("not a readers' environment (make reader-check builds one):\n" + "\n".join(problems))
    notebooks = [notebook.resolve() for notebook in args.notebooks]
    with tempfile.TemporaryDirectory() as wheel_dir:
        try:
            wheel = args.wheel.resolve() if args.wheel else build_wheel(wheel_dir)
        except RuntimeError as failure:
            sys.exit(str(failure))
        problems += check_install(notebooks, wheel, args.timeout)
        if problems:
            rows = []
        else:
            with ThreadPoolExecutor(args.jobs) as pool:  # threads only wait for the worker processes
                rows = list(pool.map(lambda nb: _run_and_print(nb, wheel, args.timeout), notebooks))
    for row in rows:
        if row["error"]:
            problems.append(f"{row['notebook']}: {row['error']}")
        elif max(row["peak_mb"], row["tree_peak_mb"]) >= BINDER_MEMORY_LIMIT_MB:
            problems.append(f"{row['notebook']}: peak memory {row['tree_peak_mb']} MB, "
                            f"at or above Binder's {BINDER_MEMORY_LIMIT_MB} MB")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"jobs": args.jobs, "notebooks": rows, "problems": problems}, indent=2))
    for problem in problems:
        print(f"\n{problem}", file=sys.stderr)
    return 1 if problems else 0


def _run_and_print(notebook, wheel, timeout):
    row = execute_alone(notebook, wheel, timeout)
    if row["error"] and "Timeout" in row["error"]:
        # Seen once on a loaded machine: the kernel idle, nbclient waiting for a reply that
        # never came (both stuck in select). A notebook that really hangs hangs again; the
        # first attempt's error stays in the report.
        first = row["error"]
        row = {**execute_alone(notebook, wheel, timeout), "retried_after": first}
    status = "ok" if row["error"] is None else "FAILED"
    print(f"{row['notebook']:50} {row['seconds']:7.1f} s  largest process {row['peak_mb'] or 0:5} MB"
          f"  all processes {row['tree_peak_mb'] or 0:5} MB  {status}", flush=True)
    return row


if __name__ == "__main__":
    sys.exit(main())
