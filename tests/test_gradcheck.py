"""cnn_course.gradcheck: numerical gradients of functions whose gradients we know."""

import numpy as np
import pytest

from cnn_course.gradcheck import numerical_gradient, relative_error


def test_square_sum():
    # d/dx sum(x^2) = 2x
    x = np.random.default_rng(0).normal(size=(3, 4))
    g = numerical_gradient(lambda v: v**2, x)
    assert relative_error(g, 2 * x) < 1e-7


def test_upstream_gradient_weights_outputs():
    # d/dx sum(sin(x) * dy) = cos(x) * dy
    rng = np.random.default_rng(1)
    x, dy = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))
    g = numerical_gradient(np.sin, x, dy)
    assert relative_error(g, np.cos(x) * dy) < 1e-7


def test_linear_map_and_scalar_output():
    # y = A x has gradient A^T dy; a scalar output needs no dy
    rng = np.random.default_rng(2)
    A, x, dy = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    assert relative_error(numerical_gradient(lambda v: A @ v, x, dy), A.T @ dy) < 1e-7
    g = numerical_gradient(lambda v: np.sum(v) ** 2, x)
    assert relative_error(g, np.full(3, 2 * x.sum())) < 1e-7


def test_input_not_modified():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    before = x.copy()
    numerical_gradient(lambda v: v * 3, x)
    np.testing.assert_array_equal(x, before)


def test_relative_error_values():
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert relative_error(np.array([3.0]), np.array([1.0])) == pytest.approx(0.5)
    assert relative_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    # both tiny: the 1e-8 floor keeps the ratio finite
    assert relative_error(np.array([1e-12]), np.array([0.0])) == pytest.approx(1e-4)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: numerical_gradient(np.sin, np.zeros(3, np.float32)), "x must be a float64"),
        (lambda: numerical_gradient(np.sin, [0.0, 1.0]), "x must be a float64"),
        (lambda: numerical_gradient("sin", np.zeros(3)), "f must be a callable"),
        (lambda: numerical_gradient(np.sin, np.zeros(3), h=0.0), "h must be a positive"),
        (lambda: numerical_gradient(np.sin, np.zeros(3), np.ones(4)), r"dy must have the shape of f\(x\), \(3,\)"),
        (lambda: relative_error(np.zeros(2), np.zeros(3)), r"b must have the shape of a, \(2,\)"),
        (lambda: relative_error(np.array(["a"]), np.zeros(1)), "a must have a"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
