"""Lab 5 (build and train the MNIST convnet): run against the solution, or grade a student's
file with ``cnn_course.labs.run_tests("lab5")`` in the notebook, or
``python -m cnn_course.labs grade lab5 path/to/lab5.py``.

The training test is short (4,000 images, 2 epochs in batches of 50, about 5 s of CPU).
Measured with the solution over seeds 0-2: 0.90 to 0.93 test accuracy on 1,000 test images;
the test asks for 0.85, so a correct model passes whatever the seed or machine.

Points by skill (labs/README.md lists them): the whole lab at work, the book's convnet built,
compiled, fed prepared data and trained for the epochs and batch size asked, then evaluated
on the test set, is one test worth half the lab; the other tests give partial credit.
"""

import math

import numpy as np
import pytest

from cnn_course import load_mnist
from cnn_course.grading.compare import assert_close, assert_same
from cnn_course.grading.oracles import keras

pytestmark = pytest.mark.timeout(120)

# The whole lab's points, hidden tests included: what the instructor grades out of, which
# a student's run of the public tests alone names (tests/test_lab_points.py checks the sum).
LAB_POINTS = 30

# What the graded functions may call, besides the standard library and your own file. Keras,
# as the lab asks; not cnn_course.models. A skill whose tests reach anything else from your
# file scores 0 (labs/README.md, "What a lab allows"); the tests' own oracles may call
# anything.
ALLOWED_CALLS = ["keras", "tensorflow", "numpy", "cnn_course.checks", "cnn_course.data"]


# (layer type, output shape, parameters): chapter 6's convnet, layer by layer.
ARCHITECTURE = [
    ("Conv2D", (None, 26, 26, 32), 320),
    ("MaxPooling2D", (None, 13, 13, 32), 0),
    ("Conv2D", (None, 11, 11, 64), 18496),
    ("MaxPooling2D", (None, 5, 5, 64), 0),
    ("Conv2D", (None, 3, 3, 64), 36928),
    ("Flatten", (None, 576), 0),
    ("Dense", (None, 64), 36928),
    ("Dense", (None, 10), 650),
]
TOTAL_PARAMS = 93322
N_TRAIN, N_TEST, EPOCHS, BATCH = 4000, 1000, 2, 50  # not Keras's default batch size, 32
ACCURACY_THRESHOLD = 0.85

LEARNS = "the convnet learns (end to end)"
BUILD = "building the model (Keras)"
TRAINING = "training (epochs, batch size, test set)"
PREPARE = "preparing MNIST"
VALIDATION = "input validation"


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


_models = {}


@pytest.fixture
def model(lab):
    """The student's model, built once for all the architecture tests (or why it could not be)."""
    if id(lab) not in _models:
        try:
            _models[id(lab)] = lab.build_model()
        except Exception as error:  # each test that needs the model then fails with this reason
            _models[id(lab)] = error
    return _models[id(lab)]


def built(model):
    if isinstance(model, Exception):
        raise model
    assert isinstance(model, keras.Model), f"build_model must return a keras.Model; got {type(model).__name__}"
    return model


def describe(layer):
    return f"{type(layer).__name__} with output shape {tuple(layer.output.shape)}"


def tiny_model():
    """A small compiled model of the test's own, to test train_and_evaluate alone."""
    keras.utils.set_random_seed(1)
    tiny = keras.Sequential([keras.layers.Input(shape=(28, 28, 1)), keras.layers.Flatten()])
    tiny.add(keras.layers.Dense(10, activation="softmax"))
    tiny.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return tiny


def check_training(lab, model, train, test, epochs, batch_size):
    """train_and_evaluate(model, ...) takes epochs * ceil(N / batch_size) steps and returns
    the model's accuracy on ``test``."""
    accuracy = lab.train_and_evaluate(model, train, test, epochs=epochs, batch_size=batch_size)
    assert isinstance(accuracy, float), f"expected a float, got {type(accuracy).__name__}"
    steps = epochs * math.ceil(len(train[0]) / batch_size)
    taken = int(model.optimizer.iterations.numpy())
    assert taken == steps, (f"{epochs} epochs of {len(train[0])} images in batches of {batch_size} "
                            f"are {steps} training steps; the model took {taken}")
    _, on_test = model.evaluate(test[0], test[1], verbose=0)
    assert accuracy == pytest.approx(on_test, abs=1e-6), (
        f"expected the accuracy on the test set, {on_test:.4f}; got {accuracy:.4f}")
    return accuracy


def check_layers(model):
    found = model.layers
    for i, (kind, shape, _) in enumerate(ARCHITECTURE):
        expected = f"{kind} with output shape {shape}"
        got = describe(found[i]) if i < len(found) else "no layer"
        assert got == expected, f"layer {i}: expected {expected}, got {got}"
    extra = [describe(layer) for layer in found[len(ARCHITECTURE):]]
    assert not extra, f"expected {len(ARCHITECTURE)} layers; got more: {extra}"


def check_parameters(model):
    for i, (layer, (_, _, params)) in enumerate(zip(model.layers, ARCHITECTURE, strict=True)):
        assert layer.count_params() == params, (
            f"layer {i} ({type(layer).__name__}): expected {params:,} parameters, "
            f"got {layer.count_params():,}")
    assert model.count_params() == TOTAL_PARAMS, (
        f"expected {TOTAL_PARAMS:,} parameters in all, got {model.count_params():,}")


def check_kernels_and_activations(model):
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    denses = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for i, layer in enumerate(convs):
        assert tuple(layer.kernel_size) == (3, 3), f"Conv2D {i}: expected a 3x3 kernel, got {layer.kernel_size}"
        assert layer.activation.__name__ == "relu", f"Conv2D {i}: expected relu, got {layer.activation.__name__}"
    assert denses and denses[0].activation.__name__ == "relu", "the first Dense layer should use relu"
    assert denses and denses[-1].activation.__name__ == "softmax", "the last Dense layer should use softmax"
    for layer in model.layers:
        if isinstance(layer, keras.layers.MaxPooling2D):
            assert tuple(layer.pool_size) == (2, 2), f"{layer.name}: expected 2x2 pooling, got {layer.pool_size}"


def check_compiled(model):
    assert getattr(model, "compiled", False), "build_model must return a compiled model (call model.compile)"
    assert isinstance(model.optimizer, keras.optimizers.RMSprop), (
        f"expected the rmsprop optimizer, got {type(model.optimizer).__name__}")
    loss = model.loss
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", repr(loss))
    # "categorical_crossentropy", CategoricalCrossentropy() and the function all count
    assert name.lower().replace("_", "") == "categoricalcrossentropy", (
        f"expected the categorical_crossentropy loss, got {name!r}")


def check_prepared(lab, x, y):
    xp, yp = lab.prepare(x, y)
    n = len(x)
    assert xp.shape == (n, 28, 28, 1), f"x: expected shape ({n}, 28, 28, 1), got {xp.shape}"
    assert xp.dtype == np.float32, f"x: expected float32, got {xp.dtype}"
    assert_close(xp[..., 0], x / 255, rtol=1e-6, err_msg="x must be x / 255")
    assert yp.shape == (n, 10), f"y: expected shape ({n}, 10), got {yp.shape}"
    assert yp.dtype == np.float32, f"y: expected float32, got {yp.dtype}"
    assert_same(yp, keras.utils.to_categorical(y, 10))
    return xp, yp


@pytest.mark.skill(LEARNS)
@pytest.mark.points(15)
def test_the_convnet_learns(lab, mnist):
    # Everything at once, cheapest checks first: the book's convnet, compiled as in the book,
    # prepared data, then a short training of EPOCHS epochs in batches of BATCH (the steps
    # are counted), evaluated on the test set.
    (x, y), (x_test, y_test) = mnist
    keras.utils.set_random_seed(0)
    model = built(lab.build_model())
    check_layers(model)
    check_parameters(model)
    check_kernels_and_activations(model)
    check_compiled(model)
    train = check_prepared(lab, x[:N_TRAIN], y[:N_TRAIN])
    test = check_prepared(lab, x_test[:N_TEST], y_test[:N_TEST])
    accuracy = check_training(lab, model, train, test, EPOCHS, BATCH)
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"after {EPOCHS} epochs on {N_TRAIN:,} images, expected a test accuracy of at least "
        f"{ACCURACY_THRESHOLD:.0%} on {N_TEST:,} test images; got {accuracy:.1%}")


@pytest.mark.skill(BUILD)
@pytest.mark.points(1)
def test_layers_types_and_output_shapes(lab, model):
    check_layers(built(model))


@pytest.mark.skill(BUILD)
@pytest.mark.points(1)
def test_parameter_count(lab, model):
    check_parameters(built(model))


@pytest.mark.skill(BUILD)
@pytest.mark.points(1)
def test_kernels_activations_and_pooling(lab, model):
    check_kernels_and_activations(built(model))


@pytest.mark.skill(BUILD)
@pytest.mark.points(1)
def test_model_is_compiled_as_in_the_book(lab, model):
    check_compiled(built(model))


@pytest.mark.skill(TRAINING)
@pytest.mark.points(2)
def test_train_and_evaluate_uses_epochs_batch_size_and_the_test_set(lab, mnist):
    # A model of the test's own, so that only train_and_evaluate is graded. The test set is
    # the training images with wrong labels: its accuracy is far from the training set's.
    (x, y), _ = mnist
    images = x[:40, :, :, np.newaxis].astype(np.float32) / 255
    train = (images, keras.utils.to_categorical(y[:40], 10))
    test = (images, keras.utils.to_categorical((y[:40] + 1) % 10, 10))
    check_training(lab, tiny_model(), train, test, epochs=3, batch_size=16)


@pytest.mark.skill(PREPARE)
@pytest.mark.points(2)
def test_prepare_shapes_scales_and_encodes(lab, mnist):
    (x, y), _ = mnist
    check_prepared(lab, x[:50], y[:50])


@pytest.mark.skill(PREPARE)
@pytest.mark.points(1)
def test_prepare_uses_ten_classes_even_if_some_are_missing(lab):
    x = np.zeros((3, 28, 28), np.uint8)
    _, yp = lab.prepare(x, np.array([0, 1, 1], np.uint8))
    assert yp.shape == (3, 10), f"y: expected shape (3, 10) whatever labels occur, got {yp.shape}"


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(2)
@pytest.mark.parametrize("x, y, word", [
    (np.zeros((2, 28, 28, 1), np.uint8), np.zeros(2, np.uint8), "x"),   # already 4-D
    (np.zeros((28, 28), np.uint8), np.zeros(28, np.uint8), "x"),         # one image, no batch
    (np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8), "x"),     # already scaled
    (np.zeros((2, 28, 28), np.uint8), np.zeros((2, 10)), "y"),           # already one-hot
    (np.zeros((2, 28, 28), np.uint8), np.array([0.0, 1.0]), "y"),        # float labels
    (np.zeros((2, 28, 28), np.uint8), np.array([0, 10]), "y"),           # label out of range
    (np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8), "y"),       # one label too many
])
def test_prepare_rejects_bad_input(lab, x, y, word):
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.prepare(x, y)


@pytest.mark.skill(VALIDATION)
@pytest.mark.points(1)
@pytest.mark.parametrize("changes, word", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 1.5}, "epochs"),
    ({"batch_size": -1}, "batch_size"),
])
def test_train_and_evaluate_rejects_bad_settings(lab, changes, word):
    data = (np.zeros((2, 28, 28, 1), np.float32), np.eye(10, dtype=np.float32)[:2])
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        lab.train_and_evaluate(tiny_model(), data, data, **changes)

