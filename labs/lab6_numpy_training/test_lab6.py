"""Lab 6 (assemble and train your own convnet, in NumPy): run against the solution, or grade
a student's file with ``cnn_course.labs.run_tests("lab6")`` in the notebook, or
``python -m cnn_course.labs grade lab6 path/to/lab6.py``.

Oracles: TensorFlow and Keras (``tf.nn.relu``, ``tf.GradientTape``, the softmax
cross-entropy of ``tf.nn``, ``keras.optimizers.RMSprop``, and chapter 6's Keras convnet,
``cnn_course.models.build_convnet()``, with its weights copied into a params dict), and
centred finite differences in float64 (``cnn_course.gradcheck``). Each skill is tested
apart from the others: the whole network's gradients against a fixed upstream gradient
(not the student's loss), the loss against TensorFlow's, the optimiser against Keras'. The
convolution and pooling are the course's reference layers: this file is graded alone.

Every test carries ``@pytest.mark.skill(...)``, the skill it grades, and its points; the
input-validation tests together are worth less than a quarter of the lab.
"""

import re

import numpy as np
import pytest

from cnn_course import load_mnist
from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.compare import assert_same
from cnn_course.grading.oracles import keras, tf
from cnn_course.layers import glorot_uniform
from cnn_course.models import build_convnet

pytestmark = pytest.mark.timeout(60)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 50

# What the graded functions may call, besides the standard library and your own file. The
# layers lab 6 gives (convolution, pooling, Glorot initialisation); not cnn_course.layers'
# ReLU, dense, softmax or RMSprop, nor TensorFlow. A skill whose tests reach anything else
# from your file scores 0 (labs/README.md, "What a lab allows"); the tests' own oracles may
# call anything.
ALLOWED_CALLS = ["numpy", "cnn_course.checks", "cnn_course.lab_layers",
                 "cnn_course.layers.conv2d", "cnn_course.layers.conv2d_backward", "cnn_course.layers.max_pool2d",
                 "cnn_course.layers.max_pool2d_backward", "cnn_course.layers.glorot_uniform", "_lab6_uses_lab3",
                 "_lab6_uses_lab4"]


NAMES = ("conv1_w", "conv1_b", "conv2_w", "conv2_b", "conv3_w", "conv3_b",
         "dense1_w", "dense1_b", "dense2_w", "dense2_b")


def make_params(rng, input_shape=(28, 28, 1), filters=(32, 64, 64), units=64, classes=10,
                dtype=np.float32, bias_scale=0.1):
    """Random parameters of the lab's network, biases not zero (so they are tested too)."""
    H, W, C = input_shape
    for _ in range(2):
        H, W = (H - 2) // 2, (W - 2) // 2
    kernels = [(3, 3, C, filters[0]), (3, 3, filters[0], filters[1]), (3, 3, filters[1], filters[2]),
               ((H - 2) * (W - 2) * filters[2], units), (units, classes)]
    params = {}
    for layer, shape in zip(("conv1", "conv2", "conv3", "dense1", "dense2"), kernels, strict=True):
        params[f"{layer}_w"] = glorot_uniform(shape, rng).astype(dtype)
        params[f"{layer}_b"] = (bias_scale * rng.standard_normal(shape[-1])).astype(dtype)
    return params


def keras_convnet(seed):
    """Chapter 6's Keras convnet in float64, with random kernels and biases, and its weights
    as a params dict.

    Float64, because two float32 implementations of a ReLU and max-pooling network round
    differently, and now and then a pre-activation within 1e-7 of 0 (or two nearly equal
    maxima) goes one way in one and the other way in the other: the gradients then differ
    by percents, both right. In float64 they agree to 1e-14.
    """
    keras.utils.set_random_seed(seed)
    policy = keras.config.dtype_policy()  # the policy, not floatx: Keras caches the first one
    keras.config.set_dtype_policy("float64")
    try:
        model = build_convnet(compile=False)
    finally:
        keras.config.set_dtype_policy(policy)
    assert model.layers[0].kernel.dtype == "float64"
    rng = np.random.default_rng(seed)
    params = {}
    for name, layer in zip(("conv1", "conv2", "conv3", "dense1", "dense2"),
                           [layer for layer in model.layers if layer.weights], strict=True):
        kernel, bias = layer.get_weights()
        bias = 0.05 * rng.standard_normal(bias.shape)
        layer.set_weights([kernel, bias])
        params[f"{name}_w"], params[f"{name}_b"] = kernel.copy(), bias.copy()
    return model, params


def keras_logits(model, x):
    """The logits of the Keras convnet: every layer but the last's softmax."""
    h = tf.constant(x)
    for layer in model.layers[:-1]:
        h = layer(h)
    last = model.layers[-1]
    return tf.matmul(h, last.kernel) + last.bias


def one_hot(labels, classes=10, dtype=np.float32):
    return np.eye(classes, dtype=dtype)[labels]


def close(ours, theirs, what, rtol=1e-4, atol=1e-5):
    """ours == theirs to a relative tolerance on the largest entry, shapes first."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, expected {theirs.shape}"
    scale = max(float(np.max(np.abs(theirs), initial=0)), 1e-12)
    worst = float(np.max(np.abs(ours - theirs), initial=0))
    assert worst <= atol + rtol * scale, (
        f"{what}: largest difference {worst:.3g}, for entries up to {scale:.3g}")


# ---------------------------------------------------------------- ReLU

@pytest.mark.points(2)
@pytest.mark.skill("ReLU forward and backward")
def test_relu_and_its_gradient_match_tensorflow(lab):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 4, 2)).astype(np.float32)
    x[0, 0, 0, :] = 0.0  # the kink: TensorFlow's gradient there is 0
    dy = rng.standard_normal(x.shape).astype(np.float32)
    y = lab.relu(x)
    assert y.dtype == np.float32, f"relu: float32 in must give float32 out; got {y.dtype}"
    assert_same(y, tf.nn.relu(x).numpy())
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = tf.nn.relu(xt)
    expected = tape.gradient(out, xt, output_gradients=tf.constant(dy)).numpy()
    dx = lab.relu_backward(dy, x)
    assert np.shape(dx) == x.shape, f"relu_backward: shape {np.shape(dx)}, expected {x.shape}"
    assert_same(dx, expected)


# ---------------------------------------------------------------- dense

@pytest.mark.points(3)
@pytest.mark.skill("dense forward and backward")
@pytest.mark.parametrize("n, n_in, n_out", [(1, 3, 2), (5, 7, 4), (16, 576, 64)])
def test_dense_and_its_gradients_match_tensorflow(lab, n, n_in, n_out):
    rng = np.random.default_rng(n_in)
    x = rng.standard_normal((n, n_in)).astype(np.float32)
    w = rng.standard_normal((n_in, n_out)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    dy = rng.standard_normal((n, n_out)).astype(np.float32)
    xt, wt, bt = tf.constant(x), tf.constant(w), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt, bt])
        y = tf.matmul(xt, wt) + bt
    expected = tape.gradient(y, [xt, wt, bt], output_gradients=tf.constant(dy))
    close(lab.dense(x, w, b), y.numpy(), "dense")
    for name, ours, theirs in zip(("dx", "dw", "db"), lab.dense_backward(dy, x, w), expected, strict=True):
        close(ours, theirs.numpy(), f"dense_backward's {name}")


@pytest.mark.points(1)
@pytest.mark.skill("dense forward and backward")
@pytest.mark.parametrize("n, n_in, n_out", [(2, 3, 4), (4, 6, 3)])
def test_dense_backward_passes_gradient_check(lab, n, n_in, n_out):
    rng = np.random.default_rng(n)
    x, w, b = rng.standard_normal((n, n_in)), rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)
    dy = rng.standard_normal((n, n_out))
    dx, dw, db = lab.dense_backward(dy, x, w)
    assert relative_error(dx, numerical_gradient(lambda v: lab.dense(v, w, b), x, dy)) < 1e-7, "dx"
    assert relative_error(dw, numerical_gradient(lambda v: lab.dense(x, v, b), w, dy)) < 1e-7, "dw"
    assert relative_error(db, numerical_gradient(lambda v: lab.dense(x, w, v), b, dy)) < 1e-7, "db"


# ---------------------------------------------------------------- softmax cross-entropy

def tf_softmax_cross_entropy(logits, y):
    """The mean loss and d(loss)/d(logits), by TensorFlow."""
    z = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant(y), logits=z))
    return float(loss), tape.gradient(loss, z).numpy()


@pytest.mark.points(2)
@pytest.mark.skill("softmax cross-entropy")
@pytest.mark.parametrize("case", ["random", "large logits", "one example"])
def test_softmax_cross_entropy_matches_tensorflow(lab, case):
    rng = np.random.default_rng(1)
    n = 1 if case == "one example" else 8
    logits = rng.standard_normal((n, 10)).astype(np.float32)
    if case == "large logits":  # exp(1000) overflows: the loss must still be finite and right
        logits = logits * 400
    y = one_hot(rng.integers(0, 10, n))
    loss, dlogits = lab.softmax_cross_entropy(logits, y)
    expected_loss, expected_grad = tf_softmax_cross_entropy(logits, y)
    assert np.isfinite(loss), f"the loss is {loss}: subtract each row's maximum before exp"
    assert np.isclose(float(loss), expected_loss, rtol=1e-5, atol=1e-5), f"loss {loss}, expected {expected_loss}"
    assert np.asarray(dlogits).dtype == np.float32, f"dlogits: float32 logits must give float32; got {dlogits.dtype}"
    close(dlogits, expected_grad, "dlogits")


@pytest.mark.points(1)
@pytest.mark.skill("softmax cross-entropy")
def test_softmax_cross_entropy_passes_gradient_check(lab):
    rng = np.random.default_rng(2)
    logits, y = rng.standard_normal((4, 5)), one_hot(rng.integers(0, 5, 4), 5, np.float64)
    _, dlogits = lab.softmax_cross_entropy(logits, y)
    numeric = numerical_gradient(lambda z: lab.softmax_cross_entropy(z, y)[0], logits)
    assert relative_error(dlogits, numeric) < 1e-7


# ---------------------------------------------------------------- RMSprop

@pytest.mark.points(3)
@pytest.mark.skill("RMSprop")
@pytest.mark.parametrize("learning_rate, rho, epsilon", [(0.001, 0.9, 1e-7), (0.01, 0.5, 1e-3)])
def test_rmsprop_update_matches_keras(lab, learning_rate, rho, epsilon):
    rng = np.random.default_rng(3)
    param = rng.standard_normal((3, 4)).astype(np.float32)
    # gradients of very different sizes, and a step where they are all zero
    grads = [rng.standard_normal((3, 4)).astype(np.float32) * scale for scale in (1.0, 0.01, 0.0, 5.0)]
    variable = tf.Variable(param)
    optimizer = keras.optimizers.RMSprop(learning_rate=learning_rate, rho=rho, epsilon=epsilon)
    ours, velocity = param.copy(), np.zeros_like(param)
    for step, grad in enumerate(grads):
        before = (ours.copy(), velocity.copy(), grad.copy())
        new, new_velocity = lab.rmsprop_update(ours, grad, velocity, learning_rate, rho, epsilon)
        for name, arg, saved in zip(("param", "velocity", "grad"), (ours, velocity, grad), before, strict=True):
            assert np.array_equal(arg, saved), f"rmsprop_update changed its argument {name}: return new arrays"
        optimizer.apply_gradients([(tf.constant(grad), variable)])
        ours, velocity = new, new_velocity
        close(ours, variable.numpy(), f"the parameter after step {step + 1}", rtol=1e-5, atol=1e-7)
    expected_velocity = np.zeros_like(param)
    for grad in grads:
        expected_velocity = rho * expected_velocity + (1 - rho) * grad.astype(np.float64) ** 2
    close(velocity, expected_velocity, "the velocity after 4 steps", rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------- the whole network

@pytest.mark.points(4)
@pytest.mark.skill("whole network forward and backward")
def test_network_forward_matches_keras(lab):
    model, params = keras_convnet(seed=4)
    x = np.random.default_rng(4).random((4, 28, 28, 1))
    logits, _ = lab.network_forward(params, x)
    close(logits, keras_logits(model, x).numpy(), "the logits", rtol=1e-9, atol=1e-12)
    # the model's own softmax output differs from tf.nn.softmax by up to 1e-8 (measured)
    close(tf.nn.softmax(logits).numpy(), model(x).numpy(), "softmax of the logits vs the model's output",
          rtol=1e-6, atol=1e-12)
    # float32 in, float32 out: no silent upcast
    params32 = {name: value.astype(np.float32) for name, value in params.items()}
    logits32, _ = lab.network_forward(params32, x.astype(np.float32))
    assert np.asarray(logits32).dtype == np.float32, f"float32 in must give float32 logits; got {logits32.dtype}"
    close(logits32, logits, "the logits in float32", rtol=1e-4, atol=1e-6)


@pytest.mark.points(7)
@pytest.mark.skill("whole network forward and backward")
def test_network_backward_matches_gradient_tape(lab):
    model, params = keras_convnet(seed=5)
    rng = np.random.default_rng(5)
    x = rng.random((4, 28, 28, 1))
    dlogits = rng.standard_normal((4, 10))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(keras_logits(model, x) * dlogits)  # its gradient wrt the logits: dlogits
    expected = tape.gradient(loss, model.trainable_weights)
    _, cache = lab.network_forward(params, x)
    grads = lab.network_backward(dlogits, cache)
    assert isinstance(grads, dict), f"network_backward must return a dict; got {type(grads).__name__}"
    assert set(NAMES) <= set(grads), f"missing gradients: {sorted(set(NAMES) - set(grads))}"
    for name, theirs in zip(NAMES, expected, strict=True):
        close(grads[name], theirs.numpy(), f"the gradient of {name}", rtol=1e-9, atol=1e-12)


@pytest.mark.points(4)
@pytest.mark.skill("whole network forward and backward")
def test_network_backward_passes_gradient_check(lab):
    # A tiny network in float64: 20x22 images -> 18x20 -> 9x10 -> 7x8 -> 3x4 -> 1x2x2 features
    # (more than one position, so the order of Flatten matters).
    rng = np.random.default_rng(6)
    params = make_params(rng, (20, 22, 1), filters=(2, 3, 2), units=4, classes=3, dtype=np.float64)
    x = rng.random((2, 20, 22, 1))
    dlogits = rng.standard_normal((2, 3))
    _, cache = lab.network_forward(params, x)
    grads = lab.network_backward(dlogits, cache)
    for name in NAMES:
        def logits_of(value, name=name):
            return lab.network_forward({**params, name: value}, x)[0]
        numeric = numerical_gradient(logits_of, params[name], dlogits)
        error = relative_error(grads[name], numeric)
        assert error < 1e-6, f"{name}: relative error {error:.2g} against finite differences"


# ---------------------------------------------------------------- training

@pytest.mark.points(8)
@pytest.mark.skill("training step")
def test_train_step_matches_keras(lab):
    model, params = keras_convnet(seed=7)
    rng = np.random.default_rng(7)
    x = rng.random((6, 28, 28, 1))
    y = one_hot(rng.integers(0, 10, 6), dtype=np.float64)
    rate = 2 ** -9  # exact in float32, the dtype of Keras' learning-rate variable
    optimizer = keras.optimizers.RMSprop(learning_rate=rate)
    velocities = {name: np.zeros_like(value) for name, value in params.items()}
    for step in range(3):
        with tf.GradientTape() as tape:
            keras_loss = tf.reduce_mean(keras.losses.categorical_crossentropy(y, model(x)))
        optimizer.apply_gradients(zip(tape.gradient(keras_loss, model.trainable_weights),
                                      model.trainable_weights, strict=True))
        loss = lab.train_step(params, velocities, x, y, learning_rate=rate)
        assert np.isclose(float(loss), float(keras_loss), rtol=1e-6), (
            f"step {step + 1}: loss {loss}, Keras' {float(keras_loss)} (the loss before the update)")
    for name, variable in zip(NAMES, model.trainable_weights, strict=True):
        close(params[name], variable.numpy(), f"{name} after 3 steps", rtol=1e-6, atol=1e-12)


@pytest.mark.points(3)
@pytest.mark.skill("training step")
def test_training_overfits_a_small_batch(lab):
    # 20 MNIST digits and a fresh network: a correct step classifies all 20 right well within
    # the 30 steps the test allows (how many it takes depends on the initial weights).
    (x, y), _ = load_mnist()
    x, labels = (x[:20, :, :, np.newaxis] / 255).astype(np.float32), y[:20]
    params = make_params(np.random.default_rng(0), bias_scale=0.0)
    velocities = {name: np.zeros_like(value) for name, value in params.items()}
    losses = []
    for _ in range(30):
        logits, _ = lab.network_forward(params, x)
        if np.array_equal(np.argmax(logits, axis=1), labels):
            break
        losses.append(float(lab.train_step(params, velocities, x, one_hot(labels))))
    accuracy = np.mean(np.argmax(lab.network_forward(params, x)[0], axis=1) == labels)
    assert accuracy == 1.0, (f"after {len(losses)} steps the network classifies {accuracy:.0%} of "
                             f"the 20 images right, not 100%; losses {losses[:2]} ... {losses[-2:]}")
    assert losses[-1] < losses[0], f"the loss did not go down: {losses}"
    wrong = [name for name in NAMES if params[name].dtype != np.float32]
    assert not wrong, f"float32 parameters must stay float32 after train_step; not so for {wrong}"


# ---------------------------------------------------------------- bad input

SMALL = make_params(np.random.default_rng(8), (18, 18, 1), filters=(2, 3, 2), units=4, classes=3)
X18 = np.zeros((2, 18, 18, 1), np.float32)
Z = np.zeros((2, 3), np.float32)


@pytest.mark.points(4)
@pytest.mark.skill("input validation")
@pytest.mark.parametrize("call, word", [
    (lambda lab: lab.relu(np.arange(4)), "x"),                                    # integers
    (lambda lab: lab.relu_backward(np.ones(3), np.ones(4)), "dy"),
    (lambda lab: lab.dense(np.ones(3), np.ones((3, 2)), np.ones(2)), "x"),       # no batch axis
    (lambda lab: lab.dense(np.ones((1, 3)), np.ones((4, 2)), np.ones(2)), "w"),  # 4 rows for 3 inputs
    (lambda lab: lab.dense(np.ones((1, 3)), np.ones((3, 2)), np.ones(3)), "b"),
    (lambda lab: lab.dense_backward(np.ones((1, 3)), np.ones((1, 3)), np.ones((3, 2))), "dy"),
    (lambda lab: lab.softmax_cross_entropy(np.ones(3), np.ones(3) / 3), "logits"),
    (lambda lab: lab.softmax_cross_entropy(Z, np.zeros((2, 4))), "y_onehot"),
    (lambda lab: lab.softmax_cross_entropy(Z, 2 * one_hot([0, 1], 3)), "y_onehot"),  # rows sum to 2
    (lambda lab: lab.rmsprop_update(np.ones(3), np.ones(4), np.ones(3)), "grad"),
    (lambda lab: lab.rmsprop_update(np.ones(3), np.ones(3), np.ones(2)), "velocity"),
    (lambda lab: lab.rmsprop_update(np.ones(3), np.ones(3), np.ones(3), learning_rate=0), "learning_rate"),
    (lambda lab: lab.rmsprop_update(np.ones(3), np.ones(3), np.ones(3), rho=1.0), "rho"),
    (lambda lab: lab.rmsprop_update(np.ones(3), np.ones(3), np.ones(3), epsilon=-1e-7), "epsilon"),
    (lambda lab: lab.network_forward({k: v for k, v in SMALL.items() if k != "dense2_b"}, X18), "params"),
    (lambda lab: lab.network_forward({**SMALL, "conv2_w": np.ones((3, 3, 5, 3))}, X18), "conv2_w"),
    (lambda lab: lab.network_forward(SMALL, X18[0]), "x"),                       # 3-D
    (lambda lab: lab.network_forward(SMALL, np.zeros((2, 18, 18, 3))), "x"),     # 3 channels for 1
    (lambda lab: lab.network_forward(SMALL, np.zeros((2, 9, 9, 1))), "x"),       # too small
    (lambda lab: lab.network_forward(SMALL, np.zeros((2, 22, 22, 1))), "dense1_w"),  # 2x2 features
    (lambda lab: lab.network_backward(np.zeros((2, 4)), lab.network_forward(SMALL, X18)[1]), "dlogits"),
    (lambda lab: lab.train_step(SMALL, {}, X18, one_hot([0, 1], 3)), "velocities"),
    (lambda lab: lab.train_step(dict(SMALL), {k: np.zeros_like(v) for k, v in SMALL.items()}, X18,
                                one_hot([0, 1], 3), learning_rate=-0.1), "learning_rate"),
], ids=["relu-int", "relu-backward-shape", "dense-x-rank", "dense-w-rows", "dense-b-shape",
        "dense-backward-dy", "softmax-logits-rank", "softmax-labels-shape", "softmax-labels-sum",
        "rmsprop-grad", "rmsprop-velocity", "rmsprop-rate", "rmsprop-rho", "rmsprop-epsilon",
        "params-missing", "params-channels", "x-rank", "x-channels", "x-too-small",
        "dense1-rows", "dlogits-shape", "velocities-missing", "train-step-rate"])
def test_bad_input_raises_value_error_naming_the_argument(lab, call, word):
    with pytest.raises(ValueError, match=rf"(?<![\w]){re.escape(word)}(?![\w])"):
        call(lab)
