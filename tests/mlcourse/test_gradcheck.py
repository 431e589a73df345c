"""Tests for mlcourse.gradcheck: central differences, the relative error, the check."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mlcourse.gradcheck import check_gradient, numerical_gradient, relative_error


def test_numerical_gradient_of_a_quadratic_any_shape(rng):
    x = rng.normal(size=(2, 3, 2))
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-9, atol=1e-10)


def test_numerical_gradient_leaves_x_alone_and_works_in_float64(rng):
    x = rng.normal(size=5).astype(np.float32)
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, np.cos(x.astype(np.float64)), rtol=1e-9)


def test_numerical_gradient_scalar_input():
    grad = numerical_gradient(lambda v: float(v) ** 3, 2.0)
    assert grad.shape == ()
    assert float(grad) == pytest.approx(12.0, rel=1e-9)


def test_array_valued_f_differentiates_the_sum(rng):
    x = rng.normal(size=7)
    np.testing.assert_allclose(numerical_gradient(np.tanh, x), 1 / np.cosh(x) ** 2, rtol=1e-9)


def test_central_difference_error_is_second_order():
    x = np.array([0.7])
    errors = [
        abs(float(numerical_gradient(np.sin, x, h=h)[0]) - math.cos(0.7)) for h in (1e-2, 1e-3)
    ]
    assert 80 < errors[0] / errors[1] < 120  # h / 10 gives an error / 100


def test_matches_torch_autograd(rng):
    import torch

    X = rng.normal(size=(6, 3))
    W = rng.normal(size=(3, 2))

    def f(w):
        return np.sum(np.tanh(X @ w) ** 2)

    wt = torch.tensor(W, requires_grad=True)
    (torch.tanh(torch.tensor(X) @ wt) ** 2).sum().backward()
    np.testing.assert_allclose(numerical_gradient(f, W), wt.grad.numpy(), rtol=1e-8, atol=1e-10)
    assert check_gradient(f, lambda w: wt.grad.numpy(), W) < 1e-7


def test_syllabus_chain_rule_example():
    # z = ln y with y = x^2 gives dz/dx = 2 / x
    x = np.array([0.5, 1.0, 3.0, -2.0])
    err = check_gradient(lambda v: np.log(v**2), lambda v: 2 / v, x)
    assert err < 1e-7


def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0  # 0 / 0 counts as agreement
    assert relative_error([1e-12], [2e-12]) == pytest.approx(1e-12 / 1e-8)  # the floor
    assert relative_error([1e-12], [2e-12], floor=1e-30) == pytest.approx(1 / 3)
    assert relative_error([np.inf, 1.0], [np.inf, 1.0]) == 0.0
    assert relative_error([np.inf], [1.0]) == math.inf
    assert relative_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    assert isinstance(relative_error([1.0], [2.0]), float)


def test_relative_error_bad_input():
    with pytest.raises(ValueError, match=re.escape("a has shape (2,) but b has shape (3,)")):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=re.escape("b contains NaN at index (1,)")):
        relative_error([1.0, 2.0], [1.0, np.nan])


def test_check_gradient_catches_a_wrong_gradient(rng):
    x = rng.normal(size=(3, 4))
    assert check_gradient(lambda v: np.sum(v**3), lambda v: 3 * v**2, x) < 1e-7
    assert check_gradient(lambda v: np.sum(v**3), lambda v: 2 * v**2, x) > 1e-2
    # a transposed gradient has the wrong shape
    with pytest.raises(
        ValueError, match=re.escape("grad_f(x) has shape (4, 3); expected the shape of x, (3, 4)")
    ):
        check_gradient(lambda v: np.sum(v**3), lambda v: (3 * v**2).T, x)


def test_bad_step_and_bad_point():
    with pytest.raises(ValueError, match=re.escape("h is 0; expected a positive finite step")):
        numerical_gradient(np.sum, np.ones(2), h=0)
    with pytest.raises(ValueError, match=re.escape("x contains NaN at index (1,)")):
        numerical_gradient(np.sum, [1.0, np.nan])
