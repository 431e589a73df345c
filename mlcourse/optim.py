r"""Gradient descent for the models of :mod:`mlcourse`: SGD steps, optimisers, mini-batches,
a loop.

Batch gradient descent, stochastic gradient descent and mini-batch SGD are one loop with
different batch sizes: ``batch_size = N`` (or ``None``) takes one exact gradient step per
epoch, ``batch_size = 1`` one noisy step per data point, anything between trades the
noise of the gradient against the cost of each step.

Plain SGD (:func:`sgd_step`) forgets every gradient once it has used it. The optimisers
:class:`Momentum`, :class:`AdaGrad`, :class:`RMSprop` and :class:`Adam` remember: each
keeps, for every parameter array, a running direction :math:`\omega_t` or a running sum
or average :math:`v_t` of the squared gradients (chapter 8 of the course), and computes
what ``torch.optim.SGD(momentum=...)``, ``Adagrad``, ``RMSprop`` and ``Adam`` compute
with their default settings. Each is built with its hyperparameters, and its
``step(params, grads)`` updates the arrays in place like :func:`sgd_step`::

    adam = Adam(lr=0.01)
    for epoch in range(100):
        grads = model.backward(cross_entropy_grad(model.forward(X), y))
        adam.step(model.params, grads)
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np

from mlcourse import losses as _losses
from mlcourse._validation import (
    as_float_array,
    check_finite,
    check_int,
    check_ndim,
    check_positive,
    checked,
    decay_rate,
    learning_rate,
)

__all__ = [
    "AdaGrad",
    "Adam",
    "Momentum",
    "Optimiser",
    "RMSprop",
    "minibatches",
    "sgd_step",
    "train",
]


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


class Optimiser:
    r"""An update rule with a memory: the base of :class:`Momentum`, :class:`AdaGrad`,
    :class:`RMSprop` and :class:`Adam`.

    :meth:`step` checks that the gradients fit the parameters and then, for every
    parameter array :math:`w` and its gradient :math:`\nabla_t`, counts the step in the
    array's state (``state.t``, 1 at the first step) and calls :meth:`update`, the rule
    itself. A subclass keeps its hyperparameters as attributes named like the arguments of
    its ``__init__`` (which its ``repr`` shows), names the arrays of its state in
    ``moments`` (``"omega"`` for :math:`\omega_t`, ``"v"`` for :math:`v_t`) and writes its
    rule for one array in ``update(w, grad, state)``.

    Attributes
    ----------
    state : dict
        One :class:`types.SimpleNamespace` per parameter array the optimiser has updated,
        keyed by ``id(w)``: ``state.w`` the array itself (held, so that its id stays its
        own), ``state.t`` the number of steps it has taken, and one array of ``w``'s shape
        and dtype per name in ``moments``, zeros before the first step
        (:math:`\omega_0 = v_0 = 0`). Each array has a state of its own, as in
        ``torch.optim``.
    """

    moments: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[int, SimpleNamespace] = {}

    def __repr__(self) -> str:
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({settings})"

    def state_of(self, w: np.ndarray) -> SimpleNamespace:
        """The state of the parameter array ``w``: created at the first call, with zeros."""
        if id(w) not in self.state:
            zeros = {name: np.zeros_like(w) for name in self.moments}
            self.state[id(w)] = SimpleNamespace(w=w, t=0, **zeros)
        return self.state[id(w)]

    @checked(_grads_fit_params)
    def step(self, params, grads) -> None:
        """One step of the optimiser, in place, for every parameter array.

        Parameters
        ----------
        params : list of groups of arrays
            E.g. ``MLP.params``, a list of ``(W, b)``; any shapes (a single vector ``w``
            is ``[(w,)]``). The arrays are updated in place, so the model sees the change.
        grads : list of groups of arrays
            Same structure and shapes, e.g. what ``MLP.backward`` returned; each is used
            in the dtype of its parameter array.

        Returns
        -------
        None
        """
        for group, grad_group in zip(params, grads, strict=True):
            for w, grad in zip(group, grad_group, strict=True):
                state = self.state_of(w)
                state.t += 1
                self.update(w, np.asarray(grad, dtype=w.dtype), state)

    def update(self, w: np.ndarray, grad: np.ndarray, state: SimpleNamespace) -> None:
        """The rule for one array: update ``w`` and ``state`` in place from ``grad``."""
        raise NotImplementedError(f"{type(self).__name__} defines no update rule")


class Momentum(Optimiser):
    r"""Gradient descent with momentum: a running direction that remembers past gradients.

    .. math::

        \omega_t = \rho\, \omega_{t-1} + \nabla_t, \qquad
        w_{t+1} = w_t - \alpha\, \omega_t, \qquad \omega_0 = 0.

    The direction :math:`\omega_t` adds up the past gradients, the older ones shrunk by
    powers of :math:`\rho`: it builds up speed where the gradients agree and damps the
    components that change sign from step to step. :math:`\rho = 0` is plain SGD.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\alpha > 0`.
    rho : float, default 0.9
        The momentum coefficient :math:`\rho \in [0, 1)`.

    Notes
    -----
    The same steps as ``torch.optim.SGD(params, lr, momentum=rho)`` (with its defaults
    ``dampening=0``, ``nesterov=False``): PyTorch starts its buffer at
    :math:`\omega_1 = \nabla_1`, which is the formula above with :math:`\omega_0 = 0`.
    Polyak (1964), "Some methods of speeding up the convergence of iteration methods".
    """

    moments = ("omega",)

    @checked(lr=learning_rate, rho=decay_rate)
    def __init__(self, lr: float, rho: float = 0.9) -> None:
        super().__init__()
        self.lr, self.rho = lr, rho

    def update(self, w, grad, state) -> None:
        """Momentum's rule for one array: ``state.omega`` and ``w``, in place."""
        state.omega = self.rho * state.omega + grad
        w -= self.lr * state.omega


class AdaGrad(Optimiser):
    r"""AdaGrad: each weight's step divided by the root of the sum of its squared gradients.

    .. math::

        v_t = v_{t-1} + \nabla_t^2, \qquad
        w_{t+1} = w_t - \alpha\, \frac{\nabla_t}{\sqrt{v_t} + \epsilon}, \qquad v_0 = 0,

    the square, the root and the division taken entry by entry. A weight whose gradients
    have been large takes small steps, a rarely updated one large steps; as :math:`v_t`
    only grows, every step shrinks in the end.

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate :math:`\alpha > 0`.
    eps : float, default 1e-10
        :math:`\epsilon > 0`, which only guards against dividing by zero.

    Notes
    -----
    The same steps as ``torch.optim.Adagrad(params, lr, eps=eps)`` with its defaults
    ``lr_decay=0`` and ``initial_accumulator_value=0``.
    Duchi, Hazan and Singer (2011), "Adaptive subgradient methods for online learning and
    stochastic optimization".
    """

    moments = ("v",)

    @checked(lr=learning_rate, eps=check_positive)
    def __init__(self, lr: float = 0.01, eps: float = 1e-10) -> None:
        super().__init__()
        self.lr, self.eps = lr, eps

    def update(self, w, grad, state) -> None:
        """AdaGrad's rule for one array: ``state.v`` and ``w``, in place."""
        state.v = state.v + grad**2
        w -= self.lr * grad / (np.sqrt(state.v) + self.eps)


class RMSprop(Optimiser):
    r"""RMSprop: AdaGrad with a moving average of the squared gradients instead of their sum.

    .. math::

        v_t = \beta_2 v_{t-1} + (1 - \beta_2) \nabla_t^2, \qquad
        w_{t+1} = w_t - \alpha\, \frac{\nabla_t}{\sqrt{v_t} + \epsilon}, \qquad v_0 = 0,

    entry by entry. Old gradients fade by the factor :math:`\beta_2` per step, so the
    steps do not shrink forever as AdaGrad's do.

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate :math:`\alpha > 0`.
    beta2 : float, default 0.99
        The decay rate :math:`\beta_2 \in [0, 1)` of the moving average (PyTorch calls
        it ``alpha``).
    eps : float, default 1e-8
        :math:`\epsilon > 0`, which only guards against dividing by zero.

    Notes
    -----
    The same steps as ``torch.optim.RMSprop(params, lr, alpha=beta2, eps=eps)`` with its
    defaults ``centered=False``, ``momentum=0`` and ``weight_decay=0``.
    Tieleman and Hinton (2012), lecture 6.5 of the course "Neural networks for machine
    learning".
    """

    moments = ("v",)

    @checked(lr=learning_rate, beta2=decay_rate, eps=check_positive)
    def __init__(self, lr: float = 0.01, beta2: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__()
        self.lr, self.beta2, self.eps = lr, beta2, eps

    def update(self, w, grad, state) -> None:
        """RMSprop's rule for one array: ``state.v`` and ``w``, in place."""
        state.v = self.beta2 * state.v + (1 - self.beta2) * grad**2
        w -= self.lr * grad / (np.sqrt(state.v) + self.eps)


def _decay_rates(betas, name: str) -> tuple[float, float]:
    """``betas`` as a pair of decay rates ``(beta1, beta2)``, each in [0, 1)."""
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} is {betas!r}; expected a pair (beta1, beta2) of decay rates in [0, 1)"
        ) from None
    return decay_rate(beta1, f"{name}[0]"), decay_rate(beta2, f"{name}[1]")


class Adam(Optimiser):
    r"""Adam: momentum's running direction and RMSprop's scale, both bias-corrected.

    .. math::

        \omega_t &= \beta_1 \omega_{t-1} + (1 - \beta_1) \nabla_t, \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) \nabla_t^2, \\
        \hat\omega_t &= \frac{\omega_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t}, \\
        w_{t+1} &= w_t - \alpha\, \frac{\hat\omega_t}{\sqrt{\hat v_t} + \epsilon},

    from :math:`\omega_0 = v_0 = 0`, entry by entry. Started at zero, the moving averages
    are too small in the first steps (:math:`\omega_1 = (1 - \beta_1) \nabla_1`); dividing
    by :math:`1 - \beta^t` makes each an average whose weights sum to 1, so that
    :math:`\hat\omega_1 = \nabla_1`. The step count :math:`t` is the array's own
    (``state.t``).

    Parameters
    ----------
    lr : float, default 0.001
        The learning rate :math:`\alpha > 0`.
    betas : (float, float), default (0.9, 0.999)
        The decay rates :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, which only guards against dividing by zero.

    Notes
    -----
    The same steps as ``torch.optim.Adam(params, lr, betas=betas, eps=eps)`` with its
    defaults ``weight_decay=0`` and ``amsgrad=False``.
    Kingma and Ba (2015), "Adam: a method for stochastic optimization".
    """

    moments = ("omega", "v")

    @checked(lr=learning_rate, betas=_decay_rates, eps=check_positive)
    def __init__(
        self, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        super().__init__()
        self.lr, self.betas, self.eps = lr, betas, eps

    def update(self, w, grad, state) -> None:
        """Adam's rule for one array: ``state.omega``, ``state.v`` and ``w``, in place."""
        beta1, beta2 = self.betas
        state.omega = beta1 * state.omega + (1 - beta1) * grad
        state.v = beta2 * state.v + (1 - beta2) * grad**2
        omega_hat = state.omega / (1 - beta1**state.t)
        v_hat = state.v / (1 - beta2**state.t)
        w -= self.lr * omega_hat / (np.sqrt(v_hat) + self.eps)


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
