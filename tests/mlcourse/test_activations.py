"""Tests for mlcourse.activations.

* every function and derivative against PyTorch autograd in float64, on random inputs
  plus extreme values, with rtol 1e-10 and atol 1e-14 (the atol covers the tails, where
  PyTorch rounds to 0 values that we keep, e.g. ``1 - tanh(20)**2``; the exceptions are
  stated at ``test_softplus_matches_torch_threshold_form``);
* every derivative by central differences (relative error < 1e-7);
* hypothesis properties (softmax, tanh/sigmoid, softplus' = sigmoid);
* no NaN, inf or warning for float32 and float64 inputs in [-1e4, 1e4], dtype preserved;
* bad input: ValueError naming the argument.
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlcourse.activations as act
from mlcourse.gradcheck import check_gradient

F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-14
_BIG = [50.0, 710.0, 1000.0, 1e4]
EXTREMES = np.array(
    [-1e4, -1000.0, -710.0, -50.0, -37.0, -20.0, -5.0, -1e-8, 0.0, 1e-8, 5.0, 20.0, 37.0, *_BIG]
)


@pytest.fixture
def z(rng):
    """Random float64 inputs on several scales, plus extreme values."""
    return np.concatenate([rng.normal(0, 1, 40), rng.normal(0, 10, 40), EXTREMES])


def torch_value_and_grad(torch_fn, z):
    """f(z) and the elementwise derivative by autograd (the gradient of sum f)."""
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    out = torch_fn(t)
    out.sum().backward()
    return out.detach().numpy(), t.grad.numpy()


# case -> (our name, torch function, keyword arguments for our f and f_grad)
TORCH_CASES = {
    "identity": ("identity", lambda t: t * 1.0, {}),
    "sigmoid": ("sigmoid", torch.sigmoid, {}),
    "tanh": ("tanh", torch.tanh, {}),
    "relu": ("relu", torch.relu, {}),
    "leaky_relu": ("leaky_relu", F.leaky_relu, {}),
    "leaky_relu_0.2": ("leaky_relu", lambda t: F.leaky_relu(t, 0.2), {"alpha": 0.2}),
    "elu": ("elu", F.elu, {}),
    "elu_0.5": ("elu", lambda t: F.elu(t, alpha=0.5), {"alpha": 0.5}),
    "gelu": ("gelu", F.gelu, {}),
    "swish": ("swish", F.silu, {}),
    "swish_1.7": ("swish", lambda t: t * torch.sigmoid(1.7 * t), {"beta": 1.7}),
    "softplus": ("softplus", lambda t: torch.logaddexp(t, torch.zeros_like(t)), {}),
}


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_function_and_derivative_match_torch(case, z):
    name, torch_fn, kwargs = TORCH_CASES[case]
    f, f_grad = getattr(act, name), getattr(act, name + "_grad")
    expected, expected_grad = torch_value_and_grad(torch_fn, z)
    np.testing.assert_allclose(f(z, **kwargs), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(f_grad(z, **kwargs), expected_grad, rtol=RTOL, atol=ATOL)


def test_step_matches_torch_heaviside(z):
    expected = torch.heaviside(torch.tensor(z), torch.tensor(1.0, dtype=torch.float64))
    np.testing.assert_array_equal(act.step(z), expected.numpy())
    assert act.step(0.0) == 1.0
    np.testing.assert_array_equal(act.step_grad(z), np.zeros_like(z))


def test_softplus_matches_torch_threshold_form(z):
    # F.softplus returns z itself above threshold=20 (its error is below e^-20 ~ 2.1e-9)
    # and, in autograd, a derivative of exactly 1 there: our exact values differ by
    # less than 2.1e-9 in that region only.
    expected, expected_grad = torch_value_and_grad(F.softplus, z)
    np.testing.assert_allclose(act.softplus(z), expected, rtol=RTOL, atol=2.1e-9)
    np.testing.assert_allclose(act.softplus_grad(z), expected_grad, rtol=RTOL, atol=2.1e-9)
    below = z <= 20
    np.testing.assert_allclose(act.softplus(z)[below], expected[below], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("per_unit", [False, True], ids=["shared_a", "per_unit_a"])
def test_prelu_matches_torch(per_unit, rng):
    z = np.concatenate([rng.normal(0, 3, (6, 4)), EXTREMES[:16].reshape(4, 4)])
    a = rng.uniform(0.05, 0.5, 4) if per_unit else np.array(0.25)
    dout = rng.normal(size=z.shape)
    zt = torch.tensor(z, requires_grad=True)
    at = torch.tensor(a if per_unit else a.reshape(1), requires_grad=True)
    out = F.prelu(zt, at)
    (out * torch.tensor(dout)).sum().backward()
    a_arg = a if per_unit else float(a)
    np.testing.assert_allclose(act.prelu(z, a_arg), out.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(
        dout * act.prelu_grad(z, a_arg), zt.grad.numpy(), rtol=RTOL, atol=ATOL
    )
    da = dout * act.prelu_grad_a(z, a_arg)
    da = da.sum(axis=0) if per_unit else da.sum(keepdims=True).reshape(1)
    np.testing.assert_allclose(da, at.grad.numpy(), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(axis, rng):
    z = np.concatenate([rng.normal(0, 5, (8, 5)), [[1e4, -1e4, 0.0, 1000.0, -1000.0]]])
    t = torch.tensor(z)
    np.testing.assert_allclose(
        act.softmax(z, axis=axis), torch.softmax(t, dim=axis).numpy(), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_allclose(
        act.log_softmax(z, axis=axis),
        torch.log_softmax(t, dim=axis).numpy(),
        rtol=RTOL,
        atol=ATOL,
    )


def test_syllabus_numbers():
    # ch. 1: sigma(0) = 0.5, w^T x = 5 gives h ~ 0.993; the boundary example w = [-3, 1, 1]
    assert act.sigmoid(0.0) == 0.5
    assert round(float(act.sigmoid(5.0)), 3) == 0.993
    w = np.array([-3.0, 1.0, 1.0])
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 2.0], [1.0, 1.5, 1.5]])  # x0 = 1 is the bias
    np.testing.assert_array_equal(act.step(x @ w), [0.0, 1.0, 1.0])  # x1 + x2 >= 3
    assert act.sigmoid(x[2] @ w) == 0.5  # on the boundary: maximal uncertainty
    # ch. 7: the softmax worked example
    p = act.softmax(np.array([2.6, 1.5, 0.2, 0.6]))
    np.testing.assert_array_equal(np.round(p, 2), [0.64, 0.21, 0.06, 0.09])
    # ch. 7: leaky ReLU is max(0.01 x, x); the ELU derivative is alpha e^z for z <= 0
    z = np.linspace(-5, 5, 11)
    np.testing.assert_array_equal(act.leaky_relu(z), np.maximum(0.01 * z, z))
    neg = z[z <= 0]
    np.testing.assert_allclose(act.elu_grad(neg, alpha=0.7), 0.7 * np.exp(neg), rtol=1e-15)
    # sigma' = sigma (1 - sigma); tanh' = 1 - tanh^2; sigma(u) = exp(u) / (1 + exp(u))
    s = act.sigmoid(z)
    np.testing.assert_allclose(act.sigmoid_grad(z), s * (1 - s), rtol=1e-13)
    np.testing.assert_allclose(act.tanh_grad(z), 1 - np.tanh(z) ** 2, rtol=1e-12)
    np.testing.assert_allclose(s, np.exp(z) / (1 + np.exp(z)), rtol=1e-15)


def test_syllabus_logic_gates_with_sigmoid_neurons():
    # ch. 4: AND with w = (7, 7), b = -9; OR with w = (7, 7), b = -5
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    w = np.array([7.0, 7.0])
    np.testing.assert_array_equal(np.round(act.sigmoid(X @ w - 9)), [0, 0, 0, 1])
    np.testing.assert_array_equal(np.round(act.sigmoid(X @ w - 5)), [0, 1, 1, 1])
    # ch. 5: XOR with hidden (-7, 7, b=-3), (7, -7, b=-3) and output (7, 7, b=-5)
    W1 = np.array([[-7.0, 7.0], [7.0, -7.0]])
    b1 = np.array([-3.0, -3.0])
    H = act.sigmoid(X @ W1 + b1)
    y = act.sigmoid(H @ np.array([7.0, 7.0]) - 5)
    np.testing.assert_array_equal(np.round(y), [0, 1, 1, 0])


# --------------------------------------------------------------------- gradcheck
GRAD_CASES = {
    "identity": {},
    "sigmoid": {},
    "tanh": {},
    "relu": {},
    "leaky_relu": {"alpha": 0.1},
    "elu": {"alpha": 0.5},
    "gelu": {},
    "swish": {"beta": 1.5},
    "softplus": {},
    "step": {},
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_derivative_by_finite_differences(name, rng):
    kwargs = GRAD_CASES[name]
    f, f_grad = getattr(act, name), getattr(act, name + "_grad")
    z = rng.uniform(-4, 4, 60)
    # away from the kink at 0 (relu, leaky, elu, step) and from zeros of the derivative
    # (gelu' and swish' vanish near -0.75 and -1.28), where relative errors mean little
    z = z[(np.abs(z) > 1e-3) & (np.abs(f_grad(z, **kwargs)) > 1e-2) | (name == "step")]
    err = check_gradient(lambda v: f(v, **kwargs), lambda v: f_grad(v, **kwargs), z)
    assert err < 1e-7, f"{name}: relative error {err:.2e}"


def test_prelu_derivatives_by_finite_differences(rng):
    z = rng.uniform(-3, 3, (5, 4))
    z[np.abs(z) < 1e-3] = 0.5
    a = rng.uniform(0.1, 0.5, 4)
    dout = rng.normal(size=z.shape)
    err = check_gradient(lambda v: act.prelu(v, a), lambda v: act.prelu_grad(v, a), z)
    assert err < 1e-7
    err_a = check_gradient(
        lambda b: (dout * act.prelu(z, b)).sum(),
        lambda b: (dout * act.prelu_grad_a(z, b)).sum(axis=0),
        a,
    )
    assert err_a < 1e-7


# -------------------------------------------------------------------- properties
finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
moderate = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=finite)
)
def test_softmax_sums_to_one_and_is_a_distribution(z):
    p = act.softmax(z)
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    logp = act.log_softmax(z)
    assert np.all(np.isfinite(logp)) and np.all(logp <= 0)
    np.testing.assert_allclose(np.exp(logp), p, rtol=1e-12, atol=1e-300)


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=moderate),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_softmax_is_shift_invariant(z, c):
    np.testing.assert_allclose(act.softmax(z + c), act.softmax(z), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(act.log_softmax(z + c) - act.log_softmax(z), 0.0, rtol=0, atol=1e-9)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite))
def test_tanh_is_a_rescaled_sigmoid(x):
    np.testing.assert_allclose(act.tanh(x), 2 * act.sigmoid(2 * x) - 1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(act.tanh_grad(x), 4 * act.sigmoid_grad(2 * x), rtol=1e-13)


@given(st.floats(-50, 50, allow_nan=False))
def test_softplus_derivative_is_sigmoid(x):
    h = 1e-5
    numeric = (act.softplus(x + h) - act.softplus(x - h)) / (2 * h)
    assert abs(numeric - act.sigmoid(x)) < 1e-9
    assert act.softplus_grad(x) == act.sigmoid(x)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=finite))
def test_swish_and_sigmoid_symmetry(x):
    np.testing.assert_allclose(act.sigmoid(-x), 1 - act.sigmoid(x), rtol=0, atol=2.3e-16)
    np.testing.assert_allclose(act.swish(x), x * act.sigmoid(x), rtol=1e-15, atol=0)
    np.testing.assert_allclose(act.softplus(x) - act.softplus(-x), x, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------ stability and dtypes
def _extreme_inputs(dtype):
    z = np.linspace(-1e4, 1e4, 4001)
    special = [-1e4, -1000, -710, -104, -88.8, -20, -1e-30, 0, 1e-30, 20, 88.8, 104, 710, 1e4]
    return np.concatenate([z, special]).astype(dtype)


ALL_FUNCTIONS = [
    (name, fn)
    for name, pair in sorted(act.ACTIVATIONS.items())
    for fn in zip(("f", "grad"), pair, strict=True)
]


@pytest.mark.parametrize(("name", "kind_and_fn"), ALL_FUNCTIONS, ids=lambda v: str(v)[:20])
def test_extreme_inputs_give_finite_values_without_warnings(name, kind_and_fn, float_dtype):
    _, fn = kind_and_fn
    z = _extreme_inputs(float_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(z)
    assert out.dtype == float_dtype, f"{name}: {out.dtype}"
    assert np.all(np.isfinite(out)), f"{name}: non-finite output"


def test_extreme_inputs_softmax_prelu(float_dtype):
    z = _extreme_inputs(float_dtype)[:4014].reshape(-1, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [
            act.softmax(z),
            act.log_softmax(z),
            act.softmax(z, axis=0),
            act.prelu(z, 0.25),
            act.prelu_grad(z, np.full(6, 0.1)),
            act.prelu_grad_a(z, 0.25),
            act.leaky_relu(z, alpha=0.3),
            act.elu_grad(z, alpha=2.0),
            act.swish_grad(z, beta=0.5),
        ]
    for out in outs:
        assert out.dtype == float_dtype
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize(("name", "kind_and_fn"), ALL_FUNCTIONS, ids=lambda v: str(v)[:20])
def test_float32_results_agree_with_float64(name, kind_and_fn, rng):
    # float32 is computed in float32 (GELU's CDF in float64, rounded back); it agrees
    # with float64 to float32 precision. atol 1e-6 covers the cancellation near zeros of
    # gelu' and swish' (two terms of opposite sign), rtol the large magnitudes.
    _, fn = kind_and_fn
    z32 = np.concatenate([rng.normal(0, 3, 500), np.linspace(-30, 30, 601)]).astype(np.float32)
    np.testing.assert_allclose(fn(z32), fn(z32.astype(np.float64)), rtol=1e-6, atol=1e-6)


def test_float32_softmax_agrees_with_float64(rng):
    z32 = rng.normal(0, 30, (50, 7)).astype(np.float32)
    z64 = z32.astype(np.float64)
    np.testing.assert_allclose(act.softmax(z32), act.softmax(z64), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(act.log_softmax(z32), act.log_softmax(z64), rtol=1e-6, atol=1e-5)


def test_sigmoid_at_plus_minus_1000_without_overflow():
    with warnings.catch_warnings(), np.errstate(over="raise"):
        warnings.simplefilter("error")
        s = act.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 1.0])
    assert act.sigmoid(np.float32(-1000)).dtype == np.float32


def test_sigmoid_keeps_relative_precision_in_the_left_tail():
    z = np.array([-30.0, -200.0, -700.0])
    np.testing.assert_allclose(act.sigmoid(z), np.exp(z) / (1 + np.exp(z)), rtol=1e-14)
    np.testing.assert_allclose(act.sigmoid_grad(z), np.exp(z) / (1 + np.exp(z)) ** 2, rtol=1e-13)


def test_gelu_left_tail_is_relatively_accurate():
    # Phi(-10) = 7.619853024160527e-24 (reference value of the normal tail)
    assert act.gelu(-10.0) / -10.0 == pytest.approx(7.619853024160527e-24, rel=1e-12)
    assert act.gelu(0.0) == 0.0
    assert act.gelu(1e4) == 1e4


def test_ints_become_float64():
    assert act.relu([1, -2, 3]).dtype == np.float64
    np.testing.assert_array_equal(act.relu([1, -2, 3]), [1.0, 0.0, 3.0])


def test_identity_returns_a_copy():
    z = np.ones(3)
    out = act.identity(z)
    out += 1
    np.testing.assert_array_equal(z, 1.0)


# ------------------------------------------------------------------ the table
TABLE = act.ACTIVATION_TABLE


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_table_entry_matches_its_torch_module(name, rng):
    entry = TABLE[name]
    assert entry.name == name
    if entry.torch is None:  # torch.nn has no Heaviside module: see the test above
        assert name == "step"
        return
    Z = rng.normal(0, 3, (6, 5))
    Zt = torch.tensor(Z, requires_grad=True)
    Ht = entry.torch_module()(Zt)
    dH = rng.normal(size=Z.shape)
    Ht.backward(torch.from_numpy(dH))
    H = entry.function(Z)
    np.testing.assert_allclose(H, Ht.detach().numpy(), rtol=RTOL, atol=1e-12)
    dZ = entry.derivative(dH, H) if entry.rowwise else dH * entry.derivative(Z)
    np.testing.assert_allclose(dZ, Zt.grad.numpy(), rtol=RTOL, atol=1e-12)


def _is_rectifier(f) -> bool:
    """Like ReLU far from 0: the identity for large inputs, near 0 for very negative ones."""
    low, high = f(np.array([-50.0, 50.0]))
    return abs(high - 50) < 1 and abs(low) <= 2


@pytest.mark.parametrize("name", sorted(TABLE))
def test_the_initialisation_family_follows_the_shape_of_the_activation(name):
    # He et al. derive their factor 2 for rectifiers; every other unit gets Glorot.
    entry = TABLE[name]
    rectifier = not entry.rowwise and _is_rectifier(entry.function)
    assert entry.init == ("he" if rectifier else "glorot")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_rowwise_flag_says_whether_rows_mix(name, rng):
    # elementwise: changing one entry of a row changes that entry of the output only
    entry = TABLE[name]
    Z = rng.normal(size=(3, 4))
    Z2 = Z.copy()
    Z2[:, 0] += 1.0
    changed = ~np.isclose(entry.function(Z), entry.function(Z2), rtol=0, atol=1e-15)
    assert changed[:, 1:].any() == entry.rowwise


def test_an_entry_cannot_be_left_incomplete():
    with pytest.raises(TypeError, match="torch"):
        act.Activation(act.relu, act.relu_grad, False, "he")  # no PyTorch equivalent given
    with pytest.raises(ValueError, match="init is 'kaiming'; expected one of: he, glorot"):
        act.Activation(act.relu, act.relu_grad, False, "kaiming", ("ReLU", {}))
    with pytest.raises(TypeError, match="rowwise"):
        act.Activation(act.relu, act.relu_grad, None, "he", ("ReLU", {}))
    with pytest.raises(TypeError, match="callable"):
        act.Activation(act.relu, None, False, "he", ("ReLU", {}))
    with pytest.raises(TypeError, match="torch is 'ReLU'"):
        act.Activation(act.relu, act.relu_grad, False, "he", "ReLU")


def test_activations_is_the_elementwise_part_of_the_table():
    elementwise = {n: (e.function, e.derivative) for n, e in TABLE.items() if not e.rowwise}
    assert dict(act.ACTIVATIONS) == elementwise
    assert {n for n, e in TABLE.items() if e.rowwise} == {"softmax", "log_softmax"}
    assert act.INIT_FAMILIES["he"](50, 10) == pytest.approx(0.2)
    assert act.INIT_FAMILIES["glorot"](100, 100) == pytest.approx(0.1)


def test_an_activation_without_torch_module_says_so():
    with pytest.raises(ValueError, match=r"^activation 'step' has no PyTorch module"):
        TABLE["step"].torch_module()


# ------------------------------------------------------------------- registry
def test_registry_contents_and_defaults(rng):
    expected = {"identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"}
    expected |= {"swish", "softplus"}
    assert set(act.ACTIVATIONS) == expected
    z = rng.normal(0, 3, 20)
    f, g = act.ACTIVATIONS["leaky_relu"]
    np.testing.assert_array_equal(f(z), act.leaky_relu(z, alpha=0.01))
    np.testing.assert_array_equal(g(z), act.leaky_relu_grad(z, alpha=0.01))
    f, _ = act.ACTIVATIONS["elu"]
    np.testing.assert_array_equal(f(z), act.elu(z, alpha=1.0))
    f, _ = act.ACTIVATIONS["swish"]
    np.testing.assert_array_equal(f(z), z * act.sigmoid(z))  # SiLU
    assert act.get_activation("relu") == (act.relu, act.relu_grad)


def test_unknown_activation_lists_known_names():
    pattern = re.escape("name: unknown activation 'relu6'; expected one of: elu, gelu, identity")
    with pytest.raises(ValueError, match=pattern):
        act.get_activation("relu6")
    with pytest.raises(ValueError, match="softplus, step, swish, tanh"):
        act.ACTIVATIONS["Relu"]
    with pytest.raises(KeyError):  # dict-style code keeps working
        act.ACTIVATIONS["prelu"]
    with pytest.raises(ValueError, match="expected an activation name"):
        act.get_activation(None)
    assert "nope" not in act.ACTIVATIONS
    assert act.ACTIVATIONS.get("nope") is None


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_nan_input_is_rejected(name):
    z = np.array([0.0, 1.0, 2.0, np.nan])
    f, g = act.ACTIVATIONS[name]
    for fn in (f, g):
        with pytest.raises(ValueError, match=re.escape("z contains NaN at index (3,)")):
            fn(z)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=re.escape("z contains inf at index (1,)")):
        act.softmax(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"^z contains NaN at index \(0, 1\)"):
        act.log_softmax(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"^z: expected a real numeric array"):
        act.relu(["a"])
    with pytest.raises(ValueError, match=re.escape("alpha is nan; expected a finite number")):
        act.leaky_relu(np.ones(2), alpha=float("nan"))
    with pytest.raises(ValueError, match="alpha: expected a real number, got 'x'"):
        act.elu(np.ones(2), alpha="x")
    with pytest.raises(ValueError, match="beta: expected a real number"):
        act.swish(np.ones(2), beta=None)
    msg = "a has shape (3,); expected a scalar or shape (4,) (one slope per unit"
    with pytest.raises(ValueError, match=re.escape(msg)):
        act.prelu(np.ones((2, 4)), np.ones(3))
    with pytest.raises(ValueError, match=re.escape("a contains NaN at index ()")):
        act.prelu_grad(np.ones(2), float("nan"))
    msg = "axis is 2; expected an integer in [-2, 1] for z with shape (3, 4)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        act.softmax(np.ones((3, 4)), axis=2)
    with pytest.raises(ValueError, match=re.escape("z has shape (); expected at least a 1-D")):
        act.softmax(1.0)


def test_package_import_is_numpy_only():
    code = (
        "import sys; import mlcourse.activations, mlcourse.losses, mlcourse.gradcheck, "
        "mlcourse.info, mlcourse.likelihood, mlcourse._validation; "
        "bad = [m for m in ('torch', 'scipy', 'sklearn', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
