r"""Entropy, cross-entropy and KL divergence of discrete distributions.

Distributions lie along the **last axis**: ``p`` of shape ``(K,)`` is one distribution
over K outcomes and gives a scalar; ``p`` of shape ``(N, K)`` is N distributions and
gives an ``(N,)`` array. ``base=None`` measures in nats (natural log), ``base=2`` in bits.

Conventions, as in information theory:

* :math:`0 \log 0 = 0` and :math:`0 \log(0/q) = 0`: outcomes that ``p`` never produces
  do not count, whatever ``q`` says about them;
* :math:`p \log(p / 0) = \infty` for :math:`p > 0`: if ``q`` gives probability 0 to
  an outcome that happens, the cross-entropy and the KL divergence are ``inf``, never
  ``nan``, and no warning is printed.

Input is checked: each distribution must be non-negative and sum to 1 (tolerance 1e-6),
``p`` and ``q`` must have the same shape; otherwise :class:`ValueError` names the
argument.

Note: ``mlcourse.cross_entropy`` (top level) is the *loss* of
:mod:`mlcourse.losses` (logits and labels); this module's ``cross_entropy(p, q)`` takes
two distributions.
"""

from __future__ import annotations

import math

import numpy as np

from mlcourse._validation import as_float_array, check_probabilities, check_same_shape

__all__ = ["cross_entropy", "entropy", "kl_divergence"]


def _distribution(p, name: str) -> np.ndarray:
    p = as_float_array(p, name)
    if p.ndim == 0:
        raise ValueError(
            f"{name} has shape (); expected a distribution along the last axis, shape (..., K)"
        )
    check_probabilities(p, name, axis=-1)
    return p


def _log_fn(base):
    """The logarithm for ``base``: ``np.log``, ``np.log2``, ``np.log10`` or a scaled log.

    Exact ``log2`` for bits, so that the uniform distribution over 8 outcomes has exactly
    3 bits.
    """
    if base is None:
        return np.log
    try:
        b = float(base)
    except (TypeError, ValueError):
        raise ValueError(
            f"base: expected None (nats) or a number such as 2, got {base!r}"
        ) from None
    if not (math.isfinite(b) and b > 0 and b != 1):
        raise ValueError(f"base is {base!r}; expected None or a positive number other than 1")
    if b == 2:
        return np.log2
    if b == 10:
        return np.log10
    scale = 1 / math.log(b)

    def log_b(x, out, where):
        np.log(x, out=out, where=where)
        out *= scale
        return out

    return log_b


def _masked_log(x: np.ndarray, mask: np.ndarray, log=np.log) -> np.ndarray:
    """``log(x)`` where ``mask``, 0 elsewhere; ``log(0) = -inf`` without a warning."""
    out = np.zeros_like(x)
    with np.errstate(divide="ignore"):
        log(x, out=out, where=mask)
    return out


def entropy(p, base=None):
    r"""Shannon entropy :math:`H(P) = -\sum_k p_k \log p_k = -\mathbb{E}_P[\log P(x)]`.

    Parameters
    ----------
    p : array_like, shape (..., K)
        Probabilities along the last axis (non-negative, summing to 1).
    base : float or None, default None
        ``None`` for nats (natural log), ``2`` for bits.

    Returns
    -------
    numpy scalar or numpy.ndarray of shape ``p.shape[:-1]``
        Non-negative; 0 for a certain outcome, :math:`\log K` for the uniform
        distribution (1 bit for a fair coin, 3 bits for 8 equally likely outcomes).

    Notes
    -----
    :math:`0 \log 0 = 0` is implemented by taking the log only where :math:`p > 0`.
    ``scipy.stats.entropy`` agrees; PyTorch's ``torch.special.entr(p).sum(-1)`` too.
    """
    p = _distribution(p, "p")
    log = _log_fn(base)
    return 0.0 - (p * _masked_log(p, p > 0, log)).sum(axis=-1)  # 0.0 - 0.0 is +0.0


def cross_entropy(p, q, base=None):
    r"""Cross-entropy :math:`H(P, Q) = -\sum_k p_k \log q_k = -\mathbb{E}_P[\log Q(x)]`.

    The average code length when outcomes come from ``p`` but the code was built for
    ``q``. :math:`H(P, Q) = H(P) + D_{KL}(P \| Q) \ge H(P)`.

    Parameters
    ----------
    p : array_like, shape (..., K)
        The true distribution(s).
    q : array_like, same shape as ``p``
        The model distribution(s).
    base : float or None, default None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    numpy scalar or numpy.ndarray of shape ``p.shape[:-1]``
        ``inf`` where some :math:`q_k = 0` has :math:`p_k > 0`.

    Notes
    -----
    Terms with :math:`p_k = 0` are skipped (so :math:`0 \log 0 = 0`). The binary
    cross-entropy loss is the special case ``p = [1 - y, y]``, ``q = [1 - y_hat, y_hat]``.
    """
    p = _distribution(p, "p")
    q = _distribution(q, "q")
    check_same_shape(p, q, "p", "q")
    log = _log_fn(base)
    return 0.0 - (p * _masked_log(q, p > 0, log)).sum(axis=-1)


def kl_divergence(p, q, base=None):
    r"""Kullback-Leibler divergence :math:`D_{KL}(P \| Q) = \sum_k p_k \log(p_k / q_k)`.

    Equals :math:`H(P, Q) - H(P) = -\mathbb{E}_P[\log(Q(x) / P(x))]`. It is
    non-negative, zero if and only if ``p == q``, and not symmetric.

    Parameters
    ----------
    p : array_like, shape (..., K)
    q : array_like, same shape as ``p``
    base : float or None, default None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    numpy scalar or numpy.ndarray of shape ``p.shape[:-1]``
        ``inf`` where some :math:`q_k = 0` has :math:`p_k > 0`.

    Notes
    -----
    Computed as :math:`\sum_{p_k > 0} p_k (\log p_k - \log q_k)` in one sum (not as the
    difference of two entropies), so ``kl_divergence(p, p)`` is exactly 0. Because the
    inputs are only checked to sum to 1 within 1e-6, a result may be negative by about
    that much for nearly equal distributions; within float64 rounding it is >= 0.
    ``torch.nn.functional.kl_div(q.log(), p, reduction="sum")`` is the same quantity
    (note PyTorch's reversed argument order).
    """
    p = _distribution(p, "p")
    q = _distribution(q, "q")
    check_same_shape(p, q, "p", "q")
    log = _log_fn(base)
    support = p > 0
    return (p * (_masked_log(p, support, log) - _masked_log(q, support, log))).sum(axis=-1)
