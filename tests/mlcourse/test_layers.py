"""mlcourse.layers: forward against PyTorch, backward against autograd and gradcheck."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mlcourse.activations import ACTIVATION_TABLE
from mlcourse.gradcheck import check_gradient
from mlcourse.layers import (
    activation_backward,
    activation_forward,
    known_activations,
    linear_backward,
    linear_forward,
)

F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12  # float64 against PyTorch
GRADCHECK = 1e-7  # relative error against central differences

# The reference for the activations whose table entry names no torch.nn module.
WITHOUT_TORCH_MODULE = {
    "step": lambda z: torch.heaviside(z.detach(), torch.ones((), dtype=z.dtype)) + 0 * z,
}


def torch_activation(name):
    """PyTorch's version of an activation: the module its table entry names."""
    if ACTIVATION_TABLE[name].torch is None:
        return WITHOUT_TORCH_MODULE[name]
    return ACTIVATION_TABLE[name].torch_module()


def test_the_layers_accept_exactly_the_table():
    assert known_activations() == sorted(ACTIVATION_TABLE)
    missing = {name for name, entry in ACTIVATION_TABLE.items() if entry.torch is None}
    assert missing == set(WITHOUT_TORCH_MODULE)  # a new one needs a reference here


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _inputs(rng, N=6, D=5, M=4, scale=1.0):
    X = rng.normal(size=(N, D)) * scale
    W = rng.normal(size=(D, M))
    b = rng.normal(size=M)
    return X, W, b


@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("seed", range(3))
def test_linear_forward_and_backward_match_pytorch(seed, scale):
    rng = np.random.default_rng(seed)
    X, W, b = _inputs(rng, scale=scale)
    Z, cache = linear_forward(X, W, b)
    assert Z.shape == (6, 4)
    Xt, Wt, bt = _t(X), _t(W.T), _t(b)  # nn.Linear's layout: weight (M, D)
    Zt = F.linear(Xt, Wt, bt)
    np.testing.assert_allclose(Z, Zt.detach().numpy(), rtol=RTOL, atol=ATOL * scale)
    dZ = rng.normal(size=Z.shape)
    Zt.backward(torch.from_numpy(dZ))
    dX, dW, db = linear_backward(dZ, cache)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dW, Wt.grad.numpy().T, rtol=RTOL, atol=ATOL * scale)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_linear_backward_by_gradcheck():
    rng = np.random.default_rng(10)
    X, W, b = _inputs(rng)
    dZ = rng.normal(size=(6, 4))
    _, cache = linear_forward(X, W, b)
    dX, dW, db = linear_backward(dZ, cache)

    def loss(X=X, W=W, b=b):  # a scalar whose gradient with respect to Z is dZ
        return np.sum(linear_forward(X, W, b)[0] * dZ)

    assert check_gradient(lambda x: loss(X=x), lambda x: dX, X) < GRADCHECK
    assert check_gradient(lambda w: loss(W=w), lambda w: dW, W) < GRADCHECK
    assert check_gradient(lambda v: loss(b=v), lambda v: db, b) < GRADCHECK


def test_linear_layer_by_hand():
    # one neuron, one input of three features: (1x3)(3x1) + 1x1, the course's first shape
    X = np.array([[1.0, 2.0, 3.0]])
    W = np.array([[1.0], [0.0], [-1.0]])
    b = np.array([0.5])
    Z, cache = linear_forward(X, W, b)
    np.testing.assert_array_equal(Z, [[1 - 3 + 0.5]])
    dX, dW, db = linear_backward(np.array([[2.0]]), cache)
    np.testing.assert_array_equal(dX, [[2.0, 0.0, -2.0]])
    np.testing.assert_array_equal(dW, [[2.0], [4.0], [6.0]])
    np.testing.assert_array_equal(db, [2.0])


def _activation_inputs(rng, name, shape=(7, 5), scale=3.0):
    Z = rng.normal(size=shape) * scale
    if name in ("relu", "leaky_relu", "step", "elu"):
        Z += np.sign(Z) * 1e-3  # keep finite differences away from the kink at 0
    return Z


@pytest.mark.parametrize("name", sorted(ACTIVATION_TABLE))
@pytest.mark.parametrize("seed", range(2))
def test_activation_forward_and_backward_match_pytorch(name, seed):
    rng = np.random.default_rng(seed)
    Z = _activation_inputs(rng, name)
    Z_before = Z.copy()
    H, cache = activation_forward(Z, name)
    np.testing.assert_array_equal(Z, Z_before)  # the public function is pure
    Zt = _t(Z)
    Ht = torch_activation(name)(Zt)
    np.testing.assert_allclose(H, Ht.detach().numpy(), rtol=RTOL, atol=ATOL)
    dH = rng.normal(size=H.shape)
    dH_before = dH.copy()
    Ht.backward(torch.from_numpy(dH))
    dZ = activation_backward(dH, cache)
    np.testing.assert_array_equal(dH, dH_before)
    assert dZ.shape == Z.shape
    np.testing.assert_allclose(dZ, Zt.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(ACTIVATION_TABLE))
def test_activation_backward_by_gradcheck(name):
    rng = np.random.default_rng(3)
    # moderate inputs: where a derivative is ~1e-6 (saturation) the relative error of
    # central differences is large whatever the formula
    Z = _activation_inputs(rng, name, shape=(4, 3), scale=1.0)
    dH = rng.normal(size=Z.shape)
    _, cache = activation_forward(Z, name)
    dZ = activation_backward(dH, cache)
    err = check_gradient(lambda z: np.sum(activation_forward(z, name)[0] * dH), lambda z: dZ, Z)
    assert err < GRADCHECK


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "log_softmax"])
def test_activations_at_extreme_inputs_match_pytorch(name):
    Z = np.array([[-1e4, -700.0, -30.0, 0.5, 30.0, 700.0, 1e4]])
    H, cache = activation_forward(Z, name)
    assert np.all(np.isfinite(H))
    Zt = _t(Z)
    Ht = torch_activation(name)(Zt)
    np.testing.assert_allclose(H, Ht.detach().numpy(), rtol=RTOL, atol=ATOL)
    dH = np.linspace(-1, 1, Z.size).reshape(Z.shape)
    Ht.backward(torch.from_numpy(dH))
    np.testing.assert_allclose(activation_backward(dH, cache), Zt.grad.numpy(), atol=ATOL)


def test_relu_subgradient_at_zero_is_zero_like_pytorch():
    Z = np.array([[-1.0, 0.0, 2.0]])
    _, cache = activation_forward(Z, "relu")
    np.testing.assert_array_equal(activation_backward(np.ones((1, 3)), cache), [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    rng = np.random.default_rng(0)
    X, W, b = (a.astype(dtype) for a in _inputs(rng))
    Z, cache = linear_forward(X, W, b)
    assert Z.dtype == dtype
    assert all(g.dtype == dtype for g in linear_backward(np.ones_like(Z), cache))
    for name in known_activations():
        H, act_cache = activation_forward(Z, name)
        assert H.dtype == dtype, name
        assert activation_backward(np.ones_like(H), act_cache).dtype == dtype, name


def test_integer_inputs_become_float64():
    Z, _ = linear_forward([[1, 2]], [[1], [1]], [0])
    assert Z.dtype == np.float64 and Z[0, 0] == 3


def test_mismatched_shapes_name_both_arrays():
    X, W, b = np.zeros((5, 3)), np.zeros((4, 2)), np.zeros(2)
    with pytest.raises(
        ValueError, match=r"^W has shape \(4, 2\) but X has shape \(5, 3\); expected W of shape"
    ):
        linear_forward(X, W, b)
    with pytest.raises(ValueError, match=r"^b has shape \(3,\) but W has shape \(3, 2\)"):
        linear_forward(X, np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"^X has shape \(3,\); expected a 2-D array \(N, D\)"):
        linear_forward(np.zeros(3), np.zeros((3, 2)), b)
    _, cache = linear_forward(X, np.zeros((3, 2)), b)
    with pytest.raises(ValueError, match=r"^dZ has shape \(5, 3\); expected \(5, 2\)"):
        linear_backward(np.zeros((5, 3)), cache)
    _, act_cache = activation_forward(np.zeros((5, 2)), "tanh")
    with pytest.raises(ValueError, match=r"^dH has shape \(2, 5\); expected \(5, 2\)"):
        activation_backward(np.zeros((2, 5)), act_cache)


def test_nan_is_rejected_with_its_position():
    X = np.zeros((2, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"^X contains NaN at index \(1, 0\)"):
        linear_forward(X, np.zeros((2, 1)), np.zeros(1))
    with pytest.raises(ValueError, match=r"^Z contains NaN"):
        activation_forward(X, "relu")
    _, cache = linear_forward(np.zeros((2, 2)), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"^dZ contains NaN"):
        linear_backward(X, cache)


def test_unknown_activation_lists_the_known_ones():
    msg = r"^name: unknown activation 'rectifier'; expected one of: elu, .*softmax.*tanh$"
    with pytest.raises(ValueError, match=msg):
        activation_forward(np.zeros((2, 2)), "rectifier")


@given(
    N=st.integers(1, 8),
    D=st.integers(1, 8),
    M=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_linear_layer_matches_pytorch_for_any_shapes(N, D, M, seed):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(N, D)), rng.normal(size=(D, M)), rng.normal(size=M)
    Z, cache = linear_forward(X, W, b)
    dZ = rng.normal(size=(N, M))
    dX, dW, db = linear_backward(dZ, cache)
    Xt, Wt, bt = _t(X), _t(W), _t(b)
    Zt = Xt @ Wt + bt
    Zt.backward(torch.from_numpy(dZ))
    np.testing.assert_allclose(Z, Zt.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(db, bt.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_linear_backward_can_skip_the_gradient_of_the_data(rng):
    X, W, b = _inputs(rng)
    Z, cache = linear_forward(X, W, b)
    dZ = rng.normal(size=Z.shape)
    _, dW, db = linear_backward(dZ, cache)
    skipped, dW2, db2 = linear_backward(dZ, cache, need_dX=False)
    assert skipped is None
    np.testing.assert_array_equal(dW2, dW)
    np.testing.assert_array_equal(db2, db)
    np.testing.assert_allclose(db, dZ.sum(axis=0), rtol=1e-13)  # 1^T dZ is the row sum
