"""Tests for mlcourse.info: entropy, cross-entropy and KL divergence.

Against PyTorch in float64 (``torch.special.entr``, ``torch.special.xlogy``,
``F.kl_div``) with rtol 1e-10 and atol 1e-14; the conventions 0 log 0 = 0 and
q = 0 where p > 0 gives inf; hypothesis properties; the syllabus numbers; bad input.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcourse import info
from mlcourse.losses import binary_cross_entropy

RTOL, ATOL = 1e-10, 1e-14


@pytest.fixture
def pq(rng):
    """Ten pairs of distributions over 6 outcomes; p has zeros, q is positive."""
    p = rng.dirichlet(np.ones(6), size=10)
    p[:3, :2] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    q = rng.dirichlet(np.full(6, 0.5), size=10)
    return p, q


@pytest.mark.parametrize("base", [None, 2, 10, math.e, 3.5])
def test_matches_torch(pq, base):
    p, q = pq
    pt, qt = torch.tensor(p), torch.tensor(q)
    scale = 1.0 if base is None else math.log(base)
    h = torch.special.entr(pt).sum(-1).numpy() / scale
    ce = -torch.special.xlogy(pt, qt).sum(-1).numpy() / scale
    kl = torch.nn.functional.kl_div(qt.log(), pt, reduction="none").sum(-1).numpy() / scale
    np.testing.assert_allclose(info.entropy(p, base=base), h, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(info.cross_entropy(p, q, base=base), ce, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(info.kl_divergence(p, q, base=base), kl, rtol=RTOL, atol=ATOL)


def test_shapes():
    p = np.full((2, 3, 4), 0.25)
    assert info.entropy(p).shape == (2, 3)
    assert np.ndim(info.entropy([0.5, 0.5])) == 0
    assert info.kl_divergence(p, p).shape == (2, 3)


def test_syllabus_numbers():
    assert info.entropy([0.5, 0.5], base=2) == 1.0  # a fair coin: 1 bit
    assert info.entropy(np.full(8, 1 / 8), base=2) == 3.0  # uniform over 8: 3 bits
    assert info.entropy([0.5, 0.5]) == pytest.approx(math.log(2))  # in nats
    assert info.entropy([1.0, 0.0]) == 0.0
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    assert info.kl_divergence(p, p) == 0.0
    assert info.kl_divergence(p, q) > 0
    assert info.kl_divergence(p, q) != pytest.approx(info.kl_divergence(q, p))  # not symmetric
    # KL = H(P, Q) - H(P)
    assert info.kl_divergence(p, q) == pytest.approx(info.cross_entropy(p, q) - info.entropy(p))


def test_binary_cross_entropy_is_a_special_case(rng):
    # BCE(y_hat, y) is the mean of H([1 - y, y], [1 - y_hat, y_hat])
    y = rng.integers(0, 2, 20)
    y_hat = rng.uniform(0.01, 0.99, 20)
    p = np.stack([1 - y, y], axis=1).astype(float)
    q = np.stack([1 - y_hat, y_hat], axis=1)
    assert binary_cross_entropy(y_hat, y) == pytest.approx(
        info.cross_entropy(p, q).mean(), rel=1e-14
    )


def test_zero_conventions_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert info.entropy([0.0, 1.0, 0.0]) == 0.0  # 0 log 0 = 0
        assert info.cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0 log 0 again
        assert info.kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(math.log(2))
        # q = 0 where p > 0: inf, never nan
        assert info.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
        assert info.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
        assert info.kl_divergence([0.0, 1.0], [1.0, 0.0], base=2) == math.inf
        rows = info.kl_divergence([[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]])
        np.testing.assert_array_equal(rows, [math.inf, 0.0])


def test_entropy_sign_is_clean():
    # -0.0 would print as "-0.0" in a lesson
    assert math.copysign(1.0, float(info.entropy([1.0, 0.0]))) == 1.0


# -------------------------------------------------------------------- properties
def distributions(k):
    """Probability vectors of length k, some with zeros."""
    return (
        hnp.arrays(np.float64, k, elements=st.floats(0, 1, allow_nan=False))
        .filter(lambda w: w.sum() > 1e-3)
        .map(lambda w: w / w.sum())
    )


pairs = st.integers(1, 8).flatmap(lambda k: st.tuples(distributions(k), distributions(k)))


@given(pairs)
def test_kl_is_non_negative_and_zero_iff_equal(pair):
    p, q = pair
    d = info.kl_divergence(p, q)
    assert d >= -1e-14
    assert info.kl_divergence(p, p) == 0.0
    if np.max(np.abs(p - q)) > 1e-4:
        assert d > 0


@given(pairs)
def test_cross_entropy_is_entropy_plus_kl(pair):
    p, q = pair
    assume(np.all(q[p > 0] > 1e-12))  # otherwise both sides are inf
    for base in (None, 2):
        lhs = info.cross_entropy(p, q, base=base)
        rhs = info.entropy(p, base=base) + info.kl_divergence(p, q, base=base)
        assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12)


@given(st.integers(1, 8).flatmap(distributions))
def test_entropy_bounds(p):
    h = info.entropy(p)
    assert -1e-15 <= h <= math.log(p.size) + 1e-12


# --------------------------------------------------------------------- bad input
def test_bad_input_messages():
    msg = "p has a negative entry -0.1 at index (1,); expected probabilities >= 0"
    with pytest.raises(ValueError, match=re.escape(msg)):
        info.entropy([1.1, -0.1])
    msg = "q sums to 0.9 along axis -1; expected sums of 1 (tolerance 1e-06)"
    with pytest.raises(ValueError, match=re.escape(msg)):
        info.cross_entropy([0.5, 0.5], [0.4, 0.5])
    msg = "p has shape (2,) but q has shape (3,); expected the same shape"
    with pytest.raises(ValueError, match=re.escape(msg)):
        info.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=re.escape("p contains NaN at index (0,)")):
        info.entropy([np.nan, 1.0])
    with pytest.raises(ValueError, match=re.escape("p has shape (); expected a distribution")):
        info.entropy(1.0)
    with pytest.raises(
        ValueError, match=re.escape("base is 1; expected None or a positive number")
    ):
        info.entropy([0.5, 0.5], base=1)
    with pytest.raises(ValueError, match=re.escape("base: expected None (nats) or a number")):
        info.entropy([0.5, 0.5], base="bits")
    # within the tolerance is fine
    info.entropy([0.5, 0.5 + 5e-7])
