r"""Loss functions, each next to its gradient.

Conventions (those of ``torch.nn.functional``):

* argument order ``(input, target)``: ``binary_cross_entropy(y_hat, y)``;
* the value is the **mean** over all entries of the input (for ``cross_entropy``: over
  the N samples), returned as a NumPy scalar of the input's dtype;
* ``<name>_grad(input, target)`` is the gradient of that mean loss with respect to the
  first argument, an array of the input's shape and dtype (so it already contains the
  factor ``1/N``).

float32 stays float32 (targets are converted to the input's dtype). Bad input raises
:class:`ValueError` naming the argument: NaN or inf, mismatched shapes (never a silent
broadcast), labels outside {0, 1} (binary cross-entropy) or {-1, +1} (hinge), class
indices out of range, probabilities outside [0, 1] or rows not summing to 1.

Fast path
---------
``_cross_entropy_fast(logits, y)`` returns ``(loss, dlogits)`` for float logits ``(N, C)``
and integer class indices ``(N,)`` without any check: one pass of softmax shared by the
loss and the gradient, one ``(N, C)`` temporary that becomes the gradient, no one-hot
matrix. It is what the MLP training loop and the benchmark call; the tests check it
against :func:`cross_entropy` and :func:`cross_entropy_grad`.

``LOSSES`` maps a loss name to ``(loss, loss_grad)``; an unknown name raises
``ValueError`` listing the known names.
"""

from __future__ import annotations

import numpy as np

from mlcourse._validation import (
    NameRegistry,
    as_float_array,
    check_class_indices,
    check_finite,
    check_in_range,
    check_labels,
    check_ndim,
    check_probabilities,
    check_same_shape,
)

__all__ = [
    "LOSSES",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "get_loss",
    "hinge",
    "hinge_grad",
    "mse",
    "mse_grad",
]


def _pair(x, t, x_name: str, t_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Input and target as float arrays of the input's dtype, finite, same shape."""
    x = as_float_array(x, x_name)
    check_finite(x, x_name)
    t = as_float_array(t, t_name)
    check_finite(t, t_name)
    check_same_shape(x, t, x_name, t_name)
    if x.size == 0:
        raise ValueError(f"{x_name} is empty (shape {x.shape}); expected at least one entry")
    return x, t.astype(x.dtype, copy=False)


# ------------------------------------------------------------ binary cross-entropy
def _bce_checked(y_hat, y):
    y_hat, y = _pair(y_hat, y, "y_hat", "y")
    check_in_range(y_hat, "y_hat", 0, 1, "probabilities")
    check_labels(y, "y", (0, 1))
    return y_hat, y


def binary_cross_entropy(y_hat, y):
    r"""Mean binary cross-entropy of predicted probabilities.

    .. math:: L = -\frac{1}{N} \sum_n \left[ y_n \ln \hat y_n + (1 - y_n) \ln(1 - \hat y_n)
              \right]

    Parameters
    ----------
    y_hat : array_like, shape (N,) or any shape
        Predicted probabilities :math:`\hat y = P(Y = 1 \mid x)`, in [0, 1].
    y : array_like, same shape as ``y_hat``
        Labels in {0, 1}.

    Returns
    -------
    numpy scalar
        The mean over all entries (``torch.nn.functional.binary_cross_entropy``).

    Notes
    -----
    Only the term of the true label is evaluated (``ln y_hat`` where ``y = 1``,
    ``log1p(-y_hat)`` where ``y = 0``), so ``0 ln 0`` never appears and a confident wrong
    prediction (``y_hat = 0`` with ``y = 1``) gives the mathematically right ``inf``,
    without a warning. PyTorch clamps each log at -100 instead, so it reports 100 there;
    elsewhere the two agree. Computing from logits with
    :func:`binary_cross_entropy_with_logits` avoids the problem altogether.
    """
    y_hat, y = _bce_checked(y_hat, y)
    with np.errstate(divide="ignore"):
        loglik = np.where(y == 1, np.log(y_hat), np.log1p(-y_hat))
    return -loglik.mean()


def binary_cross_entropy_grad(y_hat, y):
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``y_hat``.

    .. math:: \frac{\partial L}{\partial \hat y_n} = \frac{1}{N}
              \frac{\hat y_n - y_n}{\hat y_n (1 - \hat y_n)}
              = \frac{1}{N} \times \begin{cases} -1/\hat y_n & y_n = 1 \\
              1/(1 - \hat y_n) & y_n = 0 \end{cases}

    Shape and dtype of ``y_hat``; ``-inf`` or ``inf`` where the loss is infinite.
    """
    y_hat, y = _bce_checked(y_hat, y)
    with np.errstate(divide="ignore"):
        grad = np.where(y == 1, -1 / y_hat, 1 / (1 - y_hat))
    grad /= y_hat.size
    return grad


def _bce_logits_checked(z, y):
    z, y = _pair(z, y, "z", "y")
    check_labels(y, "y", (0, 1))
    return z, 1 - 2 * y  # sign s = -1 for y = 1, +1 for y = 0


def binary_cross_entropy_with_logits(z, y):
    r"""Mean binary cross-entropy computed from logits :math:`z` (with :math:`\hat y =
    \sigma(z)`).

    .. math:: L = \frac{1}{N} \sum_n \left[ \ln(1 + e^{z_n}) - y_n z_n \right]
              = \frac{1}{N} \sum_n \ln\left(1 + e^{-(2 y_n - 1) z_n}\right)

    Parameters
    ----------
    z : array_like, shape (N,) or any shape
        Logits (scores before the sigmoid).
    y : array_like, same shape as ``z``
        Labels in {0, 1}.

    Returns
    -------
    numpy scalar
        The mean (``torch.nn.functional.binary_cross_entropy_with_logits``).

    Notes
    -----
    Stability: with the sign :math:`s_n = 1 - 2 y_n`, each term is
    :math:`\mathrm{softplus}(s_n z_n)`, computed by ``np.logaddexp(0, s z)``: no overflow
    for any ``z``, and a tiny loss (a confident right answer) keeps its relative precision
    instead of cancelling in :math:`\mathrm{softplus}(z) - z`. This is the label-in
    {-1, +1} form :math:`\ln(1 + e^{-y z})` of the syllabus.
    """
    z, s = _bce_logits_checked(z, y)
    return np.logaddexp(0, s * z).mean()


def binary_cross_entropy_with_logits_grad(z, y):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    .. math:: \frac{\partial L}{\partial z_n} = \frac{\sigma(z_n) - y_n}{N}

    Computed as :math:`s\,\sigma(s z) / N` with :math:`s = 1 - 2y` (the overflow-free
    sigmoid), which keeps small gradients precise. Shape and dtype of ``z``.
    """
    z, s = _bce_logits_checked(z, y)
    sz = s * z
    e = np.exp(-np.abs(sz))
    sig = np.where(sz >= 0, 1, e) / (1 + e)
    return s * sig / z.size


# ----------------------------------------------------------- categorical (softmax)
def _cross_entropy_fast(logits: np.ndarray, y: np.ndarray):
    """Unchecked mean cross-entropy and its gradient for class indices.

    Parameters
    ----------
    logits : float ndarray, shape (N, C)
    y : integer ndarray, shape (N,), values in [0, C - 1]

    Returns
    -------
    loss : numpy scalar of the dtype of ``logits``
    dlogits : ndarray (N, C), ``(softmax(logits) - onehot(y)) / N``
    """
    n = logits.shape[0]
    rows = np.arange(n)
    m = logits.max(axis=1, keepdims=True)
    p = np.subtract(logits, m)
    picked = p[rows, y]  # z_y - m, shape (N,)
    np.exp(p, out=p)
    s = p.sum(axis=1)
    loss = (np.log(s) - picked).mean()
    p /= s[:, None]
    p[rows, y] -= 1
    p /= n
    return loss, p


def _ce_checked(logits, y):
    """Validated logits (N, C) and target: ('index', int array) or ('prob', float array)."""
    logits = as_float_array(logits, "logits")
    check_ndim(logits, "logits", 2, "(N, C)")
    check_finite(logits, "logits")
    n, c = logits.shape
    if n == 0 or c == 0:
        raise ValueError(f"logits has shape {logits.shape}; expected N >= 1 and C >= 1")
    y_arr = np.asarray(y)
    if y_arr.ndim == 1:
        if y_arr.shape[0] != n:
            raise ValueError(
                f"y has shape {y_arr.shape} but logits has shape {logits.shape}; "
                f"expected class indices of shape ({n},) or one-hot rows of shape ({n}, {c})"
            )
        check_class_indices(y_arr, "y", c)
        return logits, "index", y_arr
    if y_arr.shape != logits.shape:
        raise ValueError(
            f"y has shape {y_arr.shape} but logits has shape {logits.shape}; "
            f"expected class indices of shape ({n},) or one-hot rows of shape ({n}, {c})"
        )
    t = as_float_array(y_arr, "y").astype(logits.dtype, copy=False)
    check_probabilities(t, "y", axis=-1)
    return logits, "prob", t


def cross_entropy(logits, y):
    r"""Mean categorical cross-entropy of softmax probabilities, from logits.

    .. math:: L = -\frac{1}{N} \sum_n \sum_k y_{nk} \ln \mathrm{softmax}(z_n)_k
              = \frac{1}{N} \sum_n \Big( \ln \sum_k e^{z_{nk}} - z_{n, y_n} \Big)

    (the second form for class indices). This is ``torch.nn.functional.cross_entropy``:
    the softmax is inside, so pass raw scores, not probabilities.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Scores :math:`z_n` of N samples for C classes.
    y : array_like, shape (N,) or (N, C)
        Integer class indices in [0, C - 1], or one-hot rows (more generally: rows of
        class probabilities, each summing to 1).

    Returns
    -------
    numpy scalar
        The mean over the N samples, in the dtype of ``logits``.

    Notes
    -----
    Stability: log-sum-exp with the row maximum subtracted (see
    :func:`mlcourse.activations.log_softmax`). With class indices no one-hot matrix is
    built: the true-class score is picked by fancy indexing.
    """
    logits, kind, t = _ce_checked(logits, y)
    if kind == "index":
        n = logits.shape[0]
        m = logits.max(axis=1, keepdims=True)
        p = np.subtract(logits, m)
        picked = p[np.arange(n), t]
        np.exp(p, out=p)
        return (np.log(p.sum(axis=1)) - picked).mean()
    shifted = np.subtract(logits, logits.max(axis=1, keepdims=True))
    lse = np.log(np.exp(shifted).sum(axis=1))
    # sum_k y_k (lse - shifted_k) = lse - sum_k y_k shifted_k, as the rows of y sum to 1
    return (lse * t.sum(axis=1) - (t * shifted).sum(axis=1)).mean()


def cross_entropy_grad(logits, y):
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z_{nk}} = \frac{\mathrm{softmax}(z_n)_k -
              y_{nk}}{N}

    Returns an array of shape (N, C) in the dtype of ``logits``. With class indices the
    one-hot subtraction is done in place on the softmax (no one-hot matrix).
    """
    logits, kind, t = _ce_checked(logits, y)
    if kind == "index":
        return _cross_entropy_fast(logits, t)[1]
    shifted = np.subtract(logits, logits.max(axis=1, keepdims=True))
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    # d/dz of lse * sum(y) - y.z: softmax * sum(y) - y (sum(y) = 1 up to the tolerance)
    shifted *= t.sum(axis=1, keepdims=True)
    shifted -= t
    shifted /= logits.shape[0]
    return shifted


# ------------------------------------------------------------------ MSE and hinge
def mse(y_hat, y):
    r"""Mean squared error :math:`L = \frac{1}{N} \sum_n (\hat y_n - y_n)^2`.

    Parameters
    ----------
    y_hat : array_like, any shape, e.g. (N,) or (N, K)
    y : array_like, same shape

    Returns
    -------
    numpy scalar
        The mean over **all** entries, as ``torch.nn.functional.mse_loss``: for vector
        targets ``(N, K)`` this is the per-output average. Some texts use
        :math:`\frac{1}{2N} \sum (\hat y - y)^2`, half of this, for a tidier gradient.
    """
    y_hat, y = _pair(y_hat, y, "y_hat", "y")
    d = y_hat - y
    return (d * d).mean()


def mse_grad(y_hat, y):
    r"""Gradient of :func:`mse`: :math:`\partial L / \partial \hat y = 2 (\hat y - y) /
    \text{size}`, shape and dtype of ``y_hat``."""
    y_hat, y = _pair(y_hat, y, "y_hat", "y")
    d = y_hat - y
    d *= 2 / y_hat.size
    return d


def _hinge_checked(scores, y):
    scores, y = _pair(scores, y, "scores", "y")
    check_labels(y, "y", (-1, 1))
    return scores, y


def hinge(scores, y):
    r"""Mean hinge loss :math:`L = \frac{1}{N} \sum_n \max(0, 1 - y_n s_n)`.

    Parameters
    ----------
    scores : array_like, shape (N,) or any shape
        Real-valued scores :math:`s_n = h(x_n)` (not probabilities).
    y : array_like, same shape
        Labels in {-1, +1}.

    Returns
    -------
    numpy scalar
        The mean over all entries. (PyTorch has no function of exactly this form;
        ``torch.clamp(1 - y * s, min=0).mean()`` is the reference in the tests.)
    """
    scores, y = _hinge_checked(scores, y)
    return np.maximum(0, 1 - y * scores).mean()


def hinge_grad(scores, y):
    r"""(Sub)gradient of :func:`hinge` with respect to the scores.

    .. math:: \frac{\partial L}{\partial s_n} = -\frac{y_n}{N} \text{ if } y_n s_n < 1,
              \text{ else } 0

    At the kink :math:`y_n s_n = 1` we return 0. Shape and dtype of ``scores``.
    """
    scores, y = _hinge_checked(scores, y)
    active = (1 - y * scores) > 0
    return np.where(active, -y, 0) / scores.size


# ---------------------------------------------------------------------- registry
LOSSES: dict = NameRegistry(
    "loss",
    "loss",
    binary_cross_entropy=(binary_cross_entropy, binary_cross_entropy_grad),
    binary_cross_entropy_with_logits=(
        binary_cross_entropy_with_logits,
        binary_cross_entropy_with_logits_grad,
    ),
    cross_entropy=(cross_entropy, cross_entropy_grad),
    mse=(mse, mse_grad),
    hinge=(hinge, hinge_grad),
)
"""Name -> ``(loss, loss_grad)``; both take ``(input, target)``."""


def get_loss(name: str):
    """Return ``(loss, loss_grad)`` for a name in :data:`LOSSES`.

    Raises
    ------
    ValueError
        ``"loss: unknown loss 'foo'; expected one of: binary_cross_entropy, ..."``.
    """
    return LOSSES.lookup(name)
