"""Convolution speed and memory: lab 3's im2col solution against TensorFlow, side by side.

Run from the repository's root (``make benchmarks`` runs every script in this folder)::

    .venv/bin/python -m benchmarks.conv_benchmark               # 1 thread each, the default
    .venv/bin/python -m benchmarks.conv_benchmark --threads 2   # what a 2-core machine gives

It times, on the shapes of the MNIST model's three 3x3 "valid" conv layers with batch 64:

- forward: lab 3's ``conv2d`` (im2col + one matmul) against ``tf.nn.conv2d`` + bias;
- forward and backward: ``conv2d`` + ``conv2d_backward`` against ``tf.GradientTape``'s
  gradients of the same (dx, dw, db), both from a ready upstream gradient ``dy``;
- for contrast, forward only, on a smaller batch (loops are slow): a plain 4-loop
  convolution written here, and lab 2's ``conv2d`` (a loop over output pixels, vectorised
  over the batch and the filters) when ``labs/lab2_conv_forward/solution.py`` exists.

Each time is the best of ``--repeat`` runs (``timeit``-style: the minimum is the run least
disturbed by other processes), in float32, TensorFlow in eager mode. Peak memory: the
``tracemalloc`` peak of one call for the NumPy versions (TensorFlow's own allocator is
invisible to it), and the process's ``ru_maxrss`` at the end. The table is printed and
written as Markdown to ``benchmarks/conv_benchmark.md``, which lab 3's notebook displays,
and into the "Convolution (lab 3)" section of ``benchmarks/README.md``.
"""

import argparse
import datetime
import os
import platform
import resource
import sys
import timeit
import tracemalloc
from functools import partial

import numpy as np
import tensorflow as tf
from threadpoolctl import threadpool_limits

from benchmarks.machine import cpu_name
from cnn_course.grading.runner import load_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "benchmarks", "conv_benchmark.md")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS (NumPy) and for TensorFlow alike (default 1)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing; the best is kept")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the main table")
    parser.add_argument("--loop-batch", type=int, default=4,
                        help="batch size for the slow loop convolution (default 4)")
    parser.add_argument("--lab-file", default=os.path.join(ROOT, "labs", "lab3_fast_conv", "solution.py"),
                        help="the lab 3 file to time (default: the solution; a student's lab3.py works too)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="Markdown file for the table (only the default also updates README.md)")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.repeat < 1 or args.batch < 1 or args.loop_batch < 1:
        parser.error("--threads, --repeat, --batch and --loop-batch must be positive integers")
    return args


ARGS = parse_args()
# NumPy's BLAS and TensorFlow get the same number of threads (set before either computes).
threadpool_limits(ARGS.threads, user_api="blas")
tf.config.threading.set_intra_op_parallelism_threads(ARGS.threads)
tf.config.threading.set_inter_op_parallelism_threads(ARGS.threads)

# The MNIST model's conv layers: input (N, H, W, C_in) -> C_out filters, 3x3, "valid".
LAYERS = [((28, 28, 1), 32), ((13, 13, 32), 64), ((5, 5, 64), 64)]
TARGET_LAYER = (13, 13, 32)  # the targets below are stated for this layer
TARGET_FORWARD, TARGET_BOTH = 1.5, 2.0
README_START, README_END = "<!-- conv-benchmark:start", "<!-- conv-benchmark:end -->"


def loop_conv2d(x, w, b):
    """A plain 4-loop convolution ("valid", stride 1): one Python step per output number."""
    N, H, W, _ = x.shape
    f_h, f_w, _, C_out = w.shape
    y = np.empty((N, H - f_h + 1, W - f_w + 1, C_out), dtype=x.dtype)
    for n in range(N):
        for i in range(H - f_h + 1):
            for j in range(W - f_w + 1):
                for o in range(C_out):
                    y[n, i, j, o] = np.sum(x[n, i:i + f_h, j:j + f_w, :] * w[..., o]) + b[o]
    return y


def best_ms(f, repeat):
    """Best time of one call, in milliseconds, timeit-style (calls per run chosen by autorange)."""
    timer = timeit.Timer(f)
    number, _ = timer.autorange()  # enough calls per run for about 0.2 s
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e3


def peak_mb(f):
    """Peak memory NumPy allocates during one call of ``f``, in MB (tracemalloc)."""
    tracemalloc.start()
    f()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def time_layer(lab3, x, w, b, dy):
    """Lab 3's forward and forward + backward against TensorFlow on one layer (batch ``x``)."""
    xt, wt, bt, dyt = map(tf.constant, (x, w, b, dy))

    # Both sides start from arrays in their own format and end with arrays in hand.
    def ours_forward():
        return lab3.conv2d(x, w, b)

    def tf_forward():
        return tf.nn.bias_add(tf.nn.conv2d(xt, wt, 1, "VALID"), bt).numpy()

    def ours_both():
        lab3.conv2d(x, w, b)
        return lab3.conv2d_backward(dy, x, w)

    def tf_both():
        with tf.GradientTape() as tape:
            tape.watch([xt, wt, bt])
            out = tf.nn.bias_add(tf.nn.conv2d(xt, wt, 1, "VALID"), bt)
        return [g.numpy() for g in tape.gradient(out, [xt, wt, bt], output_gradients=dyt)]

    # Same answers first: a fast wrong convolution is not worth timing.
    np.testing.assert_allclose(ours_forward(), tf_forward(), rtol=1e-3, atol=1e-3)
    for ours, theirs in zip(ours_both(), tf_both(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-2)

    t = {name: best_ms(f, ARGS.repeat) for name, f in
         [("of", ours_forward), ("tf", tf_forward), ("ob", ours_both), ("tb", tf_both)]}
    return {"layer": (x.shape[1], x.shape[2], w.shape[2], w.shape[3]), "y": dy.shape,
            **t, "mem_f": peak_mb(ours_forward), "mem_b": peak_mb(ours_both)}


def time_loops(lab3, loops, xs, w, b):
    """The loop versions against lab 3 and TensorFlow, on a small batch ``xs`` (seconds per
    call at batch 64)."""
    xst, wt, bt = map(tf.constant, (xs, w, b))
    row = {
        "layer": (xs.shape[1], xs.shape[2], w.shape[2], w.shape[3]),
        "ours": best_ms(lambda: lab3.conv2d(xs, w, b), ARGS.repeat),
        "tf": best_ms(lambda: tf.nn.bias_add(tf.nn.conv2d(xst, wt, 1, "VALID"), bt).numpy(), ARGS.repeat),
        "mem": peak_mb(lambda: lab3.conv2d(xs, w, b)), "loops": {},
    }
    for name, conv in loops.items():
        np.testing.assert_allclose(conv(xs, w, b), lab3.conv2d(xs, w, b), rtol=1e-3, atol=1e-3)
        # best of 3 single calls: these take up to seconds each
        ms = min(timeit.repeat(partial(conv, xs, w, b), number=1, repeat=3)) * 1e3
        row["loops"][name] = (ms, peak_mb(partial(conv, xs, w, b)))
    return row


def main():
    lab3 = load_module(ARGS.lab_file, "lab3_under_test")
    try:
        tiny = np.zeros((1, 3, 3, 1), dtype=np.float32)
        lab3.conv2d_backward(lab3.conv2d(tiny, tiny.reshape(3, 3, 1, 1)), tiny, tiny.reshape(3, 3, 1, 1))
    except NotImplementedError:
        sys.exit(f"{ARGS.lab_file}: conv2d or conv2d_backward is not implemented yet; nothing to time")
    lab2_path = os.path.join(ROOT, "labs", "lab2_conv_forward", "solution.py")
    # Loop versions for contrast: always the 4-loop one, and lab 2's solution when present.
    loops = {"4 loops": loop_conv2d}
    if os.path.isfile(lab2_path):
        loops["lab 2 (pixel loop)"] = load_module(lab2_path, "lab2_solution").conv2d

    rng = np.random.default_rng(0)
    load_before = os.getloadavg()
    rows, loop_rows = [], []
    for (H, W, C_in), C_out in LAYERS:
        x = rng.standard_normal((ARGS.batch, H, W, C_in), dtype=np.float32)
        w = rng.standard_normal((3, 3, C_in, C_out), dtype=np.float32) * 0.1
        b = rng.standard_normal(C_out, dtype=np.float32)
        dy = rng.standard_normal(lab3.conv2d(x, w, b).shape, dtype=np.float32)
        rows.append(time_layer(lab3, x, w, b, dy))
        loop_rows.append(time_loops(lab3, loops, x[:ARGS.loop_batch], w, b))
    load_after = os.getloadavg()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    text = render(rows, loop_rows, load_before, load_after, maxrss_mb)
    print(text)
    with open(ARGS.out, "w") as handle:
        handle.write(text)
    print(f"wrote {os.path.relpath(ARGS.out)}", file=sys.stderr)
    if os.path.abspath(ARGS.out) == DEFAULT_OUT:  # a trial run to another file leaves the README alone
        update_readme(text)


def update_readme(text, path=None):
    """Replace the block between this benchmark's markers in the README (``path``, by default
    benchmarks/README.md) by ``text``."""
    path = path or os.path.join(ROOT, "benchmarks", "README.md")
    try:
        with open(path) as handle:
            readme = handle.read()
    except OSError:
        return
    start = readme.find(README_START)
    end = readme.find(README_END, start)
    if start < 0 or end < 0:
        print(f"{os.path.relpath(path)} has no {README_START!r} block: not updated", file=sys.stderr)
        return
    start = readme.index("\n", start) + 1  # keep the marker line itself
    with open(path, "w") as handle:
        handle.write(readme[:start] + text + readme[end:])
    print(f"updated {os.path.relpath(path)}", file=sys.stderr)


def shape(t):
    return "×".join(map(str, t))


def render(rows, loop_rows, load_before, load_after, maxrss_mb):
    """The Markdown report: how it was measured, the two tables, the targets."""
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {cpu_name()} "
        f"({os.cpu_count()} logical cores, shared with other jobs: load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after), Python {platform.python_version()}, "
        f"NumPy {np.__version__}, TensorFlow {tf.__version__} (eager, oneDNN {onednn}). "
        f"{ARGS.threads} thread(s) for both NumPy's BLAS and TensorFlow; float32; "
        f"3×3 kernels, stride 1, \"valid\"; best of {ARGS.repeat} runs. "
        f"Ratio = ours / TensorFlow (below 1: ours is faster). "
        f"Ours: `{os.path.relpath(ARGS.lab_file, ROOT)}`.",
        "",
        f"| layer (H×W×C_in → C_out), batch {ARGS.batch} | forward: im2col (ms) | tf.nn.conv2d (ms) "
        "| ratio | forward + backward: ours (ms) | GradientTape (ms) | ratio "
        "| peak NumPy memory, forward / both (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        H, W, C_in, C_out = r["layer"]
        lines.append(
            f"| {H}×{W}×{C_in} → {C_out} | {r['of']:.2f} | {r['tf']:.2f} | {r['of'] / r['tf']:.2f} "
            f"| {r['ob']:.2f} | {r['tb']:.2f} | {r['ob'] / r['tb']:.2f} "
            f"| {r['mem_f']:.1f} / {r['mem_b']:.1f} |")
    lines += [
        "",
        f"Loops for contrast, forward only, batch {ARGS.loop_batch}: \"4 loops\" takes one Python "
        "step per output number; lab 2's solution loops over output pixels and does the batch "
        "and the filters at once. Times in ms (× im2col); peak NumPy memory in MB.",
        "",
    ]
    names = list(loop_rows[0]["loops"])
    lines += [
        f"| layer, batch {ARGS.loop_batch} | " + " | ".join(names) + " | im2col | tf.nn.conv2d |",
        "| --- |" + " ---: |" * (len(names) + 2),
    ]
    for r in loop_rows:
        H, W, C_in, C_out = r["layer"]
        cells = [f"{ms:.1f} ({ms / r['ours']:.0f}×), {mem:.2f} MB" for ms, mem in r["loops"].values()]
        lines.append(f"| {H}×{W}×{C_in} → {C_out} | " + " | ".join(cells)
                     + f" | {r['ours']:.2f}, {r['mem']:.2f} MB | {r['tf']:.2f} |")
    target = next(r for r in rows if r["layer"][:3] == TARGET_LAYER)
    forward, both = target["of"] / target["tf"], target["ob"] / target["tb"]
    def verdict(ratio, goal):
        return "met" if ratio <= goal else "not met"

    lines += [
        "",
        f"Targets on the {shape(TARGET_LAYER)} → {target['layer'][3]} layer: forward within "
        f"{TARGET_FORWARD}× of TensorFlow, measured {forward:.2f}× ({verdict(forward, TARGET_FORWARD)}); "
        f"forward + backward within {TARGET_BOTH}×, measured {both:.2f}× ({verdict(both, TARGET_BOTH)}). "
        f"Process peak resident memory (ru_maxrss, TensorFlow included): {maxrss_mb:.0f} MB.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
