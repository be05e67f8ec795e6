"""One-bug variants ("mutants") of each lab's solution, and grading them: the mutation suite.

Each mutant is a mistake students make -- a flipped kernel, padding on the wrong side, an
off-by-one size, a sum that misses the batch, ties, dtypes, an argument that never reaches
Keras, a loop where vectorised code is required -- written as a textual substitution in
``labs/labN_topic/solution.py``: ``(name, is_core, old_text, new_text)``. ``old_text`` must
occur exactly once in the solution (:func:`mutate` checks), so an edit of a solution cannot
silently disable a mutant; for a mistake that takes two edits, ``old_text`` and ``new_text``
are tuples of the same length. ``is_core`` marks a bug that makes the lab's core computation wrong on most inputs (every
output, or every call with the default stride, or every window that is not square), which
must lose at least half of the lab's points; any other bug breaks one aspect of the task (the
bias, the stride, "same" padding, one dtype, one layer's backward pass), and must lose points
but keep more than half: a bug costs what it breaks.

The mutants are generated from the solution when they are graded, all of one lab's in one
pytest process (``--lab-file`` given once per mutant, with the unchanged solution as a
control that must earn every point). Used by ``tests/test_mutations.py`` (the assertions)
and ``benchmarks/mutation_score.py`` (the table in ``benchmarks/mutation_score.md``). Kept
out of the package on purpose: it quotes the solutions.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from cnn_course.grading import runner
from cnn_course.grading.starters import find_lab

ROOT = Path(__file__).resolve().parent.parent
LABS_ROOT = ROOT / "labs"
CONTROL = "solution"  # the unchanged solution, graded with the mutants

MUTANTS = {
    "lab1": [
        ("grayscale in BGR order", True,
         "return rgb.astype(np.float32) @ BT601_WEIGHTS",
         "return rgb.astype(np.float32) @ BT601_WEIGHTS[::-1]"),
        ("grayscale as the plain mean", True,
         "return rgb.astype(np.float32) @ BT601_WEIGHTS",
         "return rgb.astype(np.float32).mean(axis=-1)"),
        ("grayscale keeps float64", False,
         "return rgb.astype(np.float32) @ BT601_WEIGHTS",
         "return rgb @ BT601_WEIGHTS"),
        ("normalize divides by 256", True,
         "return images.astype(np.float32) / 255",
         "return images.astype(np.float32) / 256"),
        ("normalize by integer division", True,
         "return images.astype(np.float32) / 255",
         "return (images // 255).astype(np.float32)"),
        ("channel axis in front", False,
         "return images[..., np.newaxis]",
         "return images[np.newaxis]"),
        ("batch axis at the end", False,
         "return image[np.newaxis]",
         "return image[..., np.newaxis]"),
        ("one-hot off by one", False,
         "encoded[np.arange(labels.shape[0]), labels] = 1",
         "encoded[np.arange(labels.shape[0]), labels - 1] = 1"),
        ("one-hot width from the data", False,
         "encoded = np.zeros((labels.shape[0], num_classes), dtype=np.float32)",
         "encoded = np.zeros((labels.shape[0], labels.max() + 1), dtype=np.float32)"),
        ("one-hot of integers", False,
         "encoded = np.zeros((labels.shape[0], num_classes), dtype=np.float32)",
         "encoded = np.zeros((labels.shape[0], num_classes), dtype=np.int64)"),
        ("normalize accepts floats", False,
         "if images.dtype != np.uint8:",
         "if images.dtype.kind not in 'uif':"),
        ("one-hot without the range check", False,
         "    check_range(\"labels\", labels, 0, num_classes - 1)\n", ""),
    ],
    "lab2": [
        ("flipped kernel (convolution, not cross-correlation)", True,
         "np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))",
         "np.tensordot(patch, w[::-1, ::-1], axes=([1, 2, 3], [0, 1, 2]))"),
        ("odd 'same' zero on the top and left", False,
         "x = pad(x, ((total_h // 2, total_h - total_h // 2), (total_w // 2, total_w - total_w // 2)))",
         "x = pad(x, ((total_h - total_h // 2, total_h // 2), (total_w - total_w // 2, total_w // 2)))"),
        ("one output row and column short", True,
         "    h_out = (x.shape[1] - f_h) // s_h + 1\n    w_out = (x.shape[2] - f_w) // s_w + 1",
         "    h_out = (x.shape[1] - f_h) // s_h\n    w_out = (x.shape[2] - f_w) // s_w"),
        ("stride pair swapped", False,
         "patch = x[:, i * s_h:i * s_h + f_h, j * s_w:j * s_w + f_w, :]",
         "patch = x[:, i * s_w:i * s_w + f_h, j * s_h:j * s_h + f_w, :]"),
        ("bias never added", False,
         "    if b is not None:\n        y += b\n", ""),
        ("always float64", False,
         "return y.astype(dtype)",
         "return y.astype(x.dtype)"),
        ("sum over the first input channel only", False,
         "np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))",
         "np.tensordot(patch[..., :1], w[:, :, :1], axes=([1, 2, 3], [0, 1, 2]))"),
        ("first image's output for the whole batch", False,
         "y[:, i, j, :] = np.tensordot(patch, w,",
         "y[:, i, j, :] = np.tensordot(patch[:1], w,"),
        ("output_size: valid one short", False,
         "return (n - f) // stride + 1",
         "return (n - f) // stride"),
        ("output_size: same rounds down", False,
         "return -(-n // stride)  # ceil(n / stride) without floating point",
         "return n // stride"),
        ("pad: top padding at the bottom", False,
         "padded[:, top:top + x.shape[1], left:left + x.shape[2], :] = x",
         "padded[:, bottom:bottom + x.shape[1], left:left + x.shape[2], :] = x"),
        ("pad: float64 whatever the input", False,
         "x.shape[3]), dtype=x.dtype)",
         "x.shape[3]))"),
        ("output_size: no stride check", False,
         "    stride = check_positive_int(\"stride\", stride)\n    check_choice(\"padding\", padding, PADDINGS)\n"
         "    if padding == \"same\":\n        return",
         "    check_choice(\"padding\", padding, PADDINGS)\n    if padding == \"same\":\n        return"),
    ],
    "lab3": [
        ("im2col ignores the stride", True,
         "windows = windows[:, ::s, ::s][:, :H_out, :W_out]",
         "windows = windows[:, :H_out, :W_out]"),
        ("im2col rows channel-first", True,
         ".transpose(0, 1, 2, 4, 5, 3)",
         ".transpose(0, 1, 2, 3, 4, 5)"),
        ("im2col pads the wrong sides", False,
         "x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))",
         "x = np.pad(x, ((0, 0), (bottom, top), (right, left), (0, 0)))"),
        ("flipped kernel", False,
         "y = cols @ w.reshape(f_h * f_w * C_in, C_out)",
         "y = cols @ w[::-1, ::-1].reshape(f_h * f_w * C_in, C_out)"),
        ("bias never added", False,
         "y += b  # in place: no second output-sized array",
         "pass"),
        ("dw missing its transpose", False,
         "dw = (cols.T @ dy).reshape(w.shape)",
         "dw = (dy.T @ cols).reshape(w.shape)"),
        ("db sums the first image only", False,
         "db = dy.sum(axis=0)",
         "db = dy.reshape(x.shape[0], -1, C_out)[0].sum(axis=0)"),
        ("col2im overwrites overlapping windows", False,
         "dx[:, di:di + s * H_out:s, dj:dj + s * W_out:s, :] += cols[:, :, :, di, dj, :]",
         "dx[:, di:di + s * H_out:s, dj:dj + s * W_out:s, :] = cols[:, :, :, di, dj, :]"),
        ("col2im crops the wrong sides", False,
         "return dx[:, top:top + H, left:left + W, :]",
         "return dx[:, :H, :W, :]"),
        ("dx with the flipped kernel", False,
         "dcols = dy @ w.reshape(f_h * f_w * C_in, C_out).T",
         "dcols = dy @ w[::-1, ::-1].reshape(f_h * f_w * C_in, C_out).T"),
        ("a loop over output pixels", False,
         "y = cols @ w.reshape(f_h * f_w * C_in, C_out)\n",
         "y = np.zeros((cols.shape[0], C_out), dtype=np.result_type(cols, w))\n"
         "    for r in range(cols.shape[0]):\n"
         "        for o in range(C_out):\n"
         "            y[r, o] = np.dot(cols[r], w[..., o].reshape(-1))\n"),
        ("dy's shape never checked", False,
         "if dy.shape != expected:",
         "if dy.ndim != 4:"),
        ("im2col loops over windows, one slice copy each", False,
         "    return windows.reshape(N * H_out * W_out, f_h * f_w * C)\n",
         "    rows = np.empty((N, H_out, W_out, f_h * f_w * C), dtype=x.dtype)\n"
         "    for i in range(H_out):\n"
         "        for j in range(W_out):\n"
         "            rows[:, i, j] = x[:, s * i:s * i + f_h, s * j:s * j + f_w, :].reshape(N, -1)\n"
         "    return rows.reshape(N * H_out * W_out, f_h * f_w * C)\n"),
    ],
    "lab4": [
        ("the input read channels-first", True,
         "_, H, W, _ = x_shape",
         "_, _, H, W = x_shape"),
        ("stride defaults to 1", True,
         "stride = pool if stride is None else pair(\"stride\", stride)",
         "stride = (1, 1) if stride is None else pair(\"stride\", stride)"),
        ("the gradient goes to every tied maximum", False,
         ("return y, {\"x_shape\": x.shape, \"dtype\": x.dtype, \"geo\": geo, \"where\": where}",
          "dxp[:, rows, cols] += np.where(cache[\"where\"] == k, dy, 0)"),
         ("return y, {\"x_shape\": x.shape, \"dtype\": x.dtype, \"geo\": geo, \"where\": where, "
          "\"windows\": windows, \"y\": y}",
          "dxp[:, rows, cols] += np.where(cache[\"windows\"][k] == cache[\"y\"], dy, 0)")),
        ("ties go to the last maximum", False,
         "where = np.argmax(windows, axis=0)",
         "where = len(windows) - 1 - np.argmax(windows[::-1], axis=0)"),
        ("max pooling pads with zeros", False,
         "xp = np.pad(x, ((0, 0), *geo[\"pad\"], (0, 0)), constant_values=-np.inf)",
         "xp = np.pad(x, ((0, 0), *geo[\"pad\"], (0, 0)))"),
        ("average over the whole window, padding included", False,
         "y = total / count",
         "y = total / (geo[\"pool\"][0] * geo[\"pool\"][1])"),
        ("average backward not divided", False,
         "share = dy / cache[\"count\"]",
         "share = dy"),
        ("max backward overwrites overlapping windows", False,
         "dxp[:, rows, cols] += np.where(cache[\"where\"] == k, dy, 0)",
         "dxp[:, rows, cols] = np.where(cache[\"where\"] == k, dy, 0)"),
        ("average backward overwrites overlapping windows", False,
         "dxp[:, rows, cols] += share",
         "dxp[:, rows, cols] = share"),
        ("padding split on the wrong side", False,
         "pad = tuple(padding_amounts(n, f, s, padding) for",
         "pad = tuple(padding_amounts(n, f, s, padding)[::-1] for"),
        ("window height and width swapped", True,
         "return tuple(check_positive_int(name, v) for v in value)",
         "return tuple(check_positive_int(name, v) for v in value)[::-1]"),
        ("a window too wide is let through", False,
         "if padding == \"valid\" and (pool[0] > H or pool[1] > W):",
         "if padding == \"valid\" and (pool[0] > H and pool[1] > W):"),
    ],
    "lab5": [
        ("16 filters in the first convolution", True,
         "layers.Conv2D(32, (3, 3), activation=\"relu\"),",
         "layers.Conv2D(16, (3, 3), activation=\"relu\"),"),
        ("no softmax on the output", True,
         "layers.Dense(10, activation=\"softmax\"),",
         "layers.Dense(10),"),
        ("second pooling layer missing", True,
         "        layers.MaxPooling2D((2, 2)),\n        layers.Conv2D(64, (3, 3), activation=\"relu\"),\n"
         "        layers.Flatten(),",
         "        layers.Conv2D(64, (3, 3), activation=\"relu\"),\n        layers.Flatten(),"),
        ("no relu in the hidden dense layer", True,
         "layers.Dense(64, activation=\"relu\"),",
         "layers.Dense(64),"),
        ("adam instead of rmsprop", True,
         "optimizer=\"rmsprop\"",
         "optimizer=\"adam\""),
        ("binary cross-entropy", True,
         "loss=\"categorical_crossentropy\"",
         "loss=\"binary_crossentropy\""),
        ("pixels not scaled", True,
         "x = x.reshape((-1, 28, 28, 1)).astype(np.float32) / 255",
         "x = x.reshape((-1, 28, 28, 1)).astype(np.float32)"),
        ("one-hot width from the data", False,
         "keras.utils.to_categorical(y, 10)",
         "keras.utils.to_categorical(y)"),
        ("epochs never reach Keras", True,
         "epochs=epochs, batch_size=batch_size, verbose=0)",
         "batch_size=batch_size, verbose=0)"),
        ("batch_size never reaches Keras", True,
         "epochs=epochs, batch_size=batch_size, verbose=0)",
         "epochs=epochs, verbose=0)"),
        ("evaluated on the training set", True,
         "model.evaluate(test[0], test[1], verbose=0)",
         "model.evaluate(train[0], train[1], verbose=0)"),
        ("returns the loss", True,
         "_, accuracy = model.evaluate(",
         "accuracy, _ = model.evaluate("),
        ("epochs not checked", False,
         "epochs = check_positive_int(\"epochs\", epochs)",
         "epochs = int(epochs)"),
    ],
    "lab6": [
        ("relu's gradient passes at zero", False,
         "return np.where(x > 0, dy, 0).astype(dy.dtype)",
         "return np.where(x >= 0, dy, 0).astype(dy.dtype)"),
        ("dense's bias gradient averaged over the batch", True,
         "return dy @ w.T, x.T @ dy, dy.sum(axis=0)",
         "return dy @ w.T, x.T @ dy, dy.mean(axis=0)"),
        ("dense's kernel gradient transposed", True,
         "return dy @ w.T, x.T @ dy, dy.sum(axis=0)",
         "return dy @ w.T, (x.T @ dy).T.reshape(w.shape), dy.sum(axis=0)"),
        ("softmax without the maximum subtracted", False,
         "shifted = logits - logits.max(axis=1, keepdims=True)",
         "shifted = logits"),
        ("the loss summed over the batch", False,
         "loss = -float(np.sum(y * log_probs)) / n",
         "loss = -float(np.sum(y * log_probs))"),
        ("the logits' gradient not divided by the batch size", False,
         "dlogits = (np.exp(log_probs) - y) / n",
         "dlogits = np.exp(log_probs) - y"),
        ("epsilon outside the square root", False,
         "grad / np.sqrt(velocity + epsilon)",
         "grad / (np.sqrt(velocity) + epsilon)"),
        ("rho and 1 - rho swapped", False,
         "velocity = (rho * velocity + (1 - rho) * grad * grad)",
         "velocity = ((1 - rho) * velocity + rho * grad * grad)"),
        ("flattened channels first", True,
         "a = a.reshape(a.shape[0], -1)",
         "a = a.transpose(0, 3, 1, 2).reshape(a.shape[0], -1)"),
        ("no relu after dense1", True,
         "a = relu(z)\n    cache[\"dense2/in\"] = a",
         "cache[\"dense2/in\"] = a = z"),
        ("dense1's relu skipped in the backward pass", True,
         "dz = relu_backward(da, cache[\"dense1/z\"])",
         "dz = da"),
        ("velocities never kept", False,
         "params[name], velocities[name] = rmsprop_update(",
         "params[name], _ = rmsprop_update("),
        ("learning rate never reaches RMSprop", False,
         "velocities[name],\n                                                        learning_rate)",
         "velocities[name])"),
    ],
}


def solution_path(lab):
    return find_lab(lab, LABS_ROOT).solution


def mutate(source, mutant):
    """``source`` with ``mutant``'s substitution(s) made; raises ``ValueError`` unless each
    ``old_text`` occurs exactly once."""
    name, _, old, new = mutant
    olds, news = ((old,), (new,)) if isinstance(old, str) else (old, new)
    for old_text, new_text in zip(olds, news, strict=True):
        count = source.count(old_text)
        if count != 1:
            raise ValueError(f"mutant {name!r}: its old_text must occur exactly once in the "
                             f"solution; it occurs {count} times: {old_text!r}")
        source = source.replace(old_text, new_text)
    return source


def write_mutants(lab, folder):
    """Write the solution (as ``solution.py``, the control) and each of ``lab``'s mutants
    (``m01.py``, ...) into ``folder``; return ``{name: path}``, the control first."""
    source = solution_path(lab).read_text()
    folder = Path(folder)
    files = {CONTROL: folder / "solution.py"}
    files[CONTROL].write_text(source)
    for number, mutant in enumerate(MUTANTS[lab], start=1):
        path = folder / f"m{number:02d}.py"
        path.write_text(mutate(source, mutant))
        files[mutant[0]] = path
    return files


def grade_files(lab, files, folder):
    """Grade several trusted files of lab ``lab`` in one pytest process, hidden tests
    included; return ``({path: points}, full points, CPU seconds of the run)``."""
    lab = find_lab(lab, LABS_ROOT)
    report = Path(folder) / "report.json"
    command = runner.pytest_command(lab.test_files(), [str(f) for f in files], report)
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(Path(folder) / ".hypothesis")}
    before = os.times()
    subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=1200,
                   check=False)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if not report.is_file():
        raise RuntimeError(f"grading {lab}'s mutants wrote no report")
    tests = json.loads(report.read_text())["tests"]
    full = sum(t["points"] for t in runner.lab_tests(lab))
    points = {}
    for path in files:
        mine = [t for t in tests if Path(t.get("lab_file", "")).resolve() == Path(path).resolve()]
        points[str(path)] = round(sum(t["points"] for t in mine if t["passed"]), 2)
    return points, round(full, 2), cpu


def grade_mutants(lab, copies=1):
    """Grade the control and every mutant of ``lab`` in one process; with ``copies=2`` each
    file is graded twice in that process (as two files), to check that points never depend
    on the order or on what ran before. Returns ``{"full", "cpu", "wall", "rows"}``, each row
    ``{"name", "core", "points"}`` (``points`` a list, one per copy)."""
    with tempfile.TemporaryDirectory(prefix=f"mutants-{lab}-") as folder:
        files = write_mutants(lab, folder)
        graded = []
        for copy in range(1, copies):  # the same bytes under another name
            for name, path in list(files.items()):
                twin = Path(folder) / f"{path.stem}_copy{copy}.py"
                twin.write_bytes(path.read_bytes())
                graded.append((name, copy, twin))
        graded = [(name, 0, path) for name, path in files.items()] + graded
        start = time.perf_counter()
        points, full, cpu = grade_files(lab, [path for _, _, path in graded], folder)
        wall = time.perf_counter() - start
    core = {mutant[0]: mutant[1] for mutant in MUTANTS[lab]}
    rows = []
    for name in files:
        rows.append({"name": name, "core": core.get(name, False),
                     "points": [points[str(path)] for n, _, path in graded if n == name]})
    return {"full": full, "cpu": cpu, "wall": wall, "rows": rows}


def killed(row, full):
    """A mutant is killed when it loses points: a core one at least half of them, any other
    less than half (a bug in one aspect costs that aspect, not the lab)."""
    points = max(row["points"])
    return points < full and (points <= full / 2 if row["core"] else points > full / 2)


def table(results):
    """Markdown: the mutation score per lab, then every mutant's points."""
    lines = ["| lab | mutants killed | core mutants (at most half the points left) | CPU time |",
             "| --- | --- | --- | --- |"]
    for lab, result in results.items():
        mutants = [r for r in result["rows"] if r["name"] != CONTROL]
        core = [r for r in mutants if r["core"]]
        lines.append(f"| {lab} | {sum(killed(r, result['full']) for r in mutants)}/{len(mutants)} | "
                     f"{sum(killed(r, result['full']) for r in core)}/{len(core)} | {result['cpu']:.0f} s |")
    for lab, result in results.items():
        lines += ["", f"### {lab} (out of {result['full']:g} points)", "",
                  "| mutant | core | points | killed |", "| --- | --- | --- | --- |"]
        for row in result["rows"]:
            shown = " / ".join(f"{p:g}" for p in row["points"])
            verdict = "control" if row["name"] == CONTROL else ("yes" if killed(row, result["full"]) else "**no**")
            lines.append(f"| {row['name']} | {'yes' if row['core'] else ''} | {shown} | {verdict} |")
    return "\n".join(lines)
