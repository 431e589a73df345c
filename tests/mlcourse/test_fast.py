"""mlcourse._fast: each fast path is the body of its public function, and nothing else."""

import inspect

import numpy as np
import pytest

from mlcourse import _fast, activations, layers
from mlcourse._validation import unchecked

PUBLIC = {
    "linear_forward": layers.linear_forward,
    "linear_backward": layers.linear_backward,
    "activation_forward": layers.activation_forward,
    "activation_backward": layers.activation_backward,
    "log_softmax": activations.log_softmax,
}


def test_every_fast_path_is_listed_here():
    names = {
        name
        for name, value in vars(_fast).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__.startswith("mlcourse.")
    }
    inplace = {"activation_forward_inplace", "activation_backward_inplace"}
    assert names - {"unchecked"} - inplace == set(PUBLIC)


@pytest.mark.parametrize("name", sorted(_fast.INPLACE))
def test_an_inplace_kernel_computes_the_public_function_and_its_derivative(name, rng):
    entry = activations.ACTIVATION_TABLE[name]
    assert not entry.rowwise
    Z = rng.normal(size=(9, 7))
    Z[0, :3] = [0.0, -0.0, 1e-300]  # the kink of ReLU: the subgradient there is 0
    dH = rng.normal(size=Z.shape)
    buffer, dH_buffer = Z.copy(), dH.copy()
    H, cache = _fast.activation_forward_inplace(buffer, name)
    np.testing.assert_array_equal(H, entry.function(Z))
    dZ = _fast.activation_backward_inplace(dH_buffer, cache)
    np.testing.assert_array_equal(dZ, dH * entry.derivative(Z))
    if name == "relu":
        assert H is buffer and dZ is dH_buffer  # in place: no new array


def test_without_a_kernel_the_inplace_functions_take_the_formula(rng):
    Z = rng.normal(size=(4, 3))
    buffer = Z.copy()
    H, cache = _fast.activation_forward_inplace(buffer, "tanh")
    np.testing.assert_array_equal(buffer, Z)  # not overwritten
    np.testing.assert_array_equal(H, activations.tanh(Z))
    dZ = _fast.activation_backward_inplace(np.ones_like(H), cache)
    np.testing.assert_array_equal(dZ, activations.tanh_grad(Z))


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_a_fast_path_is_the_body_of_the_public_function(name):
    fast, public = getattr(_fast, name), PUBLIC[name]
    assert fast is unchecked(public) is public.__wrapped__
    assert fast is not public
    assert inspect.getsource(fast) == inspect.getsource(public)  # one formula, one place


def test_fast_paths_give_the_same_numbers_without_the_checks(rng, float_dtype):
    X = rng.normal(size=(6, 4)).astype(float_dtype)
    W = rng.normal(size=(4, 3)).astype(float_dtype)
    b = rng.normal(size=3).astype(float_dtype)
    Z, cache = layers.linear_forward(X, W, b)
    Z_fast, _ = _fast.linear_forward(X, W, b)
    np.testing.assert_array_equal(Z, Z_fast)
    H, act_cache = layers.activation_forward(Z, "tanh")
    np.testing.assert_array_equal(H, _fast.activation_forward(Z, "tanh")[0])
    dH = np.ones_like(H)
    dZ = layers.activation_backward(dH, act_cache)
    np.testing.assert_array_equal(dZ, _fast.activation_backward(dH, act_cache))
    for ours, fast in zip(
        layers.linear_backward(dZ, cache), _fast.linear_backward(dZ, cache), strict=True
    ):
        np.testing.assert_array_equal(ours, fast)
        assert fast.dtype == float_dtype
    # no check: NaN goes through instead of raising
    with pytest.raises(ValueError, match=r"^X contains NaN"):
        layers.linear_forward(np.full((1, 4), np.nan), W, b)
    assert np.isnan(_fast.linear_forward(np.full((1, 4), np.nan), W, b)[0]).all()
