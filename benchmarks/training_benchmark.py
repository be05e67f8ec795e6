"""Training resources: every notebook's time and peak memory, and chapter 6's images/second.

Run from the repository's root (``make benchmarks`` runs every script in this folder)::

    .venv/bin/python -m benchmarks.training_benchmark                  # everything
    .venv/bin/python -m benchmarks.training_benchmark --skip-notebook  # throughput only
    .venv/bin/python -m benchmarks.training_benchmark --notebook chapters/06_mnist_convnet.ipynb

It measures:

- **every notebook** (or those given with ``--notebook``), each executed by ``jupyter
  nbconvert`` in a process of its own (into a temporary file: the committed notebook is not
  touched). Wall time; peak memory as ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of
  that process (the largest single process, in practice the kernel) and as the largest sum
  of the RSS of the whole process tree, polled with ``psutil`` every 0.2 s. Binder restarts
  a kernel above 2 GB: this is the number to watch;
- **throughput**: one epoch of ``model.fit`` on a subset of MNIST, in images per second,
  for the convnet (batch 64) and the dense baseline (batch 128) of ``cnn_course.models``,
  each in a fresh subprocess limited to ``--threads`` CPU threads. By default with the
  chapter's settings (``cnn_course.setup_notebook``: seeds and op determinism); with
  ``--compare-default`` also with TensorFlow's defaults, and their ratio. The first call of
  ``fit`` (tracing) is a warm-up and is not timed; each time is the best of ``--repeat``.

The table is printed and written as Markdown to ``benchmarks/training_benchmark.md``.
Numbers depend on the machine and on what else it runs; nothing here is asserted.
"""

import argparse
import glob
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "chapters", "*.ipynb"))
                   + glob.glob(os.path.join(ROOT, "labs", "*", "*.ipynb")))
BINDER_LIMIT_MB = 2048
MODELS = {"convnet": ("build_convnet", 64), "dense baseline": ("build_dense_baseline", 128)}
EPOCHS, N_TRAIN = 5, 60000  # the chapter's training, for the time estimate


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow CPU threads (default 2)")
    parser.add_argument("--images", type=int, default=12800,
                        help="training images per timed epoch (default 12,800)")
    parser.add_argument("--repeat", type=int, default=3, help="timed epochs per model; the best is kept")
    parser.add_argument("--skip-notebook", action="store_true", help="measure throughput only")
    parser.add_argument("--notebook", action="append", dest="notebooks",
                        help="measure this notebook only (repeatable; default: every notebook)")
    parser.add_argument("--compare-default", action="store_true",
                        help="also time TensorFlow's default settings (no op determinism)")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "training_benchmark.md"),
                        help="Markdown file for the report")
    parser.add_argument("--worker", choices=["chapter", "default"], help=argparse.SUPPRESS)
    parser.add_argument("--execute", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.threads, args.images, args.repeat) < 1:
        parser.error("--threads, --images and --repeat must be positive integers")
    return args


# ---------------------------------------------------------------- the notebook

def execute(path):
    """In a process of its own: execute ``path``, print its children's ru_maxrss as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [os.path.join(os.path.dirname(sys.executable), "jupyter"), "nbconvert",
                   "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=3600",
                   "--output-dir", tmp, "--output", "executed.ipynb", path]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"executing {path} failed:\n{done.stderr[-3000:]}")
    print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))


def run_notebook(path):
    """Execute ``path`` in a subprocess; return (seconds, ru_maxrss MB, tree peak MB or None)."""
    try:
        import psutil
    except ImportError:  # the tree's sum is a bonus; ru_maxrss is always there
        psutil = None
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    # ru_maxrss of our own children only grows: each notebook runs under a process of its own.
    command = [sys.executable, "-m", "benchmarks.training_benchmark", "--execute", path]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = [0]

    def poll():
        parent = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                tree = [parent] + parent.children(recursive=True)
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            except psutil.Error:  # a process ended between listing and reading
                pass
            time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True) if psutil else None
    if poller:
        poller.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    if poller:
        poller.join()
    if process.returncode != 0:
        sys.exit(f"executing {path} failed:\n{stderr[-3000:]}")
    maxrss_mb = json.loads(stdout.strip().splitlines()[-1])["maxrss_mb"]  # KB on Linux, in MB
    return seconds, maxrss_mb, (peak[0] / 2**20 if psutil else None)


# ---------------------------------------------------------------- throughput (in a worker)

def worker(mode, threads, images, repeat):
    """Time one epoch per model in this (fresh) process; print one JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    # Thread limits must be set before TensorFlow runs its first operation.
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    sys.path.insert(0, ROOT)
    from cnn_course import load_mnist, models, setup_notebook

    if mode == "chapter":
        setup_notebook()
    else:
        keras.utils.set_random_seed(0)
    (x, y), _ = load_mnist()
    x = x[:images].reshape((-1, 28, 28, 1)).astype("float32") / 255
    y = keras.utils.to_categorical(y[:images], 10)
    results = {}
    for name, (builder, batch) in MODELS.items():
        model = getattr(models, builder)()
        model.fit(x[: 2 * batch], y[: 2 * batch], epochs=1, batch_size=batch, verbose=0)  # tracing
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            model.fit(x, y, epochs=1, batch_size=batch, verbose=0)
            best = min(best, time.perf_counter() - start)
        results[name] = {"batch": batch, "seconds": best, "images_per_second": len(x) / best,
                         "params": model.count_params()}
    results["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results))


def throughput(mode, args):
    command = [sys.executable, "-m", "benchmarks.training_benchmark", "--worker", mode,
               "--threads", str(args.threads), "--images", str(args.images),
               "--repeat", str(args.repeat)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if done.returncode != 0:
        sys.exit(f"the {mode} throughput worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report

def report(args, notebooks, speeds):
    load = os.getloadavg()
    lines = [
        "# Training benchmark", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min). "
        f"TensorFlow limited to {args.threads} threads for the throughput.", "",
    ]
    if notebooks:
        lines += [
            f"Every notebook executed alone (Binder restarts a kernel above {BINDER_LIMIT_MB:,} MB):", "",
            "| notebook | wall time | peak memory, largest process (ru_maxrss) "
            "| peak memory, whole process tree (psutil) |",
            "| --- | ---: | ---: | ---: |",
        ]
        for path, (seconds, maxrss, tree) in notebooks.items():
            tree_text = f"{tree:,.0f} MB" if tree is not None else "n/a"
            lines.append(f"| `{os.path.relpath(path, ROOT)}` | {seconds:.0f} s | {maxrss:,.0f} MB "
                         f"| {tree_text} |")
        lines.append("")
    lines += [
        f"Training throughput, one epoch on {args.images:,} MNIST images, best of {args.repeat}:", "",
        "| model | settings | params | batch | images/s | est. 5 epochs × 60,000 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for mode, result in speeds.items():
        settings = ("chapter (deterministic)" if mode == "chapter"
                    else "TensorFlow defaults")
        for name in MODELS:
            r = result[name]
            estimate = EPOCHS * N_TRAIN / r["images_per_second"]
            lines.append(f"| {name} | {settings} | {r['params']:,} | {r['batch']} | "
                         f"{r['images_per_second']:,.0f} | {estimate:.0f} s |")
    lines.append("")
    chapter = speeds["chapter"]
    ratio = chapter["dense baseline"]["images_per_second"] / chapter["convnet"]["images_per_second"]
    lines.append(f"The dense baseline trains {ratio:.1f}× as many images per second as the convnet, "
                 f"with {chapter['dense baseline']['params'] / chapter['convnet']['params']:.1f}× "
                 "the parameters: convolutions cost compute, not parameters.")
    if "default" in speeds:
        for name in MODELS:
            r = speeds["default"][name]["images_per_second"] / chapter[name]["images_per_second"]
            lines.append(f"TensorFlow's defaults against the chapter's settings, {name}: {r:.2f}×.")
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    if args.worker:
        worker(args.worker, args.threads, args.images, args.repeat)
        return
    if args.execute:
        execute(args.execute)
        return
    paths = [] if args.skip_notebook else [os.path.abspath(p) for p in args.notebooks or NOTEBOOKS]
    notebooks = {}
    for path in paths:
        notebooks[path] = run_notebook(path)
        print(f"{os.path.relpath(path, ROOT)}: {notebooks[path][0]:.0f} s, "
              f"{notebooks[path][1]:,.0f} MB", flush=True)
    speeds = {"chapter": throughput("chapter", args)}
    if args.compare_default:
        speeds["default"] = throughput("default", args)
    text = report(args, notebooks, speeds)
    print(text)
    with open(args.out, "w") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
