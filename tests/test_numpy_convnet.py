"""cnn_course.numpy_convnet: the NumPy convnet computes what Keras computes, step for step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cnn_course import layers, models
from cnn_course.numpy_convnet import ConvNet, gradient_check

RNG = np.random.default_rng(0)
X = RNG.random((32, 28, 28, 1), dtype=np.float32)
X[X < 0.6] = 0.0  # blank background, like MNIST: zeros and ties for ReLU and pooling
Y = keras.utils.to_categorical(RNG.integers(0, 10, 32), 10)


@pytest.fixture
def pair():
    """A fresh compiled Keras convnet and a NumPy twin holding a copy of its weights."""
    keras.utils.set_random_seed(0)
    model = models.build_convnet()
    return model, ConvNet.from_keras(model)


def keras_logits(model, x):
    """The Keras model's logits: every layer, then the last one without its softmax."""
    for layer in model.layers[:-1]:
        x = layer(x)
    return (x @ model.layers[-1].kernel + model.layers[-1].bias).numpy()


def test_initialisation_is_keras_glorot_and_zero():
    net = ConvNet(seed=3)
    assert list(net.params) == ["conv1_w", "conv1_b", "conv2_w", "conv2_b", "conv3_w", "conv3_b",
                                "dense1_w", "dense1_b", "dense2_w", "dense2_b"]
    assert sum(p.size for p in net.params.values()) == 93322
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert all(not p.any() for name, p in net.params.items() if name.endswith("_b"))
    limit = np.sqrt(6 / (9 * 32 + 9 * 64))  # conv2: fan_in 3*3*32, fan_out 3*3*64
    assert limit * 0.9 < np.abs(net.params["conv2_w"]).max() <= limit
    assert not np.array_equal(ConvNet(seed=4).params["conv1_w"], net.params["conv1_w"])


def test_logits_equal_keras_on_copied_weights(pair):
    model, net = pair
    logits = net.forward(X)
    assert logits.dtype == np.float32 and logits.shape == (32, 10)
    np.testing.assert_allclose(logits, keras_logits(model, X), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(net.predict(X, batch_size=7), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_gradients_equal_gradient_tape(pair):
    model, net = pair
    loss, grads = net.loss_and_grads(X, Y)
    with tf.GradientTape() as tape:
        keras_loss = tf.reduce_mean(keras.losses.categorical_crossentropy(Y, model(X)))
    theirs = tape.gradient(keras_loss, model.trainable_weights)
    assert loss == pytest.approx(float(keras_loss), rel=1e-5)
    for (name, ours), their in zip(grads.items(), theirs, strict=True):
        assert ours.dtype == np.float32, name
        scale = np.abs(their.numpy()).max()
        np.testing.assert_allclose(ours, their.numpy(), rtol=0, atol=1e-4 * scale, err_msg=name)


def test_rmsprop_steps_equal_keras_train_on_batch(pair):
    model, net = pair
    optimizer = layers.RMSprop()
    for step in range(3):
        batch = slice(8 * step, 8 * step + 8)
        loss = net.train_step(X[batch], Y[batch], optimizer)
        keras_loss = model.train_on_batch(X[batch], Y[batch])
        assert loss == pytest.approx(float(np.ravel(keras_loss)[0]), rel=1e-4)
        for (name, ours), theirs in zip(net.params.items(), model.trainable_weights, strict=True):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=0, atol=1e-6, err_msg=f"step {step}, {name}")


def test_copy_to_keras_and_back(pair):
    model, _ = pair
    net = ConvNet(seed=1)
    net.copy_to_keras(model)
    back = ConvNet.from_keras(model)
    for name in net.params:
        np.testing.assert_array_equal(back.params[name], net.params[name])
    with pytest.raises(ValueError, match="^model must"):
        ConvNet.from_keras(models.build_dense_baseline(compile=False))


def test_float64_gradient_check_of_the_whole_network():
    net = ConvNet(seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    for name, p in net.params.items():
        if name.endswith("_b"):  # off the kinks: zero biases put every blank pixel at ReLU's 0
            p[...] = rng.normal(0, 0.1, p.shape)
    errors = gradient_check(net, X[:2].astype(np.float64), Y[:2].astype(np.float64), entries=8)
    assert set(errors) == set(net.params)
    assert max(norm for norm, _ in errors.values()) < 1e-6, errors
    with pytest.raises(ValueError, match="^net must"):
        gradient_check(ConvNet(), X[:2], Y[:2])


def test_fit_evaluate_and_history():
    net = ConvNet(seed=0)
    before = net.evaluate(X, Y)[0]
    history = net.fit(X, Y, epochs=2, batch_size=8, validation_data=(X[:8], Y[:8]), verbose=False)
    assert set(history) == {"loss", "accuracy", "seconds", "batch_loss", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for name, v in history.items() if name != "batch_loss")
    assert len(history["batch_loss"]) == 2 * 4  # 32 images in batches of 8, twice
    loss, accuracy = net.evaluate(X, Y)
    assert loss < before and 0 <= accuracy <= 1


@pytest.mark.parametrize("call, name", [
    (lambda net: net.forward(np.zeros((2, 28, 28), np.float32)), "x"),
    (lambda net: net.forward(np.zeros((2, 32, 32, 1), np.float32)), "x"),
    (lambda net: net.loss_and_grads(X[:2], Y[:2, :5]), "y_onehot"),
    (lambda net: net.fit(X, Y, epochs=0, verbose=False), "epochs"),
    (lambda net: net.fit(X, Y[:5], verbose=False), "y_onehot"),
    (lambda net: net.backward(np.zeros((2, 10), np.float32)), "backward"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call(ConvNet())
