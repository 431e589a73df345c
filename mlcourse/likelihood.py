r"""Likelihoods and maximum-likelihood estimates for the Bernoulli and Gaussian models.

Maximum likelihood picks the parameter under which the observed data are most
probable. For i.i.d. data the likelihood is a product, its logarithm a sum:

.. math:: \theta_{ML} = \arg\max_\theta \prod_n p(x_n; \theta)
          = \arg\max_\theta \sum_n \log p(x_n; \theta)

For the Bernoulli model the answer is the fraction of ones; for the Gaussian, the
sample mean and the *biased* sample variance (divided by N, not N - 1). Minimising the
negative log-likelihood of a Bernoulli output is minimising the binary cross-entropy
(:func:`mlcourse.losses.binary_cross_entropy` is ``-bernoulli_log_likelihood / N``);
for a Gaussian output with a fixed variance it is minimising the squared error.

Log-likelihoods here are **sums** over the data (not means), in nats.
"""

from __future__ import annotations

import math

import numpy as np

from mlcourse._validation import (
    as_float_array,
    check_finite,
    check_in_range,
    check_labels,
    check_ndim,
    check_positive,
)

__all__ = [
    "bernoulli_log_likelihood",
    "bernoulli_mle",
    "gaussian_log_likelihood",
    "gaussian_mle",
]


def _binary_labels(y) -> np.ndarray:
    y = as_float_array(y, "y")
    check_ndim(y, "y", 1, "(N,)")
    if y.size == 0:
        raise ValueError("y is empty (shape (0,)); expected at least one observation")
    check_labels(y, "y", (0, 1))
    return y


def bernoulli_log_likelihood(y, p):
    r"""Log-likelihood of binary observations under Bernoulli probabilities.

    .. math:: \log L = \sum_n \left[ y_n \ln p_n + (1 - y_n) \ln(1 - p_n) \right]

    Parameters
    ----------
    y : array_like, shape (N,)
        Observations in {0, 1}.
    p : float or array_like of shape (N,)
        :math:`P(Y = 1)`: one parameter shared by all observations (the coin-flip
        model), or one probability per observation (a classifier's predictions).

    Returns
    -------
    float
        A value <= 0; ``-inf`` when an observed outcome has probability 0.

    Notes
    -----
    Only the term of the observed outcome is evaluated (``log p`` where ``y = 1``,
    ``log1p(-p)`` where ``y = 0``), so :math:`0 \log 0` never occurs and there is no
    warning. ``torch.distributions.Bernoulli(probs=p).log_prob(y).sum()`` agrees for
    ``0 < p < 1``.
    """
    y = _binary_labels(y)
    p = as_float_array(p, "p")
    if p.ndim != 0 and p.shape != y.shape:
        raise ValueError(
            f"p has shape {p.shape} but y has shape {y.shape}; expected a scalar or the same shape"
        )
    check_in_range(p, "p", 0, 1, "probabilities")
    p = np.broadcast_to(p, y.shape)
    with np.errstate(divide="ignore"):
        terms = np.where(y == 1, np.log(p), np.log1p(-p))
    return float(terms.sum())


def bernoulli_mle(y):
    r"""Maximum-likelihood estimate of the Bernoulli parameter: the fraction of ones.

    .. math:: \hat p = \frac{1}{N} \sum_n y_n

    Setting :math:`\frac{d}{dp} \log L = \frac{N_1}{p} - \frac{N - N_1}{1 - p} = 0` gives
    :math:`p = N_1 / N`.

    Parameters
    ----------
    y : array_like, shape (N,)
        Observations in {0, 1}.

    Returns
    -------
    float
    """
    return float(_binary_labels(y).mean())


def _samples(x) -> np.ndarray:
    x = as_float_array(x, "x")
    check_ndim(x, "x", (1, 2), "(N,) or (N, D)")
    check_finite(x, "x")
    if x.shape[0] == 0:
        raise ValueError(f"x has shape {x.shape}; expected at least one sample (N >= 1)")
    return x


def gaussian_mle(x):
    r"""Maximum-likelihood estimates of a Gaussian's mean and variance.

    .. math:: \hat\mu = \frac{1}{N} \sum_n x_n, \qquad
              \hat\sigma^2 = \frac{1}{N} \sum_n (x_n - \hat\mu)^2

    The variance estimate is the *biased* one (divided by N; ``np.var(x)``,
    ``torch.var(x, unbiased=False)``), because that is what maximises the likelihood.

    Parameters
    ----------
    x : array_like, shape (N,) or (N, D)
        N samples (rows); for ``(N, D)`` each of the D columns is estimated separately.

    Returns
    -------
    mu, sigma2 : float, float for ``(N,)``; arrays of shape (D,) for ``(N, D)``
    """
    x = _samples(x)
    mu = x.mean(axis=0)
    d = x - mu
    sigma2 = (d * d).mean(axis=0)
    if x.ndim == 1:
        return float(mu), float(sigma2)
    return mu, sigma2


def gaussian_log_likelihood(x, mu, sigma2):
    r"""Log-likelihood of samples under a Gaussian :math:`\mathcal N(\mu, \sigma^2)`.

    .. math:: \log L = -\frac{N}{2} \ln(2\pi\sigma^2) - \frac{1}{2\sigma^2}
              \sum_n (x_n - \mu)^2

    With :math:`\sigma^2` fixed, maximising it over :math:`\mu` (or over a model's
    predictions :math:`\mu_n = h(x_n)`) is minimising the squared error.

    Parameters
    ----------
    x : array_like, shape (N,)
        Samples.
    mu : float or array_like of shape (N,)
        The mean, shared or one per sample (a regression model's predictions).
    sigma2 : float
        The variance, > 0.

    Returns
    -------
    float
    """
    x = _samples(x)
    check_ndim(x, "x", 1, "(N,)")
    mu = as_float_array(mu, "mu")
    check_finite(mu, "mu")
    if mu.ndim != 0 and mu.shape != x.shape:
        raise ValueError(
            f"mu has shape {mu.shape} but x has shape {x.shape}; expected a "
            "scalar or the same shape"
        )
    s2 = check_positive(sigma2, "sigma2", "variance")
    d = x - mu
    return float(-0.5 * x.size * math.log(2 * math.pi * s2) - 0.5 * (d * d).sum() / s2)
