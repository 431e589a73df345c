"""Layers as pure functions: ``*_forward -> (out, cache)`` and ``*_backward(dout, cache)``.

The forward function of a layer returns its output and a ``cache``: what the backward
function needs, and nothing more. The backward function takes ``dout``, the gradient of
the loss with respect to the layer's output (same shape as the output), and returns the
gradients with respect to the layer's inputs. Chaining them layer by layer is
backpropagation; :class:`mlcourse.mlp.MLP` does exactly that.

Conventions: data points are rows. ``X: (N, D)``, ``W: (D, M)``, ``b: (M,)``,
``Z = X W + b: (N, M)``. In the course's notation ``Z`` is the pre-activation and
``H = g(Z)`` the activation (the output of the layer).

Arrays keep their dtype: float32 in, float32 out (no float64 upcast), so the same code
serves the float64 gradient checks and the float32 benchmark.

Each function checks its arguments in its ``@checked`` decorator and its body is the
formula. The activation layer reads :data:`mlcourse.activations.ACTIVATION_TABLE`: an
elementwise activation multiplies by its derivative, a row-wise one (softmax) applies
its vector-Jacobian product; there is no list of names here.
"""

from __future__ import annotations

import numpy as np

from mlcourse._validation import check_ndim, checked, finite_array, unchecked
from mlcourse.activations import ACTIVATION_TABLE

__all__ = [
    "activation_backward",
    "activation_forward",
    "known_activations",
    "linear_backward",
    "linear_forward",
]


def known_activations() -> list[str]:
    """Names accepted by :func:`activation_forward`: the keys of ``ACTIVATION_TABLE``."""
    return sorted(ACTIVATION_TABLE)


def activation_name(name, argument: str = "name") -> str:
    """``name`` if it is in ``ACTIVATION_TABLE``; the package's unknown-name error if not."""
    ACTIVATION_TABLE.lookup(name, argument)
    return name


# ---------------------------------------------------------------------------------------
# Linear (fully connected) layer
# ---------------------------------------------------------------------------------------


def _shapes_fit(X, W, b) -> None:
    check_ndim(X, "X", 2, "(N, D)")
    check_ndim(W, "W", 2, "(D, M)")
    if W.shape[0] != X.shape[1]:
        raise ValueError(
            f"W has shape {W.shape} but X has shape {X.shape}; expected W of shape "
            f"(D, M) with D = {X.shape[1]}, the number of columns of X"
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"b has shape {b.shape} but W has shape {W.shape}; expected b of shape "
            f"({W.shape[1]},), one bias per column of W"
        )


@checked(_shapes_fit, X=finite_array, W=finite_array, b=finite_array)
def linear_forward(X, W, b):
    r"""Affine layer, forward: :math:`Z = X W + b`.

    Parameters
    ----------
    X : array_like, shape (N, D)
        A batch of ``N`` data points as rows.
    W : array_like, shape (D, M)
        Weights: column ``m`` holds the weights of unit ``m``.
    b : array_like, shape (M,)
        Biases, broadcast over the ``N`` rows.

    Returns
    -------
    Z : ndarray, shape (N, M)
        The pre-activations.
    cache : tuple ``(X, W)``
        For :func:`linear_backward` (references, not copies).

    Raises
    ------
    ValueError
        If the shapes do not fit, e.g. ``X (5, 3)`` with ``W (4, 2)``, or an input holds
        NaN or inf.
    """
    Z = X @ W  # (N, D) @ (D, M)
    Z += b  # the bias of each unit, added to every row (in place: no second (N, M) array)
    return Z, (X, W)


def _dZ_fits_cache(dZ, cache) -> None:
    X, W = cache
    expected = (X.shape[0], W.shape[1])
    if dZ.shape != expected:
        raise ValueError(
            f"dZ has shape {dZ.shape}; expected {expected}, the shape of Z = X W + b "
            f"for X {X.shape} and W {W.shape}"
        )


@checked(_dZ_fits_cache, dZ=finite_array)
def linear_backward(dZ, cache, need_dX=True):
    r"""Affine layer, backward.

    With :math:`Z = X W + b` and ``dZ`` the gradient of the loss with respect to ``Z``:

    .. math:: dX = dZ\, W^T, \qquad dW = X^T dZ, \qquad db = \mathbf{1}^T dZ

    The bias is added to every row, so its gradient :math:`\mathbf{1}^T dZ = \sum_n
    dZ_{n,:}` sums the rows; written as the product with a vector of ones it is one BLAS
    call, faster than the reduction ``dZ.sum(axis=0)`` (the same numbers, summed by BLAS).

    Parameters
    ----------
    dZ : array_like, shape (N, M)
        Upstream gradient.
    cache : tuple ``(X, W)`` from :func:`linear_forward`
        ``X: (N, D)``, ``W: (D, M)``.
    need_dX : bool, default True
        ``False`` skips the product for ``dX`` (and returns ``None`` in its place): the
        first layer of a network needs no gradient for the data.

    Returns
    -------
    dX : ndarray, shape (N, D), or None
    dW : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    X, W = cache
    dX = dZ @ W.T if need_dX else None  # (N, M) @ (M, D)
    dW = X.T @ dZ  # (D, N) @ (N, M)
    db = np.ones(len(dZ), dZ.dtype) @ dZ  # (N,) @ (N, M): 1^T dZ, the sum of the rows
    return dX, dW, db


# ---------------------------------------------------------------------------------------
# Activation layer (elementwise, or row-wise for softmax)
# ---------------------------------------------------------------------------------------


def _rows_for_rowwise(Z, name) -> None:
    if ACTIVATION_TABLE[name].rowwise:
        check_ndim(Z, "Z", (1, 2), "(N, M)")


@checked(_rows_for_rowwise, Z=finite_array, name=activation_name)
def activation_forward(Z, name="relu"):
    r"""Activation layer, forward: :math:`H = g(Z)`.

    Parameters
    ----------
    Z : array_like, shape (N, M)
        Pre-activations (any shape for elementwise activations).
    name : str
        A key of :data:`mlcourse.activations.ACTIVATION_TABLE`: an elementwise
        activation (applied with its default parameters: ``leaky_relu`` slope 0.01,
        ``elu`` alpha 1, ``swish`` beta 1), or ``"softmax"`` / ``"log_softmax"`` (along
        the last axis, rows of ``Z`` being the data points). ``known_activations()``
        lists them.

    Returns
    -------
    H : ndarray, same shape as Z
        The activations (a new array).
    cache : tuple ``(name, A)``
        For :func:`activation_backward`: ``A`` is ``H`` for the row-wise activations
        (their vector-Jacobian product is read off the output) and ``Z`` otherwise.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones) or NaN in ``Z``.
    """
    activation = ACTIVATION_TABLE[name]
    H = unchecked(activation.function)(Z)  # Z is checked already
    return H, (name, H if activation.rowwise else Z)


def _cache_fits(dH, cache) -> None:
    _, A = cache
    if dH.shape != A.shape:
        raise ValueError(f"dH has shape {dH.shape}; expected {A.shape}, the shape of H")


@checked(_cache_fits, dH=finite_array)
def activation_backward(dH, cache):
    r"""Activation layer, backward: :math:`dZ = dH \odot g'(Z)`.

    For an elementwise activation the Jacobian is diagonal, so the chain rule is an
    elementwise product. For softmax, :math:`S = \mathrm{softmax}(z)` row by row,
    the Jacobian is :math:`\mathrm{diag}(S) - S S^T` and
    :math:`dz = S \odot (dS - \langle dS, S \rangle)`; for log-softmax
    :math:`dz = dL - \mathrm{softmax}(z) \sum_i dL_i`.

    Parameters
    ----------
    dH : array_like, same shape as H
        Upstream gradient, with respect to the activations ``H``.
    cache : from :func:`activation_forward`

    Returns
    -------
    dZ : ndarray, same shape as dH
        Gradient with respect to the pre-activations ``Z``. ReLU's subgradient at 0 is 0
        (as in PyTorch), and so is the step function's derivative everywhere.
    """
    name, A = cache
    activation = ACTIVATION_TABLE[name]
    if activation.rowwise:
        return activation.derivative(dH, A)  # the vector-Jacobian product, from H
    return dH * unchecked(activation.derivative)(A)  # A is Z
