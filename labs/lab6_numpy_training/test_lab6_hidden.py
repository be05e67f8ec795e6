"""Lab 6's hidden tests: the public tests' skills on inputs students have not seen.

Kept from students: not in the course's wheel (pyproject.toml ships ``test_labN.py`` only)
and not run by ``run_tests("lab6")``. Instructors run them beside the public ones::

    python -m pytest labs/lab6_numpy_training/test_lab6_hidden.py -p cnn_course.grading.plugin \\
        --lab-file submissions/alice/lab6.py

Oracles as in ``test_lab6.py``: TensorFlow (here the whole network written with ``tf.nn``,
for a network of other sizes than chapter 6's) and Keras' RMSprop, all in float64.
"""

import numpy as np
import pytest

from cnn_course.grading.compare import assert_close
from cnn_course.grading.oracles import keras, tf

from test_lab6 import make_params

pytestmark = [pytest.mark.hidden, pytest.mark.timeout(60)]

LAYERS = ("conv1", "conv2", "conv3", "dense1", "dense2")
NAMES = tuple(f"{layer}_{kind}" for layer in LAYERS for kind in ("w", "b"))


def tf_logits(variables, x):
    """The lab's network with ``tf.nn``: conv "valid" + ReLU, 2x2 max pooling, dense layers."""
    h = tf.constant(x)
    for i, layer in enumerate(("conv1", "conv2", "conv3")):
        h = tf.nn.relu(tf.nn.conv2d(h, variables[f"{layer}_w"], 1, "VALID") + variables[f"{layer}_b"])
        if i < 2:
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.reshape(h, (h.shape[0], -1))
    h = tf.nn.relu(h @ variables["dense1_w"] + variables["dense1_b"])
    return h @ variables["dense2_w"] + variables["dense2_b"]


@pytest.mark.points(1)
@pytest.mark.skill("softmax cross-entropy")
def test_softmax_cross_entropy_with_smoothed_labels_and_huge_logits(lab):
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((6, 7)) * 3
    logits[0] = [5000, -5000, 0, 0, 0, 0, 0]  # exp overflows in float64 too
    labels = np.eye(7)[rng.integers(0, 7, 6)] * 0.9 + 0.1 / 7  # label smoothing: rows sum to 1
    z = tf.constant(logits)
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=z))
    expected = tape.gradient(loss, z).numpy()
    ours, dlogits = lab.softmax_cross_entropy(logits, labels)
    assert np.isfinite(ours) and np.isclose(float(ours), float(loss), rtol=1e-10), (
        f"loss {ours}, expected {float(loss)}")
    assert_close(dlogits, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.points(4)
@pytest.mark.skill("whole network forward and backward")
def test_a_network_of_other_sizes_matches_tensorflow(lab):
    # 3-channel 23x21 images (odd sizes: pooling floors; conv3 gives 2x1 maps, so the order
    # of Flatten matters), 4, 5 and 6 filters, 7 units, 5 classes
    rng = np.random.default_rng(12)
    params = make_params(rng, (23, 21, 3), filters=(4, 5, 6), units=7, classes=5, dtype=np.float64)
    x = rng.random((3, 23, 21, 3))
    dlogits = rng.standard_normal((3, 5))
    variables = {name: tf.Variable(value) for name, value in params.items()}
    with tf.GradientTape() as tape:
        logits = tf_logits(variables, x)
        loss = tf.reduce_sum(logits * dlogits)
    expected = tape.gradient(loss, [variables[name] for name in NAMES])
    ours, cache = lab.network_forward(params, x)
    assert_close(ours, logits.numpy(), rtol=1e-10, atol=1e-12)
    grads = lab.network_backward(dlogits, cache)
    for name, theirs in zip(NAMES, expected, strict=True):
        assert_close(grads[name], theirs.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.points(1)
@pytest.mark.skill("RMSprop")
def test_rmsprop_in_float64_with_no_memory_matches_keras(lab):
    # rho=0: the velocity is the last squared gradient alone; lr 1/16, exact in float32
    rng = np.random.default_rng(13)
    param = rng.standard_normal(7)
    variable = tf.Variable(param)
    optimizer = keras.optimizers.RMSprop(learning_rate=0.0625, rho=0.0, epsilon=1e-4)
    velocity = np.zeros_like(param)
    for _ in range(3):
        grad = rng.standard_normal(7) * 0.05
        param, velocity = lab.rmsprop_update(param, grad, velocity, 0.0625, 0.0, 1e-4)
        optimizer.apply_gradients([(tf.constant(grad), variable)])
        assert_close(velocity, grad ** 2, rtol=1e-12)
    assert_close(param, variable.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.points(2)
@pytest.mark.skill("training step")
def test_train_steps_on_a_small_network_match_tensorflow(lab):
    rng = np.random.default_rng(14)
    params = make_params(rng, (18, 18, 2), filters=(3, 4, 3), units=6, classes=4, dtype=np.float64)
    x = rng.random((5, 18, 18, 2))
    y = np.eye(4)[rng.integers(0, 4, 5)]
    variables = {name: tf.Variable(value) for name, value in params.items()}
    optimizer = keras.optimizers.RMSprop(learning_rate=0.0078125)  # 2**-7: exact in float32
    velocities = {name: np.zeros_like(value) for name, value in params.items()}
    for step in range(4):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, tf_logits(variables, x)))
        ordered = [variables[name] for name in NAMES]
        optimizer.apply_gradients(zip(tape.gradient(loss, ordered), ordered, strict=True))
        ours = lab.train_step(params, velocities, x, y, learning_rate=0.0078125)
        assert np.isclose(float(ours), float(loss), rtol=1e-10), f"step {step + 1}: loss {ours}, expected {float(loss)}"
    for name in NAMES:
        assert_close(params[name], variables[name].numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
