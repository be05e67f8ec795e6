"""load_mnist: the MNIST_NPZ file, the Keras cache, the download, and the errors in between."""

import re
from pathlib import Path

import numpy as np
import pytest

from cnn_course import data
from cnn_course.data import MnistDataError, load_mnist


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No MNIST_NPZ, an empty Keras cache, and a download that fails at once like a dead network."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "KERAS_CACHE", tmp_path / "no-cache" / "mnist.npz")

    def no_network(*args, **kwargs):
        raise OSError("[Errno 101] Network is unreachable")

    import keras
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)


def fake_mnist(path, **changes):
    arrays = {"x_train": np.zeros((60000, 28, 28), np.uint8), "y_train": np.zeros(60000, np.uint8),
              "x_test": np.zeros((10000, 28, 28), np.uint8), "y_test": np.zeros(10000, np.uint8)}
    arrays.update(changes)
    np.savez(path, **arrays)
    return path


@pytest.mark.skipif(not data.os.environ.get(data.ENV_VAR), reason="MNIST_NPZ is not set")
def test_loads_the_file_named_by_the_variable():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.min() == 0 and x_train.max() == 255
    assert sorted(np.unique(y_test)) == list(range(10))
    np.testing.assert_array_equal(np.bincount(y_test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])


def test_missing_file_named_by_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "nowhere.npz"))
    with pytest.raises(MnistDataError, match="MNIST_NPZ is set to .*nowhere.npz.*no file"):
        load_mnist()


def test_corrupt_file(monkeypatch, tmp_path):
    corrupt = tmp_path / "mnist.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip file")
    monkeypatch.setenv(data.ENV_VAR, str(corrupt))
    with pytest.raises(MnistDataError, match="corrupt.*MNIST_NPZ"):
        load_mnist()


def test_file_with_missing_arrays(tmp_path):
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(MnistDataError, match="lacks the arrays"):
        load_mnist(path)


def test_wrong_shape_is_reported(tmp_path):
    path = fake_mnist(tmp_path / "small.npz", x_test=np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(MnistDataError, match=r"x_test .* shape \(10, 28, 28\)"):
        load_mnist(path)


def test_wrong_data_fails_the_checksum(tmp_path):
    with pytest.raises(MnistDataError, match="checksum"):
        load_mnist(fake_mnist(tmp_path / "zeros.npz"))


def test_labels_out_of_range(tmp_path):
    path = fake_mnist(tmp_path / "labels.npz", y_train=np.full(60000, 12, np.uint8))
    with pytest.raises(MnistDataError, match="labels up to 12"):
        load_mnist(path)


def test_nothing_available_and_no_network(offline):
    with pytest.raises(MnistDataError) as error:
        load_mnist()
    message = str(error.value)
    assert "MNIST_NPZ" in message and "Network is unreachable" in message
    assert "load_data()" in message  # says how to get the file


def test_keras_cache_is_used(offline, monkeypatch, tmp_path):
    cache = tmp_path / "cache" / "mnist.npz"
    cache.parent.mkdir()
    fake_mnist(cache)
    monkeypatch.setattr(data, "KERAS_CACHE", cache)
    (x_train, _), _ = load_mnist(verify=False)
    assert x_train.shape == (60000, 28, 28)


def test_the_intro_quotes_the_digests_the_loader_checks():
    """Readers who fetch MNIST from a mirror compare with what intro.md prints."""
    intro = (Path(__file__).resolve().parents[1] / "intro.md").read_text()
    quoted = dict(re.findall(r"^\s*(x_train|y_train|x_test|y_test)\s+([0-9a-f]{64})$", intro, re.M))
    assert quoted == {key: digest for key, (_, digest) in data.EXPECTED.items()}
