"""Chapter 7's NumPy convnet against Keras: one epoch each, on the same batches, side by side.

Run from the repository's root (``make benchmarks`` runs every script in this folder)::

    .venv/bin/python -m benchmarks.numpy_convnet_benchmark                 # speed and memory
    .venv/bin/python -m benchmarks.numpy_convnet_benchmark --seeds 0,1,2   # and the accuracy spread

It measures, each in a fresh subprocess (so that ``ru_maxrss``, the peak resident memory,
is that of one network alone):

- **one epoch** of training on all 60,000 MNIST images in batches of 64, RMSprop with
  Keras' defaults, the same batches in the same order for both: ``cnn_course.numpy_convnet``
  (NumPy's BLAS limited to ``--numpy-threads``, 1 by default, and once more with 2) and the
  Keras model of ``cnn_course.models.build_convnet()`` (``fit`` with ``shuffle=False``,
  TensorFlow's default threads, the chapter's settings). A few untimed steps first
  (Keras traces its graph then);
- **the machine's SGEMM rate**, GFLOP/s of a 1024×1024 float32 matrix product, with 1 and
  2 BLAS threads: the ceiling for the NumPy network's matrix products;
- with ``--seeds``, **the accuracy spread**: for each seed a fresh NumPy network trained for
  ``--epochs`` epochs (the chapter's recipe) and evaluated on the 10,000 test images; the
  mean, the sample standard deviation and the range. Chapter 7 chooses its asserted bound
  from it.

The report is printed and written as Markdown to ``benchmarks/numpy_convnet_benchmark.md``,
and the numbers as JSON to ``cnn_course/numpy_convnet_benchmark.json``, package data from
which chapter 7 glues (``cnn_course.numpy_convnet.benchmark_results()``; a run without
``--seeds`` keeps the spread measured before).
Nothing here is asserted: timings depend on the machine and on what else it is running
(the load average is reported).
"""

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "benchmarks", "numpy_convnet_benchmark.md")
JSON_OUT = os.path.join(ROOT, "cnn_course", "numpy_convnet_benchmark.json")
BATCH = 64
TARGET, AIM = 3.0, 2.0  # NumPy epoch time over Keras': at most, and hoped for


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=60000, help="training images per epoch (default all)")
    parser.add_argument("--numpy-threads", default="1,2",
                        help="BLAS thread counts to time the NumPy network with (default 1,2)")
    parser.add_argument("--seeds", default="", help="seeds for the accuracy spread, e.g. 0,1,2 (default none)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per seed for the spread (default 2)")
    parser.add_argument("--out", default=OUT, help="Markdown file for the report")
    parser.add_argument("--worker", choices=["numpy", "keras", "sgemm", "seed"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ---------------------------------------------------------------- workers (fresh processes)

def mnist(images):
    """Training images and one-hot labels in a fixed shuffled order, and the test set."""
    import numpy as np

    from cnn_course import load_mnist

    (x, y), (x_test, y_test) = load_mnist()
    order = np.random.default_rng(0).permutation(len(x))[:images]  # the same batches for both
    def scale(a):
        return a.reshape(-1, 28, 28, 1).astype(np.float32) / 255

    eye = np.eye(10, dtype=np.float32)
    return scale(x[order]), eye[y[order]], scale(x_test), eye[y_test]


def limit_blas(threads):
    """Limit NumPy's BLAS to ``threads`` threads (threadpoolctl sees only loaded libraries)."""
    import numpy  # load the BLAS first: threadpoolctl limits only libraries already loaded
    from threadpoolctl import threadpool_limits

    del numpy

    threadpool_limits(threads, user_api="blas")


def time_numpy(args):
    limit_blas(args.threads)
    from cnn_course.layers import RMSprop
    from cnn_course.numpy_convnet import ConvNet

    x, y, _, _ = mnist(args.images)
    net, optimizer = ConvNet(seed=0), RMSprop()
    for i in range(3):  # warm-up: first touches of memory, BLAS start-up
        net.train_step(x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH], optimizer)
    start = time.perf_counter()
    for i in range(0, len(x), BATCH):
        net.train_step(x[i:i + BATCH], y[i:i + BATCH], optimizer)
    return {"seconds": time.perf_counter() - start}


def time_keras(args):
    from cnn_course import models, setup_notebook

    setup_notebook()  # the chapter's settings: seeds, op determinism
    x, y, _, _ = mnist(args.images)
    model = models.build_convnet()
    model.fit(x[:3 * BATCH], y[:3 * BATCH], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # tracing
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return {"seconds": time.perf_counter() - start}


def sgemm(args):
    limit_blas(args.threads)
    import numpy as np

    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(20))
    return {"gflops": 2 * 1024**3 / best / 1e9}


def _timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def seed_accuracy(args):
    limit_blas(1)
    from cnn_course.numpy_convnet import ConvNet

    x, y, x_test, y_test = mnist(60000)
    net = ConvNet(seed=args.seed)
    history = net.fit(x, y, epochs=args.epochs, batch_size=BATCH, seed=args.seed, verbose=False)
    loss, accuracy = net.evaluate(x_test, y_test)
    return {"test_acc": accuracy, "test_loss": loss, "seconds": sum(history["seconds"])}


WORKERS = {"numpy": time_numpy, "keras": time_keras, "sgemm": sgemm, "seed": seed_accuracy}


def run(worker, **options):
    """Run a worker in a fresh process; its result with its peak memory in MB."""
    command = [sys.executable, "-m", "benchmarks.numpy_convnet_benchmark", "--worker", worker]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if done.returncode != 0:
        sys.exit(f"the {worker} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report

def report(args, speeds, rates, spread, load_before):
    import numpy as np
    import tensorflow as tf

    keras_s = speeds["Keras"]["seconds"]
    load = os.getloadavg()
    lines = [
        "# The NumPy convnet against Keras (chapter 7)", "",
        f"Measured {datetime.date.today()} on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} logical cores shared with other jobs (load average {load_before:.1f} "
        f"before, {load[0]:.1f} after), Python {platform.python_version()}, NumPy {np.__version__}, "
        f"TensorFlow {tf.__version__}. One epoch of {args.images:,} MNIST images in batches of "
        f"{BATCH}, RMSprop, the same batches in the same order; each network in a process of "
        "its own. Keras: `fit`, TensorFlow's default threads, op determinism on (the chapter's "
        "settings).", "",
        "| network | BLAS threads | epoch (s) | images/s | × Keras' time | peak memory (ru_maxrss) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in speeds.items():
        threads = r.get("threads", "TF default")
        lines.append(f"| {name} | {threads} | {r['seconds']:.1f} | {args.images / r['seconds']:,.0f} | "
                     f"{r['seconds'] / keras_s:.2f} | {r['maxrss_mb']:,.0f} MB |")
    best = min(r["seconds"] for name, r in speeds.items() if name != "Keras") / keras_s
    verdict = "met" if best <= TARGET else "NOT met"
    lines += ["", f"Best NumPy epoch: {best:.2f}× Keras' time (target at most {TARGET:.0f}×, "
                  f"aim {AIM:.0f}×: {verdict}).", "",
              "SGEMM, a 1024×1024 float32 product, best of 20: "
              + ", ".join(f"{t} thread{'s' if t > 1 else ''} {g:.0f} GFLOP/s" for t, g in rates.items()) + "."]
    if spread:
        accs = [r["test_acc"] for r in spread.values()]
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines += ["", f"Accuracy spread: the NumPy network trained for {args.epochs} epochs on all 60,000 "
                      "images (1 BLAS thread), evaluated on the 10,000 test images:", "",
                  "| seed | test accuracy | test loss | training time (s) |", "| ---: | ---: | ---: | ---: |"]
        lines += [f"| {seed} | {r['test_acc']:.4f} | {r['test_loss']:.4f} | {r['seconds']:.0f} |"
                  for seed, r in spread.items()]
        lines += ["", f"Mean {statistics.mean(accs):.4f}, standard deviation {sd:.4f}, "
                      f"from {min(accs):.4f} to {max(accs):.4f} ({len(accs)} seeds)."]
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    if args.worker:
        result = WORKERS[args.worker](args)
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
        print(json.dumps(result))
        return
    load_before = os.getloadavg()[0]
    threads = [int(t) for t in args.numpy_threads.split(",") if t]
    speeds = {}
    for t in threads:
        label = f"NumPy ({t} BLAS thread{'s' if t > 1 else ''})"
        speeds[label] = dict(run("numpy", images=args.images, threads=t), threads=t)
        print(f"NumPy, {t} thread(s): {speeds[list(speeds)[-1]]['seconds']:.1f} s", flush=True)
    speeds["Keras"] = run("keras", images=args.images)
    print(f"Keras: {speeds['Keras']['seconds']:.1f} s", flush=True)
    rates = {t: run("sgemm", threads=t)["gflops"] for t in (1, 2)}
    spread = {}
    for seed in [int(s) for s in args.seeds.split(",") if s]:
        spread[seed] = run("seed", seed=seed, epochs=args.epochs)
        print(f"seed {seed}: test accuracy {spread[seed]['test_acc']:.4f}", flush=True)
    text = report(args, speeds, rates, spread, load_before)
    print(text)
    with open(args.out, "w") as handle:
        handle.write(text)
    if args.out == OUT:  # the committed measurement, not a trial run elsewhere
        write_json(args, speeds, rates, spread)


def write_json(args, speeds, rates, spread):
    """The measurement as package data; a run without seeds keeps the earlier spread."""
    import numpy as np

    results = {"date": str(datetime.date.today()), "cpus": os.cpu_count(),
               "python": platform.python_version(), "numpy": np.__version__,
               "images": args.images, "batch": BATCH, "speeds": speeds,
               "sgemm_gflops": {str(t): g for t, g in rates.items()}}
    if spread:
        accs = [r["test_acc"] for r in spread.values()]
        results["spread"] = {"epochs": args.epochs, "n": len(accs), "mean": statistics.mean(accs),
                             "std": statistics.stdev(accs) if len(accs) > 1 else 0.0,
                             "min": min(accs), "max": max(accs),
                             "runs": {str(seed): r for seed, r in spread.items()}}
    elif os.path.exists(JSON_OUT):
        with open(JSON_OUT) as handle:
            results["spread"] = json.load(handle).get("spread")
    with open(JSON_OUT, "w") as handle:
        json.dump(results, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
