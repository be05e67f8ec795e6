"""Loading MNIST: from a file named by ``MNIST_NPZ``, the Keras cache, or the Keras download.

``load_mnist()`` returns exactly what ``keras.datasets.mnist.load_data()`` returns, so a
chapter reads the same online (Colab, Binder) and on a machine with no internet access,
where ``make`` points ``MNIST_NPZ`` at a local copy of the file.
"""

import hashlib
import os
import socket
from pathlib import Path

import numpy as np

ENV_VAR = "MNIST_NPZ"
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")

# Shape, dtype and SHA-256 of each array's raw bytes, as published for the original data set.
EXPECTED = {
    "x_train": ((60000, 28, 28), "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"),
    "y_train": ((60000,), "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "x_test": ((10000, 28, 28), "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
    "y_test": ((10000,), "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}

HOW_TO_FIX = (
    f"To fix it, either set the environment variable {ENV_VAR} to the path of a good copy of "
    "mnist.npz (the file keras.datasets.mnist.load_data() downloads; in a checkout of this "
    f"course, `make` sets {ENV_VAR} to ../shared/data/mnist.npz when that file exists), or, on a "
    "machine with internet access, run once: "
    "python -c \"import keras; keras.datasets.mnist.load_data()\""
)


class MnistDataError(RuntimeError):
    """MNIST could not be loaded, or what was loaded is not MNIST. The message says how to fix it."""


def load_mnist(path=None, verify=True, download_timeout=15.0):
    """Return ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.mnist.load_data()``.

    Looks, in order, at ``path`` if given, the file named by the ``MNIST_NPZ`` environment
    variable, the Keras cache (``~/.keras/datasets/mnist.npz``), and finally the Keras
    download. Images are ``uint8`` arrays of shape ``(N, 28, 28)`` with values 0-255; labels
    are ``uint8`` arrays of shape ``(N,)`` with values 0-9.

    With ``verify=True`` (the default) the arrays are checked against the published shapes,
    dtypes, label range and checksums, so a truncated or altered file is reported, not used.
    Raises :class:`MnistDataError` with instructions when nothing usable can be had.
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or None
        if path is not None and not Path(path).expanduser().is_file():
            raise MnistDataError(
                f"{ENV_VAR} is set to {path!r}, but there is no file there. " + HOW_TO_FIX
            )
    if path is None and KERAS_CACHE.expanduser().is_file():
        path = KERAS_CACHE.expanduser()
    if path is not None:
        arrays = _read_npz(Path(path).expanduser())
    else:
        arrays = _download(download_timeout)
    if verify:
        verify_mnist(arrays, source=str(path) if path else "the Keras download")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _read_npz(path):
    """Read the four arrays of an ``.npz`` file, turning any failure into a clear error."""
    if not path.is_file():
        raise MnistDataError(f"There is no MNIST file at {str(path)!r}. " + HOW_TO_FIX)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = sorted(set(EXPECTED) - set(npz.files))
            if missing:
                raise MnistDataError(
                    f"The MNIST file {str(path)!r} lacks the arrays {missing} "
                    f"(it has {sorted(npz.files)}). " + HOW_TO_FIX
                )
            return {key: npz[key] for key in EXPECTED}
    except MnistDataError:
        raise
    except Exception as error:  # zip, pickle and I/O errors all mean "not a usable file"
        raise MnistDataError(
            f"The MNIST file {str(path)!r} is corrupt or not an .npz file "
            f"({type(error).__name__}: {error}). " + HOW_TO_FIX
        ) from error


def _download(timeout):
    """Ask Keras to download MNIST, failing within ``timeout`` seconds when offline."""
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # Keras' urllib download would otherwise wait forever
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:
        raise MnistDataError(
            f"MNIST is not on this machine ({ENV_VAR} is not set and there is no "
            f"{KERAS_CACHE}) and downloading it failed ({type(error).__name__}: {error}). "
            + HOW_TO_FIX
        ) from error
    finally:
        socket.setdefaulttimeout(previous)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def verify_mnist(arrays, source="the data"):
    """Check shapes, dtypes, label range and checksums; raise :class:`MnistDataError` if off."""
    # Shapes and dtypes first: they say more about what is wrong than a checksum does.
    for key, (shape, _) in EXPECTED.items():
        array = arrays[key]
        if array.shape != shape or array.dtype != np.uint8:
            raise MnistDataError(
                f"{key} from {source} has shape {array.shape} and dtype {array.dtype}; "
                f"expected shape {shape} and dtype uint8. " + HOW_TO_FIX
            )
        if key.startswith("y") and array.max() > 9:
            raise MnistDataError(
                f"{key} from {source} has labels up to {array.max()}; expected 0-9. " + HOW_TO_FIX
            )
    for key, (_, sha256) in EXPECTED.items():
        digest = hashlib.sha256(np.ascontiguousarray(arrays[key]).tobytes()).hexdigest()
        if digest != sha256:
            raise MnistDataError(
                f"{key} from {source} does not match the published MNIST checksum "
                f"(the file is damaged or is another data set). " + HOW_TO_FIX
            )
