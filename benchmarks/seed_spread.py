"""How much chapter 6's accuracies move with the random seed: the convnet and the dense baseline.

Run from the repository's root::

    .venv/bin/python -m benchmarks.seed_spread                # seeds 0-9, as committed
    .venv/bin/python -m benchmarks.seed_spread --seeds 0-4    # fewer, quicker
    .venv/bin/python -m benchmarks.seed_spread --seeds 0-19 --resume  # add seeds to the file

For every seed, in a fresh process (so nothing a previous seed did carries over), it does
what chapter 6 does after ``cnn_course.setup_notebook(seed)``: the convnet of
``cnn_course.models.build_convnet`` trained for 5 epochs in batches of 64, then the dense
baseline of ``build_dense_baseline`` for 5 epochs in batches of 128, both with RMSprop on
all 60,000 training images, each evaluated once on the 10,000 test images; and the
relative reduction of the error rate (``models.error_reduction``). (The chapter, which also
builds other models between the two trainings, draws different random numbers from the same
seed: its own run is one more sample from the same spread, not one of these.)

Results, per seed and as mean, sample standard deviation, min and max, go to

- ``cnn_course/seed_spread.json`` (the measurement, with the machine it ran on): package data,
  which chapter 6 glues from wherever it runs (on Colab only the package is there),
- ``benchmarks/seed_spread.md`` (a table for people).

The JSON also carries the published figures the chapter compares with (``REFERENCES``), so
that every number chapter 6 quotes about accuracy comes from one file.

Training is not deterministic across CPUs (Intel and AMD round differently in oneDNN), so
the spread over seeds on one machine is the yardstick for a bound that must hold on another.
Nothing here is asserted.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from benchmarks.machine import cpu_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JSON_OUT = os.path.join(ROOT, "cnn_course", "seed_spread.json")  # package data: chapter 6 reads it
MD_OUT = os.path.join(ROOT, "benchmarks", "seed_spread.md")
# Published figures chapter 6 compares with (read from the sources, not measured here).
REFERENCES = {
    "source_convnet_acc": 0.992,            # the course's source, from which this book grew
    "chollet_text_convnet_acc": 0.993,      # Chollet (2017), section 5.1, in the prose
    "chollet_notebook_convnet_acc": 0.9913,  # the stored output of his notebook 5.1
    "chollet_dense_acc": 0.978,             # his densely connected network of chapter 2
}
RECIPE = {
    "convnet": {"builder": "build_convnet", "epochs": 5, "batch_size": 64},
    "dense": {"builder": "build_dense_baseline", "epochs": 5, "batch_size": 128},
}


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-")
            seeds.extend(range(int(low), int(high) + 1))
        else:
            seeds.append(int(part))
    return seeds


def worker(seed):
    """In a fresh process: chapter 6's two trainings with ``seed``; print one JSON line."""
    sys.path.insert(0, ROOT)
    from cnn_course import load_mnist, models, setup_notebook

    setup_notebook(seed)
    import keras

    (x_train, labels_train), (x_test, labels_test) = load_mnist()
    x_train = x_train.reshape((60000, 28, 28, 1)).astype("float32") / 255
    x_test = x_test.reshape((10000, 28, 28, 1)).astype("float32") / 255
    y_train = keras.utils.to_categorical(labels_train)
    y_test = keras.utils.to_categorical(labels_test)
    result = {"seed": seed}
    for name, recipe in RECIPE.items():
        model = getattr(models, recipe["builder"])()
        start = time.perf_counter()
        model.fit(x_train, y_train, epochs=recipe["epochs"], batch_size=recipe["batch_size"],
                  verbose=0)
        seconds = time.perf_counter() - start
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        result[name] = {"test_acc": float(accuracy), "train_seconds": round(seconds, 1)}
    result["error_reduction"] = models.error_reduction(result["dense"]["test_acc"],
                                                       result["convnet"]["test_acc"])
    print(json.dumps(result))


def run_seed(seed):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-m", "benchmarks.seed_spread", "--worker", str(seed)],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"seed {seed} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(values):
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values),
            "min": min(values), "max": max(values), "n": len(values)}


def collect(runs):
    import keras
    import numpy
    import tensorflow

    runs = sorted(runs, key=lambda r: r["seed"])
    return {
        "what": "chapter 6's recipe (cnn_course.models, RMSprop, 5 epochs, all 60,000 training "
                "images) trained once per seed; test accuracy on the 10,000 test images",
        "recipe": RECIPE,
        "machine": {"cpu": cpu_name(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "tensorflow": tensorflow.__version__, "keras": keras.__version__,
                    "numpy": numpy.__version__},
        "date": datetime.date.today().isoformat(),
        "seeds": [r["seed"] for r in runs],
        "runs": runs,
        "convnet_test_acc": summary([r["convnet"]["test_acc"] for r in runs]),
        "dense_test_acc": summary([r["dense"]["test_acc"] for r in runs]),
        "error_reduction": summary([r["error_reduction"] for r in runs]),
        "references": REFERENCES,
    }


def markdown(results):
    m = results["machine"]
    lines = [
        "# Chapter 6 over seeds", "",
        f"Measured {results['date']} on {m['cpu']} ({m['cpus']} logical CPUs, shared), Python "
        f"{m['python']}, TensorFlow {m['tensorflow']}, Keras {m['keras']}. Each seed in a fresh "
        "process: `setup_notebook(seed)`, then the convnet (5 epochs, batch 64) and the dense "
        "baseline (5 epochs, batch 128) of `cnn_course.models`, each evaluated on the 10,000 "
        "test images. Written by `benchmarks/seed_spread.py`.", "",
        "| seed | convnet test accuracy | dense test accuracy | error reduction | convnet training (s) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["runs"]:
        lines.append(f"| {r['seed']} | {r['convnet']['test_acc']:.4f} | {r['dense']['test_acc']:.4f} "
                     f"| {r['error_reduction']:.1%} | {r['convnet']['train_seconds']:.0f} |")
    lines += ["", "| quantity | mean | std (sample) | min | max |", "| --- | ---: | ---: | ---: | ---: |"]
    for key, label, fmt in (("convnet_test_acc", "convnet test accuracy", ".4f"),
                            ("dense_test_acc", "dense test accuracy", ".4f"),
                            ("error_reduction", "error reduction", ".1%")):
        s = results[key]
        lines.append(f"| {label} | {s['mean']:{fmt}} | {s['std']:{fmt}} | {s['min']:{fmt}} "
                     f"| {s['max']:{fmt}} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,7 (default 0-9)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in seed_spread.json and add the missing seeds")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return
    seeds = parse_seeds(args.seeds)
    runs = {}
    if args.resume and os.path.exists(JSON_OUT):
        with open(JSON_OUT) as handle:
            runs = {r["seed"]: r for r in json.load(handle)["runs"]}
    for seed in seeds:
        if seed in runs:
            continue
        start = time.perf_counter()
        runs[seed] = run_seed(seed)
        r = runs[seed]
        print(f"seed {seed}: convnet {r['convnet']['test_acc']:.4f}, dense {r['dense']['test_acc']:.4f}, "
              f"reduction {r['error_reduction']:.1%} ({time.perf_counter() - start:.0f} s)", flush=True)
        if len(runs) >= 2:  # save as we go: a long run interrupted keeps what it measured
            results = collect(list(runs.values()))
            with open(JSON_OUT, "w") as handle:
                json.dump(results, handle, indent=1)
                handle.write("\n")
    results = collect(list(runs.values()))
    with open(JSON_OUT, "w") as handle:
        json.dump(results, handle, indent=1)
        handle.write("\n")
    text = markdown(results)
    with open(MD_OUT, "w") as handle:
        handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
