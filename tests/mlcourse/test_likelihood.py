"""Tests for mlcourse.likelihood: log-likelihoods against torch.distributions, the MLEs,
and the maximum-likelihood chain of chapter 3 (max likelihood = min cross-entropy = min KL)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from mlcourse import info
from mlcourse.activations import sigmoid
from mlcourse.likelihood import (
    bernoulli_log_likelihood,
    bernoulli_mle,
    gaussian_log_likelihood,
    gaussian_mle,
)
from mlcourse.losses import binary_cross_entropy_with_logits, mse

RTOL = 1e-10


def test_bernoulli_log_likelihood_matches_torch(rng):
    y = rng.integers(0, 2, 50).astype(float)
    p = rng.uniform(0.001, 0.999, 50)
    dist = torch.distributions.Bernoulli(probs=torch.tensor(p))
    expected = dist.log_prob(torch.tensor(y)).sum().item()
    assert bernoulli_log_likelihood(y, p) == pytest.approx(expected, rel=RTOL)
    shared = torch.distributions.Bernoulli(probs=torch.tensor(0.3, dtype=torch.float64)).log_prob(
        torch.tensor(y)
    )
    assert bernoulli_log_likelihood(y, 0.3) == pytest.approx(shared.sum().item(), rel=RTOL)
    assert isinstance(bernoulli_log_likelihood(y, 0.3), float)


def test_bernoulli_edge_probabilities():
    assert bernoulli_log_likelihood([1, 1], 1.0) == 0.0
    assert bernoulli_log_likelihood([0, 0], 0.0) == 0.0
    assert bernoulli_log_likelihood([0, 1], 0.0) == -math.inf


def test_bernoulli_mle_is_the_fraction_of_ones_and_maximises_the_likelihood(rng):
    y = (rng.uniform(size=200) < 0.3).astype(int)
    p_hat = bernoulli_mle(y)
    assert p_hat == y.mean()
    thetas = np.linspace(0.005, 0.995, 199)
    ll = np.array([bernoulli_log_likelihood(y, t) for t in thetas])
    assert abs(thetas[np.argmax(ll)] - p_hat) <= 0.005
    assert bernoulli_log_likelihood(y, p_hat) >= ll.max()


def test_max_likelihood_is_min_cross_entropy_is_min_kl(rng):
    # Goodfellow et al. (5.56-5.61): the same theta maximises the likelihood and minimises
    # H(p_data, p_model) and KL(p_data || p_model)
    y = (rng.uniform(size=60) < 0.7).astype(int)
    p_data = np.array([1 - y.mean(), y.mean()])
    thetas = np.linspace(0.01, 0.99, 99)
    models = np.stack([1 - thetas, thetas], axis=1)
    ll = np.array([bernoulli_log_likelihood(y, t) for t in thetas])
    ce = info.cross_entropy(np.broadcast_to(p_data, models.shape), models)
    kl = info.kl_divergence(np.broadcast_to(p_data, models.shape), models)
    assert np.argmax(ll) == np.argmin(ce) == np.argmin(kl)
    # exactly: -LL / N is the cross-entropy, and KL differs from it by the constant H(p_data)
    np.testing.assert_allclose(-ll / y.size, ce, rtol=1e-12)
    np.testing.assert_allclose(ce - kl, info.entropy(p_data), rtol=1e-12)


def test_gaussian_mle_matches_torch(rng):
    x = rng.normal(3.0, 2.0, (100, 3))
    mu, sigma2 = gaussian_mle(x)
    xt = torch.tensor(x)
    np.testing.assert_allclose(mu, xt.mean(0).numpy(), rtol=RTOL)
    np.testing.assert_allclose(sigma2, xt.var(0, unbiased=False).numpy(), rtol=RTOL)
    mu1, s1 = gaussian_mle(x[:, 0])
    assert isinstance(mu1, float) and isinstance(s1, float)
    assert s1 == pytest.approx(np.var(x[:, 0]), rel=1e-12)  # biased: divided by N
    assert gaussian_mle([1.0, 2.0, 3.0]) == (2.0, pytest.approx(2 / 3))


def test_gaussian_log_likelihood_matches_torch_and_is_maximal_at_the_mle(rng):
    x = rng.normal(1.0, 0.5, 40)
    dist = torch.distributions.Normal(
        torch.tensor(0.8, dtype=torch.float64), torch.tensor(math.sqrt(0.3), dtype=torch.float64)
    )
    expected = dist.log_prob(torch.tensor(x)).sum().item()
    assert gaussian_log_likelihood(x, 0.8, 0.3) == pytest.approx(expected, rel=RTOL)
    mu, s2 = gaussian_mle(x)
    best = gaussian_log_likelihood(x, mu, s2)
    for dm, ds in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert gaussian_log_likelihood(x, mu + dm, s2 + ds) < best


def test_gaussian_likelihood_is_squared_error(rng):
    # with sigma2 fixed: log L = -N/2 log(2 pi sigma2) - N * MSE / (2 sigma2)
    y = rng.normal(size=30)
    y_hat = rng.normal(size=30)
    ll = gaussian_log_likelihood(y, y_hat, 2.0)
    expected = -15 * math.log(2 * math.pi * 2.0) - 30 * mse(y_hat, y) / 4.0
    assert ll == pytest.approx(expected, rel=1e-12)


def test_sigmoid_output_likelihood_is_bce(rng):
    # J = -log sigma((2y - 1) z) is the negative log-likelihood of a sigmoid output
    z = rng.normal(0, 3, 25)
    y = rng.integers(0, 2, 25)
    nll = -bernoulli_log_likelihood(y, sigmoid(z)) / 25
    assert nll == pytest.approx(binary_cross_entropy_with_logits(z, y), rel=1e-10)
    assert nll == pytest.approx(np.mean(-np.log(sigmoid((2 * y - 1) * z))), rel=1e-10)


def test_bad_input_messages():
    with pytest.raises(
        ValueError, match=re.escape("y contains 2 at index (1,); expected labels in {0, 1}")
    ):
        bernoulli_mle([0, 2])
    with pytest.raises(ValueError, match=re.escape("y is empty")):
        bernoulli_mle([])
    with pytest.raises(ValueError, match=re.escape("p has shape (2,) but y has shape (3,)")):
        bernoulli_log_likelihood([0, 1, 1], [0.5, 0.5])
    with pytest.raises(
        ValueError, match=re.escape("p contains 1.5 at index (); expected probabilities in [0, 1]")
    ):
        bernoulli_log_likelihood([0, 1], 1.5)
    with pytest.raises(
        ValueError, match=re.escape("x has shape (2, 2, 2); expected a 1-D or 2-D array")
    ):
        gaussian_mle(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=re.escape("x contains NaN at index (1,)")):
        gaussian_mle([1.0, np.nan])
    with pytest.raises(
        ValueError, match=re.escape("x has shape (0,); expected at least one sample")
    ):
        gaussian_mle([])
    with pytest.raises(
        ValueError, match=re.escape("sigma2 is 0; expected a positive finite variance")
    ):
        gaussian_log_likelihood([1.0], 0.0, 0)
    with pytest.raises(ValueError, match=re.escape("mu has shape (2,) but x has shape (3,)")):
        gaussian_log_likelihood([1.0, 2.0, 3.0], [0.0, 0.0], 1.0)
