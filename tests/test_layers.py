"""cnn_course.layers against TensorFlow, Keras and centred finite differences."""

import zlib
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_course import layers
from cnn_course.gradcheck import numerical_gradient, relative_error
from cnn_course.grading.runner import load_module

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _inputs_of_its_own(request):
    """Each test draws its inputs from a generator seeded by its own name, so that they never
    depend on which tests ran before it in the same process (the suite runs in parallel)."""
    global RNG
    RNG = np.random.default_rng(zlib.crc32(request.node.name.encode()))


def normal(*shape, dtype=np.float32):
    return RNG.normal(size=shape).astype(dtype)


def tape_gradients(f, inputs, dy):
    """Gradients of ``sum(f(*inputs) * dy)`` with respect to every input, by tf.GradientTape."""
    variables = [tf.Variable(v) for v in inputs]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(f(*variables) * dy)
    return [g.numpy() for g in tape.gradient(loss, variables)]


# ---------------------------------------------------------------- convolution

CONV_CASES = [(1, "valid"), (2, "valid"), (1, "same"), (2, "same"), (3, "same")]


@pytest.mark.parametrize("stride, padding", CONV_CASES)
def test_conv2d_and_its_gradients_match_tensorflow(stride, padding):
    x, w, b = normal(2, 7, 6, 3), normal(3, 2, 3, 4), normal(4)
    y = layers.conv2d(x, w, b, stride, padding)
    assert y.dtype == np.float32
    def tf_conv(x, w, b):
        return tf.nn.conv2d(x, w, stride, padding.upper()) + b

    np.testing.assert_allclose(y, tf_conv(x, w, b), rtol=1e-5, atol=1e-5)
    dy = normal(*y.shape)
    dx, dw, db = layers.conv2d_backward(dy, x, w, stride, padding)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    for ours, theirs in zip((dx, dw, db), tape_gradients(tf_conv, (x, w, b), dy), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_conv2d_gradients_pass_a_float64_gradient_check():
    x, w, b = normal(2, 5, 5, 2, dtype=np.float64), normal(3, 3, 2, 3, dtype=np.float64), normal(3, dtype=np.float64)
    dy = normal(2, 3, 3, 3, dtype=np.float64)
    dx, dw, db = layers.conv2d_backward(dy, x, w, 2, "same")
    def f(x, w, b):
        return layers.conv2d(x, w, b, 2, "same")

    assert relative_error(dx, numerical_gradient(lambda v: f(v, w, b), x, dy)) < 1e-7
    assert relative_error(dw, numerical_gradient(lambda v: f(x, v, b), w, dy)) < 1e-7
    assert relative_error(db, numerical_gradient(lambda v: f(x, w, v), b, dy)) < 1e-7


@pytest.mark.parametrize("stride, padding", CONV_CASES)
def test_col2im_is_the_adjoint_of_im2col(stride, padding):
    # <im2col(x), c> = <x, col2im(c)> for every x and c: col2im is im2col's transpose.
    x = normal(2, 6, 7, 3, dtype=np.float64)
    cols = layers.im2col(x, 3, 2, stride, padding)
    c = normal(*cols.shape, dtype=np.float64)
    back = layers.col2im(c, x.shape, 3, 2, stride, padding)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_im2col_rows_are_the_windows():
    x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
    cols = layers.im2col(x, 2, 2, stride=2)
    assert cols.shape == (2 * 2 * 2, 2 * 2 * 2) and cols.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(cols[3], x[0, 2:4, 2:4, :].reshape(-1))  # image 0, output (1, 1)


@pytest.mark.parametrize("call, name", [
    (lambda: layers.conv2d(np.zeros((2, 5, 5)), np.zeros((3, 3, 1, 1))), "x"),
    (lambda: layers.conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 1, 4))), "w"),
    (lambda: layers.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 4)), np.zeros(3)), "b"),
    (lambda: layers.conv2d(np.zeros((1, 2, 2, 1)), np.zeros((3, 3, 1, 1))), "w"),
    (lambda: layers.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), stride=0), "stride"),
    (lambda: layers.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding="full"), "padding"),
    (lambda: layers.conv2d_backward(np.zeros((1, 2, 2, 1)), np.zeros((1, 5, 5, 1)),
                                    np.zeros((3, 3, 1, 1))), "dy"),
    (lambda: layers.im2col(np.zeros((1, 5, 5, 1), np.int64), 3, 3), "x"),
    (lambda: layers.col2im(np.zeros((9, 9)), (1, 5, 5), 3, 3), "x_shape"),
    (lambda: layers.col2im(np.zeros((8, 9)), (1, 5, 5, 1), 3, 3), "cols"),
])
def test_convolution_rejects_bad_input_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------- max pooling

POOL_CASES = [(2, None, "valid"), (3, 1, "valid"), (3, 2, "same"), ((2, 3), 2, "valid"), (2, 2, "same")]


@pytest.mark.parametrize("pool, stride, padding", POOL_CASES)
def test_max_pooling_and_its_gradient_match_tensorflow(pool, stride, padding):
    x = normal(2, 7, 6, 3)
    y, cache = layers.max_pool2d(x, pool, stride, padding)
    def tf_pool(x):
        return tf.nn.max_pool2d(x, pool, stride or pool, padding.upper())

    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, tf_pool(x))
    dy = normal(*y.shape)
    dx = layers.max_pool2d_backward(dy, cache)
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, tape_gradients(tf_pool, (x,), dy)[0], rtol=1e-6, atol=1e-6)


def test_max_pooling_gives_a_tie_to_the_first_maximum_as_tensorflow_does():
    x = np.zeros((1, 4, 4, 2), np.float32)  # all tied, as after a ReLU
    x[0, 1, :, 1] = 5.0                      # ties in the second row of each window
    y, cache = layers.max_pool2d(x)
    dy = normal(*y.shape)
    tf_grad = tape_gradients(lambda v: tf.nn.max_pool2d(v, 2, 2, "VALID"), (x,), dy)[0]
    np.testing.assert_array_equal(layers.max_pool2d_backward(dy, cache), tf_grad)


def test_max_pooling_passes_a_float64_gradient_check():
    x = RNG.permutation(2 * 5 * 5 * 2).reshape(2, 5, 5, 2) / 10.0  # distinct values: no ties
    y, cache = layers.max_pool2d(x, 3, 2, "same")
    dy = normal(*y.shape, dtype=np.float64)
    numeric = numerical_gradient(lambda v: layers.max_pool2d(v, 3, 2, "same")[0], x, dy)
    assert relative_error(layers.max_pool2d_backward(dy, cache), numeric) < 1e-7


@pytest.mark.parametrize("call, name", [
    (lambda: layers.max_pool2d(np.zeros((4, 4, 1))), "x"),
    (lambda: layers.max_pool2d(np.zeros((1, 4, 4, 1)), pool_size=0), "pool_size"),
    (lambda: layers.max_pool2d(np.zeros((1, 4, 4, 1)), stride=(1, 2, 3)), "stride"),
    (lambda: layers.max_pool2d(np.zeros((1, 4, 4, 1)), padding="full"), "padding"),
    (lambda: layers.max_pool2d(np.zeros((1, 1, 4, 1))), "pool_size"),
    (lambda: layers.max_pool2d_backward(np.zeros((1, 3, 3, 1)), layers.max_pool2d(np.zeros((1, 4, 4, 1)))[1]), "dy"),
    (lambda: layers.max_pool2d_backward(np.zeros((1, 2, 2, 1)), None), "cache"),
])
def test_pooling_rejects_bad_input_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------- ReLU, dense, softmax


def test_relu_and_its_gradient_match_tensorflow():
    x, dy = normal(3, 5), normal(3, 5)
    x[0, 0] = 0.0  # TensorFlow's gradient at 0 is 0
    np.testing.assert_array_equal(layers.relu(x), tf.nn.relu(x))
    np.testing.assert_array_equal(layers.relu_backward(dy, x), tape_gradients(tf.nn.relu, (x,), dy)[0])
    assert layers.relu(x).dtype == layers.relu_backward(dy, x).dtype == np.float32
    with pytest.raises(ValueError, match="^dy must"):
        layers.relu_backward(dy[:2], x)


def test_dense_and_its_gradients_match_tensorflow_and_finite_differences():
    x, w, b = normal(4, 6), normal(6, 3), normal(3)
    y = layers.dense(x, w, b)
    def tf_dense(x, w, b):
        return tf.matmul(x, w) + b

    np.testing.assert_allclose(y, tf_dense(x, w, b), rtol=1e-5, atol=1e-6)
    dy = normal(*y.shape)
    for ours, theirs in zip(layers.dense_backward(dy, x, w), tape_gradients(tf_dense, (x, w, b), dy), strict=True):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    x64, w64, b64, dy64 = (a.astype(np.float64) for a in (x, w, b, dy))
    dx, dw, db = layers.dense_backward(dy64, x64, w64)
    assert relative_error(dx, numerical_gradient(lambda v: layers.dense(v, w64, b64), x64, dy64)) < 1e-7
    assert relative_error(dw, numerical_gradient(lambda v: layers.dense(x64, v, b64), w64, dy64)) < 1e-7
    assert relative_error(db, numerical_gradient(lambda v: layers.dense(x64, w64, v), b64, dy64)) < 1e-7
    for call, name in [(lambda: layers.dense(x[0], w, b), "x"), (lambda: layers.dense(x, w.T, b), "w"),
                       (lambda: layers.dense(x, w, b[:2]), "b"), (lambda: layers.dense_backward(dy.T, x, w), "dy")]:
        with pytest.raises(ValueError, match=rf"^{name}\b"):
            call()


def test_softmax_matches_tensorflow_and_survives_huge_logits():
    z = normal(4, 10) * 5
    np.testing.assert_allclose(layers.softmax(z), tf.nn.softmax(z), rtol=1e-5, atol=1e-7)
    huge = np.array([[1000.0, 0.0, -1000.0]], np.float32)  # exp(1000) overflows float32
    p = layers.softmax(huge)
    assert np.all(np.isfinite(p)) and p.dtype == np.float32
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


def test_softmax_cross_entropy_matches_keras_and_its_gradient_the_tape():
    logits = normal(8, 10) * 3
    y = keras.utils.to_categorical(RNG.integers(0, 10, 8), 10)
    loss, dlogits = layers.softmax_cross_entropy(logits, y)
    assert dlogits.dtype == np.float32 and isinstance(loss, float)
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(loss, float(keras_loss(y, logits)), rtol=1e-6)
    z = tf.Variable(logits)
    with tf.GradientTape() as tape:
        tf_loss = keras_loss(y, z)
    np.testing.assert_allclose(dlogits, tape.gradient(tf_loss, z), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dlogits, (layers.softmax(logits) - y) / len(y), rtol=1e-6, atol=1e-9)
    z64 = logits.astype(np.float64) / 3  # moderate logits: no probability so small that round-off dominates
    numeric = numerical_gradient(lambda v: layers.softmax_cross_entropy(v, y)[0], z64)
    assert relative_error(layers.softmax_cross_entropy(z64, y)[1], numeric) < 1e-7


def test_softmax_cross_entropy_is_finite_for_confident_wrong_logits():
    loss, dlogits = layers.softmax_cross_entropy(np.array([[500.0, -500.0]], np.float32),
                                                 np.array([[0.0, 1.0]], np.float32))
    assert loss == pytest.approx(1000.0) and np.all(np.isfinite(dlogits))
    with pytest.raises(ValueError, match="^y_onehot must"):
        layers.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.zeros((2, 4)))


# ---------------------------------------------------------------- initialisation, optimiser


@pytest.mark.parametrize("shape", [(3, 3, 1, 32), (3, 3, 32, 64), (576, 64), (64, 10)])
def test_glorot_uniform_has_keras_bounds(shape):
    ours = layers.glorot_uniform(shape, np.random.default_rng(0))
    theirs = keras.initializers.GlorotUniform(seed=0)(shape).numpy()
    receptive = int(np.prod(shape[:-2]))
    limit = np.sqrt(6 / (receptive * shape[-2] + receptive * shape[-1]))
    assert ours.shape == tuple(shape) and ours.dtype == np.float32
    for sample in (ours, theirs):
        assert np.abs(sample).max() <= limit
        assert np.abs(sample).max() > 0.9 * limit  # the whole interval is used
    # The same distribution: uniform on [-limit, limit] has standard deviation limit / sqrt(3).
    assert ours.std() == pytest.approx(limit / np.sqrt(3), rel=0.2)
    assert theirs.std() == pytest.approx(limit / np.sqrt(3), rel=0.2)


def test_glorot_uniform_rejects_bad_arguments():
    with pytest.raises(ValueError, match="^shape must"):
        layers.glorot_uniform((10,), np.random.default_rng(0))
    with pytest.raises(ValueError, match="^rng must"):
        layers.glorot_uniform((3, 4), 0)


def test_rmsprop_steps_match_keras():
    params = {"w": normal(3, 3, 2, 4), "b": normal(4)}
    variables = [keras.Variable(params["w"]), keras.Variable(params["b"])]
    theirs = keras.optimizers.RMSprop()  # the defaults: 0.001, rho 0.9, epsilon 1e-7
    ours = layers.RMSprop()
    for step in range(5):
        # small gradients too: there epsilon, inside the square root, matters
        grads = {"w": normal(3, 3, 2, 4) * 10.0 ** -step, "b": normal(4) * 1e-4}
        ours.step(params, grads)
        theirs.apply_gradients(zip([grads["w"], grads["b"]], variables, strict=True))
        np.testing.assert_allclose(params["w"], variables[0].numpy(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(params["b"], variables[1].numpy(), rtol=1e-6, atol=1e-9)
    assert params["w"].dtype == np.float32 and ours.iterations == 5


def test_rmsprop_rejects_bad_arguments():
    with pytest.raises(ValueError, match="^rho must"):
        layers.RMSprop(rho=1.0)
    with pytest.raises(ValueError, match="^learning_rate must"):
        layers.RMSprop(learning_rate=-1)
    with pytest.raises(ValueError, match="^grads must"):
        layers.RMSprop().step({"w": np.zeros(2, np.float32)}, {})
    with pytest.raises(ValueError, match=r"^grads\['w'\] must"):
        layers.RMSprop().step({"w": np.zeros(2, np.float32)}, {"w": np.zeros(3)})


# ---------------------------------------------------------------- the same semantics as labs 3 and 4

LABS = Path(__file__).resolve().parent.parent / "labs"


@pytest.mark.parametrize("stride, padding", CONV_CASES)
def test_convolution_equals_lab_3s_solution(stride, padding):
    lab3 = load_module(LABS / "lab3_fast_conv" / "solution.py", "lab3_solution_for_layers")
    x, w, b = normal(2, 7, 6, 3), normal(3, 2, 3, 4), normal(4)
    np.testing.assert_array_equal(layers.im2col(x, 3, 2, stride, padding), lab3.im2col(x, 3, 2, stride, padding))
    cols = normal(*layers.im2col(x, 3, 2, stride, padding).shape)
    np.testing.assert_allclose(layers.col2im(cols, x.shape, 3, 2, stride, padding),
                               lab3.col2im(cols, x.shape, 3, 2, stride, padding), rtol=1e-6, atol=1e-6)
    y = layers.conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(y, lab3.conv2d(x, w, b, stride, padding), rtol=1e-6, atol=1e-6)
    dy = normal(*y.shape)
    for ours, theirs in zip(layers.conv2d_backward(dy, x, w, stride, padding),
                            lab3.conv2d_backward(dy, x, w, stride, padding), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pool, stride, padding", POOL_CASES)
def test_max_pooling_equals_lab_4s_solution(pool, stride, padding):
    lab4 = load_module(LABS / "lab4_pooling" / "solution.py", "lab4_solution_for_layers")
    x = np.round(normal(2, 7, 6, 3), 1)  # one decimal: plenty of ties
    y, cache = layers.max_pool2d(x, pool, stride, padding)
    y_lab, cache_lab = lab4.max_pool2d(x, pool, stride, padding)
    np.testing.assert_array_equal(y, y_lab)
    dy = normal(*y.shape)
    np.testing.assert_array_equal(layers.max_pool2d_backward(dy, cache), lab4.max_pool2d_backward(dy, cache_lab))
