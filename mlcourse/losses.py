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

Each function checks its arguments in its ``@checked`` decorator and its body is the
formula; the sigmoid, softplus and (log-)softmax come from :mod:`mlcourse.activations`.

The fused form
--------------
Training needs the loss and its gradient at the same point. ``<name>_and_grad(input,
target)`` returns both, ``(loss, grad)``, as cs231n's ``softmax_loss`` does:
:func:`cross_entropy_and_grad` computes the softmax once for the two. ``LOSSES`` maps a
loss name to ``(loss, loss_grad)`` and ``LOSSES_AND_GRADS`` to the fused form, which is
what :func:`mlcourse.optim.train` calls; an unknown name raises ``ValueError`` listing
the known names.
"""

from __future__ import annotations

import numpy as np

from mlcourse import _fast
from mlcourse._validation import (
    NameRegistry,
    as_float_array,
    check_class_indices,
    check_in_range,
    check_labels,
    check_ndim,
    check_probabilities,
    check_same_shape,
    checked,
    finite_array,
)
from mlcourse.activations import log_softmax, sigmoid, softmax

__all__ = [
    "LOSSES",
    "LOSSES_AND_GRADS",
    "binary_cross_entropy",
    "binary_cross_entropy_and_grad",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_and_grad",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_and_grad",
    "cross_entropy_grad",
    "get_loss",
    "get_loss_and_grad",
    "hinge",
    "hinge_and_grad",
    "hinge_grad",
    "mse",
    "mse_and_grad",
    "mse_grad",
]


# --------------------------------------------------------------------------- checks
def _target_like(x, y, x_name: str, labels: tuple | None = None) -> dict:
    """``y`` of the shape of ``x`` (no silent broadcast), with labels in ``labels`` if
    given, in ``x``'s dtype; ``x`` not empty."""
    check_same_shape(x, y, x_name, "y")
    if x.size == 0:
        raise ValueError(f"{x_name} is empty (shape {x.shape}); expected at least one entry")
    if labels is not None:
        check_labels(y, "y", labels)
    return {"y": y.astype(x.dtype, copy=False)}


def _probabilities_and_labels(y_hat, y) -> dict:
    target = _target_like(y_hat, y, "y_hat", (0, 1))
    check_in_range(y_hat, "y_hat", 0, 1, "probabilities")
    return target


def _logits_and_labels(z, y) -> dict:
    return _target_like(z, y, "z", (0, 1))


def _predictions_and_values(y_hat, y) -> dict:
    return _target_like(y_hat, y, "y_hat")


def _scores_and_signs(scores, y) -> dict:
    return _target_like(scores, y, "scores", (-1, 1))


# ------------------------------------------------------------ binary cross-entropy
@checked(_probabilities_and_labels, y_hat=finite_array, y=finite_array)
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
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right value, say nothing
        loglik = np.where(y == 1, np.log(y_hat), np.log1p(-y_hat))
    return -loglik.mean()


@checked(_probabilities_and_labels, y_hat=finite_array, y=finite_array)
def binary_cross_entropy_grad(y_hat, y):
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``y_hat``.

    .. math:: \frac{\partial L}{\partial \hat y_n} = \frac{1}{N}
              \frac{\hat y_n - y_n}{\hat y_n (1 - \hat y_n)}
              = \frac{1}{N} \times \begin{cases} -1/\hat y_n & y_n = 1 \\
              1/(1 - \hat y_n) & y_n = 0 \end{cases}

    Shape and dtype of ``y_hat``; ``-inf`` or ``inf`` where the loss is infinite.
    """
    with np.errstate(divide="ignore"):
        grad = np.where(y == 1, -1 / y_hat, 1 / (1 - y_hat))
    return grad / y_hat.size


@checked(_logits_and_labels, z=finite_array, y=finite_array)
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
    s = 1 - 2 * y  # the sign: -1 for y = 1, +1 for y = 0
    return np.logaddexp(0, s * z).mean()  # softplus(s z)


@checked(_logits_and_labels, z=finite_array, y=finite_array)
def binary_cross_entropy_with_logits_grad(z, y):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    .. math:: \frac{\partial L}{\partial z_n} = \frac{\sigma(z_n) - y_n}{N}

    Computed as :math:`s\,\sigma(s z) / N` with :math:`s = 1 - 2y` (the overflow-free
    sigmoid), which keeps small gradients precise. Shape and dtype of ``z``.
    """
    s = 1 - 2 * y
    return s * sigmoid(s * z) / z.size


# ----------------------------------------------------------- categorical (softmax)
def _logits(logits, name: str) -> np.ndarray:
    logits = finite_array(logits, name)
    check_ndim(logits, name, 2, "(N, C)")
    if 0 in logits.shape:
        raise ValueError(f"{name} has shape {logits.shape}; expected N >= 1 and C >= 1")
    return logits


def _class_targets(logits, y) -> dict:
    """``y`` as rows of class probabilities ``(N, C)`` in the dtype of ``logits``: class
    indices ``(N,)`` become one-hot rows; probability rows are checked to sum to 1."""
    n, c = logits.shape
    y = np.asarray(y)
    if y.shape not in ((n,), (n, c)):
        raise ValueError(
            f"y has shape {y.shape} but logits has shape {logits.shape}; "
            f"expected class indices of shape ({n},) or one-hot rows of shape ({n}, {c})"
        )
    if y.ndim == 1:
        check_class_indices(y, "y", c)
        one_hot = np.zeros((n, c), dtype=logits.dtype)
        one_hot[np.arange(n), y] = 1
        return {"y": one_hot}
    t = as_float_array(y, "y").astype(logits.dtype, copy=False)
    check_probabilities(t, "y", axis=-1)
    return {"y": t}


@checked(_class_targets, logits=_logits)
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
    Stability: log-sum-exp with the row maximum subtracted
    (:func:`mlcourse.activations.log_softmax`). Class indices are turned into one-hot
    rows by the check, so one formula serves both kinds of target.

    See Also
    --------
    cross_entropy_and_grad : the loss and its gradient with one softmax.
    """
    return -(y * log_softmax(logits)).sum() / len(logits)


@checked(_class_targets, logits=_logits)
def cross_entropy_grad(logits, y):
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z_{nk}} = \frac{\mathrm{softmax}(z_n)_k -
              y_{nk}}{N}

    Returns an array of shape (N, C) in the dtype of ``logits``. (For probability rows
    that sum to 1 only within the tolerance of the check, the exact gradient is
    :math:`(\mathrm{softmax}(z_n)_k \sum_j y_{nj} - y_{nk}) / N`, which differs from this
    by at most :math:`10^{-6}\, \mathrm{softmax}(z_n)_k / N`.)
    """
    return (softmax(logits) - y) / len(logits)


@checked(_class_targets, logits=_logits)
def cross_entropy_and_grad(logits, y):
    r"""The mean cross-entropy and its gradient with respect to the logits, together.

    .. math:: L = -\frac{1}{N} \sum_{n,k} y_{nk} \ln p_{nk}, \qquad
              \frac{\partial L}{\partial z_{nk}} = \frac{p_{nk} - y_{nk}}{N}, \qquad
              p_n = \mathrm{softmax}(z_n)

    The two share the softmax: it is computed once, as :math:`\ln p` by log-softmax, and
    :math:`p = e^{\ln p}` (cs231n's ``softmax_loss`` returns both in the same way).

    Parameters
    ----------
    logits : array_like, shape (N, C)
    y : array_like, shape (N,) or (N, C)
        Class indices or rows of class probabilities, as for :func:`cross_entropy`.

    Returns
    -------
    loss : numpy scalar, dtype of ``logits``
        ``cross_entropy(logits, y)``.
    grad : ndarray, shape (N, C)
        ``cross_entropy_grad(logits, y)``.
    """
    log_p = _fast.log_softmax(logits)  # the logits are checked already
    loss = -(y * log_p).sum() / len(logits)
    grad = (np.exp(log_p) - y) / len(logits)
    return loss, grad


# ------------------------------------------------------------------ MSE and hinge
@checked(_predictions_and_values, y_hat=finite_array, y=finite_array)
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
    return ((y_hat - y) ** 2).mean()


@checked(_predictions_and_values, y_hat=finite_array, y=finite_array)
def mse_grad(y_hat, y):
    r"""Gradient of :func:`mse`: :math:`\partial L / \partial \hat y = 2 (\hat y - y) /
    \text{size}`, shape and dtype of ``y_hat``."""
    return 2 * (y_hat - y) / y_hat.size


@checked(_scores_and_signs, scores=finite_array, y=finite_array)
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
    return np.maximum(0, 1 - y * scores).mean()


@checked(_scores_and_signs, scores=finite_array, y=finite_array)
def hinge_grad(scores, y):
    r"""(Sub)gradient of :func:`hinge` with respect to the scores.

    .. math:: \frac{\partial L}{\partial s_n} = -\frac{y_n}{N} \text{ if } y_n s_n < 1,
              \text{ else } 0

    At the kink :math:`y_n s_n = 1` we return 0. Shape and dtype of ``scores``.
    """
    return np.where(1 - y * scores > 0, -y, 0) / scores.size


# ---------------------------------------------------------------- the fused forms
def _both(loss, grad):
    """The fused form of a loss that shares nothing costly with its gradient."""

    def loss_and_grad(input, target):
        return loss(input, target), grad(input, target)

    loss_and_grad.__name__ = loss_and_grad.__qualname__ = f"{loss.__name__}_and_grad"
    loss_and_grad.__doc__ = (
        f"``({loss.__name__}(input, target), {grad.__name__}(input, target))``: the loss "
        "and its gradient (they share no costly step, so this calls the two)."
    )
    return loss_and_grad


binary_cross_entropy_and_grad = _both(binary_cross_entropy, binary_cross_entropy_grad)
binary_cross_entropy_with_logits_and_grad = _both(
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad
)
mse_and_grad = _both(mse, mse_grad)
hinge_and_grad = _both(hinge, hinge_grad)


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


LOSSES_AND_GRADS: dict = NameRegistry(
    "loss", "loss", **{name: globals()[f"{name}_and_grad"] for name in LOSSES}
)
"""Name -> the fused form ``loss_and_grad(input, target) -> (loss, grad)``."""


def get_loss_and_grad(name: str):
    """Return the fused form of a loss of :data:`LOSSES_AND_GRADS` (same errors as
    :func:`get_loss`)."""
    return LOSSES_AND_GRADS.lookup(name)
