"""Gradient descent for the models of :mod:`mlcourse`: SGD steps, mini-batches, a loop.

Batch gradient descent, stochastic gradient descent and mini-batch SGD are one loop with
different batch sizes: ``batch_size = N`` (or ``None``) takes one exact gradient step per
epoch, ``batch_size = 1`` one noisy step per data point, anything between trades the
noise of the gradient against the cost of each step.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mlcourse import losses as _losses
from mlcourse._validation import (
    as_float_array,
    check_finite,
    check_int,
    check_ndim,
    checked,
    learning_rate,
)

__all__ = ["minibatches", "sgd_step", "train"]


def _grads_fit_params(params, grads) -> None:
    """``grads`` has the structure and the shapes of ``params``."""
    if len(params) != len(grads):
        raise ValueError(
            f"grads has {len(grads)} entries; expected {len(params)}, one per entry of params"
        )
    for i, (group, grad_group) in enumerate(zip(params, grads, strict=True)):
        if len(group) != len(grad_group):
            raise ValueError(
                f"grads[{i}] has {len(grad_group)} arrays; expected {len(group)} like params[{i}]"
            )
        for k, (p, g) in enumerate(zip(group, grad_group, strict=True)):
            if np.shape(p) != np.shape(g):
                raise ValueError(
                    f"grads[{i}][{k}] has shape {np.shape(g)}; expected {np.shape(p)}, "
                    f"the shape of params[{i}][{k}]"
                )


@checked(_grads_fit_params, lr=learning_rate)
def sgd_step(params, grads, lr: float) -> None:
    r"""One gradient-descent step, in place: :math:`\theta \leftarrow \theta - \alpha\,
    \nabla_\theta L` for every parameter array.

    Parameters
    ----------
    params : list of (W, b)
        The model's parameters, e.g. ``MLP.params``; the arrays are updated in place
        (so the model sees the change).
    grads : list of (dW, db)
        Same structure and shapes, e.g. what ``MLP.backward`` returned.
    lr : float
        The learning rate :math:`\alpha > 0`.

    Returns
    -------
    None
    """
    for group, grad_group in zip(params, grads, strict=True):
        for p, g in zip(group, grad_group, strict=True):
            p -= p.dtype.type(lr) * g  # in place: the model owns p


def minibatches(
    X, y, batch_size: int | None = 32, rng: np.random.Generator | int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Split a data set into mini-batches, in a random order when ``rng`` is given.

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,) or (N, K)
    batch_size : int or None
        Rows per batch; the last batch holds the remaining ``N mod batch_size`` rows if
        that is not 0. ``None`` means one batch with all the data.
    rng : np.random.Generator, int or None
        With a generator (or an int seed) the rows are shuffled by one permutation drawn
        from it; with ``None`` they are taken in order (deterministic batches).

    Yields
    ------
    (X_batch, y_batch) : shapes (B, D) and (B,) or (B, K), with ``B <= batch_size``
        Each row of ``X`` appears in exactly one batch.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1 or y.ndim < 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"y has shape {y.shape} but X has shape {X.shape}; expected the same number "
            "of rows (data points)"
        )
    N = X.shape[0]
    if batch_size is None:
        batch_size = max(N, 1)
    batch_size = check_int(batch_size, "batch_size")
    if rng is None:
        for start in range(0, N, batch_size):
            yield X[start : start + batch_size], y[start : start + batch_size]
        return
    order = np.random.default_rng(rng).permutation(N)
    for start in range(0, N, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def train(
    model,
    X,
    y,
    loss: str = "cross_entropy",
    lr: float = 0.1,
    epochs: int = 100,
    batch_size: int | None = 32,
    rng: np.random.Generator | int | None = None,
) -> dict[str, list[float]]:
    """Train a model by mini-batch SGD on a loss of :mod:`mlcourse.losses`.

    For each epoch, for each mini-batch: ``out = model.forward(X_b)``, the loss
    ``L(out, y_b)`` and its gradient ``dout`` in one call of the loss's fused form
    (:data:`mlcourse.losses.LOSSES_AND_GRADS`: one softmax for the two with
    cross-entropy), ``grads = model.backward(dout)``, then :func:`sgd_step`.

    Parameters
    ----------
    model : an object with ``forward(X)``, ``backward(dout)`` and ``params``
        Such as :class:`mlcourse.mlp.MLP`. Its parameters are updated in place.
    X : array_like, shape (N, D)
    y : array_like
        Targets as the loss expects them: class indices ``(N,)`` or one-hot ``(N, C)``
        for ``"cross_entropy"``; labels in {0, 1} for the binary cross-entropies; in
        {-1, +1} for ``"hinge"``; values for ``"mse"``. When the model has one output,
        ``y`` may be ``(N,)``: the output column ``(N, 1)`` is compared as ``(N,)``.
    loss : str
        A name of :data:`mlcourse.losses.LOSSES`; pair it with the model's output unit:
        ``cross_entropy`` with logits (output ``"identity"``),
        ``binary_cross_entropy`` with ``"sigmoid"``,
        ``binary_cross_entropy_with_logits``, ``mse`` and ``hinge`` with ``"identity"``.
    lr : float
        Learning rate.
    epochs : int
        Number of passes over the data.
    batch_size : int or None
        See :func:`minibatches`; ``None`` is full-batch gradient descent.
    rng : np.random.Generator, int or None
        Shuffles the data at every epoch (one generator for the whole run, so each
        epoch gets a new order); ``None`` keeps the order.

    Returns
    -------
    history : dict
        ``history["loss"]``: the mean training loss of each epoch, that is the average
        over the epoch's data points of the mini-batch losses computed during the epoch
        (each before its own step). Length ``epochs``.
    """
    loss_and_grad = _losses.get_loss_and_grad(loss)
    lr = learning_rate(lr)
    epochs = check_int(epochs, "epochs")
    X = as_float_array(X, "X")
    check_ndim(X, "X", 2, "(N, D)")
    check_finite(X, "X")
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y has shape {y.shape} but X has shape {X.shape}; expected one target per row of X"
        )
    rng = None if rng is None else np.random.default_rng(rng)
    N = X.shape[0]
    history: dict[str, list[float]] = {"loss": []}
    for epoch in range(epochs):
        total = 0.0
        for X_batch, y_batch in minibatches(X, y, batch_size, rng):
            out = model.forward(X_batch)
            if not np.isfinite(out).all():
                raise ValueError(
                    f"lr is {lr:g}: training diverged in epoch {epoch + 1} (the model's "
                    "output holds inf or NaN); expected a smaller learning rate"
                )
            squeeze = out.ndim == 2 and out.shape[1] == 1 and y_batch.ndim == 1
            prediction = out[:, 0] if squeeze else out
            value, dout = loss_and_grad(prediction, y_batch)
            total += float(value) * X_batch.shape[0]
            grads = model.backward(dout.reshape(out.shape) if squeeze else dout)
            sgd_step(model.params, grads, lr)
        history["loss"].append(total / N)
    return history
