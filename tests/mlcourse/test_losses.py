"""Tests for mlcourse.losses.

* every loss and its gradient against torch.nn.functional + autograd in float64, with
  rtol 1e-10 and atol 1e-14 (atol: torch rounds some tiny tail values to 0);
* every gradient by central differences (relative error < 1e-7);
* binary cross-entropy equals two-class categorical cross-entropy (hypothesis);
* the syllabus numbers of chapter 2 and 7;
* float32 stays float32; extreme logits give finite values without warnings;
* bad input: ValueError naming the argument.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlcourse.losses as L
from mlcourse.activations import sigmoid, softmax
from mlcourse.gradcheck import check_gradient

F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-14


def torch_loss_and_grad(torch_fn, x, target):
    """Value of a torch loss and its gradient with respect to the first argument."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = torch_fn(t, torch.as_tensor(target))
    loss.backward()
    return loss.item(), t.grad.numpy()


def assert_matches_torch(ours, ours_grad, torch_fn, x, target):
    expected, expected_grad = torch_loss_and_grad(torch_fn, x, target)
    np.testing.assert_allclose(ours(x, target), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours_grad(x, target), expected_grad, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ vs PyTorch
def test_binary_cross_entropy_matches_torch(rng):
    z = np.concatenate([rng.normal(0, 3, 50), [-27.0, -20.0, 20.0, 27.0]])
    y_hat = sigmoid(z)  # includes values within 1e-12 of 0 and 1
    y = rng.integers(0, 2, z.size).astype(np.float64)
    assert_matches_torch(
        L.binary_cross_entropy, L.binary_cross_entropy_grad, F.binary_cross_entropy, y_hat, y
    )


def test_binary_cross_entropy_with_logits_matches_torch(rng):
    z = np.concatenate([rng.normal(0, 5, 50), [-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4]])
    y = rng.integers(0, 2, z.size).astype(np.float64)
    assert_matches_torch(
        L.binary_cross_entropy_with_logits,
        L.binary_cross_entropy_with_logits_grad,
        F.binary_cross_entropy_with_logits,
        z,
        y,
    )
    # 2-D input (N, 1) as a model with one output unit produces
    assert_matches_torch(
        L.binary_cross_entropy_with_logits,
        L.binary_cross_entropy_with_logits_grad,
        F.binary_cross_entropy_with_logits,
        z[:, None],
        y[:, None],
    )


@pytest.fixture
def logits(rng):
    z = rng.normal(0, 4, (40, 6))
    z[0] = [1e4, -1e4, 0.0, 1000.0, -1000.0, 5.0]
    z[1] = [-1e4, -1e4, -1e4, -1e4, -1e4, -1e4]
    return z


def test_cross_entropy_with_class_indices_matches_torch(logits, rng):
    y = rng.integers(0, 6, logits.shape[0])
    y[0] = 1  # the class with logit -1e4 against a 1e4 leader: loss 2e4, finite
    assert_matches_torch(L.cross_entropy, L.cross_entropy_grad, F.cross_entropy, logits, y)


def test_cross_entropy_with_one_hot_and_soft_targets_matches_torch(logits, rng):
    y = rng.integers(0, 6, logits.shape[0])
    one_hot = np.eye(6)[y]
    assert_matches_torch(L.cross_entropy, L.cross_entropy_grad, F.cross_entropy, logits, one_hot)
    soft = softmax(rng.normal(size=logits.shape))
    assert_matches_torch(L.cross_entropy, L.cross_entropy_grad, F.cross_entropy, logits, soft)
    # one-hot and indices give the same numbers
    assert L.cross_entropy(logits, one_hot) == pytest.approx(L.cross_entropy(logits, y), rel=1e-14)
    np.testing.assert_allclose(
        L.cross_entropy_grad(logits, one_hot), L.cross_entropy_grad(logits, y), atol=1e-17
    )


@pytest.mark.parametrize("shape", [(30,), (30, 3)])
def test_mse_matches_torch(shape, rng):
    y_hat = rng.normal(0, 10, shape)
    y = rng.normal(0, 10, shape)
    assert_matches_torch(L.mse, L.mse_grad, F.mse_loss, y_hat, y)


def test_hinge_matches_torch_expression(rng):
    scores = rng.normal(0, 2, 60)
    y = rng.choice([-1.0, 1.0], 60)

    def torch_hinge(s, t):
        return torch.clamp(1 - t * s, min=0).mean()

    assert np.all(np.abs(1 - y * scores) > 1e-6)  # no kink
    assert_matches_torch(L.hinge, L.hinge_grad, torch_hinge, scores, y)


# ------------------------------------------------------------------- gradcheck
def _cases(rng):
    z = rng.uniform(-4, 4, 12)
    y01 = rng.integers(0, 2, 12)
    logits = rng.normal(0, 2, (5, 4))
    idx = rng.integers(0, 4, 5)
    soft = softmax(rng.normal(size=(5, 4)))
    s = rng.uniform(-3, 3, 12)
    ypm = rng.choice([-1, 1], 12)
    s[np.abs(1 - ypm * s) < 1e-3] = 5.0  # away from the kink
    return {
        "binary_cross_entropy": (sigmoid(z), y01),
        "binary_cross_entropy_with_logits": (z, y01),
        "cross_entropy_indices": (logits, idx),
        "cross_entropy_soft": (logits, soft),
        "mse": (rng.normal(size=(6, 2)), rng.normal(size=(6, 2))),
        "hinge": (s, ypm),
    }


@pytest.mark.parametrize(
    "case",
    [
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "cross_entropy_indices",
        "cross_entropy_soft",
        "mse",
        "hinge",
    ],
)
def test_gradient_by_finite_differences(case, rng):
    x, target = _cases(rng)[case]
    name = case.removesuffix("_indices").removesuffix("_soft")
    loss, grad = L.LOSSES[name]
    err = check_gradient(lambda v: loss(v, target), lambda v: grad(v, target), x)
    assert err < 1e-7, f"{case}: relative error {err:.2e}"


# ------------------------------------------------------------------ properties
_logit = st.floats(-1e3, 1e3, allow_nan=False)


@given(
    hnp.arrays(np.float64, st.integers(1, 10), elements=_logit),
    st.data(),
)
def test_binary_ce_equals_two_class_categorical_ce(z, data):
    y = data.draw(hnp.arrays(np.int64, z.shape, elements=st.integers(0, 1)))
    two_class_logits = np.stack([np.zeros_like(z), z], axis=1)  # softmax([0, z])_1 = sigma(z)
    bce = L.binary_cross_entropy_with_logits(z, y)
    ce = L.cross_entropy(two_class_logits, y)
    # atol: the categorical form takes log(1 + e^-|z|) of a rounded sum (as torch does),
    # so a tiny loss is exact to 1e-16 absolute only; the binary form keeps it relative.
    assert bce == pytest.approx(ce, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(
        L.binary_cross_entropy_with_logits_grad(z, y),
        L.cross_entropy_grad(two_class_logits, y)[:, 1],
        rtol=1e-12,
        atol=1e-16,
    )


@given(st.floats(-10, 10, allow_nan=False), st.integers(0, 1))
def test_bce_on_probabilities_equals_bce_on_logits(z, y):
    # (beyond |z| ~ 15, 1 - sigmoid(z) loses digits to rounding: why the logits form exists)
    p = sigmoid(np.array([z]))
    y = np.array([y])
    assert L.binary_cross_entropy(p, y) == pytest.approx(
        L.binary_cross_entropy_with_logits(np.array([z]), y), rel=1e-9
    )
    # and equals the {-1, +1} form log(1 + exp(-y z)) of the syllabus
    y_pm = 2 * y - 1
    assert L.binary_cross_entropy_with_logits(np.array([z]), y) == pytest.approx(
        float(np.log1p(np.exp(-y_pm[0] * z))), rel=1e-12
    )


# -------------------------------------------------------------- syllabus numbers
def test_syllabus_chapter_2_numbers():
    # predicted [p(-1), p(1)] = [0.8, 0.2]: loss 1.61 if y = 1, 0.22 if y = -1
    assert round(float(L.binary_cross_entropy([0.2], [1])), 2) == 1.61
    assert round(float(L.binary_cross_entropy([0.2], [0])), 2) == 0.22
    ce = L.cross_entropy(np.log([[0.8, 0.2]]), [1])  # the same as a two-class softmax
    assert round(float(ce), 2) == 1.61
    # on {(x1, 0), (x2, 1)}: y_hat = (1, 1) has an infinite loss, (0.5, 0.5) has log 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert L.binary_cross_entropy([1.0, 1.0], [0, 1]) == math.inf
    assert L.binary_cross_entropy([0.5, 0.5], [0, 1]) == pytest.approx(math.log(2), rel=1e-15)


def test_syllabus_chapter_2_gradient_of_logistic_regression(rng):
    # dL/dz = (y_hat - y) / N and dL/dw = X^T (y_hat - y) / N, checked numerically
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, 20)
    w = rng.normal(size=3)

    def loss(w):
        return L.binary_cross_entropy_with_logits(X @ w, y)

    def grad(w):
        return X.T @ (sigmoid(X @ w) - y) / len(y)

    np.testing.assert_allclose(
        L.binary_cross_entropy_with_logits_grad(X @ w, y), (sigmoid(X @ w) - y) / 20, rtol=1e-12
    )
    assert check_gradient(loss, grad, w) < 1e-7


def test_mse_is_mean_over_all_entries():
    y_hat = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.zeros((2, 2))
    assert L.mse(y_hat, y) == (1 + 4 + 9 + 16) / 4
    assert L.hinge([2.0, 0.5, -1.0], [1, 1, 1]) == pytest.approx((0 + 0.5 + 2) / 3)


# -------------------------------------------------------------- dtypes, stability
@pytest.mark.parametrize("name", sorted(L.LOSSES))
def test_float32_in_float32_out_and_no_warnings_at_extremes(name, float_dtype, rng):
    z = np.concatenate([rng.normal(0, 3, 10), [-1e4, -1000.0, -88.8, 88.8, 1000.0, 1e4]])
    z = z.astype(float_dtype)
    if name == "binary_cross_entropy":
        x, t = sigmoid(rng.normal(0, 3, 16).astype(float_dtype)), rng.integers(0, 2, 16)
    elif name == "binary_cross_entropy_with_logits":
        x, t = z, rng.integers(0, 2, z.size)
    elif name == "cross_entropy":
        x, t = z.reshape(4, 4), rng.integers(0, 4, 4)
    elif name == "hinge":
        x, t = z, rng.choice([-1, 1], z.size)
    else:
        x, t = z, rng.normal(size=z.size)
    loss, grad = L.LOSSES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = loss(x, t), grad(x, t)
    assert value.dtype == float_dtype and g.dtype == float_dtype
    assert np.isfinite(value) and np.all(np.isfinite(g))


def test_cross_entropy_float32_one_hot_stays_float32(rng):
    z = rng.normal(size=(8, 3)).astype(np.float32)
    one_hot = np.eye(3, dtype=np.int64)[rng.integers(0, 3, 8)]
    assert L.cross_entropy(z, one_hot).dtype == np.float32
    assert L.cross_entropy_grad(z, one_hot).dtype == np.float32


def test_confident_right_answer_keeps_its_tiny_loss():
    # log(1 + e^-40) = 4.25e-18: the naive softplus(z) - y z would give 0
    value = L.binary_cross_entropy_with_logits([40.0], [1])
    assert value == pytest.approx(math.exp(-40), rel=1e-12)


# ------------------------------------------------------------------ fused forms
def test_cross_entropy_and_grad_is_the_loss_and_its_gradient(rng, float_dtype):
    z = rng.normal(0, 3, (32, 10)).astype(float_dtype)
    for y in (rng.integers(0, 10, 32), softmax(rng.normal(size=(32, 10)))):
        before = z.copy()
        loss, grad = L.cross_entropy_and_grad(z, y)
        np.testing.assert_array_equal(z, before)  # the input is not modified
        assert loss.dtype == float_dtype and grad.dtype == float_dtype
        tol = 1e-6 if float_dtype == np.float32 else 1e-14
        assert loss == pytest.approx(L.cross_entropy(z, y), rel=tol)
        np.testing.assert_allclose(grad, L.cross_entropy_grad(z, y), rtol=tol, atol=tol / 32)


def test_cross_entropy_and_grad_computes_one_softmax(monkeypatch, rng):
    # the point of the fused form: one pass of (log-)softmax for the loss and the gradient
    from mlcourse import _fast

    calls = []

    def counted(name, function):
        return lambda *args: calls.append(name) or function(*args)

    for module in (L, _fast):
        for name in ("softmax", "log_softmax"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    L.cross_entropy_and_grad(rng.normal(size=(4, 3)), [0, 1, 2, 0])
    assert calls == ["log_softmax"]


@pytest.mark.parametrize("name", sorted(L.LOSSES))
def test_every_loss_has_a_fused_form(name, rng):
    x, target = _cases(rng)["cross_entropy_soft" if name == "cross_entropy" else name]
    loss, grad = L.LOSSES[name]
    fused = L.get_loss_and_grad(name)
    assert fused is getattr(L, f"{name}_and_grad") and fused.__name__ == f"{name}_and_grad"
    value, gradient = fused(x, target)
    assert value == pytest.approx(loss(x, target), rel=1e-14)
    np.testing.assert_allclose(gradient, grad(x, target), rtol=1e-13, atol=1e-16)
    assert set(L.LOSSES_AND_GRADS) == set(L.LOSSES)


# -------------------------------------------------------------------- bad input
def test_shape_mismatch_is_rejected():
    msg = "y_hat has shape (5, 1) but y has shape (5,); expected the same shape"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.mse(np.zeros((5, 1)), np.zeros(5))
    with pytest.raises(ValueError, match=re.escape("z has shape (3,) but y has shape (4,)")):
        L.binary_cross_entropy_with_logits_grad(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=re.escape("scores has shape (2,) but y has shape (3,)")):
        L.hinge(np.zeros(2), np.ones(3))
    msg = "y has shape (4,) but logits has shape (3, 2); expected class indices of shape (3,)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.cross_entropy(np.zeros((3, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=re.escape("or one-hot rows of shape (3, 2)")):
        L.cross_entropy_grad(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=re.escape("logits has shape (3,); expected a 2-D")):
        L.cross_entropy(np.zeros(3), np.zeros(3, dtype=int))


def test_labels_are_checked():
    msg = "y contains 2 at index (2,); expected labels in {0, 1}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.binary_cross_entropy([0.5, 0.5, 0.5], [0, 1, 2])
    with pytest.raises(ValueError, match=re.escape("y contains -1 at index (0,)")):
        L.binary_cross_entropy_with_logits_grad([0.5, 0.5], [-1, 1])
    msg = "y contains 0 at index (1,); expected labels in {-1, 1}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.hinge([0.5, 0.5], [1, 0])
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.hinge_grad([0.5, 0.5], [1, 0])


def test_class_indices_are_checked():
    msg = "y contains class index 3 at index (1,); expected integers in [0, 2] for 3 classes"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match=re.escape("y contains class index -1 at index (0,)")):
        L.cross_entropy_grad(np.zeros((2, 3)), [-1, 0])
    with pytest.raises(ValueError, match="expected integer class indices, got dtype float64"):
        L.cross_entropy(np.zeros((2, 3)), [0.0, 1.0])


def test_probabilities_are_checked():
    msg = "y_hat contains 1.2 at index (1,); expected probabilities in [0, 1]"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.binary_cross_entropy([0.5, 1.2], [0, 1])
    with pytest.raises(ValueError, match=re.escape("y_hat contains -0.1 at index (0,)")):
        L.binary_cross_entropy_grad([-0.1, 0.2], [0, 1])
    msg = "y sums to 0.5 along axis -1 at index (1,); expected sums of 1"
    with pytest.raises(ValueError, match=re.escape(msg)):
        L.cross_entropy(np.zeros((2, 2)), [[1.0, 0.0], [0.5, 0.0]])
    with pytest.raises(ValueError, match=re.escape("y has a negative entry -1 at index (0, 1)")):
        L.cross_entropy(np.zeros((1, 2)), [[2.0, -1.0]])


def test_nan_is_rejected():
    with pytest.raises(ValueError, match=re.escape("logits contains NaN at index (1, 0)")):
        L.cross_entropy(np.array([[0.0, 1.0], [np.nan, 0.0]]), [0, 1])
    with pytest.raises(ValueError, match=re.escape("y contains NaN at index (0,)")):
        L.mse([1.0], [np.nan])
    with pytest.raises(ValueError, match=re.escape("z contains NaN at index (2,)")):
        L.binary_cross_entropy_with_logits([0.0, 1.0, np.nan], [0, 1, 1])
    with pytest.raises(ValueError, match=re.escape("y_hat contains inf at index (0,)")):
        L.binary_cross_entropy([np.inf], [1])
    with pytest.raises(ValueError, match=re.escape("y_hat is empty (shape (0,))")):
        L.mse([], [])


def test_unknown_loss_name():
    with pytest.raises(ValueError, match=re.escape("loss: unknown loss 'nll'; expected one of:")):
        L.get_loss("nll")
    with pytest.raises(KeyError):
        L.LOSSES["nll"]
    assert L.get_loss("mse") == (L.mse, L.mse_grad)
    with pytest.raises(ValueError, match=re.escape("loss: unknown loss 'nll'; expected one of:")):
        L.get_loss_and_grad("nll")
