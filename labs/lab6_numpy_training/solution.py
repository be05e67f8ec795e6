"""Lab 6: assemble and train your own convnet, in NumPy.

Chapter 6 trained its convnet with one call, ``model.fit``. In this lab you train the same
network with nothing but NumPy: you write the pieces Keras hid, join them to your
convolution (lab 3) and pooling (lab 4), and check every one against TensorFlow.

The network is chapter 6's, layer for layer::

    conv1 (3x3, 32 filters) -> relu -> max pool 2x2
    conv2 (3x3, 64 filters) -> relu -> max pool 2x2
    conv3 (3x3, 64 filters) -> relu -> flatten
    dense1 (64 units) -> relu -> dense2 (10 units): the logits
    softmax cross-entropy against one-hot labels, RMSprop updates

Its parameters live in a dict, in Keras' layout, so weights copy over from a Keras model
unchanged (:func:`params_from_keras`): ``params["conv1_w"]`` of shape
``(3, 3, 1, 32)`` (HWIO), ``params["conv1_b"]`` of shape ``(32,)``, ... ,
``params["dense1_w"]`` of shape ``(576, 64)`` (in, out), ``params["dense2_b"]``
of shape ``(10,)``. Images are NHWC float arrays, as everywhere in the course. The sizes
(filters, units, classes, image size) are read from the arrays, so the same code runs a
tiny network for a gradient check.

You write:

1. ``relu`` and ``relu_backward``;
2. ``_check_dense`` (the input check they share), ``dense`` and ``dense_backward``;
3. ``softmax_cross_entropy``: the mean loss and its gradient with respect to the logits;
4. ``rmsprop_update``: one step of Keras' RMSprop on one array;
5. ``check_params``, ``network_forward`` and ``network_backward``: the whole network;
6. ``train_step``: forward, loss, backward and update, once.

Given (not for you to write): the convolution and pooling layers. When a ``lab3.py`` and a
``lab4.py`` (yours, from labs 3 and 4) sit in the working directory and give the right
answer on a small test input, this file uses their ``conv2d``, ``conv2d_backward``,
``max_pool2d`` and ``max_pool2d_backward``; otherwise it uses the course's reference
layers, ``cnn_course.layers``. ``LAYERS_USED`` says which (the notebook prints it).
The graded tests copy this file alone into an empty folder, so they always use the
reference layers: your grade here never depends on labs 3 and 4.

Every function checks its input: given something it cannot use, it raises ``ValueError``
with a message that names the argument, says what was given and what was expected (use
``cnn_course.checks``). Check your work in ``lab6_numpy_training.ipynb``.
"""

import numpy as np

from cnn_course.checks import check_dtype, check_rank, describe
from cnn_course.lab_layers import choose_layers
from cnn_course.layers import glorot_uniform

PARAM_NAMES = ("conv1_w", "conv1_b", "conv2_w", "conv2_b", "conv3_w", "conv3_b",
               "dense1_w", "dense1_b", "dense2_w", "dense2_b")
CONVS = ("conv1", "conv2", "conv3")
DENSES = ("dense1", "dense2")


# ---------------------------------------------------------------- given: the layers of labs 3 and 4

# Yours from lab3.py and lab4.py in the working directory when they work, else the course's
# reference layers; LAYERS_USED says which, and why (cnn_course.lab_layers.choose_layers).
conv2d, conv2d_backward, max_pool2d, max_pool2d_backward, LAYERS_USED = choose_layers()


# ---------------------------------------------------------------- given: parameters

def init_params(rng, input_shape=(28, 28, 1), filters=(32, 64, 64), units=64, classes=10):
    """Fresh parameters as Keras initialises them: Glorot-uniform kernels, zero biases.

    Parameters
    ----------
    rng : numpy.random.Generator
    input_shape : (H, W, C), one image's shape
    filters : three ints, the filters of conv1, conv2 and conv3 (3x3 kernels)
    units, classes : ints, the outputs of dense1 and of dense2

    Returns
    -------
    dict of float32 arrays, keyed by ``PARAM_NAMES``, in Keras' layout.
    """
    H, W, C = input_shape
    for _ in range(2):  # conv 3x3 "valid" then pool 2x2, twice; then conv3
        H, W = (H - 2) // 2, (W - 2) // 2
    flat = (H - 2) * (W - 2) * filters[2]
    shapes = {"conv1_w": (3, 3, C, filters[0]), "conv2_w": (3, 3, filters[0], filters[1]),
              "conv3_w": (3, 3, filters[1], filters[2]), "dense1_w": (flat, units),
              "dense2_w": (units, classes)}
    params = {}
    for layer in CONVS + DENSES:
        shape = shapes[f"{layer}_w"]
        params[f"{layer}_w"] = glorot_uniform(shape, rng).astype(np.float32)
        params[f"{layer}_b"] = np.zeros(shape[-1], np.float32)
    return params


def params_from_keras(model):
    """The weights of chapter 6's Keras convnet (``cnn_course.models.build_convnet()``) as
    a params dict: copies, in Keras' own layout (kernels HWIO and (in, out))."""
    with_weights = [layer for layer in model.layers if layer.weights]
    if len(with_weights) != len(CONVS + DENSES):
        raise ValueError(f"model must have 3 Conv2D and 2 Dense layers; got {len(with_weights)} "
                         "layers with weights")
    params = {}
    for name, layer in zip(CONVS + DENSES, with_weights, strict=True):
        kernel, bias = (np.array(v) for v in layer.get_weights())
        params[f"{name}_w"], params[f"{name}_b"] = kernel, bias
    return params


def zeros_like_params(params):
    """A dict of zero arrays shaped like ``params``: RMSprop's velocities before the first step."""
    return {name: np.zeros_like(value) for name, value in params.items()}


# ---------------------------------------------------------------- 1. ReLU

def relu(x):
    """The rectified linear unit, elementwise: ``max(x, 0)``.

    Parameters
    ----------
    x : floating-point array of any shape

    Returns
    -------
    array of the shape and dtype of ``x``

    Raises
    ------
    ValueError
        naming ``x`` if it is not a floating-point array.
    """
    # BEGIN SOLUTION
    x = check_dtype("x", x, "f")
    return np.maximum(x, 0)
    # END SOLUTION


def relu_backward(dy, x):
    """The gradient of :func:`relu`: ``dy`` where ``x > 0``, 0 elsewhere (0 at ``x == 0`` too,
    as TensorFlow does).

    Parameters
    ----------
    dy : floating-point array, the gradient of the loss with respect to ``relu(x)``
    x : floating-point array of the same shape, the input the forward pass was given

    Returns
    -------
    dx : array of the shape of ``x``, of the dtype of ``dy``

    Raises
    ------
    ValueError
        naming ``dy`` or ``x`` if either is not a floating-point array, or ``dy`` if its
        shape differs from ``x``'s.
    """
    # BEGIN SOLUTION
    dy = check_dtype("dy", dy, "f")
    x = check_dtype("x", x, "f")
    if dy.shape != x.shape:
        raise ValueError(f"dy must have the shape of x, {x.shape}; got {describe(dy)}")
    return np.where(x > 0, dy, 0).astype(dy.dtype)
    # END SOLUTION


# ---------------------------------------------------------------- 2. Dense

def _check_dense(x, w):
    """Validate a dense layer's input and kernel; return them as arrays.

    :func:`dense` and :func:`dense_backward` share this check.

    Raises
    ------
    ValueError
        naming ``x`` if it is not a 2-D floating-point array (N, n_in), ``w`` if it is not a
        2-D floating-point array with one row per column of ``x``.
    """
    # BEGIN SOLUTION
    x = check_rank("x", x, 2, "(N, n_in): one row per example")
    check_dtype("x", x, "f")
    w = check_rank("w", w, 2, "(n_in, n_out), Keras' layout")
    check_dtype("w", w, "f")
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must have one row per input feature of x ({x.shape[1]}), shape "
                         f"({x.shape[1]}, n_out); got w of shape {w.shape} for x of shape {x.shape}")
    return x, w
    # END SOLUTION


def dense(x, w, b):
    """A fully connected layer without activation: ``x @ w + b``, as ``keras.layers.Dense``.

    Parameters
    ----------
    x : floating-point array of shape (N, n_in)
    w : floating-point array of shape (n_in, n_out), the kernel in Keras' layout
    b : floating-point array of shape (n_out,)

    Returns
    -------
    array of shape (N, n_out), of the dtype of ``x`` (float32 stays float32)

    Raises
    ------
    ValueError
        naming ``x``, ``w`` or ``b`` if it is not a floating-point array of the rank above,
        if ``w`` has not one row per column of ``x``, or ``b`` not one entry per column of ``w``.
    """
    # BEGIN SOLUTION
    x, w = _check_dense(x, w)
    b = check_rank("b", b, 1, "(n_out,), one bias per unit")
    check_dtype("b", b, "f")
    if b.shape[0] != w.shape[1]:
        raise ValueError(f"b must have one bias per unit, shape ({w.shape[1]},); got {describe(b)}")
    return x @ w + b
    # END SOLUTION


def dense_backward(dy, x, w):
    """Gradients of :func:`dense` with respect to its input, kernel and bias.

    With ``y = x @ w + b`` and ``dy = dL/dy``: ``dx = dy @ w.T``, ``dw = x.T @ dy`` and
    ``db`` is ``dy`` summed over the batch.

    Parameters
    ----------
    dy : floating-point array of shape (N, n_out)
    x, w : what the forward pass was given (``b`` is not needed)

    Returns
    -------
    (dx, dw, db) : arrays of the shapes of ``x``, ``w`` and (n_out,), of the dtype of ``dy``

    Raises
    ------
    ValueError
        as :func:`dense` for ``x`` and ``w``, and naming ``dy`` if it is not a floating-point
        array of shape (N, n_out).
    """
    # BEGIN SOLUTION
    x, w = _check_dense(x, w)
    dy = check_rank("dy", dy, 2, "(N, n_out), the shape of dense's output")
    check_dtype("dy", dy, "f")
    if dy.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dy must have the shape of dense's output, {(x.shape[0], w.shape[1])}; "
                         f"got {describe(dy)}")
    return dy @ w.T, x.T @ dy, dy.sum(axis=0)
    # END SOLUTION


# ---------------------------------------------------------------- 3. Softmax cross-entropy

def softmax_cross_entropy(logits, y_onehot):
    """The mean categorical cross-entropy of ``softmax(logits)`` against the labels, and its
    gradient with respect to the logits.

    ``loss = mean over the batch of -sum_k y[n, k] * log softmax(logits[n])[k]``, the loss
    of ``tf.nn.softmax_cross_entropy_with_logits`` (Keras' ``"categorical_crossentropy"`` on
    a softmax output is the same, except that it clips the probabilities to
    [1e-7, 1 - 1e-7]; this one does not). Compute the log of
    the softmax without overflow (subtract each row's maximum first: logits of 1000 must
    work). The gradient of the combined softmax and cross-entropy is the simple
    ``(softmax(logits) - y_onehot) / N``.

    Parameters
    ----------
    logits : floating-point array of shape (N, classes)
    y_onehot : floating-point array of the same shape, each row a probability distribution
        (non-negative, summing to 1): a one-hot label, or a smoothed one

    Returns
    -------
    (loss, dlogits) : a Python float, and an array of the shape and dtype of ``logits``

    Raises
    ------
    ValueError
        naming ``logits`` if it is not a 2-D floating-point array, ``y_onehot`` if it is not
        of the same shape, has negative values or rows that do not sum to 1.
    """
    # BEGIN SOLUTION
    logits = check_rank("logits", logits, 2, "(N, classes)")
    check_dtype("logits", logits, "f")
    y = check_dtype("y_onehot", y_onehot, "fiub")
    if y.shape != logits.shape:
        raise ValueError(f"y_onehot must have the shape of logits, {logits.shape}; got {describe(y)}")
    if y.size and (y.min() < 0 or not np.allclose(y.sum(axis=1), 1, atol=1e-3)):
        raise ValueError("y_onehot must hold one probability distribution per row (values >= 0, "
                         f"each row summing to 1); got rows summing to {y.sum(axis=1)[:5]}")
    shifted = logits - logits.max(axis=1, keepdims=True)  # the largest is 0: exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -float(np.sum(y * log_probs)) / n
    dlogits = (np.exp(log_probs) - y) / n
    return loss, dlogits.astype(logits.dtype)
    # END SOLUTION


# ---------------------------------------------------------------- 4. RMSprop

def rmsprop_update(param, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """One step of RMSprop on one array, exactly as ``keras.optimizers.RMSprop`` (Keras 3,
    no momentum, not centred) does it::

        velocity = rho * velocity + (1 - rho) * grad ** 2
        param = param - learning_rate * grad / sqrt(velocity + epsilon)

    Parameters
    ----------
    param, grad, velocity : floating-point arrays of one shape (``velocity`` starts at zeros)
    learning_rate, epsilon : positive numbers
    rho : a number in [0, 1), how much of the old velocity is kept

    Returns
    -------
    (new_param, new_velocity) : new arrays (the arguments are left unchanged), of the dtype
        of ``param``

    Raises
    ------
    ValueError
        naming ``param``, ``grad`` or ``velocity`` if one is not a floating-point array,
        ``grad`` or ``velocity`` if its shape differs from ``param``'s, and
        ``learning_rate``, ``rho`` or ``epsilon`` if out of range.
    """
    # BEGIN SOLUTION
    param = check_dtype("param", param, "f")
    grad = check_dtype("grad", grad, "f")
    velocity = check_dtype("velocity", velocity, "f")
    for name, value in (("grad", grad), ("velocity", velocity)):
        if value.shape != param.shape:
            raise ValueError(f"{name} must have the shape of param, {param.shape}; got {describe(value)}")
    for name, value, wanted, ok in (
            ("learning_rate", learning_rate, "a positive number", lambda v: v > 0),
            ("rho", rho, "a number in [0, 1)", lambda v: 0 <= v < 1),
            ("epsilon", epsilon, "a positive number", lambda v: v > 0)):
        real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if not (real and np.isfinite(value) and ok(value)):
            raise ValueError(f"{name} must be {wanted}; got {value!r}")
    # In the dtype of param (float32 stays float32, as in Keras); new arrays, none changed.
    grad, velocity = grad.astype(param.dtype), velocity.astype(param.dtype)
    velocity = (rho * velocity + (1 - rho) * grad * grad).astype(param.dtype)
    param = (param - learning_rate * grad / np.sqrt(velocity + epsilon)).astype(param.dtype)
    return param, velocity
    # END SOLUTION


# ---------------------------------------------------------------- 5. The whole network

def check_params(params):
    """Check that ``params`` holds the network's parameters, with shapes that fit together.

    Parameters
    ----------
    params : dict with a floating-point array for every name in ``PARAM_NAMES`` (more keys
        are ignored): the kernels of conv1, conv2, conv3 of shape (f_h, f_w, C_in, C_out),
        each C_in the C_out of the layer before; dense kernels (n_in, n_out), dense2's n_in
        equal to dense1's n_out; each bias of shape (C_out,) or (n_out,) of its kernel.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        naming ``params`` if it is not a dict or lacks a name, and ``params['<name>']`` for
        an array of the wrong dtype, rank or shape (the message says what was expected).
    """
    # BEGIN SOLUTION
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays keyed by {PARAM_NAMES}; got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params must have an array for each of {PARAM_NAMES}; missing {missing}")
    previous = None  # the number of outputs of the layer before
    for layer in CONVS + DENSES:
        key = f"params['{layer}_w']"
        rank, layout = (4, "(f_h, f_w, C_in, C_out), HWIO") if layer in CONVS else (2, "(n_in, n_out)")
        kernel = check_rank(key, params[f"{layer}_w"], rank, layout)
        check_dtype(key, kernel, "f")
        # conv2 follows conv1 and dense2 follows dense1; dense1's input is the flattened conv3
        if previous is not None and layer != "dense1" and kernel.shape[-2] != previous:
            raise ValueError(f"{key} must have {previous} inputs (axis {rank - 2}), the outputs of "
                             f"the layer before; got shape {kernel.shape}")
        bias = check_rank(f"params['{layer}_b']", params[f"{layer}_b"], 1, "one bias per output")
        check_dtype(f"params['{layer}_b']", bias, "f")
        if bias.shape[0] != kernel.shape[-1]:
            raise ValueError(f"params['{layer}_b'] must have shape ({kernel.shape[-1]},), one "
                             f"bias per output of {key}; got {describe(bias)}")
        previous = kernel.shape[-1]
    # END SOLUTION


def network_forward(params, x):
    """The whole convnet, forward: the logits of a batch of images, and a cache for the
    backward pass.

    conv1 -> relu -> max pool 2x2 -> conv2 -> relu -> max pool 2x2 -> conv3 -> relu ->
    flatten -> dense1 -> relu -> dense2. The convolutions are "valid" with stride 1, the
    pools 2x2 with stride 2 (the floor: an 11x11 map pools to 5x5, as Keras does). Flatten
    keeps NumPy's (row, column, channel) order, as ``keras.layers.Flatten`` does on NHWC.

    Parameters
    ----------
    params : dict as :func:`check_params` describes
    x : floating-point array of shape (N, H, W, C), C the input channels of conv1

    Returns
    -------
    (logits, cache) : the logits, shape (N, classes) (no softmax), of the dtype of ``x`` and
        ``params`` (float32 in, float32 out: no silent float64), and whatever
        :func:`network_backward` needs (a dict is convenient)

    Raises
    ------
    ValueError
        as :func:`check_params` (naming the parameter that is wrong, ``params['conv2_w']``
        when its input channels differ from ``conv1_w``'s filters, for example); naming ``x``
        if it is not a 4-D floating-point array, if its
        channels differ from conv1's inputs or its images are too small for the network;
        naming ``params['dense1_w']`` if its rows differ from the flattened features.
    """
    # BEGIN SOLUTION
    check_params(params)
    x = check_rank("x", x, 4, "(N, H, W, C), channels last")
    check_dtype("x", x, "f")
    k1 = params["conv1_w"]
    if x.shape[3] != k1.shape[2]:
        raise ValueError(f"x must have the {k1.shape[2]} channels conv1 takes (axis 3); "
                         f"got {describe(x)}")
    # The feature maps' sizes, checked before any work: conv "valid", then pool 2x2, floor.
    H, W = x.shape[1:3]
    for layer in CONVS:
        f_h, f_w = params[f"{layer}_w"].shape[:2]
        H, W = H - f_h + 1, W - f_w + 1
        if layer != "conv3":
            H, W = H // 2, W // 2
        if H < 1 or W < 1:
            raise ValueError(f"x's images ({x.shape[1]}x{x.shape[2]}) are too small for the "
                             f"network: nothing is left after {layer}; got {describe(x)}")
    flat = H * W * params["conv3_w"].shape[3]
    if params["dense1_w"].shape[0] != flat:
        raise ValueError(f"params['dense1_w'] must have {flat} rows, the flattened features "
                         f"of {x.shape[1]}x{x.shape[2]} images ({H}x{W}x"
                         f"{params['conv3_w'].shape[3]}); got shape {params['dense1_w'].shape}")
    cache = {"x": x}
    a = x
    for i, layer in enumerate(CONVS):
        z = conv2d(a, params[f"{layer}_w"], params[f"{layer}_b"])
        cache[f"{layer}/in"], cache[f"{layer}/z"] = a, z
        a = relu(z)
        if layer != "conv3":
            a, cache[f"pool{i + 1}"] = max_pool2d(a, 2)
    cache["conv3/shape"] = a.shape
    a = a.reshape(a.shape[0], -1)
    cache["dense1/in"] = a
    z = dense(a, params["dense1_w"], params["dense1_b"])
    cache["dense1/z"] = z
    a = relu(z)
    cache["dense2/in"] = a
    logits = dense(a, params["dense2_w"], params["dense2_b"])
    for layer in CONVS + DENSES:  # the kernels backward needs (new arrays replace them on update)
        cache[f"{layer}_w"] = params[f"{layer}_w"]
    cache["logits_shape"] = logits.shape
    return logits, cache
    # END SOLUTION


def network_backward(dlogits, cache):
    """The whole convnet, backward: the gradient of the loss with respect to every parameter.

    Parameters
    ----------
    dlogits : floating-point array of shape (N, classes), the gradient of the loss with
        respect to the logits (``softmax_cross_entropy``'s second output)
    cache : what :func:`network_forward` returned with the logits

    Returns
    -------
    dict : for every name in ``PARAM_NAMES``, the gradient, of the shape of that parameter

    Raises
    ------
    ValueError
        naming ``dlogits`` if it is not a floating-point array of the logits' shape.
    """
    # BEGIN SOLUTION
    dlogits = check_dtype("dlogits", dlogits, "f")
    if dlogits.shape != cache["logits_shape"]:
        raise ValueError(f"dlogits must have the shape of the logits, {cache['logits_shape']}; "
                         f"got {describe(dlogits)}")
    grads = {}
    da, grads["dense2_w"], grads["dense2_b"] = dense_backward(
        dlogits, cache["dense2/in"], cache["dense2_w"])
    dz = relu_backward(da, cache["dense1/z"])
    da, grads["dense1_w"], grads["dense1_b"] = dense_backward(
        dz, cache["dense1/in"], cache["dense1_w"])
    da = da.reshape(cache["conv3/shape"])  # un-flatten
    for i, layer in reversed(list(enumerate(CONVS))):
        if layer != "conv3":
            da = max_pool2d_backward(da, cache[f"pool{i + 1}"])
        dz = relu_backward(da, cache[f"{layer}/z"])
        da, grads[f"{layer}_w"], grads[f"{layer}_b"] = conv2d_backward(
            dz, cache[f"{layer}/in"], cache[f"{layer}_w"])
    return {name: grads[name] for name in PARAM_NAMES}
    # END SOLUTION


# ---------------------------------------------------------------- 6. Training

def train_step(params, velocities, x, y_onehot, learning_rate=0.001):
    """One step of training on one batch: forward, loss, backward, an RMSprop update of
    every parameter (``rho=0.9``, ``epsilon=1e-7``, Keras' defaults).

    ``params`` and ``velocities`` are updated in place: each entry is replaced by its new
    array. The step is the one ``model.train_on_batch(x, y_onehot)`` takes on chapter 6's
    Keras model compiled with ``RMSprop(learning_rate)``.

    Parameters
    ----------
    params : dict as :func:`check_params` describes
    velocities : dict with an array of each parameter's shape (from :func:`zeros_like_params`
        before the first step)
    x : floating-point array of shape (N, H, W, C)
    y_onehot : array of shape (N, classes), as for :func:`softmax_cross_entropy`
    learning_rate : positive number

    Returns
    -------
    float : the loss on the batch *before* the update (each new parameter array keeps the
        dtype of the one it replaces: float32 parameters stay float32)

    Raises
    ------
    ValueError
        as :func:`network_forward`, :func:`softmax_cross_entropy` and
        :func:`rmsprop_update`, and naming ``velocities`` if it is not a dict holding an
        array of the right shape for every parameter.
    """
    # BEGIN SOLUTION
    check_params(params)
    if not isinstance(velocities, dict):
        raise ValueError(f"velocities must be a dict like params; got {type(velocities).__name__}")
    for name in PARAM_NAMES:
        if name not in velocities or np.shape(velocities[name]) != np.shape(params[name]):
            got = describe(velocities[name]) if name in velocities else "nothing"
            raise ValueError(f"velocities['{name}'] must have the shape of params['{name}'], "
                             f"{np.shape(params[name])}; got {got}")
    logits, cache = network_forward(params, x)
    loss, dlogits = softmax_cross_entropy(logits, y_onehot)
    grads = network_backward(dlogits, cache)
    # Check every hyperparameter before the first update, so that an error changes nothing.
    rmsprop_update(np.zeros(1), np.zeros(1), np.zeros(1), learning_rate)
    for name in PARAM_NAMES:
        params[name], velocities[name] = rmsprop_update(params[name], grads[name], velocities[name],
                                                        learning_rate)
    return loss
    # END SOLUTION
