"""Chapter 7's convnet from scratch: the network of chapter 6, in NumPy, trained like Keras.

The same layers as ``cnn_course.models.build_convnet()`` -- Conv2D 32, 64 and 64 filters of
3×3 with ReLU, 2×2 max pooling after the first two, Flatten, Dense 64 with ReLU, Dense 10
with softmax -- on ``(N, 28, 28, 1)`` images, built from :mod:`cnn_course.layers`: float32
(or float64, for a gradient check), vectorised over the batch, initialised as Keras does
(Glorot-uniform kernels, zero biases) and trained with Keras' RMSprop on the mean
categorical cross-entropy. Weights copy both ways to and from the Keras model, so every
step can be compared with Keras' own.

The network keeps what its backward pass needs from the last :meth:`ConvNet.forward`;
:meth:`ConvNet.backward` then returns the gradient of every parameter.
"""

import json
import time
from importlib import resources

import numpy as np

from . import layers
from .checks import check_dtype, check_positive_int, check_rank, describe
from .gradcheck import numerical_gradient, relative_error

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
BENCHMARK_FILE = "numpy_convnet_benchmark.json"  # package data, written by the benchmark


def benchmark_results():
    """What ``benchmarks/numpy_convnet_benchmark.py`` last measured (chapter 7 glues from it).

    A dict with the machine, the epoch times and memory of both networks, the SGEMM rates
    and, under ``"spread"``, the test accuracy of the NumPy network over seeds (``"runs"``,
    ``"mean"``, ``"std"``, ``"min"``, ``"max"``, ``"n"``, ``"epochs"``). Package data, so a
    notebook opened alone on Colab finds it too.
    """
    return json.loads(resources.files(__package__).joinpath(BENCHMARK_FILE).read_text())


class Layer:
    """What every layer shares: a name, its parameters' shapes, an optional ReLU on its output."""

    def __init__(self, name, shapes=None, relu=False):
        self.name, self.shapes, self.relu = name, shapes or {}, relu

    def _activate(self, y):
        if self.relu:
            y = np.maximum(y, 0, out=y)  # in place: y is this layer's own fresh output
        self.y = y
        return y

    def _deactivate(self, dy):
        return layers.relu_backward(dy, self.y) if self.relu else dy

    def forget(self):
        """Drop what the last forward pass kept (after inference it is only memory)."""
        for kept in ("x", "y", "cols", "cache", "x_shape"):
            self.__dict__.pop(kept, None)


class Conv2D(Layer):
    """A 3×3 "valid" convolution, stride 1; ``need_dx=False`` skips its input's gradient."""

    def __init__(self, name, c_in, c_out, relu=True, need_dx=True):
        super().__init__(name, {"w": (3, 3, c_in, c_out), "b": (c_out,)}, relu)
        self.need_dx = need_dx

    def forward(self, x, p):
        y, self.cols = layers.conv2d_cols(x, p[self.name + "_w"], p[self.name + "_b"])
        self.x_shape = x.shape
        return self._activate(y)

    def backward(self, dy, p, grads):
        dx, grads[self.name + "_w"], grads[self.name + "_b"] = layers.conv2d_backward_cols(
            self._deactivate(dy), self.cols, self.x_shape, p[self.name + "_w"], need_dx=self.need_dx)
        return dx


class MaxPool2D(Layer):
    """2×2 max pooling, stride 2, optionally followed by the ReLU of the convolution before it.

    ReLU and max pooling commute, ``max(relu(z)) = relu(max(z))``, both being increasing:
    applied after pooling the ReLU touches a quarter of the values, forward and backward,
    and the network computes exactly the same function and gradients.
    """

    def forward(self, x, p):
        y, self.cache = layers.max_pool2d(x, 2)
        return self._activate(y)

    def backward(self, dy, p, grads):
        return layers.max_pool2d_backward(self._deactivate(dy), self.cache)


class Flatten(Layer):
    """``(N, H, W, C)`` to ``(N, H * W * C)`` in NHWC order, as Keras' ``Flatten``."""

    def forward(self, x, p):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy, p, grads):
        return dy.reshape(self.x_shape)


class Dense(Layer):
    """A dense layer, with a ReLU or without (the last layer: its softmax is in the loss)."""

    def __init__(self, name, n_in, n_out, relu=True):
        super().__init__(name, {"w": (n_in, n_out), "b": (n_out,)}, relu)

    def forward(self, x, p):
        self.x = x
        return self._activate(layers.dense(x, p[self.name + "_w"], p[self.name + "_b"]))

    def backward(self, dy, p, grads):
        dx, grads[self.name + "_w"], grads[self.name + "_b"] = layers.dense_backward(
            self._deactivate(dy), self.x, p[self.name + "_w"])
        return dx


def _add_time(times, key, start):
    """Add the seconds since ``start`` to ``times[key]`` (``times`` None: not profiling)."""
    if times is not None:
        times[key] = times.get(key, 0.0) + time.perf_counter() - start


def _labels(name, y):
    """A one-hot ``(N, 10)`` array, checked."""
    y = check_dtype(name, check_rank(name, y, 2, f"(N, {NUM_CLASSES}), one-hot"), "fiub")
    if y.shape[1] != NUM_CLASSES:
        raise ValueError(f"{name} must be one-hot, shape (N, {NUM_CLASSES}); got {describe(y)}")
    return y


class ConvNet:
    """The book's MNIST convnet in NumPy.

    Parameters
    ----------
    seed : int, for the Glorot-uniform initial kernels (biases start at zero, as in Keras)
    dtype : float32 (the default, as Keras) or float64 (for gradient checks)

    Attributes
    ----------
    params : dict of arrays, ``"conv1_w"``, ``"conv1_b"``, ... ``"dense2_b"``: kernels HWIO
        ``(3, 3, C_in, C_out)`` and dense weights ``(n_in, n_out)``, Keras' layouts, in the
        order of ``model.trainable_weights``
    layers : the layer objects, in order; ``layer.name`` names each
    """

    def __init__(self, seed=0, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a floating-point dtype; got {self.dtype}")
        # The first two convolutions leave their ReLU to the pooling after them (it commutes);
        # the first has no layer below it to send a gradient to.
        self.layers = [Conv2D("conv1", 1, 32, relu=False, need_dx=False), MaxPool2D("pool1", relu=True),
                       Conv2D("conv2", 32, 64, relu=False), MaxPool2D("pool2", relu=True),
                       Conv2D("conv3", 64, 64), Flatten("flatten"),
                       Dense("dense1", 3 * 3 * 64, 64), Dense("dense2", 64, NUM_CLASSES, relu=False)]
        rng = np.random.default_rng(seed)
        self.params = {}
        for layer in self.layers:
            for kind, shape in layer.shapes.items():
                self.params[f"{layer.name}_{kind}"] = (
                    layers.glorot_uniform(shape, rng, self.dtype) if kind == "w"
                    else np.zeros(shape, self.dtype))
        self.logits = None

    # ------------------------------------------------------------ one batch

    def forward(self, x, times=None):
        """Logits ``(N, 10)`` of images ``x`` ``(N, 28, 28, 1)`` (cast to the network's dtype).

        Keeps what :meth:`backward` needs. ``times``, a dict, collects each layer's seconds
        under ``(layer name, "forward")`` (for a profile).
        """
        x = check_dtype("x", check_rank("x", x, 4, "(N, 28, 28, 1), channels last"), "fiu")
        if x.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"x must hold 28x28x1 images, shape (N, 28, 28, 1); got {describe(x)}")
        a = x.astype(self.dtype, copy=False)
        for layer in self.layers:
            start = time.perf_counter()
            a = layer.forward(a, self.params)
            _add_time(times, (layer.name, "forward"), start)
        self.logits = a
        return a

    def backward(self, dlogits, times=None):
        """Gradients of every parameter, a dict like :attr:`params`, from ``dL/dlogits``.

        Uses what the last :meth:`forward` kept; ``times`` as there, under ``"backward"``.
        """
        if self.logits is None:
            raise ValueError("backward needs a forward pass first: call forward(x)")
        if np.shape(dlogits) != self.logits.shape:
            raise ValueError(f"dlogits must have the shape of the last logits, {self.logits.shape}; "
                             f"got {describe(dlogits)}")
        grads, d = {}, dlogits
        for layer in reversed(self.layers):
            start = time.perf_counter()
            d = layer.backward(d, self.params, grads)
            _add_time(times, (layer.name, "backward"), start)
        return {name: grads[name] for name in self.params}  # in the order of params

    def loss_and_grads(self, x, y_onehot):
        """Mean cross-entropy of the batch and the gradient of every parameter."""
        loss, dlogits = layers.softmax_cross_entropy(self.forward(x), _labels("y_onehot", y_onehot))
        return loss, self.backward(dlogits)

    def train_step(self, x, y_onehot, optimizer):
        """One step of ``optimizer`` (a :class:`cnn_course.layers.RMSprop`) on one batch; returns the loss."""
        loss, grads = self.loss_and_grads(x, y_onehot)
        optimizer.step(self.params, grads)
        return loss

    # ------------------------------------------------------------ many batches

    def predict(self, x, batch_size=250):
        """Softmax probabilities ``(N, 10)``, computed ``batch_size`` images at a time."""
        batch_size = check_positive_int("batch_size", batch_size)
        probs = np.concatenate([layers.softmax(self.forward(x[i:i + batch_size]))
                                for i in range(0, len(x), batch_size)])
        self._forget()
        return probs

    def _forget(self):
        for layer in self.layers:
            layer.forget()
        self.logits = None

    def evaluate(self, x, y_onehot, batch_size=250):
        """``(mean loss, accuracy)`` on ``x``, as Keras' ``evaluate`` reports them."""
        y = _labels("y_onehot", y_onehot)
        batch_size = check_positive_int("batch_size", batch_size)
        loss, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            logits = self.forward(x[i:i + batch_size])
            yb = y[i:i + batch_size]
            loss += layers.softmax_cross_entropy(logits, yb)[0] * len(yb)
            correct += int(np.sum(logits.argmax(axis=1) == yb.argmax(axis=1)))
        self._forget()  # a large batch's activations would otherwise stay in memory
        return loss / len(x), correct / len(x)

    def fit(self, x, y_onehot, epochs=1, batch_size=64, optimizer=None, seed=0,
            validation_data=None, verbose=True):
        """Train with mini-batches, shuffled every epoch, as ``model.fit`` does.

        Parameters
        ----------
        x, y_onehot : images (N, 28, 28, 1) and one-hot labels (N, 10)
        epochs, batch_size : positive ints (the last batch of an epoch may be smaller)
        optimizer : a :class:`cnn_course.layers.RMSprop`; a new one with Keras' defaults if None
        seed : int, for the order of the batches
        validation_data : ``(x_val, y_val)`` evaluated after every epoch, or None
        verbose : print one line per epoch

        Returns
        -------
        dict of lists, one value per epoch: ``"loss"`` and ``"accuracy"`` (the means over
        the epoch's batches, as Keras reports them), ``"seconds"``, and ``"val_loss"``,
        ``"val_accuracy"`` with ``validation_data``; and ``"batch_loss"``, the loss of every
        step, for a learning curve finer than epochs
        """
        y = _labels("y_onehot", y_onehot)
        if len(x) != len(y):
            raise ValueError(f"y_onehot must have one label per image of x, {len(x)}; got {describe(y)}")
        epochs, batch_size = check_positive_int("epochs", epochs), check_positive_int("batch_size", batch_size)
        optimizer = optimizer or layers.RMSprop()
        rng = np.random.default_rng(seed)
        history = {"loss": [], "accuracy": [], "seconds": [], "batch_loss": []}
        for epoch in range(epochs):
            start, order = time.perf_counter(), rng.permutation(len(x))
            total_loss, correct = 0.0, 0
            for i in range(0, len(x), batch_size):
                batch = np.sort(order[i:i + batch_size])  # sorted: gathering reads memory in order
                xb, yb = x[batch], y[batch]
                history["batch_loss"].append(self.train_step(xb, yb, optimizer))
                total_loss += history["batch_loss"][-1] * len(batch)
                correct += int(np.sum(self.logits.argmax(axis=1) == yb.argmax(axis=1)))
            history["loss"].append(total_loss / len(x))
            history["accuracy"].append(correct / len(x))
            history["seconds"].append(time.perf_counter() - start)
            line = (f"epoch {epoch + 1}/{epochs} - {history['seconds'][-1]:.0f}s - "
                    f"loss: {history['loss'][-1]:.4f} - accuracy: {history['accuracy'][-1]:.4f}")
            if validation_data is not None:
                val_loss, val_acc = self.evaluate(*validation_data)
                history.setdefault("val_loss", []).append(val_loss)
                history.setdefault("val_accuracy", []).append(val_acc)
                line += f" - val_loss: {val_loss:.4f} - val_accuracy: {val_acc:.4f}"
            if verbose:
                print(line, flush=True)
        return history

    # ------------------------------------------------------------ Keras

    @classmethod
    def from_keras(cls, model):
        """A float32 network holding a copy of the weights of ``cnn_course.models.build_convnet()``."""
        net = cls()
        for name, layer in zip(net._weight_names(), _weight_layers(model, net), strict=True):
            kernel, bias = layer.get_weights()
            net.params[name + "_w"][...], net.params[name + "_b"][...] = kernel, bias
        return net

    def copy_to_keras(self, model):
        """Copy this network's weights into ``model``, a ``cnn_course.models.build_convnet()``."""
        for name, layer in zip(self._weight_names(), _weight_layers(model, self), strict=True):
            layer.set_weights([self.params[name + "_w"], self.params[name + "_b"]])

    def _weight_names(self):
        return [layer.name for layer in self.layers if layer.shapes]


def _weight_layers(model, net):
    """The layers of a Keras model that hold weights, checked against the network's shapes."""
    found = [layer for layer in getattr(model, "layers", []) if layer.weights]
    names = net._weight_names()
    shapes = [[tuple(v.shape) for v in layer.weights] for layer in found]
    expected = [[net.params[f"{n}_w"].shape, net.params[f"{n}_b"].shape] for n in names]
    if shapes != expected:
        raise ValueError(f"model must be cnn_course.models.build_convnet() (layers with weights of "
                         f"shapes {expected}); got {type(model).__name__} with {shapes}")
    return found


def gradient_check(net, x, y_onehot, entries=20, h=1e-6, seed=0):
    """Check :meth:`ConvNet.backward` against centred finite differences, tensor by tensor.

    For every parameter tensor, ``entries`` of its entries (chosen at random; all of them
    if it has fewer) are moved by ``±h`` one at a time and the mean loss on ``(x, y_onehot)``
    re-evaluated (:func:`cnn_course.gradcheck.numerical_gradient`). The network must be
    float64: in float32 a step of ``h`` is lost in round-off.

    Returns
    -------
    dict ``{name: (norm_error, max_error)}``: ``norm_error = |a - n| / (|a| + |n|)`` with
    Euclidean norms over the chosen entries of the analytic gradient ``a`` and the numerical
    ``n``, and ``max_error``, the largest entrywise relative error
    (:func:`cnn_course.gradcheck.relative_error`). Where an entry's gradient is tiny, its own
    relative error measures round-off (about ``1e-16 * loss / h`` in absolute terms), not the
    gradient: the norm error weighs each entry by its size.
    """
    if net.dtype != np.float64:
        raise ValueError(f"net must be a float64 ConvNet (ConvNet(dtype=np.float64)); got {net.dtype}")
    entries = check_positive_int("entries", entries)
    _, grads = net.loss_and_grads(x, y_onehot)
    rng, errors = np.random.default_rng(seed), {}
    for name, p in net.params.items():
        where = rng.choice(p.size, size=min(entries, p.size), replace=False)
        saved = p.flat[where].copy()

        def loss_at(values, p=p, where=where):
            p.flat[where] = values
            return layers.softmax_cross_entropy(net.forward(x), y_onehot)[0]

        numeric = numerical_gradient(loss_at, saved.copy(), h=h)
        p.flat[where] = saved  # the network as it was
        analytic = grads[name].flat[where]
        norm = np.linalg.norm(analytic - numeric) / max(1e-30, np.linalg.norm(analytic) + np.linalg.norm(numeric))
        errors[name] = (float(norm), relative_error(analytic, numeric))
    return errors
